// L2HMCU1Tests.swift — the learned leapfrog for 2D U(1) (REFERENCE §4): exact inverses of every sub-update,
// layer and trajectory; log|det| against the numerical Jacobian; exactness of the sampler with random weights;
// gradient of the loss against finite differences; a short training run; thread-count independence.
import Foundation
import L2HMC
import Testing

/// Wrapped difference of two angles (the NCP update is exact modulo 2π).
func angleDistance(_ a: Double, _ b: Double) -> Double { abs(wrapAngle(a - b)) }

func randomModel(l: Int, layers: Int = 2, xUpdate: XUpdateKind, gain: Double = 0.5, seed: UInt64 = 3,
                 shared: Bool = false) throws -> U1LeapfrogModel {
    try U1LeapfrogModel(config: U1ModelConfig(l0: l, l1: l, layers: layers, hidden: [8, 8], activation: "tanh",
                                              xUpdate: xUpdate, initialStepSize: 0.3, headGain: gain, seed: seed,
                                              sharedNetworks: shared))
}

func randomField(_ n: Int, seed: UInt64, scale: Double) -> [Double] {
    var r = ChainRNG(seed: seed, chain: 0)
    return (0..<n).map { _ in scale * r.gaussian() }
}

@Suite struct L2HMCU1InverseTests {
    @Test(arguments: [(XUpdateKind.linear, false), (.ncp, false), (.ncp, true)])
    func everySubUpdateLayerAndTrajectoryInvertsExactly(kind: XUpdateKind, shared: Bool) throws {
        let model = try randomModel(l: 4, xUpdate: kind, shared: shared)
        let dyn = try U1LeapfrogDynamics(model: model, beta: 2.0, chains: 8)
        let n = 8 * model.config.links
        let tape = Tape()
        let p = tape.bind(model.parameters)
        let x = tape.constant(try Tensor(shape: [1, 2, 4, 4, 8], scalars: randomField(n, seed: 1, scale: 1.5).map(wrapAngle)))
        let v = tape.constant(try Tensor(shape: [1, 2, 4, 4, 8], scalars: randomField(n, seed: 2, scale: 1)))
        let f = try x.u1Force(beta: 2.0)
        func check(_ a: [Double], _ b: [Double], angles: Bool, _ what: String) {
            let d = zip(a, b).map { angles ? angleDistance($0, $1) : abs($0 - $1) }.max()!
            #expect(d <= 1e-12, "\(what): round-trip error \(d)")
        }
        // v half-step
        let (v1, l1) = try dyn.vUpdate(0, x: x, v: v, force: f, p, inverse: false)
        let (v2, l2) = try dyn.vUpdate(0, x: x, v: v1, force: f, p, inverse: true)
        check(v.scalars, v2.scalars, angles: false, "v update")
        check(l1.scalars, (try -l2).scalars, angles: false, "v log-det")
        #expect(v1.scalars != v.scalars)
        // x updates, both halves
        for half in 0..<2 {
            let (x1, la) = try dyn.xUpdate(1, half: half, x: x, v: v, p, inverse: false)
            let (x2, lb) = try dyn.xUpdate(1, half: half, x: x1, v: v, p, inverse: true)
            check(x.scalars, x2.scalars, angles: kind == .ncp, "x update half \(half)")
            check(la.scalars, (try -lb).scalars, angles: false, "x log-det half \(half)")
        }
        // a layer
        let fwd = try dyn.layer(0, x: x, v: v, force: f, p, inverse: false)
        let back = try dyn.layer(0, x: fwd.x, v: fwd.v, force: fwd.force, p, inverse: true)
        check(x.scalars, back.x.scalars, angles: kind == .ncp, "layer x")
        check(v.scalars, back.v.scalars, angles: false, "layer v")
        // the proposal is an involution: M(M(ξ)) = ξ, and its log-dets cancel
        let m1 = try dyn.proposal(x: x, v: v, p)
        let m2 = try dyn.proposal(x: m1.x, v: m1.v, p)
        check(x.scalars, m2.x.scalars, angles: true, "trajectory x")
        check(v.scalars, m2.v.scalars, angles: false, "trajectory v")
        check(m1.logdet.scalars, (try -m2.logdet).scalars, angles: false, "trajectory log-det")
        #expect(m1.logdet.scalars.map(abs).max()! > 1e-3, "random weights should give a non-trivial Jacobian")
    }

