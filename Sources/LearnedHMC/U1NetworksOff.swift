// U1NetworksOff.swift — L2HMC with networks off: the proposal of a model without networks, run tape-free on the
// U(1) kernels, so that it is plain HMC bit for bit (issue #5: "Plain HMC is the special case with networks off").
//
// Derivation (REFERENCE §4, U1LeapfrogModel.swift): with s = t = q = 0 a forward layer k is
//   G_k = P(½ε_v,k) X(ε_x,k) P(½ε_v,k),   P(a): v ← v − a F(x),  X(b): x ← x + b v,
// its inverse is P(−½ε_v,k) X(−ε_x,k) P(−½ε_v,k), and Flip ∘ P(a) ∘ Flip = P(−a), Flip ∘ X(b) ∘ Flip = X(−b). So
//   M = F⁻¹ ∘ Flip ∘ F = Flip ∘ G_0 G_1 ⋯ G_{N−1} G_{N−1} ⋯ G_1 G_0   (G_0 applied first),
// a volume-preserving map (log|J| = 0 exactly). Adjacent kicks of the same force are merged:
//   P(½ε_v,0) X(ε_x,0) P(½ε_v,0 + ½ε_v,1) X(ε_x,1) ⋯ X(ε_x,0) P(½ε_v,0).
// With one ε for every ε_x,k and ε_v,k this is the leapfrog integrator with step ε and 2N steps (the merged kick
// ½ε + ½ε = ε exactly), and the sampler calls `Leapfrog.integrate` itself. The final Flip is irrelevant: momenta are
// redrawn every trajectory and ½Σv² is even.
//
// The trajectory (`U1L2HMCSampler.stepWithoutNetworks`) does what `HMCDriver` does, in the same order and with the
// same kernels: measure S(x); lane-parallel Gaussian momenta (U1Block.refreshMomenta); H = ½Σp² + S; save links;
// integrate; wrap links; measure; ΔH = (½Σp′² + S′) − H; one uniform per chain, accept if u < e^{−ΔH}; restore the
// rejected chains. Same seed, lattice and chains ⇒ the same chain as HMC (leapfrog, ε, 2N steps), bit for bit.
import Foundation
import LatticeCore
import HMC
import U1

/// The molecular-dynamics schedule of a networks-off model: per-layer kicks and drifts of
/// M = F⁻¹ ∘ Flip ∘ F without the final flip (see the file header).
public struct U1NetworksOffSchedule: Sendable, Equatable {
    /// Per-layer step sizes (ε_x,k, ε_v,k).
    public let epsX: [Double]
    public let epsV: [Double]

    public init(stepSizes: [(x: Double, v: Double)]) {
        precondition(!stepSizes.isEmpty, "a networks-off schedule needs at least one layer")
        epsX = stepSizes.map(\.x)
        epsV = stepSizes.map(\.v)
    }

    /// The single step size if every ε_x,k and ε_v,k is the same number, else nil.
    public var uniformStepSize: Double? {
        let e = epsX[0]
        return epsX.allSatisfy({ $0 == e }) && epsV.allSatisfy({ $0 == e }) ? e : nil
    }

    /// Leapfrog steps of the proposal (2N).
    public var steps: Int { 2 * epsX.count }

    /// Runs the proposal's MD part: `Leapfrog.integrate(stepSize: ε, steps: 2N)` when every step size is ε,
    /// otherwise the per-layer schedule (`integratePerLayer`).
    @inlinable
    public func integrate<S: MolecularDynamicsSystem>(_ system: inout S) {
        if let e = uniformStepSize {
            Leapfrog.integrate(&system, stepSize: e, steps: steps)
        } else {
            integratePerLayer(&system)
        }
    }

