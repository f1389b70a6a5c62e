// L2HMCCommand.swift — the root `l2hmc` command and its subcommands.
import ArgumentParser
import Foundation

public struct L2HMCCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "l2hmc",
        abstract: "Hybrid Monte Carlo and learned HMC for lattice gauge theories.",
        discussion: """
        Units: β is the inverse bare coupling of the Wilson action (U(1): S = β Σ(1 − cos θ_P)); trajectory \
        length τ and step size ε are in molecular-dynamics time units (H = S + ½Σp²). Conventions: see README.md \
        and the reference documentation.
        """,
        version: L2HMCVersion.string,
        subcommands: [RunCommand.self, TrainCommand.self, CompareCommand.self, InspectCommand.self, ConvertCommand.self]
    )
    public init() {}
}

public enum L2HMCVersion {
    public static let string = "0.1.0"
}
