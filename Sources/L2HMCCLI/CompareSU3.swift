// CompareSU3.swift — `l2hmc compare --model DIR` for an SU(3) model: the trained sampler (SU3L2HMCDriver) against
// an HMC tuned at the same β on the same lattice (REFERENCE §2, §4, §5).
//
// Action: --action (wilson, symanzik, iwasaki, dbw2; default wilson) for both samplers.
// Lattice: SU(3) models are local, so the lattice is free: --shape (default 4x4x4x4), 4D with even extents
// (SU3LinkGeometry validates), up to 16x16x16x16 as in training. Chains: --chains (default 8, a multiple of 8).
// Start: one HMC thermalisation (leapfrog ε = 0.1, 10 steps, hot start) at β; every sampler (L2HMC, each HMC
// pilot, the final HMC) starts from a copy of those links and of the chains' random streams.
// HMC tuning: τ ∈ {0.5, 1, 2} × ε ∈ {0.025, 0.05, 0.075, 0.1, 0.15, 0.2} (steps = round(τ/ε), ε = τ/steps;
// candidates that round to the same step count are run once), each run for
// `pilot` trajectories; candidates with acceptance in [0.6, 0.95] are ranked by their pilot cost (below) and the
// cheapest is run for `trajectories`.
// Measurements: the plaquette ⟨⅓ Re Tr U_P⟩ after every trajectory; every `measure_every` trajectories the clover Q
// after Wilson flow to `flow_time` (RK3, step `flow_step`, exactly the steps of `run --group SU3`), on copies of
// the links, in parallel over blocks of 8 chains. τ_int by the Γ-method (τ = ½ + Σρ, chains as replica); τ_int(Q)
// in trajectory units is measure_every × τ_int of the measurement series (so at best ≈ measure_every/2 when the
// measurements are uncorrelated: `tauIntChargeIsResolutionLimited`).
// Cost per independent configuration = 2 τ_int × force evaluations per trajectory (L2HMC: 2N + 1; HMC:
// MDParameters.forceEvaluations), for τ_int(Q), τ_int(P) and the headline max(τ_int(Q), τ_int(P)); in seconds
// = 2 τ_int × (seconds per trajectory of all chains) / chains, trajectory time only (flow measurements excluded).
// A τ_int is flagged as a lower bound when the Γ-method window reached half its series; the headline is a lower
// bound when either is.
// Output: compare.json, compare.md, cost.svg, data/charge_{l2hmc,hmc}.npy (measurements, chains),
// data/plaquette_{l2hmc,hmc}.npy (trajectories, chains).
import Foundation
import L2HMC

