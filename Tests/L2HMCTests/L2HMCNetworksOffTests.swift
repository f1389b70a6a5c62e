// L2HMCNetworksOffTests.swift — U(1) L2HMC with networks off (issue #5: "Plain HMC is the special case with
// networks off, and must reproduce the foundation's HMC bit for bit"): the sampler against HMCDriver (leapfrog,
// ε, 2N steps) bit for bit, thread-count independence, the per-layer schedule against the recorded (tape) dynamics
// and against networks-on with zero networks, persistence, training of the step sizes, and the CLI end to end.
import Foundation
import L2HMC
import Testing

func networksOffModel(l: Int, layers: Int, eps: Double, seed: UInt64 = 5) throws -> U1LeapfrogModel {
    try U1LeapfrogModel(config: U1ModelConfig(l0: l, l1: l, layers: layers, initialStepSize: eps, seed: seed, networks: false))
}

/// Sets layer k's step sizes to (ε_x,k, ε_v,k) = eps[k].
func settingStepSizes(_ model: U1LeapfrogModel, _ eps: [(x: Double, v: Double)]) throws -> U1LeapfrogModel {
    var m = model
    for (k, e) in eps.enumerated() {
        try m.parameters.update("layer\(k).log_eps_x", Tensor([Foundation.log(e.x)]))
        try m.parameters.update("layer\(k).log_eps_v", Tensor([Foundation.log(e.v)]))
    }
    return m
}

func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }
func linkBits(_ e: U1Ensemble) -> [UInt64] { e.withLinkStorage { bits(Array($0)) } }

