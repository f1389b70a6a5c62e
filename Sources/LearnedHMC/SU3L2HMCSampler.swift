// SU3L2HMCSampler.swift — Metropolis–Hastings with the learned SU(3) leapfrog (SU3LeapfrogModel.swift) on many
// chains, and the training step (loss, gradient through the whole trajectory, optimiser update).
//
// Conventions (REFERENCE §2–§4):
//   * The chains live in an `SU3Ensemble` (its storage, per-chain Philox streams, measurements, checkpoints and
//     gauge files are the HMC ones). Per trajectory each chain draws its momenta exactly as HMC does
//     (SU3Block.refreshMomenta: 32V Gaussians) and then one uniform for the Metropolis test.
//   * One block of 8 chains is one unit on its own tape; gradients are summed over blocks in block order, so
//     sampling and training are bit-identical for any number of threads.
//   * A = min(1, exp(H(ξ) − H(ξ') + Σ log|J|)), written exp(−relu(−log A)) so that it is differentiable.
//   * Loss (minimised), per chain i on the proposal before accept/reject:
//       L = −(1/N) Σ_i A_i [ w_J·J_i + w_P·(ΔP_i)² + w_Q·(ΔQ_i)² ]
//     J_i = (1/4V) Σ_ℓ ‖U'_ℓ − U_ℓ‖²_F (the expected squared jump of the links), ΔP_i the change of the average
//     plaquette 1 − P, ΔQ_i the change of the un-flowed clover charge (differentiable, SU3Ops.swift).
//   * Accepted links are re-unitarised after the step (as HMC does between trajectories, never inside one).
//   * The action is the ensemble's (Wilson or rectangle-improved); the plaquette term of the loss is always the
//     Wilson plaquette 1 − P.
import Foundation
import Autodiff
import LatticeCore
import HMC
import SU3

/// Weights of the SU(3) training loss (see the file header).
public struct SU3LossConfig: Codable, Sendable, Equatable {
    public var jumpWeight: Double = 1          // w_J
    public var plaquetteWeight: Double = 0     // w_P
    public var chargeWeight: Double = 0        // w_Q
    public init(jumpWeight: Double = 1, plaquetteWeight: Double = 0, chargeWeight: Double = 0) {
        self.jumpWeight = jumpWeight; self.plaquetteWeight = plaquetteWeight; self.chargeWeight = chargeWeight
    }
}

/// Per-chain results of one SU(3) L2HMC trajectory.
public struct SU3L2HMCRecord: Sendable {
    public var accepted: [Double] = []
    public var deltaH: [Double] = []
    public var logdet: [Double] = []
    public var acceptanceProbability: [Double] = []
    /// The ensemble's observables after the step (plaquette, Re and Im Polyakov loop, …).
    public var observables: [[Double]] = []
    /// J_i of the proposal (mean squared link jump) and |ΔQ| of the un-flowed clover charge of the proposal.
    public var jump: [Double] = []
    public var dQ: [Double] = []
    public var loss: Double = .nan
    public var gradientNorm: Double = .nan
}

/// The learned-HMC sampler for 4D SU(3).
public final class SU3L2HMCSampler: @unchecked Sendable {
    public let ensemble: SU3Ensemble
    public let geometry: SU3LinkGeometry
    public var model: SU3LeapfrogModel
    public var threads: Int
    public var loss = SU3LossConfig()

    public init(ensemble: SU3Ensemble, model: SU3LeapfrogModel, threads: Int = 1) throws {
        guard ensemble.chains % 8 == 0 else {
            throw ConfigurationError("chains = \(ensemble.chains) is not allowed for L2HMC; use a positive multiple of 8")
        }
        self.ensemble = ensemble
        self.geometry = try SU3LinkGeometry(lattice: ensemble.lattice)
        self.model = model
        self.threads = threads
        BLAS.setThreads(1)  // our threads own the blocks; OpenBLAS's own threads would only spin against them
    }

    public var beta: Double { ensemble.beta }
    public var forceEvaluations: Int { 2 * model.config.layers + 1 }

    // MARK: Layout conversion (ensemble [μ][n] ↔ L2HMC link layout)