    /// log|det ∂ξ'/∂ξ| of the whole forward map against a central-difference Jacobian (4V × 4V, one chain).
    @Test(arguments: [(2, XUpdateKind.ncp, false), (4, XUpdateKind.ncp, false), (4, XUpdateKind.linear, false), (4, .ncp, true)])
    func logDetMatchesNumericalJacobian(l: Int, kind: XUpdateKind, shared: Bool) throws {
        let model = try randomModel(l: l, xUpdate: kind, seed: 7, shared: shared)
        let dyn = try U1LeapfrogDynamics(model: model, beta: 1.5, chains: 8)
        let links = model.config.links
        let shape = [1, 2, l, l, 8]
        let x0 = randomField(8 * links, seed: 3, scale: 1).map(wrapAngle)
        let v0 = randomField(8 * links, seed: 4, scale: 1)
        func map(_ x: [Double], _ v: [Double]) throws -> ([Double], [Double], [Double]) {
            let tape = Tape()
            let p = tape.bind(model.parameters)
            let r = try dyn.forwardMap(x: tape.constant(try Tensor(shape: shape, scalars: x)),
                                       v: tape.constant(try Tensor(shape: shape, scalars: v)), p)
            return (r.x.scalars, r.v.scalars, r.logdet.scalars)
        }
        let lane = 3
        let (_, _, ld) = try map(x0, v0)
        let dim = 2 * links
        var jac = [[Double]](repeating: [Double](repeating: 0, count: dim), count: dim)
        let h = 1e-6
        for j in 0..<dim {
            var xp = x0, vp = v0, xm = x0, vm = v0
            let idx = (j % links) * 8 + lane
            if j < links { xp[idx] += h; xm[idx] -= h } else { vp[idx] += h; vm[idx] -= h }
            let (ax, av, _) = try map(xp, vp), (bx, bv, _) = try map(xm, vm)
            for i in 0..<dim {
                let k = (i % links) * 8 + lane
                jac[i][j] = i < links ? wrapAngle(ax[k] - bx[k]) / (2 * h) : (av[k] - bv[k]) / (2 * h)
            }
        }
        // log|det| by Gaussian elimination with partial pivoting
        var a = jac, logdet = 0.0
        for c in 0..<dim {
            let piv = (c..<dim).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, piv)
            logdet += Foundation.log(abs(a[c][c]))
            for r in (c + 1)..<dim {
                let f = a[r][c] / a[c][c]
                if f != 0 { for k in c..<dim { a[r][k] -= f * a[c][k] } }
            }
        }
        #expect(abs(logdet - ld[lane]) < 1e-6 * max(1, abs(logdet)), "numerical \(logdet), model \(ld[lane])")
        #expect(abs(ld[lane]) > 1e-2)
    }
}

