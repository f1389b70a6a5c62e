// U1Summary.swift — the end-of-run analysis of a U(1) run: Γ-method means and τ_int (chains as replica,
// REFERENCE §5), exact finite-volume values with pulls (REFERENCE §1), tunneling rate, cost per independent
// configuration. Written to summary.json and printed as a table.
//
// Conventions: τ_int = ½ + Σ_{t≥1} ρ(t) (uncorrelated data: ½). Cost of an independent configuration =
// 2 τ_int(Q_int) × force evaluations per trajectory; in seconds = 2 τ_int(Q_int) × (wall time per trajectory /
// chains), i.e. per chain-trajectory on this machine with the run's thread count.
import Foundation
import L2HMC

struct U1Summary {
    struct Entry: Codable {
        var mean: Double
        var error: Double
        var tau_int: Double
        var tau_int_error: Double
        var exact: Double?
        var pull: Double?
    }

    let config: RunConfiguration
    let lattice: Lattice
    var measured = 0
    var entries: [(String, Entry)] = []
    var tunneling: Entry?
    var forceEvaluations: Int
    var stepSize: Double
    var secondsPerTrajectory: Double
    var nsPerSiteStep: Double
    var costForces: Double?
    var costSeconds: Double?
    var exactInfinite: (plaquette: Double, susceptibility: Double)

    init(config: RunConfiguration, lattice: Lattice, dataFolder: URL, stepSize: Double, measuredSeconds: Double,
         volume v: Double) throws {
        self.config = config
        self.lattice = lattice
        self.stepSize = stepSize
        self.forceEvaluations = config.integrator.forceEvaluations(steps: config.steps)
        func load(_ name: String) throws -> NpyArray { try NpyArray.read(dataFolder.appendingPathComponent("\(name).npy")) }
        let plaq = try load("plaquette"), q = try load("charge"), qs = try load("charge_sin")
        let acc = try load("accept"), dh = try load("dH")
        let draws = plaq.shape[0], chains = config.chains
        measured = draws
        let exact = try U1Exact(beta: config.beta, volume: lattice.volume)
        exactInfinite = (exact.infiniteVolumePlaquette, exact.infiniteVolumeSusceptibility)
        func entry(_ values: [Double], exact: Double? = nil) -> Entry {
            let g = GammaMethod.analyze(draws: draws, chains: chains, values: values)
            var e = Entry(mean: g.mean, error: g.error, tau_int: g.tauInt, tau_int_error: g.tauIntError)
            if let exact {
                e.exact = exact
                e.pull = g.error > 0 ? (g.mean - exact) / g.error : nil
            }
            return e
        }
        if draws > 0 {
            entries.append(("plaquette", entry(plaq.values, exact: exact.plaquette)))
            entries.append(("charge", entry(q.values, exact: 0)))
            entries.append(("charge_squared", entry(q.values.map { $0 * $0 }, exact: exact.qIntSquared)))
            entries.append(("charge_sin_squared", entry(qs.values.map { $0 * $0 }, exact: exact.qSinSquared)))
            entries.append(("susceptibility", entry(q.values.map { $0 * $0 / v }, exact: exact.qIntSquared / v)))
            entries.append(("acceptance", entry(acc.values)))
            entries.append(("exp_minus_dH", entry(dh.values.map { Foundation.exp(-$0) }, exact: 1)))
            entries.append(("dH", entry(dh.values)))
            if draws > 1 {
                var jumps: [Double] = []
                jumps.reserveCapacity((draws - 1) * chains)
                for t in 1..<draws { for c in 0..<chains { jumps.append(abs(q.values[t * chains + c] - q.values[(t - 1) * chains + c])) } }
                let g = GammaMethod.analyze(draws: draws - 1, chains: chains, values: jumps)
                tunneling = Entry(mean: g.mean, error: g.error, tau_int: g.tauInt, tau_int_error: g.tauIntError)
            }
        }
        secondsPerTrajectory = draws > 0 ? measuredSeconds / Double(draws) : 0
        nsPerSiteStep = secondsPerTrajectory * 1e9 / (v * Double(chains) * Double(config.steps))
        if let tq = entries.first(where: { $0.0 == "charge" })?.1.tau_int {
            costForces = 2 * tq * Double(forceEvaluations)
            costSeconds = 2 * tq * secondsPerTrajectory / Double(chains)
        }
    }

    func json() -> String {
        var obs: [String: Any] = [:]
        for (k, e) in entries {
            var d: [String: Any] = ["mean": e.mean, "error": e.error, "tau_int": e.tau_int, "tau_int_error": e.tau_int_error]
            if let x = e.exact { d["exact"] = x }
            if let p = e.pull { d["pull"] = p }
            obs[k] = d
        }
        var root: [String: Any] = [
            "group": config.group.rawValue, "shape": lattice.shape, "beta": config.beta, "chains": config.chains,
            "trajectories_measured": measured, "integrator": config.integrator.rawValue, "steps": config.steps,
            "step_size": stepSize, "trajectory_length": stepSize * Double(config.steps),
            "force_evaluations_per_trajectory": forceEvaluations, "observables": obs,
            "tau_int_convention": "tau_int = 1/2 + sum_{t>=1} rho(t); Gamma method, S = 1.5, chains as replica",
            "exact_infinite_volume": ["plaquette": exactInfinite.plaquette, "susceptibility": exactInfinite.susceptibility],
            "timing": ["seconds_per_trajectory": secondsPerTrajectory, "ns_per_site_per_step": nsPerSiteStep,
                       "threads": config.threads],
        ]
        if let t = tunneling {
            root["tunneling_rate"] = ["mean": t.mean, "error": t.error, "tau_int": t.tau_int]
        }
        if let f = costForces, let s = costSeconds {
            root["cost_per_independent_configuration"] = ["force_evaluations": f, "seconds": s]
        }
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func table(folder: URL) -> String {
        var lines: [String] = []
        lines.append("U(1) \(lattice.description), β = \(config.beta), \(config.chains) chains × \(measured) trajectories, \(config.integrator.rawValue) \(config.steps) × ε = \(String(format: "%.5g", stepSize))")
        lines.append(pad("observable", 20) + pad("mean", 14) + pad("error", 11) + pad("τ_int", 10) + pad("exact", 13) + "pull")
        for (k, e) in entries {
            var row = pad(k, 20) + pad(String(format: "%.6g", e.mean), 14) + pad(String(format: "%.2g", e.error), 11)
            row += pad(String(format: "%.2f", e.tau_int), 10)
            row += pad(e.exact.map { String(format: "%.6g", $0) } ?? "", 13)
            row += e.pull.map { String(format: "%+.2f", $0) } ?? ""
            lines.append(row)
        }
        if let t = tunneling {
            lines.append(pad("tunneling rate", 20) + pad(String(format: "%.4g", t.mean), 14) + pad(String(format: "%.2g", t.error), 11))
        }
        if let f = costForces, let s = costSeconds {
            lines.append("cost per independent configuration (2 τ_int(Q)): \(String(format: "%.1f", f)) force evaluations, \(String(format: "%.3g", s)) s")
        }
        lines.append(String(format: "%.3f ms per trajectory (all chains), %.2f ns per site per MD step per chain", secondsPerTrajectory * 1e3, nsPerSiteStep))
        lines.append("output: \(folder.path)")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}