    /// Block b's links as a link tensor [1, 4V, 18, 8].
    public func linkTensor(block b: Int) -> Tensor {
        let blk = ensemble.block(b), g = geometry, v = g.volume
        var s = [Double](repeating: 0, count: g.links * 144)
        s.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { out in
                for mu in 0..<4 { for n in 0..<v { out[g.link(mu: mu, site: n)] = blk.link(mu, n) } }
            }
        }
        return try! Tensor(shape: g.linkShape(blocks: 1), scalars: s)
    }

    /// Block b's current momenta as an algebra tensor [1, 4V, 8, 8].
    func momentumTensor(block b: Int) -> Tensor {
        let blk = ensemble.block(b), g = geometry, v = g.volume
        var s = [Double](repeating: 0, count: g.links * 64)
        s.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: SU3Algebra.self, capacity: g.links) { out in
                for mu in 0..<4 { for n in 0..<v { out[g.link(mu: mu, site: n)] = blk.momentum(mu, n) } }
            }
        }
        return try! Tensor(shape: g.algebraShape(blocks: 1), scalars: s)
    }

    /// Writes the proposal's links into block b where `accept` is set, then re-unitarises the block.
    func writeBack(block b: Int, links t: Tensor, accept: LaneMask) {
        var blk = ensemble.block(b)
        let g = geometry, v = g.volume
        t.scalars.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { prop in
                for mu in 0..<4 {
                    for n in 0..<v {
                        blk.setLink(mu, n, SU3.select(prop[g.link(mu: mu, site: n)], blk.link(mu, n), where: accept))
                    }
                }
            }
        }
        blk.normalizeLinks()
    }

    struct BlockResult {
        var record = SU3L2HMCRecord()
        var proposal: Tensor? = nil
        var accept = LaneMask()
        var lossSum = 0.0
        var gradient: ParameterSet? = nil
    }

    /// Runs one trajectory on every chain; with `train`, also computes the loss gradient and applies `optimizer`.
    public func step(train optimizer: (any Optimizer)? = nil, clip: Double = 0) throws -> (SU3L2HMCRecord, (any Optimizer)?) {
        let nb = ensemble.blockCount
        var results = [BlockResult](repeating: BlockResult(), count: nb)
        let training = optimizer != nil
        let errors = LockedErrors()
        let totalChains = Double(ensemble.chains)
        results.withUnsafeMutableBufferPointer { rb in
            nonisolated(unsafe) let out = rb.baseAddress!
            BlockParallel.forEach(blocks: nb, threads: threads) { b in
                do {
                    var blk = self.ensemble.block(b)
                    blk.refreshMomenta()
                    let u0 = self.linkTensor(block: b), p0 = self.momentumTensor(block: b)
                    let uniforms = (0..<8).map { blk.uniform(lane: $0) }
                    var r = try SU3L2HMCSampler.runUnit(model: self.model, geometry: self.geometry, beta: self.beta,
                                                        action: self.ensemble.action, u: u0, p: p0, uniforms: uniforms, train: training,
                                                        loss: self.loss, totalChains: totalChains)
                    for l in 0..<8 { r.accept[l] = r.record.accepted[l] == 1 }
                    self.writeBack(block: b, links: r.proposal!, accept: r.accept)
                    r.proposal = nil
                    var obs = [Lanes](repeating: Lanes(), count: max(self.ensemble.observableNames.count, 1))
                    _ = blk.measure(into: &obs)
                    r.record.observables = obs.prefix(self.ensemble.observableNames.count).map { v in (0..<8).map { v[$0] } }
                    out[b] = r
                } catch { errors.record(error) }
            }
        }
        if let e = errors.first { throw e }
        var rec = SU3L2HMCRecord()
        rec.observables = [[Double]](repeating: [], count: ensemble.observableNames.count)
        var grad: ParameterSet? = nil
        var lossSum = 0.0
        for r in results {
            rec.accepted += r.record.accepted; rec.deltaH += r.record.deltaH; rec.logdet += r.record.logdet
            rec.acceptanceProbability += r.record.acceptanceProbability
            rec.jump += r.record.jump; rec.dQ += r.record.dQ
            for k in 0..<rec.observables.count { rec.observables[k] += r.record.observables[k] }
            lossSum += r.lossSum
            if let g = r.gradient { grad = try grad.map { try U1L2HMCSampler.add($0, g) } ?? g }
        }
        rec.loss = lossSum
        var opt = optimizer
        if var o = opt, var g = grad {
            rec.gradientNorm = g.globalNorm
            if clip > 0 { _ = g.clipGlobalNorm(to: clip) }
            try o.update(&self.model.parameters, with: g)
            opt = o
        }
        return (rec, opt)
    }

    /// Loss and gradient for one block of chains (links u, momenta p, Metropolis uniforms): the training step's
    /// computation on its own, for tests and tools.
    public static func lossAndGradient(model: SU3LeapfrogModel, geometry: SU3LinkGeometry, beta: Double,
                                       action: SU3GaugeAction = .wilson, u: Tensor, p: Tensor,
                                       uniforms: [Double], loss: SU3LossConfig) throws -> (loss: Double, gradient: ParameterSet) {
        let r = try runUnit(model: model, geometry: geometry, beta: beta, action: action, u: u, p: p, uniforms: uniforms, train: true,
                            loss: loss, totalChains: 8)
        return (r.lossSum, r.gradient!)
    }

    /// One block of 8 chains on its own tape.
    static func runUnit(model: SU3LeapfrogModel, geometry: SU3LinkGeometry, beta: Double, action: SU3GaugeAction,
                        u: Tensor, p: Tensor, uniforms: [Double], train: Bool, loss: SU3LossConfig,
                        totalChains: Double) throws -> BlockResult {
        let dyn = try SU3LeapfrogDynamics(model: model, geometry: geometry, beta: beta, action: action, blocks: 1)
        let tape = Tape()
        defer { tape.reset() }  // recorded VJPs hold Vars that hold the tape: break the cycle
        let params = train ? tape.bind(model.parameters)
            : try BoundParameters(rebinding: model.parameters, vars: model.parameters.tensors.map { tape.constant($0) })
        let u0 = tape.constant(u), p0 = tape.constant(p)
        let prop = try dyn.proposal(u: u0, p: p0, params)
        let h0 = try dyn.hamiltonian(u: u0, p: p0), h1 = try dyn.hamiltonian(u: prop.u, p: prop.p)
        let logA = try h0 - h1 + prop.logdet
        let acc = try (-(-logA).relu()).exp()
        var r = BlockResult()
        let logAv = logA.scalars
        r.record.accepted = (0..<8).map { uniforms[$0] < Foundation.exp(logAv[$0]) ? 1 : 0 }
        r.record.deltaH = zip(h1.scalars, h0.scalars).map { $0 - $1 }
        r.record.logdet = prop.logdet.scalars
        r.record.acceptanceProbability = acc.scalars
        let links = Double(geometry.links)
        // J = (1/4V) Σ_ℓ (6 − 2 Re Tr U'U†) = 6 − (2/4V) Σ entries U' ⊙ U.
        let overlap = try (prop.u * u0).sum(axis: 2).sum(axis: 1).reshaped([8])
        let jump = try 6.0 - overlap * (2 / links)
        let q0 = try u0.su3CloverCharge(geometry), q1 = try prop.u.su3CloverCharge(geometry)
        r.record.jump = jump.scalars
        r.record.dQ = zip(q1.scalars, q0.scalars).map { abs($0 - $1) }
        r.proposal = prop.u.value
        if train {
            var gain = try jump * loss.jumpWeight
            if loss.plaquetteWeight != 0 {
                let norm = 1 / Double(6 * geometry.volume)
                let dp = try (prop.u.su3WilsonAction(geometry, beta: 1) - u0.su3WilsonAction(geometry, beta: 1)) * norm
                gain = try gain + dp.square() * loss.plaquetteWeight
            }
            if loss.chargeWeight != 0 {
                gain = try gain + (q1 - q0).square() * loss.chargeWeight
            }
            let l = try (acc * gain).sum() * (-1 / totalChains)
            r.lossSum = l.scalars[0]
            r.gradient = try tape.gradient(of: l, wrt: params)
        }
        return r
    }
}

extension SU3L2HMCSampler: LearnedSampler {
    public func sample() throws -> TrajectoryRecord {
        let (r, _) = try step()
        return TrajectoryRecord(accepted: r.accepted, deltaH: r.deltaH, observables: r.observables, logdet: r.logdet)
    }
    public func stepSizes() -> [(x: Double, v: Double)] { model.stepSizes() }
}