@Suite struct L2HMCU1SamplingTests {
    /// With random, untrained weights the sampler must still sample the exact distribution (REFERENCE §4).
    @Test(arguments: XUpdateKind.allCases)
    func randomWeightsSampleTheExactDistribution(kind: XUpdateKind) throws {
        let beta = 2.0
        let e = try U1Ensemble(lattice: Lattice(shape: [4, 4]), beta: beta, chains: 64, seed: 99)
        e.hotStart()
        let model = try U1LeapfrogModel(config: U1ModelConfig(l0: 4, l1: 4, layers: 2, hidden: [8], activation: "tanh",
                                                              xUpdate: kind, initialStepSize: 0.25, headGain: 0.2, seed: 11))
        let s = try U1L2HMCSampler(ensemble: e, model: model, threads: 2, unitChains: 32)
        for _ in 0..<30 { _ = try s.step() }
        let n = 300
        var plaq: [Double] = [], q2: [Double] = [], acc = 0.0, ld = 0.0
        for _ in 0..<n {
            let (r, _) = try s.step()
            plaq += r.observables[0]
            q2 += r.observables[1].map { $0 * $0 }
            acc += r.accepted.reduce(0, +) / Double(64 * n)
            ld += r.logdet.map(abs).reduce(0, +) / Double(64 * n)
        }
        let exact = try U1Exact(beta: beta, volume: 16)
        let gp = GammaMethod.analyze(draws: n, chains: 64, values: plaq)
        let gq = GammaMethod.analyze(draws: n, chains: 64, values: q2)
        #expect(abs(gp.mean - exact.plaquette) < 3 * gp.error, "⟨P⟩ \(gp.mean) ± \(gp.error) vs \(exact.plaquette)")
        #expect(abs(gq.mean - exact.qIntSquared) < 3 * gq.error, "⟨Q²⟩ \(gq.mean) ± \(gq.error) vs \(exact.qIntSquared)")
        #expect(acc > 0.3, "acceptance \(acc)")
        #expect(ld > 1e-3, "mean |log det| \(ld): the networks must matter")
    }
}

@Suite struct L2HMCU1TrainingTests {
    /// d(loss)/d(parameter) through a whole short trajectory against central differences.
    @Test func lossGradientMatchesFiniteDifferences() throws {
        let model = try randomModel(l: 4, xUpdate: .ncp, gain: 0.3, seed: 21)
        let e = try U1Ensemble(lattice: Lattice(shape: [4, 4]), beta: 1.0, chains: 8, seed: 5)
        e.hotStart()
        func lossAndGrad(_ m: U1LeapfrogModel) throws -> (Double, ParameterSet) {
            let s = try U1L2HMCSampler(ensemble: e, model: m)
            var x = [Double](); e.withLinkStorage { x = Array($0) }
            let v = randomField(x.count, seed: 8, scale: 1)
            return try U1L2HMCSampler.lossAndGradient(model: m, beta: 1.0, x: x, v: v,
                                                      u: [Double](repeating: 0.5, count: 8), loss: s.loss)
        }
        let (_, g) = try lossAndGrad(model)
        let h = 1e-6
        var checked = 0
        for name in ["layer0.log_eps_x", "layer1.log_eps_v", "layer0.xa.s.bias", "layer1.v.t.weight", "layer0.xb.trunk.0.weight"] {
            let t = model.parameters[name]!
            for idx in [0, t.count / 2, t.count - 1] {
                var mp = model, mm = model
                var sp = t.scalars, sm = t.scalars
                sp[idx] += h; sm[idx] -= h
                try mp.parameters.update(name, Tensor(shape: t.shape, scalars: sp))
                try mm.parameters.update(name, Tensor(shape: t.shape, scalars: sm))
                let fd = (try lossAndGrad(mp).0 - lossAndGrad(mm).0) / (2 * h)
                let an = g[name]!.scalars[idx]
                #expect(abs(fd - an) <= 1e-5 * max(1, abs(fd)), "\(name)[\(idx)]: analytic \(an), finite difference \(fd)")
                checked += 1
            }
        }
        #expect(checked == 15)
    }

