// Ensemble.swift — what the generic HMC driver needs from a gauge theory: an ensemble of chains stored in
// SIMD blocks (see LatticeCore/Lanes.swift), each block an MD system with momenta, an action and observables.
//
// Conventions (REFERENCE §3): H = S + ½Σp²; Metropolis accepts with min(1, e^{−ΔH}) using one uniform draw per
// chain per trajectory from that chain's own stream, drawn after its momenta.
import LatticeCore

/// One block of (up to) 8 chains, viewed as a molecular-dynamics system.
public protocol HMCBlock: MolecularDynamicsSystem {
    /// Number of real lanes (chains) in this block, 1…8; the rest are padding.
    var activeLanes: Int { get }
    /// Draws fresh Gaussian momenta for each active chain from its own stream (padding lanes get zero).
    mutating func refreshMomenta()
    /// p ← −p (for reversibility checks: integrate, flip, integrate returns to the start).
    mutating func flipMomenta()
    /// ½ Σ p² per lane.
    func kineticEnergy() -> Lanes
    /// Copies the links aside (before a trajectory).
    mutating func saveLinks()
    /// Puts the saved links back in the lanes where `mask` is true (rejected proposals).
    mutating func restoreLinks(where mask: LaneMask)
    /// Brings the links back to their canonical form after a trajectory (wrap angles, re-unitarise).
    mutating func normalizeLinks()
    /// Computes the action per lane and writes `observableCount` lane vectors of per-chain observables.
    mutating func measure(into observables: UnsafeMutablePointer<Lanes>) -> Lanes
    /// A uniform number in [0, 1) from the stream of the chain in `lane`.
    mutating func uniform(lane: Int) -> Double
}

/// A set of chains of one theory, split into SIMD blocks.
public protocol HMCEnsemble: AnyObject, Sendable {
    associatedtype Block: HMCBlock
    var chains: Int { get }
    var blockCount: Int { get }
    /// Names of the per-chain observables that `measure` writes, in order (e.g. plaquette, charge, …).
    var observableNames: [String] { get }
    /// A view of block b. Views of different blocks touch disjoint memory and may be used concurrently.
    func block(_ b: Int) -> Block
}