extension CompareCommand {
    /// Step sizes of the SU(3) HMC scan (larger volumes need the small ones: ΔH grows with V).
    static let su3StepSizes = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2]

    struct SU3Result: Codable {
        var sampler: String
        var settings: String
        var forceEvaluations: Int
        var acceptance: Double
        var secondsPerTrajectory: Double
        var plaquette: Double
        var plaquetteError: Double
        var chargeSquared: Double
        var chargeSquaredError: Double
        var chargeMeasurements: Int
        /// τ_int of the flowed clover Q in trajectory units (measure_every × τ_int of the measurement series).
        var tauIntCharge: Double
        var tauIntChargeError: Double
        var tauIntChargeIsLowerBound: Bool
        /// τ_int(Q) of the measurement series is below 1: Q decorrelates within measure_every trajectories, so
        /// tauIntCharge only resolves it to ≈ measure_every/2 (an overestimate).
        var tauIntChargeIsResolutionLimited: Bool
        var tauIntPlaquette: Double
        var tauIntPlaquetteError: Double
        var tauIntPlaquetteIsLowerBound: Bool
        /// The observable with the larger τ_int: "charge" or "plaquette".
        var headline: String
        var tauInt: Double
        var tauIntError: Double
        /// Either τ_int is a lower bound, so the headline τ_int and cost are lower bounds.
        var tauIntIsLowerBound: Bool
        var costForces: Double
        var costForcesError: Double
        var costSeconds: Double
        var costSecondsError: Double
        var costForcesCharge: Double
        var costForcesChargeError: Double
        var costForcesPlaquette: Double
        var costForcesPlaquetteError: Double
        var costSecondsCharge: Double
        var costSecondsPlaquette: Double
    }

    struct SU3Report: Codable {
        var group = "SU3"
        var beta: Double
        var shape: [Int]
        var chains: Int
        var trajectories: Int
        var thermalization: Int
        var pilot: Int
        var seed: UInt64
        var model: String
        var flowTime: Double
        var flowStep: Double
        var measureEvery: Int
        var results: [SU3Result]
        var hmcScan: [SU3Result]
        var ratioCostForces: Double
        var ratioCostForcesCharge: Double
        var ratioCostForcesPlaquette: Double
        var ratioCostSeconds: Double
        var note: String
    }

    /// The flowed clover Q of every chain (RK3 to `time` in steps of `step`, the last one shortened; the same steps
    /// as SU3FlowWorkspace.flow and `run --group SU3`), in parallel over blocks; the chains are not changed.
    static func flowedCharge(_ ens: SU3Ensemble, time: Double, step: Double, threads: Int) -> [Double] {
        let chains = ens.chains
        var charge = [Double](repeating: 0, count: chains)
        charge.withUnsafeMutableBufferPointer { qb in
            nonisolated(unsafe) let q = qb.baseAddress!
            BlockParallel.forEach(blocks: ens.blockCount, threads: threads) { b in
                let w = SU3FlowWorkspace(ensemble: ens)
                w.load(block: b)
                var t = 0.0
                while t < time - 1e-12 {
                    let eps = min(step, time - t)
                    w.step(eps)
                    t += eps
                }
                let m = w.measure(t: t)
                for lane in 0..<min(8, chains - 8 * b) { q[8 * b + lane] = m.charge[lane] }
            }
        }
        return charge
    }

    func runSU3(console: Console) throws {
        let loaded = try ModelFolder.loadSU3(model)
        let chains = self.chains ?? 8
        let trajectories = trajectoriesOption ?? 200, thermalization = thermalizationOption ?? 100, pilot = pilotOption ?? 50
        let b = beta ?? loaded.description.beta
        let flowTime = self.flowTime ?? 1.0, flowStep = self.flowStep ?? 0.02, every = self.measureEvery ?? 10
        let lattice: Lattice
        do { lattice = try Lattice(parsing: shape ?? "4x4x4x4") } catch let e as ConfigurationError {
            throw ConfigurationError("--shape \(shape ?? ""): \(e.description)")
        }
        do { _ = try SU3LinkGeometry(lattice: lattice) } catch let e as ConfigurationError {   // 4D, even extents ≥ 2
            throw ConfigurationError("--shape \(lattice.description): \(e.description)")
        }
        guard lattice.volume <= 16 * 16 * 16 * 16 else {
            throw ConfigurationError("--shape \(lattice.description) is not allowed; SU3 compare supports lattices up to 16x16x16x16")
        }
        let need = SU3Ensemble.memoryRequirement(lattice: lattice, chains: chains)
        let have = Int(ProcessInfo.processInfo.physicalMemory)
        if need > have * 3 / 4 {
            throw ConfigurationError("--shape \(lattice.description) with --chains \(chains) needs \(need / (1 << 20)) MiB, more than 75 % of this machine's \(have / (1 << 20)) MiB; use a smaller lattice or fewer chains")
        }
        guard trajectories / every >= 2 else {
            throw ConfigurationError("--trajectories \(trajectories) with --measure-every \(every) gives \(trajectories / every) flow measurements; need ≥ 2 (lower --measure-every or raise --trajectories)")
        }
        guard pilot / every >= 2 else {
            throw ConfigurationError("--pilot \(pilot) with --measure-every \(every) gives \(pilot / every) flow measurements per HMC candidate; need ≥ 2 (lower --measure-every or raise --pilot)")
        }
        let folder = URL(fileURLWithPath: out ?? (URL(fileURLWithPath: model).path + "/compare-\(lattice.description)-beta-\(b)"))
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("compare.json").path) {
            throw ConfigurationError("output folder \(folder.path) already holds a comparison; choose another --out")
        }

        // One HMC thermalisation; every sampler starts from a copy of its links and random streams.
        guard let gaugeAction = SU3GaugeAction(rawValue: (action ?? "wilson").lowercased()) else {
            throw ConfigurationError("--action \(action ?? "") is not allowed; allowed: \(SU3GaugeAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let base = try SU3Ensemble(lattice: lattice, beta: b, chains: chains, seed: seed, action: gaugeAction)
        base.hotStart()
        let therm = HMCDriver(ensemble: base, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: threads)
        for i in 0..<thermalization {
            _ = therm.trajectory()
            if console.progressEnabled { console.progress("thermalisation: \(i + 1)/\(thermalization)") }
        }
        let startLinks = (0..<chains).map { base.linkValues(chain: $0) }
        let startRNGs = (0..<chains).map { base.rng(chain: $0) }
        func thermalised() throws -> SU3Ensemble {
            let e = try SU3Ensemble(lattice: lattice, beta: b, chains: chains, seed: seed, action: gaugeAction)
            for c in 0..<chains { e.setLinkValues(chain: c, startLinks[c]); e.setRNG(chain: c, startRNGs[c]) }
            return e
        }

        func measure(_ name: String, _ settings: String, _ src: any TrajectorySource, _ ens: SU3Ensemble, n: Int)
            throws -> (SU3Result, charge: [Double], plaquette: [Double]) {
            var q: [Double] = [], p: [Double] = [], acc = 0.0
            var nanos: UInt64 = 0
            for i in 0..<n {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try src.nextTrajectory()
                nanos += DispatchTime.now().uptimeNanoseconds - t0
                p += r.observables[0]
                acc += r.acceptanceRate / Double(n)
                if (i + 1) % every == 0 { q += CompareCommand.flowedCharge(ens, time: flowTime, step: flowStep, threads: threads) }
                if console.progressEnabled { console.progress("\(name) \(settings): \(i + 1)/\(n)") }
            }
            let m = n / every
            let sec = Double(nanos) * 1e-9 / Double(n)
            let gq = GammaMethod.analyze(draws: m, chains: chains, values: q)
            let gq2 = GammaMethod.analyze(draws: m, chains: chains, values: q.map { $0 * $0 })
            let gp = GammaMethod.analyze(draws: n, chains: chains, values: p)
            let f = Double(src.forceEvaluations)
            let tq = gq.tauInt * Double(every), tqe = gq.tauIntError * Double(every)
            let qLB = gq.window >= m / 2 - 1, pLB = gp.window >= n / 2 - 1
            let chargeHeadline = tq >= gp.tauInt
            let t = chargeHeadline ? tq : gp.tauInt, te = chargeHeadline ? tqe : gp.tauIntError
            let perChain = sec / Double(chains)
            let r = SU3Result(
                sampler: name, settings: settings, forceEvaluations: src.forceEvaluations, acceptance: acc,
                secondsPerTrajectory: sec, plaquette: gp.mean, plaquetteError: gp.error,
                chargeSquared: gq2.mean, chargeSquaredError: gq2.error, chargeMeasurements: m,
                tauIntCharge: tq, tauIntChargeError: tqe, tauIntChargeIsLowerBound: qLB,
                tauIntChargeIsResolutionLimited: gq.tauInt < 1,
                tauIntPlaquette: gp.tauInt, tauIntPlaquetteError: gp.tauIntError, tauIntPlaquetteIsLowerBound: pLB,
                headline: chargeHeadline ? "charge" : "plaquette", tauInt: t, tauIntError: te, tauIntIsLowerBound: qLB || pLB,
                costForces: 2 * t * f, costForcesError: 2 * te * f, costSeconds: 2 * t * perChain, costSecondsError: 2 * te * perChain,
                costForcesCharge: 2 * tq * f, costForcesChargeError: 2 * tqe * f,
                costForcesPlaquette: 2 * gp.tauInt * f, costForcesPlaquetteError: 2 * gp.tauIntError * f,
                costSecondsCharge: 2 * tq * perChain, costSecondsPlaquette: 2 * gp.tauInt * perChain)
            return (r, q, p)
        }

        // L2HMC
        let e1 = try thermalised()
        let sampler = try SU3L2HMCSampler(ensemble: e1, model: loaded.model, threads: threads)
        let cfg = loaded.model.config
        let (l2, qL, pL) = try measure("l2hmc", "\(cfg.layers) layers, hidden \(cfg.hidden.map(String.init).joined(separator: ","))",
                                       SU3L2HMCDriver(sampler: sampler), e1, n: trajectories)
        // HMC scan
        var best: (SU3Result, Double, Int)? = nil
        var scan: [SU3Result] = []
        for tau in [0.5, 1.0, 2.0] {
            var tried: Set<Int> = []
            for eps in CompareCommand.su3StepSizes {
                let steps = max(1, Int((tau / eps).rounded()))
                guard tried.insert(steps).inserted else { continue }
                let e = try thermalised()
                let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: tau / Double(steps), steps: steps), threads: threads)
                let (r, _, _) = try measure("hmc-pilot", "τ=\(tau) ε=\(tau / Double(steps))", d, e, n: pilot)
                scan.append(r)
                if r.acceptance >= 0.6 && r.acceptance <= 0.95 && (best == nil || r.costForces < best!.0.costForces) {
                    best = (r, tau, steps)
                }
            }
        }
        guard let (_, tau, steps) = best else {
            throw ConfigurationError("no HMC candidate reached 60–95 % acceptance at β = \(b) on \(lattice.description); pilot acceptances: \(scan.map { String(format: "%.2f", $0.acceptance) }.joined(separator: ", "))")
        }
        let e2 = try thermalised()
        let d = HMCDriver(ensemble: e2, parameters: MDParameters(integrator: .leapfrog, stepSize: tau / Double(steps), steps: steps), threads: threads)
        let (hmc, qH, pH) = try measure("hmc", "leapfrog τ=\(tau), \(steps) steps", d, e2, n: trajectories)
        console.clearProgress()

        try OutputDirectory.create(folder)
        try OutputDirectory.create(folder.appendingPathComponent("data"))
        let m = trajectories / every
        try NpyArray(shape: [m, chains], values: qL).write(to: folder.appendingPathComponent("data/charge_l2hmc.npy"))
        try NpyArray(shape: [m, chains], values: qH).write(to: folder.appendingPathComponent("data/charge_hmc.npy"))
        try NpyArray(shape: [trajectories, chains], values: pL).write(to: folder.appendingPathComponent("data/plaquette_l2hmc.npy"))
        try NpyArray(shape: [trajectories, chains], values: pH).write(to: folder.appendingPathComponent("data/plaquette_hmc.npy"))
        func ratio(_ a: Double, _ b: Double) -> Double { a / max(b, 1e-300) }
        let report = SU3Report(
            beta: b, shape: lattice.shape, chains: chains, trajectories: trajectories, thermalization: thermalization, pilot: pilot,
            seed: seed, model: model, flowTime: flowTime, flowStep: flowStep, measureEvery: every, results: [l2, hmc], hmcScan: scan,
            ratioCostForces: ratio(hmc.costForces, l2.costForces), ratioCostForcesCharge: ratio(hmc.costForcesCharge, l2.costForcesCharge),
            ratioCostForcesPlaquette: ratio(hmc.costForcesPlaquette, l2.costForcesPlaquette),
            ratioCostSeconds: ratio(hmc.costSeconds, l2.costSeconds),
            note: "cost = 2 tau_int x force evaluations per trajectory (headline: the larger of tau_int(Q) and tau_int(P), in trajectories); Q = clover charge after Wilson flow to flowTime, measured every measureEvery trajectories, so tau_int(Q) = measureEvery x tau_int of the measurement series; tau_int = 1/2 + sum rho, Gamma method, chains as replica; seconds: trajectory time of all chains / chains, flow excluded; a tau_int whose window reached half its series is a lower bound")
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(report), to: folder.appendingPathComponent("compare.json"))

        var md = ["| sampler | settings | acceptance | ⟨P⟩ | τ_int(Q) | τ_int(P) | forces/traj | cost Q (forces) | cost P (forces) | cost (forces) | cost (s) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in [l2, hmc] {
            let lq = r.tauIntChargeIsLowerBound ? "≥ " : (r.tauIntChargeIsResolutionLimited ? "≤ " : "")
            let lp = r.tauIntPlaquetteIsLowerBound ? "≥ " : ""
            let lb = r.tauIntIsLowerBound ? "≥ " : (r.headline == "charge" && r.tauIntChargeIsResolutionLimited ? "≤ " : "")
            md.append(String(format: "| %@ | %@ | %.3f | %.5f ± %.5f | %@%.2f ± %.2f | %@%.2f ± %.2f | %d | %@%.0f ± %.0f | %@%.0f ± %.0f | %@%.0f ± %.0f | %@%.3g |",
                             r.sampler, r.settings, r.acceptance, r.plaquette, r.plaquetteError,
                             lq, r.tauIntCharge, r.tauIntChargeError, lp, r.tauIntPlaquette, r.tauIntPlaquetteError, r.forceEvaluations,
                             lq, r.costForcesCharge, r.costForcesChargeError, lp, r.costForcesPlaquette, r.costForcesPlaquetteError,
                             lb, r.costForces, r.costForcesError, lb, r.costSeconds))
        }
        let anyLB = [l2, hmc].contains { $0.tauIntChargeIsLowerBound || $0.tauIntPlaquetteIsLowerBound }
        let anyRes = [l2, hmc].contains { $0.tauIntChargeIsResolutionLimited && !$0.tauIntChargeIsLowerBound }
        let table = "SU(3) \(lattice.description), \(gaugeAction.rawValue) action, β = \(b), \(chains) chains × \(trajectories) trajectories; "
            + "Q: clover charge after Wilson flow to t = \(flowTime) (step \(flowStep)) every \(every) trajectories; τ_int in trajectories\n\n"
            + md.joined(separator: "\n")
            + String(format: "\n\nHMC cost / L2HMC cost (force evaluations): %.2f (larger τ_int), %.2f (Q), %.2f (P); in seconds: %.2f\n",
                     report.ratioCostForces, report.ratioCostForcesCharge, report.ratioCostForcesPlaquette, report.ratioCostSeconds)
            + "cost = 2 τ_int × force evaluations per trajectory; cost (forces) and cost (s) use the larger τ_int.\n"
            + (anyLB ? "≥: the Γ-method window reached half the series, so τ_int is a lower bound; run more trajectories.\n" : "")
            + (anyRes ? "≤: Q decorrelates within --measure-every trajectories, so τ_int(Q) is only resolved to ≈ measure_every/2; lower --measure-every.\n" : "")
        try AtomicFile.write(Data(table.utf8), to: folder.appendingPathComponent("compare.md"))
        let bars = [l2, hmc].map {
            Result(sampler: $0.sampler, settings: $0.settings, forceEvaluations: $0.forceEvaluations, acceptance: $0.acceptance,
                   tauInt: $0.tauInt, tauIntError: $0.tauIntError, tunnelingRate: 0, tunnelingRateError: 0,
                   costForces: $0.costForces, costForcesError: $0.costForcesError, secondsPerTrajectory: $0.secondsPerTrajectory,
                   costSeconds: $0.costSeconds, tauIntIsLowerBound: $0.tauIntIsLowerBound)
        }
        try AtomicFile.write(Data(CompareCommand.svg(bars, title: "SU(3) \(lattice.description), β = \(b)",
                                                     axisLabel: "2 max(τ_int(Q), τ_int(P)) × force evaluations").utf8),
                             to: folder.appendingPathComponent("cost.svg"))
        console.info(table + "output: \(folder.path)")
    }
}
