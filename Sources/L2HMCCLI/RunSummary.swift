// RunSummary.swift — the end-of-run analysis shared by all theories: Γ-method means and τ_int with chains as
// replica (REFERENCE §5), exact or reference values with pulls, cost per independent configuration; written to
// summary.json and printed as a compact table.
//
// Conventions: τ_int = ½ + Σ_{t≥1} ρ(t) (uncorrelated data: ½). Cost of an independent configuration =
// 2 τ_int(Q) × force evaluations per trajectory; in seconds = 2 τ_int(Q) × (wall time per trajectory / chains).
import Foundation
import L2HMC

struct RunSummary {
    struct Entry {
        var name: String
        var result: GammaResult
        var exact: Double?
        /// Spacing of the series in trajectories (periodic measurements: measure_every), for τ_int in trajectories.
        var spacing: Int = 1

        var pull: Double? {
            guard let exact, result.error > 0 else { return nil }
            return (result.mean - exact) / result.error
        }
        var dict: [String: Any] {
            var d: [String: Any] = ["mean": result.mean, "error": result.error, "tau_int": result.tauInt * Double(spacing),
                                    "tau_int_error": result.tauIntError * Double(spacing), "samples": result.samples]
            if let exact { d["exact"] = exact }
            if let p = pull { d["pull"] = p }
            return d
        }
    }

    var header: String
    var root: [String: Any]
    var entries: [Entry] = []
    var extraLines: [String] = []

    /// Γ-method analysis of values shaped (draws, chains).
    static func gamma(_ values: [Double], draws: Int, chains: Int) -> GammaResult {
        GammaMethod.analyze(draws: draws, chains: chains, values: values)
    }

    mutating func add(_ name: String, _ values: [Double], draws: Int, chains: Int, exact: Double? = nil, spacing: Int = 1) {
        guard draws > 0 else { return }
        entries.append(Entry(name: name, result: RunSummary.gamma(values, draws: draws, chains: chains), exact: exact, spacing: spacing))
    }

    func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// Adds the timing and cost block (cost from τ_int of `costObservable`).
    mutating func addTiming(config: RunConfiguration, volume: Int, draws: Int, measuredSeconds: Double, costObservable: String,
                            forceEvaluations: Int? = nil) {
        let forces = forceEvaluations ?? config.integrator.forceEvaluations(steps: config.steps)
        let perTraj = draws > 0 ? measuredSeconds / Double(draws) : 0
        let nsPerSiteStep = perTraj * 1e9 / (Double(volume) * Double(config.chains) * Double(config.steps))
        root["timing"] = ["seconds_per_trajectory": perTraj, "ns_per_site_per_step": nsPerSiteStep, "threads": config.threads]
        extraLines.append(String(format: "%.3f ms per trajectory (all chains), %.2f ns per site per MD step per chain, %d threads",
                                 perTraj * 1e3, nsPerSiteStep, config.threads))
        if let e = entry(costObservable) {
            let tau = e.result.tauInt * Double(e.spacing)
            let f = 2 * tau * Double(forces), s = 2 * tau * perTraj / Double(config.chains)
            root["cost_per_independent_configuration"] = ["observable": costObservable, "force_evaluations": f, "seconds": s]
            extraLines.insert(String(format: "cost per independent configuration (2 τ_int(%@)): %.1f force evaluations, %.3g s",
                                     costObservable, f, s), at: 0)
        }
    }

    func json() -> String {
        var r = root
        var obs: [String: Any] = [:]
        for e in entries { obs[e.name] = e.dict }
        r["observables"] = obs
        r["tau_int_convention"] = "tau_int = 1/2 + sum_{t>=1} rho(t), in trajectories; Gamma method (Wolff), S = 1.5, chains as replica"
        let data = try! JSONSerialization.data(withJSONObject: r, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func table(folder: URL) -> String {
        var lines = [header]
        lines.append(pad("observable", 20) + pad("mean", 14) + pad("error", 11) + pad("τ_int", 10) + pad("exact", 13) + "pull")
        for e in entries {
            var row = pad(e.name, 20) + pad(String(format: "%.6g", e.result.mean), 14) + pad(String(format: "%.2g", e.result.error), 11)
            row += pad(String(format: "%.2f", e.result.tauInt * Double(e.spacing)), 10)
            row += pad(e.exact.map { String(format: "%.6g", $0) } ?? "", 13)
            row += e.pull.map { String(format: "%+.2f", $0) } ?? ""
            lines.append(row)
        }
        lines += extraLines
        lines.append("output: \(folder.path)")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}

/// Reads data/<name>.npy.
func loadData(_ folder: URL, _ name: String) throws -> NpyArray {
    try NpyArray.read(folder.appendingPathComponent("\(name).npy"))
}