@Suite struct L2HMCNetworksOffTests {
    /// The networks-off sampler is HMCDriver (leapfrog, ε, 2N steps) bit for bit: accept decisions, ΔH, every
    /// observable, the links and the random streams, trajectory after trajectory.
    @Test func networksOffSamplerIsHMCBitForBit() throws {
        let lattice = try Lattice(shape: [8, 8])
        let beta = 3.0, chains = 16, seed: UInt64 = 2024, layers = 3
        let model = try networksOffModel(l: 8, layers: layers, eps: 0.3)
        let eps = model.stepSizes()[0].x
        #expect(model.stepSizes().allSatisfy { $0.x == eps && $0.v == eps })
        let eH = try U1Ensemble(lattice: lattice, beta: beta, chains: chains, seed: seed)
        let eL = try U1Ensemble(lattice: lattice, beta: beta, chains: chains, seed: seed)
        eH.hotStart(); eL.hotStart()
        let hmc = HMCDriver(ensemble: eH, parameters: MDParameters(integrator: .leapfrog, stepSize: eps, steps: 2 * layers))
        let l2hmc = U1L2HMCDriver(sampler: try U1L2HMCSampler(ensemble: eL, model: model, threads: 2))
        #expect(l2hmc.forceEvaluations == hmc.forceEvaluations)
        var accepted = 0.0, rejected = 0.0
        for t in 0..<12 {
            let a = hmc.trajectory()
            let b = try l2hmc.nextTrajectory()
            #expect(a.accepted == b.accepted, "trajectory \(t): accept decisions differ")
            #expect(bits(a.deltaH) == bits(b.deltaH), "trajectory \(t): ΔH differs")
            #expect(a.observables.count == 3 && b.observables.count == 3)
            for k in 0..<3 { #expect(bits(a.observables[k]) == bits(b.observables[k]), "trajectory \(t): observable \(k) differs") }
            #expect(b.logdet == [Double](repeating: 0, count: chains))
            #expect(linkBits(eH) == linkBits(eL), "trajectory \(t): links differ")
            #expect((0..<chains).allSatisfy { eH.rng(chain: $0) == eL.rng(chain: $0) }, "trajectory \(t): random streams differ")
            accepted += a.accepted.reduce(0, +); rejected += Double(chains) - a.accepted.reduce(0, +)
        }
        #expect(accepted > 0 && rejected > 0, "both branches of Metropolis must occur (accepted \(accepted), rejected \(rejected))")
    }

    /// 1 and 2 threads give identical chains, with one ε and with per-layer step sizes.
    @Test(arguments: [false, true])
    func threadCountDoesNotMatter(perLayer: Bool) throws {
        var model = try networksOffModel(l: 8, layers: 3, eps: 0.2)
        if perLayer { model = try settingStepSizes(model, [(0.2, 0.15), (0.1, 0.25), (0.3, 0.2)]) }
        var runs: [([L2HMCRecord], [UInt64])] = []
        for threads in [1, 2] {
            let e = try U1Ensemble(lattice: Lattice(shape: [8, 8]), beta: 3.0, chains: 16, seed: 7)
            e.hotStart()
            let s = try U1L2HMCSampler(ensemble: e, model: model, threads: threads)
            var recs: [L2HMCRecord] = []
            for _ in 0..<6 { recs.append(try s.step().0) }
            runs.append((recs, linkBits(e)))
        }
        #expect(runs[0].1 == runs[1].1)
        for (a, b) in zip(runs[0].0, runs[1].0) {
            #expect(a.accepted == b.accepted && bits(a.deltaH) == bits(b.deltaH))
            #expect(a.observables.map(bits) == b.observables.map(bits))
            #expect(bits(a.acceptanceProbability) == bits(b.acceptanceProbability) && a.dQsin == b.dQsin && a.dQint == b.dQint)
        }
    }

    /// With one ε the per-layer schedule performs exactly the leapfrog integrator's operations.
    @Test func perLayerScheduleWithOneStepSizeIsLeapfrog() throws {
        let model = try networksOffModel(l: 6, layers: 4, eps: 0.15)
        let schedule = U1NetworksOffSchedule(stepSizes: model.stepSizes())
        let eps = try #require(schedule.uniformStepSize)
        #expect(schedule.steps == 8)
        let a = try U1Ensemble(lattice: Lattice(shape: [6, 6]), beta: 2.0, chains: 8, seed: 3)
        let b = try U1Ensemble(lattice: Lattice(shape: [6, 6]), beta: 2.0, chains: 8, seed: 3)
        a.hotStart(); b.hotStart()
        var ba = a.block(0), bb = b.block(0)
        ba.refreshMomenta(); bb.refreshMomenta()
        Leapfrog.integrate(&ba, stepSize: eps, steps: 8)
        schedule.integratePerLayer(&bb)
        #expect(linkBits(a) == linkBits(b))
        let p = { (e: U1Ensemble) in (0..<8).flatMap { c in (0..<2).flatMap { mu in (0..<36).map { e.momentum(chain: c, mu: mu, site: $0).bitPattern } } } }
        #expect(p(a) == p(b))
    }

    /// The tape-free per-layer schedule is the recorded proposal F⁻¹ ∘ Flip ∘ F of the networks-off model (up to
    /// round-off: the tape does not merge kicks), and that equals a networks-on model whose networks are zero.
    @Test func scheduleMatchesTheRecordedProposalAndZeroNetworks() throws {
        let eps: [(x: Double, v: Double)] = [(0.2, 0.15), (0.1, 0.25), (0.3, 0.2)]
        let off = try settingStepSizes(networksOffModel(l: 4, layers: 3, eps: 0.1), eps)
        var on = try settingStepSizes(U1LeapfrogModel(config: U1ModelConfig(l0: 4, l1: 4, layers: 3, hidden: [8], activation: "tanh",
                                                                             xUpdate: .linear, initialStepSize: 0.1, seed: 5)), eps)
        for name in on.parameters.names where !name.contains("log_eps") {
            try on.parameters.update(name, Tensor.zeros(on.parameters[name]!.shape))
        }
        let n = 8 * off.config.links
        let x0 = randomField(n, seed: 11, scale: 1.5).map(wrapAngle), v0 = randomField(n, seed: 12, scale: 1)
        func recorded(_ m: U1LeapfrogModel) throws -> (x: [Double], v: [Double], logdet: [Double]) {
            let dyn = try U1LeapfrogDynamics(model: m, beta: 2.0, chains: 8)
            let tape = Tape()
            defer { tape.reset() }
            let p = tape.bind(m.parameters)
            let r = try dyn.proposal(x: tape.constant(Tensor(shape: [1, 2, 4, 4, 8], scalars: x0)),
                                     v: tape.constant(Tensor(shape: [1, 2, 4, 4, 8], scalars: v0)), p)
            return (r.x.scalars, r.v.scalars, r.logdet.scalars)
        }
        let tOff = try recorded(off), tOn = try recorded(on)
        #expect(tOff.logdet == [Double](repeating: 0, count: 8))
        #expect(zip(tOff.x, tOn.x).map { abs($0 - $1) }.max()! <= 1e-13)
        #expect(zip(tOff.v, tOn.v).map { abs($0 - $1) }.max()! <= 1e-13)
        #expect(tOn.logdet.map(abs).max()! <= 1e-13)
        // Tape-free: load x0, v0 (lane-blocked [1, 2, L1, L0, 8] = link i of lane l at i·8 + l) into an ensemble.
        let e = try U1Ensemble(lattice: Lattice(shape: [4, 4]), beta: 2.0, chains: 8, seed: 1)
        let links = off.config.links
        for c in 0..<8 {
            e.setLinks(chain: c, (0..<links).map { x0[$0 * 8 + c] })
            for i in 0..<links { e.setMomentum(chain: c, mu: i / 16, site: i % 16, v0[i * 8 + c]) }
        }
        var block = e.block(0)
        let schedule = U1NetworksOffSchedule(stepSizes: off.stepSizes())
        #expect(schedule.uniformStepSize == nil)
        schedule.integrate(&block)
        var dx = 0.0, dv = 0.0
        for c in 0..<8 {
            let xs = e.links(chain: c)
            for i in 0..<links {
                dx = max(dx, abs(xs[i] - tOff.x[i * 8 + c]))
                dv = max(dv, abs(-e.momentum(chain: c, mu: i / 16, site: i % 16) - tOff.v[i * 8 + c]))   // M ends with Flip
            }
        }
        #expect(dx <= 1e-12 && dv <= 1e-12, "tape-free vs recorded: |Δx| \(dx), |Δv| \(dv)")
    }

    /// The configuration stays backward compatible; a networks-off model has only the step sizes as parameters.
    @Test func configurationAndParameters() throws {
        let onConfig = U1ModelConfig(l0: 4, l1: 4, layers: 2)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(onConfig)) as! [String: Any]
        json.removeValue(forKey: "networks")   // a model saved before the option existed
        let old = try JSONDecoder().decode(U1ModelConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.networks == nil && old.networksOn)
        let offConfig = U1ModelConfig(l0: 4, l1: 4, layers: 2, networks: false)
        let decoded = try JSONDecoder().decode(U1ModelConfig.self, from: JSONEncoder().encode(offConfig))
        #expect(decoded == offConfig && !decoded.networksOn)
        let model = try U1LeapfrogModel(config: offConfig)
        #expect(model.parameters.names == ["layer0.log_eps_x", "layer0.log_eps_v", "layer1.log_eps_x", "layer1.log_eps_v"])
        let rebuilt = try U1LeapfrogModel(config: offConfig, masks: model.masks, parameters: model.parameters)
        #expect(rebuilt.parameters == model.parameters)
        let withNetworks = try U1LeapfrogModel(config: onConfig)
        #expect(throws: (any Error).self) { try U1LeapfrogModel(config: offConfig, masks: model.masks, parameters: withNetworks.parameters) }
    }

