// CompareCommand.swift — `l2hmc compare --model DIR`: the trained L2HMC sampler against an HMC tuned at the same β
// on the same lattice (REFERENCE §5): τ_int(Q_int) (Γ-method, chains as replica), tunneling rate, acceptance, and
// the cost per independent configuration 2 τ_int(Q_int) × force evaluations per trajectory, and in seconds.
// The model's group (ModelFolder.group) picks the path: U(1) here, SU(3) in CompareSU3.swift (flowed clover Q and
// plaquette, on any even 4D lattice given by --shape).
//
// HMC tuning: trajectory lengths τ ∈ {0.5, 1, 2} × step sizes ε ∈ {0.05, 0.1, 0.2, 0.25} are each run for a pilot
// of `pilot` trajectories; candidates with acceptance in [0.6, 0.95] are ranked by their pilot cost and the best is
// run for the full length. Everything is seeded; both samplers start from the same HMC-thermalised configurations.
// Output folder: compare.json, compare.md (the table), cost.svg (cost per independent configuration with errors),
// data/charge_l2hmc.npy and data/charge_hmc.npy (trajectories, chains).
import ArgumentParser
import Foundation
import L2HMC

public struct CompareCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a trained U(1) or SU(3) L2HMC model with HMC tuned at the same β (cost per independent configuration).",
        discussion: """
        The model's group decides. U1: the model's lattice; HMC scan τ ∈ {0.5, 1, 2} × ε ∈ {0.05, 0.1, 0.2, 0.25}; \
        τ_int of Q_int, tunneling rate. SU3: any 4D lattice with even extents (--shape, default 4x4x4x4; SU(3) \
        models are lattice-size independent), HMC scan τ ∈ {0.5, 1, 2} × ε ∈ {0.025, 0.05, 0.075, 0.1, 0.15, 0.2}; τ_int of the \
        clover Q after Wilson flow to --flow-time (measured every --measure-every trajectories) and of the plaquette \
        (every trajectory); the headline cost uses the larger τ_int. Both samplers start from the same \
        HMC-thermalised configurations; HMC candidates with 60–95 % pilot acceptance are ranked by pilot cost. \
        Cost per independent configuration = 2 τ_int × force evaluations per trajectory (L2HMC: 2N + 1). Output: \
        compare.json, compare.md, cost.svg, data/*.npy.
        """)

    @Option(name: .long, help: "Trained model: a model folder or a training run folder.") var model: String
    @Option(name: .long, help: "β of the comparison. [default: the model's final training β]") var beta: Double?
    @Option(name: .long, help: "Chains (multiple of 8). [default: 64 (U1), 8 (SU3)]") var chains: Int?
    @Option(name: .long, help: "SU3: lattice extents L0xL1xL2xL3, all even (U1 models fix their lattice). [default: 4x4x4x4]") var shape: String?
    @Option(name: .customLong("trajectories"), help: "Measured trajectories per sampler. [default: 1000 (U1), 200 (SU3)]") var trajectoriesOption: Int?
    @Option(name: .customLong("thermalization"), help: "HMC thermalisation trajectories before both samplers. [default: 200 (U1), 100 (SU3)]") var thermalizationOption: Int?
    @Option(name: .customLong("pilot"), help: "Pilot trajectories per HMC candidate (longer pilots rank candidates more reliably when τ_int is large). [default: 400 (U1), 50 (SU3)]") var pilotOption: Int?
    @Option(name: .long, help: "Seed. [default: 1]") var seed: UInt64 = 1
    @Option(name: .long, help: "Threads. [default: all cores]") var threads: Int = RunConfiguration.defaultThreads
    @Option(name: .customLong("flow-time"), help: "SU3: Wilson-flow time t/a² of the measured clover charge (≥ 0). [default: 1.0]") var flowTime: Double?
    @Option(name: .customLong("flow-step"), help: "SU3: RK3 flow step ε/a² in (0, 1]. [default: 0.02]") var flowStep: Double?
    @Option(name: .long, help: "SU3: gauge action of both samplers: wilson, symanzik, iwasaki or dbw2. [default: wilson]") var action: String?
    @Option(name: .customLong("measure-every"), help: "SU3: flow measurement every N trajectories (≥ 1). [default: 10]") var measureEvery: Int?
    @Option(name: .long, help: "Output folder. [default: <model's training folder>/compare-beta-<β> (U1), …/compare-<shape>-beta-<β> (SU3)]") var out: String?
    @Flag(name: .long, help: "Print nothing but errors.") var quiet: Bool = false

    public init() {}

    public func validate() throws {
        if let chains { guard chains >= 8, chains % 8 == 0 else { throw ValidationError("--chains \(chains) is not allowed; use a positive multiple of 8") } }
        if let t = trajectoriesOption { guard t >= 10 else { throw ValidationError("--trajectories \(t) is not allowed; need ≥ 10") } }
        if let t = thermalizationOption { guard t >= 0 else { throw ValidationError("--thermalization \(t) is not allowed; need ≥ 0") } }
        if let p = pilotOption { guard p >= 10 else { throw ValidationError("--pilot \(p) is not allowed; need ≥ 10") } }
        guard threads >= 1 else { throw ValidationError("--threads \(threads) is not allowed; need ≥ 1") }
        if let beta { guard beta > 0, beta.isFinite else { throw ValidationError("--beta \(beta) is not allowed; β must be > 0") } }
        if let flowTime { guard flowTime >= 0, flowTime.isFinite else { throw ValidationError("--flow-time \(flowTime) is not allowed; need a finite t/a² ≥ 0") } }
        if let flowStep { guard flowStep > 0, flowStep <= 1 else { throw ValidationError("--flow-step \(flowStep) is not allowed; need 0 < ε ≤ 1 (units of a²)") } }
        if let measureEvery { guard measureEvery >= 1 else { throw ValidationError("--measure-every \(measureEvery) is not allowed; need an integer ≥ 1") } }
    }

    struct Result: Codable {
        var sampler: String
        var settings: String
        var forceEvaluations: Int
        var acceptance: Double
        var tauInt: Double
        var tauIntError: Double
        var tunnelingRate: Double
        var tunnelingRateError: Double
        var costForces: Double
        var costForcesError: Double
        var secondsPerTrajectory: Double
        var costSeconds: Double
        /// The Γ-method window reached half the run: τ_int (and the cost) are lower bounds.
        var tauIntIsLowerBound: Bool
    }

    public func run() throws {
        let console = Console(quiet: quiet)
        try console.reportingErrors {
            if try ModelFolder.group(model) == "SU3" {
                try runSU3(console: console)
            } else {
                try runU1(console: console)
            }
        }
    }

    /// The U(1) comparison (the model's lattice; τ_int of Q_int, tunneling rate).
    func runU1(console: Console) throws {
        do {
            let chains = self.chains ?? 64
            let trajectories = trajectoriesOption ?? 1000, thermalization = thermalizationOption ?? 200, pilot = pilotOption ?? 400
            let loaded = try ModelFolder.load(model)
            for (flag, given) in [("--flow-time", flowTime != nil), ("--flow-step", flowStep != nil), ("--measure-every", measureEvery != nil),
                                  ("--action", action != nil)] where given {
                throw ConfigurationError("\(flag) applies to SU3 models only; --model \(model) holds a U1 model")
            }
            let b = beta ?? loaded.description.beta
            let shape = [loaded.model.config.l0, loaded.model.config.l1]
            if let s = self.shape {
                let given = try Lattice(parsing: s).shape
                guard given == shape else {
                    throw ConfigurationError("--shape \(s) does not match the U1 model's lattice \(Lattice.format(shape)); U1 models are tied to their lattice (omit --shape)")
                }
            }
            let folder = URL(fileURLWithPath: out ?? (URL(fileURLWithPath: model).path + "/compare-beta-\(b)"))
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("compare.json").path) {
                throw ConfigurationError("output folder \(folder.path) already holds a comparison; choose another --out")
            }
            let lattice = try Lattice(shape: shape)
            func thermalised() throws -> U1Ensemble {
                let e = try U1Ensemble(lattice: lattice, beta: b, chains: chains, seed: seed)
                e.hotStart()
                let h = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: threads)
                for _ in 0..<thermalization { _ = h.trajectory() }
                return e
            }
            func measure(_ name: String, _ settings: String, _ src: any TrajectorySource, n: Int) throws -> (Result, [Double]) {
                var q: [Double] = [], acc = 0.0
                let t0 = DispatchTime.now().uptimeNanoseconds
                for i in 0..<n {
                    let r = try src.nextTrajectory()
                    q += r.observables[1]
                    acc += r.acceptanceRate / Double(n)
                    if console.progressEnabled { console.progress("\(name) \(settings): \(i + 1)/\(n)") }
                }
                let sec = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(n)
                let g = GammaMethod.analyze(draws: n, chains: chains, values: q)
                let t = TunnelingRate.analyze(draws: n, chains: chains, qInt: q)
                let f = src.forceEvaluations
                return (Result(sampler: name, settings: settings, forceEvaluations: f, acceptance: acc, tauInt: g.tauInt,
                               tauIntError: g.tauIntError, tunnelingRate: t.mean, tunnelingRateError: t.error,
                               costForces: 2 * g.tauInt * Double(f), costForcesError: 2 * g.tauIntError * Double(f),
                               secondsPerTrajectory: sec, costSeconds: 2 * g.tauInt * sec / Double(chains),
                               tauIntIsLowerBound: g.window >= n / 2 - 1), q)
            }
            // L2HMC
            let e1 = try thermalised()
            let sampler = try U1L2HMCSampler(ensemble: e1, model: loaded.model, threads: threads)
            sampler.beta = b
            let (l2, qL) = try measure("l2hmc", "\(loaded.model.config.layers) layers, \(loaded.model.config.networksOn ? loaded.model.config.xUpdate.rawValue : "networks off")",
                                       U1L2HMCDriver(sampler: sampler), n: trajectories)
            // HMC scan
            var best: (Result, Double, Int)? = nil
            var scan: [Result] = []
            for tau in [0.5, 1.0, 2.0] {
                for eps in [0.05, 0.1, 0.2, 0.25] {
                    let steps = max(1, Int((tau / eps).rounded()))
                    let e = try thermalised()
                    let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: tau / Double(steps), steps: steps), threads: threads)
                    let (r, _) = try measure("hmc-pilot", "τ=\(tau) ε=\(tau / Double(steps))", d, n: pilot)
                    scan.append(r)
                    if r.acceptance >= 0.6 && r.acceptance <= 0.95 && (best == nil || r.costForces < best!.0.costForces) {
                        best = (r, tau, steps)
                    }
                }
            }
            guard let (_, tau, steps) = best else { throw ConfigurationError("no HMC candidate reached 60–95 % acceptance at β = \(b)") }
            let e2 = try thermalised()
            let d = HMCDriver(ensemble: e2, parameters: MDParameters(integrator: .leapfrog, stepSize: tau / Double(steps), steps: steps), threads: threads)
            let (hmc, qH) = try measure("hmc", "leapfrog τ=\(tau), \(steps) steps", d, n: trajectories)
            console.clearProgress()

            try OutputDirectory.create(folder)
            try OutputDirectory.create(folder.appendingPathComponent("data"))
            try NpyArray(shape: [trajectories, chains], values: qL).write(to: folder.appendingPathComponent("data/charge_l2hmc.npy"))
            try NpyArray(shape: [trajectories, chains], values: qH).write(to: folder.appendingPathComponent("data/charge_hmc.npy"))
            struct Report: Codable { var beta: Double; var shape: [Int]; var chains: Int; var trajectories: Int; var model: String
                var results: [Result]; var hmcScan: [Result]; var ratioCostForces: Double; var note: String }
            let report = Report(beta: b, shape: shape, chains: chains, trajectories: trajectories, model: model, results: [l2, hmc],
                                hmcScan: scan, ratioCostForces: hmc.costForces / max(l2.costForces, 1e-300),
                                note: "cost = 2 tau_int(Q_int) x force evaluations per trajectory; tau_int = 1/2 + sum rho, Gamma method; when Q is frozen over the run tau_int and its error are lower bounds")
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try enc.encode(report), to: folder.appendingPathComponent("compare.json"))
            var md = ["| sampler | settings | acceptance | τ_int(Q) | tunneling/traj | forces/traj | cost (forces) | cost (s) |",
                      "|---|---|---|---|---|---|---|---|"]
            for r in [l2, hmc] {
                let lb = r.tauIntIsLowerBound ? "≥ " : ""
                md.append(String(format: "| %@ | %@ | %.3f | %@%.2f ± %.2f | %.4f ± %.4f | %d | %@%.0f ± %.0f | %@%.3g |", r.sampler, r.settings,
                                 r.acceptance, lb, r.tauInt, r.tauIntError, r.tunnelingRate, r.tunnelingRateError, r.forceEvaluations,
                                 lb, r.costForces, r.costForcesError, lb, r.costSeconds))
            }
            let table = "U(1) \(Lattice.format(shape)), β = \(b), \(chains) chains × \(trajectories) trajectories\n\n" + md.joined(separator: "\n")
                + String(format: "\n\nHMC cost / L2HMC cost (force evaluations): %.2f\n", report.ratioCostForces)
                + ([l2, hmc].contains { $0.tauIntIsLowerBound }
                   ? "≥: the Γ-method window reached half the run, so τ_int is a lower bound; run more trajectories.\n" : "")
            try AtomicFile.write(Data(table.utf8), to: folder.appendingPathComponent("compare.md"))
            try AtomicFile.write(Data(CompareCommand.svg([l2, hmc], title: "U(1) \(Lattice.format(shape)), β = \(b)").utf8),
                                 to: folder.appendingPathComponent("cost.svg"))
            console.info(table + "output: \(folder.path)")
        }
    }

    /// A bar chart of the cost per independent configuration (force evaluations) with error bars.
    static func svg(_ rs: [Result], title: String, axisLabel: String = "2 τ_int(Q) × force evaluations") -> String {
        let w = 480.0, h = 320.0, left = 70.0, bottom = 40.0, top = 40.0
        let maxV = max(rs.map { $0.costForces + $0.costForcesError }.max() ?? 1, 1e-9) * 1.15
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(title): cost per independent configuration</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 20)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        for k in 0...4 {
            let v = maxV * Double(k) / 4, y = h - bottom - (h - bottom - top) * Double(k) / 4
            s += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(String(format: "%.3g", v))</text>\n"
        }
        s += "<text x=\"16\" y=\"\(h / 2)\" transform=\"rotate(-90 16 \(h / 2))\" text-anchor=\"middle\">\(axisLabel)</text>\n"
        let colors = ["#1f77b4", "#ff7f0e"]
        let bw = (w - left - 40) / Double(rs.count) * 0.5
        for (i, r) in rs.enumerated() {
            let x = left + 20 + Double(i) * (w - left - 40) / Double(rs.count)
            let scale = (h - bottom - top) / maxV
            let y = h - bottom - r.costForces * scale
            s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(bw)\" height=\"\(r.costForces * scale)\" fill=\"\(colors[i % 2])\"/>\n"
            let y1 = h - bottom - (r.costForces + r.costForcesError) * scale, y2 = h - bottom - max(r.costForces - r.costForcesError, 0) * scale
            s += "<line x1=\"\(x + bw / 2)\" y1=\"\(y1)\" x2=\"\(x + bw / 2)\" y2=\"\(y2)\" stroke=\"black\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(x + bw / 2)\" y=\"\(h - bottom + 16)\" text-anchor=\"middle\">\(r.sampler)</text>\n"
        }
        return s + "</svg>\n"
    }
}
