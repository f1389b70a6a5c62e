// U1L2HMCSampler.swift — Metropolis–Hastings with the learned leapfrog proposal on many chains, and the
// training step (loss, gradient through the whole trajectory, optimiser update).
//
// Conventions (REFERENCE §4):
//   * Each chain draws, per trajectory, 2V Gaussian momenta (μ-major) and then one uniform from its own stream
//     ChainRNG(seed, chain) — the same order as HMC — so results never depend on the thread count.
//   * Networks off (`U1ModelConfig.networks == false`): sampling runs tape-free on the U(1) kernels and is the HMC
//     driver's trajectory bit for bit (U1NetworksOff.swift); training still uses the tape (step sizes only).
//   * Work is split into units of `unitChains` chains (fixed by the configuration, not by the thread count); each
//     unit has its own tape; gradients are summed over units in unit order: training is bit-identical for any
//     number of threads.
//   * Acceptance A = min(1, exp(H(ξ) − H(ξ') + Σ log|J|)), written as exp(−relu(−log A)) so it is differentiable.
//   * Charge loss (REFERENCE §4): ℓ_i = A_i (Q_sin(x'_i) − Q_sin(x_i))²;
//       mixed: L = mean_i [w/(ℓ_i + δ) − (ℓ_i + δ)/w],   plain: L = −mean_i ℓ_i / w;
//     optional plaquette term −w_P · mean_i A_i (P(x'_i) − P(x_i))²; optional auxiliary term: the same charge
//     loss on fresh uniformly random (hot) configurations, weighted by w_aux.
import Foundation
import Autodiff
import LatticeCore
import HMC
import U1

public enum ChargeLossKind: String, Codable, Sendable, CaseIterable {
    case mixed, plain
}

public struct LossConfig: Codable, Sendable, Equatable {
    public var kind: ChargeLossKind = .mixed
    public var chargeWeight: Double = 0.01      // w
    public var delta: Double = 1e-4              // δ
    public var plaquetteWeight: Double = 0       // w_P
    public var auxWeight: Double = 0             // w_aux
    public init() {}
}

/// Per-chain results of one L2HMC trajectory.
public struct L2HMCRecord: Sendable {
    public var accepted: [Double]
    public var deltaH: [Double]
    public var logdet: [Double]
    public var acceptanceProbability: [Double]
    public var observables: [[Double]]      // plaquette, Q_int, Q_sin after the step (as in U1Ensemble)
    public var loss: Double = .nan
    public var dQsin: [Double]              // |Q_sin(x') − Q_sin(x)| of the proposal
    public var dQint: [Double]              // |Q_int(x') − Q_int(x)| of the proposal
    public var gradientNorm: Double = .nan
}

/// The learned-HMC sampler for 2D U(1).
public final class U1L2HMCSampler: @unchecked Sendable {
    public let ensemble: U1Ensemble
    public var model: U1LeapfrogModel
    public var beta: Double
    public var threads: Int
    public let unitChains: Int
    public var loss = LossConfig()

    public init(ensemble: U1Ensemble, model: U1LeapfrogModel, threads: Int = 1, unitChains: Int = 64) throws {
        guard ensemble.chains % 8 == 0 else {
            throw ConfigurationError("chains = \(ensemble.chains) is not allowed for L2HMC; use a positive multiple of 8")
        }
        guard model.config.l0 == ensemble.lattice.shape[0], model.config.l1 == ensemble.lattice.shape[1] else {
            throw ConfigurationError("model lattice \(model.config.l0)x\(model.config.l1) does not match the run's \(ensemble.lattice.description)")
        }
        self.ensemble = ensemble
        self.model = model
        self.beta = ensemble.beta
        self.threads = threads
        self.unitChains = max(8, min(ensemble.chains, (unitChains / 8) * 8))
        U1L2HMCSampler.tuneAllocator()
        BLAS.setThreads(1)  // our threads own chain units; OpenBLAS's own threads would only spin against them
    }

