// LearnedSampler.swift — what the U(1) and SU(3) learned samplers share: step sizes stored as log ε per layer
// (ε = e^η keeps them positive, REFERENCE §4), and the run loop's Markov step `L2HMCDriver` (U1L2HMCDriver,
// SU3L2HMCDriver).
import Foundation
import Autodiff
import HMC
import LatticeCore

/// (ε_x, ε_v) per layer from the parameters `layer<k>.log_eps_x` and `layer<k>.log_eps_v`.
func leapfrogStepSizes(_ p: ParameterSet, layers: Int) -> [(x: Double, v: Double)] {
    (0..<layers).map { k in
        (Foundation.exp(p["layer\(k).log_eps_x"]!.scalars[0]), Foundation.exp(p["layer\(k).log_eps_v"]!.scalars[0]))
    }
}

/// The checks every leapfrog-layer model makes of its architecture (errors name the value and the allowed range).
func validateLeapfrogArchitecture(layers: Int, hidden: [Int], stepSize: Double) throws {
    guard layers >= 1 else { throw ConfigurationError("leapfrog layers = \(layers) is not allowed; need ≥ 1") }
    guard hidden.allSatisfy({ $0 >= 1 }) else {
        throw ConfigurationError("hidden widths \(hidden) are not allowed; each must be ≥ 1")
    }
    guard stepSize > 0 else { throw ConfigurationError("step size = \(stepSize) is not allowed; ε must be > 0") }
}

/// A learned sampler as the run loop sees it.
public protocol LearnedSampler: AnyObject {
    /// One Metropolis step of every chain with the current model (no training).
    func sample() throws -> TrajectoryRecord
    /// (ε_x, ε_v) per layer.
    func stepSizes() -> [(x: Double, v: Double)]
    /// Force evaluations of one proposal (2N + 1 for N layers).
    var forceEvaluations: Int { get }
}

/// A trained sampler as a Markov-chain step for the run loop (`l2hmc run --model`, `l2hmc compare`).
public final class L2HMCDriver<Sampler: LearnedSampler>: TrajectorySource {
    public let sampler: Sampler
    public init(sampler: Sampler) { self.sampler = sampler }
    public func nextTrajectory() throws -> TrajectoryRecord { try sampler.sample() }
    /// The learned sampler has per-layer step sizes; this reports the first layer's ε_x and ignores writes.
    public var stepSize: Double {
        get { sampler.stepSizes().first?.x ?? 0 }
        set {}
    }
    public var forceEvaluations: Int { sampler.forceEvaluations }
}

/// The U(1) sampler as a run-loop step.
public typealias U1L2HMCDriver = L2HMCDriver<U1L2HMCSampler>
/// The SU(3) sampler as a run-loop step.
public typealias SU3L2HMCDriver = L2HMCDriver<SU3L2HMCSampler>