    /// Training a networks-off model goes through the tape and learns only the step sizes.
    @Test func trainingLearnsOnlyTheStepSizes() throws {
        let e = try U1Ensemble(lattice: Lattice(shape: [4, 4]), beta: 2.0, chains: 8, seed: 9)
        e.hotStart()
        let model = try networksOffModel(l: 4, layers: 2, eps: 0.1)
        let s = try U1L2HMCSampler(ensemble: e, model: model, threads: 1)
        var opt: any Optimizer = Adam(schedule: .constant(1e-2))
        for _ in 0..<3 {
            let (r, o) = try s.step(train: opt)
            opt = o!
            #expect(r.loss.isFinite && r.gradientNorm.isFinite && r.gradientNorm > 0)
            #expect(r.logdet == [Double](repeating: 0, count: 8))
        }
        #expect(s.model.parameters.names == model.parameters.names)
        for (a, b) in zip(s.model.stepSizes(), model.stepSizes()) { #expect(a.x != b.x && a.v != b.v, "step sizes must learn") }
    }
}

@Suite(.serialized) struct CLINetworksOffTests {
    /// `l2hmc train --networks off --eras 0` writes a model without networks; `l2hmc run --model` with it writes the
    /// same data files, byte for byte, as `l2hmc run` with HMC (leapfrog, the model's ε, 2N steps).
    @Test func runWithANetworksOffModelEqualsHMCByteForByte() throws {
        let tmp = temporaryFolder("nets-off"); defer { try? FileManager.default.removeItem(at: tmp) }
        let m = tmp.appendingPathComponent("model")
        let t = try runTool(["train", "--shape", "8x8", "--chains", "16", "--leapfrog", "3", "--networks", "off", "--eras", "0",
                             "--step-size", "0.25", "--seed", "5", "--quiet", "--out", m.path])
        #expect(t.status == 0, "\(t.stderr)")
        let desc = try JSONSerialization.jsonObject(with: Data(contentsOf: m.appendingPathComponent("model/model.json"))) as! [String: Any]
        #expect((desc["config"] as? [String: Any])?["networks"] as? Bool == false)
        let eps = Foundation.exp(Foundation.log(0.25))   // the model stores log ε
        let common = ["run", "--group", "U1", "--shape", "8x8", "--beta", "3", "--chains", "16", "--trajectories", "15",
                      "--thermalization", "5", "--seed", "9", "--quiet"]
        let a = tmp.appendingPathComponent("l2hmc"), b = tmp.appendingPathComponent("hmc")
        let ra = try runTool(common + ["--model", m.path, "--threads", "2", "--out", a.path])
        #expect(ra.status == 0, "\(ra.stderr)")
        let rb = try runTool(common + ["--integrator", "leapfrog", "--steps", "6", "--step-size", "\(eps)", "--threads", "1", "--out", b.path])
        #expect(rb.status == 0, "\(rb.stderr)")
        for name in ["plaquette", "charge", "charge_sin", "accept", "dH"] {
            let da = try Data(contentsOf: a.appendingPathComponent("data/\(name).npy"))
            let db = try Data(contentsOf: b.appendingPathComponent("data/\(name).npy"))
            #expect(da == db, "data/\(name).npy differs between the networks-off model and HMC")
        }
        let acc = try NpyArray.read(a.appendingPathComponent("data/accept.npy"))
        #expect(acc.shape == [15, 16] && acc.values.contains(1))
        let ld = try NpyArray.read(a.appendingPathComponent("data/logdet.npy"))
        #expect(ld.shape == [15, 16] && ld.values.allSatisfy { $0 == 0 })
        // A bad value is refused before anything is written.
        let bad = try runTool(["train", "--networks", "maybe", "--out", tmp.appendingPathComponent("bad").path])
        #expect(bad.status != 0 && bad.stderr.contains("maybe") && bad.stderr.contains("on, off"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("bad").path))
    }
}