    /// G_0 ⋯ G_{N−1} G_{N−1} ⋯ G_0 with adjacent kicks merged: P(½ε_v,0) X(ε_x,0) P(½ε_v,0 + ½ε_v,1) ⋯ P(½ε_v,0).
    /// With equal step sizes it performs the same floating-point operations as `Leapfrog.integrate`.
    @inlinable
    public func integratePerLayer<S: MolecularDynamicsSystem>(_ system: inout S) {
        let n = epsX.count
        let order = Array(0..<n) + Array((0..<n).reversed())
        system.updateMomenta(0.5 * epsV[order[0]])
        for (i, k) in order.enumerated() {
            system.updateLinks(epsX[k])
            let after = 0.5 * epsV[k]
            system.updateMomenta(i + 1 < order.count ? after + 0.5 * epsV[order[i + 1]] : after)
        }
    }
}

extension U1L2HMCSampler {
    /// One networks-off trajectory on every chain, tape-free (see the file header): the HMC driver's trajectory with
    /// the model's schedule. logdet is 0; dQ_sin, dQ_int are those of the proposal.
    func stepWithoutNetworks() -> L2HMCRecord {
        precondition(!model.config.networksOn)
        if ensemble.beta != beta { ensemble.beta = beta }   // the blocks read β from the ensemble
        let schedule = U1NetworksOffSchedule(stepSizes: model.stepSizes())
        let chains = ensemble.chains
        let lanes = ChainLayout.lanes
        var accepted = [Double](repeating: 0, count: chains), deltaH = accepted, prob = accepted
        var dQsin = accepted, dQint = accepted
        var observables = [Double](repeating: 0, count: 3 * chains)   // [k][c]
        let ens = ensemble, nThreads = threads
        accepted.withUnsafeMutableBufferPointer { accB in
            deltaH.withUnsafeMutableBufferPointer { dhB in
                prob.withUnsafeMutableBufferPointer { prB in
                    dQsin.withUnsafeMutableBufferPointer { qsB in
                        dQint.withUnsafeMutableBufferPointer { qiB in
                            observables.withUnsafeMutableBufferPointer { obB in
                                nonisolated(unsafe) let acc = accB.baseAddress!, dh = dhB.baseAddress!, pr = prB.baseAddress!
                                nonisolated(unsafe) let qs = qsB.baseAddress!, qi = qiB.baseAddress!, ob = obB.baseAddress!
                                BlockParallel.forEach(blocks: ens.blockCount, threads: nThreads) { b in
                                    var block = ens.block(b)
                                    let old = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
                                    let new = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
                                    defer { old.deallocate(); new.deallocate() }
                                    // As HMCDriver.trajectory (its cached action is this measurement of the links).
                                    let s0 = block.measure(into: old)
                                    block.refreshMomenta()
                                    let h0 = block.kineticEnergy() + s0
                                    block.saveLinks()
                                    schedule.integrate(&block)
                                    block.normalizeLinks()
                                    let s1 = block.measure(into: new)
                                    let dH = block.kineticEnergy() + s1 - h0
                                    var reject = LaneMask()
                                    for lane in 0..<block.activeLanes {
                                        let u = block.uniform(lane: lane)
                                        let a = Foundation.exp(-dH[lane])
                                        let ok = u < a   // NaN ΔH → rejected
                                        reject[lane] = !ok
                                        let c = b * lanes + lane
                                        acc[c] = ok ? 1 : 0
                                        dh[c] = dH[lane]
                                        pr[c] = dH[lane].isNaN ? 0 : min(1, a)
                                        qs[c] = abs(new[2][lane] - old[2][lane])
                                        qi[c] = abs(new[1][lane] - old[1][lane])
                                        for k in 0..<3 { ob[k * chains + c] = ok ? new[k][lane] : old[k][lane] }
                                    }
                                    for lane in block.activeLanes..<lanes { reject[lane] = true }
                                    block.restoreLinks(where: reject)
                                }
                            }
                        }
                    }
                }
            }
        }
        return L2HMCRecord(accepted: accepted, deltaH: deltaH, logdet: [Double](repeating: 0, count: chains),
                           acceptanceProbability: prob,
                           observables: (0..<3).map { Array(observables[($0 * chains)..<(($0 + 1) * chains)]) },
                           dQsin: dQsin, dQint: dQint)
    }
}
