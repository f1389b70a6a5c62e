// U1Theory.swift — `l2hmc run --group U1`: data files, checkpoint values and summary of 2D U(1) (REFERENCE §1).
// Per-trajectory files: plaquette, charge (Q_int, rounded), charge_sin (Q_sin), shape (trajectories, chains).
// Summary: exact finite-volume ⟨cos θ_P⟩, ⟨Q_int²⟩, ⟨Q_sin²⟩ with pulls; tunneling rate; cost from τ_int(Q_int).
import Foundation
import L2HMC

final class U1Theory: RunTheory {
    let ensemble: U1Ensemble
    let config: RunConfiguration

    /// The trained sampler when running with --model.
    let learned: U1L2HMCSampler?

    init(config: RunConfiguration) throws {
        self.config = config
        ensemble = try U1Ensemble(lattice: config.lattice, beta: config.beta, chains: config.chains, seed: config.seed)
        if let path = config.model {
            let m = try ModelFolder.load(path)
            learned = try U1L2HMCSampler(ensemble: ensemble, model: m.model, threads: config.threads)
        } else {
            learned = nil
        }
    }

    func makeDriver(_ md: MDParameters, threads: Int) throws -> any TrajectorySource {
        if let learned { return U1L2HMCDriver(sampler: learned) }
        return HMCDriver(ensemble: ensemble, parameters: md, threads: threads)
    }

    var trajectoryFiles: [DataFile] {
        (["plaquette", "charge", "charge_sin"] + (learned == nil ? [] : ["logdet"])).map { DataFile(name: $0, trailingShape: [config.chains]) }
    }
    func trajectoryRows(_ r: TrajectoryRecord) -> [[Double]] { r.observables + (learned == nil ? [] : [r.logdet ?? []]) }
    var periodicFiles: [DataFile] { [] }
    var measureEvery: Int { 1 }
    func periodicRows(threads: Int) -> [[Double]] { [] }
    func staticFiles() -> [(String, NpyArray)] { [] }
    func hotStart() { ensemble.hotStart() }
    func coldStart() { ensemble.coldStart() }
    func linkValues(chain: Int) -> [Double] { ensemble.links(chain: chain) }
    func setLinkValues(chain: Int, _ values: [Double]) { ensemble.setLinks(chain: chain, values) }
    func rng(chain: Int) -> ChainRNG { ensemble.rng(chain: chain) }
    func setRNG(chain: Int, _ r: ChainRNG) { ensemble.setRNG(chain: chain, r) }

    func progressFields(_ r: TrajectoryRecord) -> [(String, Double)] {
        func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(max(a.count, 1)) }
        return [("plaquette", mean(r.observables[0])), ("q_int_sq", mean(r.observables[1].map { $0 * $0 })),
                ("q_sin_sq", mean(r.observables[2].map { $0 * $0 }))]
    }

    func summary(dataFolder: URL, stepSize: Double, measuredSeconds: Double) throws -> RunSummary {
        let plaq = try loadData(dataFolder, "plaquette"), q = try loadData(dataFolder, "charge")
        let qs = try loadData(dataFolder, "charge_sin"), acc = try loadData(dataFolder, "accept"), dh = try loadData(dataFolder, "dH")
        let draws = plaq.shape[0], chains = config.chains
        let v = ensemble.lattice.volume
        let exact = try U1Exact(beta: config.beta, volume: v)
        var s = RunSummary(
            header: "U(1) \(ensemble.lattice.description), β = \(config.beta), \(chains) chains × \(draws) trajectories, \(config.integrator.rawValue) \(config.steps) × ε = \(String(format: "%.5g", stepSize))",
            root: ["group": "U1", "shape": config.shape, "beta": config.beta, "chains": chains, "trajectories_measured": draws,
                   "integrator": config.integrator.rawValue, "steps": config.steps, "step_size": stepSize,
                   "trajectory_length": stepSize * Double(config.steps),
                   "force_evaluations_per_trajectory": config.integrator.forceEvaluations(steps: config.steps),
                   "exact_infinite_volume": ["plaquette": exact.infiniteVolumePlaquette,
                                             "susceptibility": exact.infiniteVolumeSusceptibility]])
        s.add("plaquette", plaq.values, draws: draws, chains: chains, exact: exact.plaquette)
        s.add("charge", q.values, draws: draws, chains: chains, exact: 0)
        s.add("charge_squared", q.values.map { $0 * $0 }, draws: draws, chains: chains, exact: exact.qIntSquared)
        s.add("charge_sin_squared", qs.values.map { $0 * $0 }, draws: draws, chains: chains, exact: exact.qSinSquared)
        s.add("susceptibility", q.values.map { $0 * $0 / Double(v) }, draws: draws, chains: chains, exact: exact.susceptibility)
        s.add("acceptance", acc.values, draws: draws, chains: chains)
        // Creutz: ⟨e^{−ΔH} |det J|⟩ = 1 (|det J| = 1 for HMC).
        let logdet = learned == nil ? [Double](repeating: 0, count: dh.values.count) : try loadData(dataFolder, "logdet").values
        s.add("exp_minus_dH", zip(dh.values, logdet).map { Foundation.exp(-$0 + $1) }, draws: draws, chains: chains, exact: 1)
        s.add("dH", dh.values, draws: draws, chains: chains)
        if draws > 1 {
            let t = TunnelingRate.analyze(draws: draws, chains: chains, qInt: q.values)
            s.root["tunneling_rate"] = ["mean": t.mean, "error": t.error, "tau_int": t.tauInt]
            s.extraLines.append(String(format: "tunneling rate ⟨|ΔQ_int|⟩ per trajectory: %.4g ± %.2g", t.mean, t.error))
        }
        if let learned {
            s.header += " — L2HMC model \(config.model ?? ""), \(learned.model.config.layers) leapfrog layers\(learned.model.config.networksOn ? "" : ", networks off") (\(2 * learned.model.config.layers + 1) force evaluations per trajectory)"
            s.root["sampler"] = "l2hmc"
            s.root["model"] = config.model ?? ""
            s.root["force_evaluations_per_trajectory"] = 2 * learned.model.config.layers + 1
            let ld = try loadData(dataFolder, "logdet")
            s.add("logdet", ld.values, draws: draws, chains: chains)
        }
        s.addTiming(config: config, volume: v, draws: draws, measuredSeconds: measuredSeconds, costObservable: "charge",
                    forceEvaluations: learned.map { 2 * $0.model.config.layers + 1 })
        return s
    }
}