    /// The tape allocates and frees many large arrays per step; keep glibc from returning them to the kernel
    /// each time (measured: most of a training step went to page faults otherwise).
    static func tuneAllocator() {
        #if os(Linux)
        _ = glibcMallopt(-3, 32 << 20)   // M_MMAP_THRESHOLD (glibc's maximum)
        _ = glibcMallopt(-1, 1 << 30)    // M_TRIM_THRESHOLD
        #endif
    }

    var units: [Range<Int>] {  // chain ranges
        stride(from: 0, to: ensemble.chains, by: unitChains).map { $0..<min($0 + unitChains, ensemble.chains) }
    }

    struct UnitResult {
        var accepted: [Double] = [], deltaH: [Double] = [], logdet: [Double] = [], prob: [Double] = []
        var dQsin: [Double] = [], dQint: [Double] = [], newX: [Double] = [], lossSum = 0.0, gradient: ParameterSet? = nil
    }

    /// Runs one trajectory on every chain; with `train`, also computes the loss gradient and applies `optimizer`.
    /// A networks-off model samples tape-free and reproduces HMC bit for bit (U1NetworksOff.swift); training it
    /// goes through the tape like any model, and then only its step sizes learn.
    public func step(train optimizer: (any Optimizer)? = nil, clip: Double = 0) throws -> (L2HMCRecord, (any Optimizer)?) {
        if !model.config.networksOn && optimizer == nil { return (stepWithoutNetworks(), nil) }
        let links = model.config.links
        let chains = ensemble.chains
        let us = units
        // Draw momenta and uniforms per chain (order: 2V normals, then the uniform).
        var v = [Double](repeating: 0, count: chains * links)
        var u = [Double](repeating: 0, count: chains)
        var x = [Double](repeating: 0, count: chains * links)
        ensemble.withLinkStorage { s in for i in 0..<s.count { x[i] = s[i] } }
        var buf = [Double](repeating: 0, count: links)
        for c in 0..<chains {
            var r = ensemble.rng(chain: c)
            buf.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
            let b = c / 8, l = c % 8
            for i in 0..<links { v[(b * links + i) * 8 + l] = buf[i] }
            u[c] = r.uniform()
            ensemble.setRNG(chain: c, r)
        }
        // Auxiliary hot configurations for the auxiliary loss term: from a stream per chain (stream id 1).
        var results = [UnitResult](repeating: UnitResult(), count: us.count)
        let training = optimizer != nil
        let model = self.model, beta = self.beta, lossCfg = self.loss, totalChains = Double(chains)
        let errors = LockedErrors()
        results.withUnsafeMutableBufferPointer { rb in
            nonisolated(unsafe) let out = rb.baseAddress!
            let xs = x, vs = v, uu = u
            BlockParallel.forEach(blocks: us.count, threads: threads) { k in
                do {
                    out[k] = try U1L2HMCSampler.runUnit(model: model, beta: beta, range: us[k], links: links, x: xs, v: vs,
                                                        u: uu, train: training, loss: lossCfg, totalChains: totalChains)
                } catch { errors.record(error) }
            }
        }
        if let e = errors.first { throw e }
        // Gather, accept and write back.
        var rec = L2HMCRecord(accepted: [], deltaH: [], logdet: [], acceptanceProbability: [], observables: [], dQsin: [], dQint: [])
        var grad: ParameterSet? = nil
        var lossSum = 0.0
        for (k, r) in results.enumerated() {
            rec.accepted += r.accepted; rec.deltaH += r.deltaH; rec.logdet += r.logdet; rec.acceptanceProbability += r.prob
            rec.dQsin += r.dQsin
            lossSum += r.lossSum
            if let g = r.gradient {
                if grad == nil { grad = g } else { grad = try U1L2HMCSampler.add(grad!, g) }
            }
            let lo = us[k].lowerBound * links
            ensemble.withLinkStorage { s in
                for j in 0..<r.newX.count {
                    let c = us[k].lowerBound + (j / (links * 8)) * 8 + j % 8
                    if rec.accepted[c] == 1 { s[lo + j] = r.newX[j] }
                }
            }
        }
        for r in results { rec.dQint += r.dQint }
        for b in 0..<ensemble.blockCount { var blk = ensemble.block(b); blk.normalizeLinks() }
        rec.observables = measure()
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

    /// plaquette, Q_int, Q_sin per chain.
    public func measure() -> [[Double]] {
        var out = [[Double]](repeating: [], count: 3)
        let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
        defer { obs.deallocate() }
        for b in 0..<ensemble.blockCount {
            var blk = ensemble.block(b)
            _ = blk.measure(into: obs)
            for k in 0..<3 { for l in 0..<8 { out[k].append(obs[k][l]) } }
        }
        return out
    }

    static func add(_ a: ParameterSet, _ b: ParameterSet) throws -> ParameterSet {
        var out = a
        for (i, name) in a.names.enumerated() {
            let x = a.tensor(at: i).scalars, y = b.tensor(at: i).scalars
            try out.update(name, Tensor(shape: a.tensor(at: i).shape, scalars: zip(x, y).map { $0 + $1 }))
        }
        return out
    }

    /// Loss and its gradient for one batch of chains (x, v lane-blocked, u the Metropolis uniforms): the training
    /// step's computation on its own, for tests and tools.
    public static func lossAndGradient(model: U1LeapfrogModel, beta: Double, x: [Double], v: [Double], u: [Double],
                                       loss: LossConfig) throws -> (loss: Double, gradient: ParameterSet) {
        let chains = u.count
        let r = try runUnit(model: model, beta: beta, range: 0..<chains, links: model.config.links, x: x, v: v, u: u,
                            train: true, loss: loss, totalChains: Double(chains))
        return (r.lossSum, r.gradient!)
    }

    /// One unit of chains on its own tape.
    static func runUnit(model: U1LeapfrogModel, beta: Double, range: Range<Int>, links: Int, x: [Double], v: [Double],
                        u: [Double], train: Bool, loss: LossConfig, totalChains: Double) throws -> UnitResult {
        let n = range.count
        let lo = range.lowerBound * links, hi = range.upperBound * links
        let dyn = try U1LeapfrogDynamics(model: model, beta: beta, chains: n)
        let tape = Tape()
        defer { tape.reset() }  // recorded VJPs hold Vars that hold the tape: break the cycle
        // Without training, parameters are constants: no operation then records a VJP or keeps its inputs alive.
        let p = train ? tape.bind(model.parameters)
            : try BoundParameters(rebinding: model.parameters, vars: model.parameters.tensors.map { tape.constant($0) })
        let x0 = tape.constant(try Tensor(shape: dyn.shape, scalars: Array(x[lo..<hi])))
        let v0 = tape.constant(try Tensor(shape: dyn.shape, scalars: Array(v[lo..<hi])))
        let prop = try dyn.proposal(x: x0, v: v0, p)
        let h0 = try dyn.hamiltonian(x: x0, v: v0), h1 = try dyn.hamiltonian(x: prop.x, v: prop.v)
        let logA = try h0 - h1 + prop.logdet
        let acc = try (-(-logA).relu()).exp()   // min(1, e^{logA})
        let q0 = try x0.u1ChargeSin(), q1 = try prop.x.u1ChargeSin()
        var r = UnitResult()
        let logAv = logA.scalars
        for i in 0..<n {
            let ok = u[range.lowerBound + i] < Foundation.exp(logAv[i])
            r.accepted.append(ok ? 1 : 0)
        }
        r.deltaH = zip(h1.scalars, h0.scalars).map { $0 - $1 }
        r.logdet = prop.logdet.scalars
        r.prob = acc.scalars
        r.dQsin = zip(q1.scalars, q0.scalars).map { abs($0 - $1) }
        let qi0 = try integerCharges(x0.u1PlaquetteAngles().scalars, chains: n)
        let qi1 = try integerCharges(prop.x.u1PlaquetteAngles().scalars, chains: n)
        r.dQint = zip(qi1, qi0).map { abs($0 - $1) }
        r.newX = prop.x.scalars
        if train {
            let dq = try q1 - q0
            let ell = try acc * dq.square()
            var l: Var
            switch loss.kind {
            case .mixed:
                let e = try ell + loss.delta
                l = try (loss.chargeWeight / e - e * (1 / loss.chargeWeight)).sum()
            case .plain:
                l = try (ell * (-1 / loss.chargeWeight)).sum()
            }
            if loss.plaquetteWeight > 0 {
                let p0 = try x0.u1Action(beta: 1), p1 = try prop.x.u1Action(beta: 1)   // Σ(1 − cos θ)
                let dp = try (p1 - p0) * (1 / Double(model.config.volume))
                l = try l - (acc * dp.square()).sum() * loss.plaquetteWeight
            }
            if loss.auxWeight > 0 {
                // Fresh hot configurations: deterministic per unit from the model seed and the unit start.
                var g = SplitMix64(seed: model.config.seed &+ UInt64(range.lowerBound) &* 0x9E37_79B9)
                let xs = (0..<(n * links)).map { _ in Double(g.next() >> 11) * 0x1p-53 * 2 * Double.pi - Double.pi }
                var vs = [Double](repeating: 0, count: n * links)
                for i in stride(from: 0, to: vs.count, by: 2) {
                    let u1 = (Double(g.next() >> 11) + 1) * 0x1p-53, u2 = Double(g.next() >> 11) * 0x1p-53
                    let rad = (-2 * Foundation.log(u1)).squareRoot()
                    vs[i] = rad * Foundation.cos(2 * Double.pi * u2)
                    if i + 1 < vs.count { vs[i + 1] = rad * Foundation.sin(2 * Double.pi * u2) }
                }
                let xa = tape.constant(try Tensor(shape: dyn.shape, scalars: xs))
                let va = tape.constant(try Tensor(shape: dyn.shape, scalars: vs))
                let pa = try dyn.proposal(x: xa, v: va, p)
                let la = try dyn.hamiltonian(x: xa, v: va) - dyn.hamiltonian(x: pa.x, v: pa.v) + pa.logdet
                let aa = try (-(-la).relu()).exp()
                let ella = try aa * (pa.x.u1ChargeSin() - xa.u1ChargeSin()).square()
                let ea = try ella + loss.delta
                l = try l + (loss.chargeWeight / ea - ea * (1 / loss.chargeWeight)).sum() * loss.auxWeight
            }
            l = try l * (1 / totalChains)
            r.lossSum = l.scalars[0]
            r.gradient = try tape.gradient(of: l, wrt: p)
        }
        return r
    }
}

/// Q_int = round(Σ_P w(θ_P)/2π) per chain from lane-blocked plaquette angles [blocks, L1, L0, 8].
func integerCharges(_ theta: [Double], chains: Int) -> [Double] {
    var q = [Double](repeating: 0, count: chains)
    let perBlock = theta.count / max(chains / 8, 1)
    for i in 0..<theta.count {
        let c = (i / perBlock) * 8 + i % 8
        q[c] += wrapAngle(theta[i])
    }
    return q.map { ($0 / (2 * Double.pi)).rounded() }
}

/// Collects the first error thrown on a worker thread.
final class LockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var first: Error?
    func record(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
}

#if os(Linux)
/// glibc's mallopt(3) (not exported by the Glibc module map).
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

extension U1L2HMCSampler: LearnedSampler {
    public func sample() throws -> TrajectoryRecord {
        let (r, _) = try step()
        return TrajectoryRecord(accepted: r.accepted, deltaH: r.deltaH, observables: r.observables, logdet: r.logdet)
    }
    public func stepSizes() -> [(x: Double, v: Double)] { model.stepSizes() }
    public var forceEvaluations: Int { 2 * model.config.layers + 1 }
}