    @Test func sharedNetworksHaveOneParameterSetAndALayerEncoding() throws {
        let separate = try randomModel(l: 4, layers: 3, xUpdate: .ncp)
        let shared = try randomModel(l: 4, layers: 3, xUpdate: .ncp, shared: true)
        #expect(shared.parameters.names.filter { $0.hasPrefix("shared.") }.count > 0)
        #expect(!shared.parameters.names.contains { $0.hasPrefix("layer1.v") })
        #expect(shared.parameters.names.contains("layer2.log_eps_x"))
        #expect(shared.parameters.scalarCount < separate.parameters.scalarCount)
        // The encoding makes the layers differ: the same state gives different v updates in layers 0 and 1.
        let dyn = try U1LeapfrogDynamics(model: shared, beta: 1, chains: 8)
        let tape = Tape()
        let p = tape.bind(shared.parameters)
        let x = tape.constant(try Tensor(shape: [1, 2, 4, 4, 8], scalars: randomField(256, seed: 1, scale: 1)))
        let v = tape.constant(try Tensor(shape: [1, 2, 4, 4, 8], scalars: randomField(256, seed: 2, scale: 1)))
        let f = try x.u1Force(beta: 1)
        let a = try dyn.vUpdate(0, x: x, v: v, force: f, p, inverse: false).0.scalars
        let b = try dyn.vUpdate(1, x: x, v: v, force: f, p, inverse: false).0.scalars
        #expect(a != b)
        tape.reset()
    }

    func train(threads: Int, steps: Int, lr: Double) throws -> (before: Double, after: Double, ParameterSet, [Double]) {
        let e = try U1Ensemble(lattice: Lattice(shape: [8, 8]), beta: 3.0, chains: 32, seed: 4)
        e.hotStart()
        let hmc = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
        for _ in 0..<100 { _ = hmc.trajectory() }   // thermalise with HMC first (REFERENCE §4)
        // A fixed evaluation batch (thermalised links, fresh momenta and uniforms) for the expected loss.
        var xEval = [Double](); e.withLinkStorage { xEval = Array($0) }
        let vEval = randomField(xEval.count, seed: 77, scale: 1)
        var ur = ChainRNG(seed: 78, chain: 0)
        let uEval = (0..<32).map { _ in ur.uniform() }
        // Start from short trajectories (ε = 0.03, 2 layers): high acceptance, small charge moves; training must
        // lengthen them.
        let model = try U1LeapfrogModel(config: U1ModelConfig(l0: 8, l1: 8, layers: 2, hidden: [16], activation: "tanh",
                                                              xUpdate: .ncp, initialStepSize: 0.03, headGain: 0.01, seed: 2))
        let s = try U1L2HMCSampler(ensemble: e, model: model, threads: threads, unitChains: 16)
        s.loss.kind = .plain
        func evalLoss(_ m: U1LeapfrogModel) throws -> Double {
            try U1L2HMCSampler.lossAndGradient(model: m, beta: 3.0, x: xEval, v: vEval, u: uEval, loss: s.loss).loss
        }
        let before = try evalLoss(model)
        var opt: any Optimizer = Adam(schedule: .constant(lr))
        var losses: [Double] = []
        for _ in 0..<steps {
            let (r, o) = try s.step(train: opt)
            opt = o!
            losses.append(r.loss)
            if ProcessInfo.processInfo.environment["L2HMC_DEBUG"] != nil && losses.count % 10 == 0 {
                print("step \(losses.count) loss \(r.loss) eval \(try evalLoss(s.model)) acc \(r.acceptanceProbability.reduce(0, +) / 32) eps \(s.model.stepSizes()[0])")
            }
        }
        return (before, try evalLoss(s.model), s.model.parameters, losses)
    }

    @Test func trainingIsBitIdenticalForAnyThreadCount() throws {
        let (_, a1, p1, l1) = try train(threads: 1, steps: 8, lr: 1e-2)
        let (_, a2, p2, l2) = try train(threads: 2, steps: 8, lr: 1e-2)
        #expect(l1.map(\.bitPattern) == l2.map(\.bitPattern) && a1 == a2)
        #expect(p1 == p2)
    }

    /// The expected loss on a fixed evaluation batch falls and ε grows (longer trajectories move the charge more).
    @Test func shortTrainingLowersTheLoss() throws {
        let lr = Double(ProcessInfo.processInfo.environment["L2HMC_LR"] ?? "3e-3")!
        let (before, after, p, _) = try train(threads: 2, steps: 60, lr: lr)
        #expect(after < before, "evaluation loss \(before) → \(after)")
        #expect(p["layer0.log_eps_x"]!.scalars[0] > Foundation.log(0.03), "ε_x should have grown")
    }
}
