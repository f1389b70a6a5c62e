// SU3Theory.swift — `l2hmc run --group SU3`: data files, flow measurements, checkpoint values and summary of
// 4D SU(3) (REFERENCE §2).
// Gauge action from `action` (wilson, symanzik, iwasaki, dbw2; SU3Action.swift); the Wilson flow is the Wilson
// flow for every action.
// Per-trajectory files: plaquette (trajectories, chains), polyakov (trajectories, chains, 2) = (Re, Im),
// rectangle (trajectories, chains) = ⅓ Re Tr of the 1×2 rectangles averaged over the 12V of them.
// Every `measure_every` measured trajectories: Wilson flow to t = flow_time (RK3, step flow_step) on a copy of
// the links; charge = clover Q at t = flow_time (measurements, chains); flow_t2E = t²⟨E(t)⟩ at every flow step
// including t = 0 (measurements, chains, flow steps + 1); flow_Q = the clover Q at every flow step (same shape),
// so Q is available at any requested flow time on the grid; flow_t.npy holds the flow times.
// Summary: ⟨P⟩, ⟨R⟩ (with the strong-coupling series as reference for β ≤ 1), Polyakov loop, flowed ⟨Q²⟩, χ_Q,
// τ_int, t0 (t²⟨E⟩ = 0.3, jackknife over chains) when reached, acceptance, ⟨e^{−ΔH}⟩ (⟨e^{−ΔH + log|J|}⟩ with a model).
// With --model the Markov step is the trained SU(3) L2HMC sampler (SU3L2HMCSampler) and logdet.npy is written.
import Foundation
import L2HMC

final class SU3Theory: RunTheory {
    let ensemble: SU3Ensemble
    let config: RunConfiguration
    let flowTimes: [Double]
    /// The trained sampler when running with --model.
    let learned: SU3L2HMCSampler?

    init(config: RunConfiguration) throws {
        self.config = config
        guard let action = SU3GaugeAction(rawValue: config.action.rawValue) else {
            throw ConfigurationError("action = \(config.action.rawValue) is not an SU(3) gauge action")
        }
        ensemble = try SU3Ensemble(lattice: config.lattice, beta: config.beta, chains: config.chains, seed: config.seed,
                                   action: action, measureRectangle: true)
        var t = [0.0]
        while t.last! < config.flowTime - 1e-12 { t.append(min(t.last! + config.flowStep, config.flowTime)) }
        flowTimes = t
        if let path = config.model {
            let m = try ModelFolder.loadSU3(path)
            learned = try SU3L2HMCSampler(ensemble: ensemble, model: m.model, threads: config.threads)
        } else {
            learned = nil
        }
    }

    func makeDriver(_ md: MDParameters, threads: Int) throws -> any TrajectorySource {
        if let learned { return SU3L2HMCDriver(sampler: learned) }
        return HMCDriver(ensemble: ensemble, parameters: md, threads: threads)
    }

    var trajectoryFiles: [DataFile] {
        [DataFile(name: "plaquette", trailingShape: [config.chains]), DataFile(name: "polyakov", trailingShape: [config.chains, 2]),
         DataFile(name: "rectangle", trailingShape: [config.chains])] + (learned == nil ? [] : [DataFile(name: "logdet", trailingShape: [config.chains])])
    }
    func trajectoryRows(_ r: TrajectoryRecord) -> [[Double]] {
        var poly: [Double] = []
        poly.reserveCapacity(2 * config.chains)
        for c in 0..<config.chains { poly.append(r.observables[1][c]); poly.append(r.observables[2][c]) }
        return [r.observables[0], poly, r.observables[3]] + (learned == nil ? [] : [r.logdet ?? []])
    }
    var periodicFiles: [DataFile] {
        [DataFile(name: "charge", trailingShape: [config.chains]),
         DataFile(name: "flow_t2E", trailingShape: [config.chains, flowTimes.count]),
         DataFile(name: "flow_Q", trailingShape: [config.chains, flowTimes.count])]
    }
    var measureEvery: Int { config.measureEvery }

    func periodicRows(threads: Int) -> [[Double]] {
        let chains = config.chains, steps = flowTimes.count
        let flowTime = config.flowTime, flowStep = config.flowStep
        var charge = [Double](repeating: 0, count: chains)
        var t2E = [Double](repeating: 0, count: chains * steps)
        var qFlow = [Double](repeating: 0, count: chains * steps)
        charge.withUnsafeMutableBufferPointer { qb in
            t2E.withUnsafeMutableBufferPointer { eb in
              qFlow.withUnsafeMutableBufferPointer { fb in
                nonisolated(unsafe) let q = qb.baseAddress!, e = eb.baseAddress!, qf = fb.baseAddress!
                let ens = ensemble
                BlockParallel.forEach(blocks: ens.blockCount, threads: threads) { b in
                    let w = SU3FlowWorkspace(ensemble: ens)
                    let history = w.flow(block: b, time: flowTime, step: flowStep)
                    for lane in 0..<min(8, chains - 8 * b) {
                        let c = 8 * b + lane
                        q[c] = history.last!.charge[lane]
                        for (k, m) in history.enumerated() {
                            e[c * steps + k] = m.t * m.t * m.energy[lane]
                            qf[c * steps + k] = m.charge[lane]
                        }
                    }
                }
              }
            }
        }
        return [charge, t2E, qFlow]
    }

    func staticFiles() -> [(String, NpyArray)] {
        [("flow_t", NpyArray(shape: [flowTimes.count], values: flowTimes))]
    }
    func hotStart() { ensemble.hotStart() }
    func coldStart() { ensemble.coldStart() }
    func linkValues(chain: Int) -> [Double] { ensemble.linkValues(chain: chain) }
    func setLinkValues(chain: Int, _ values: [Double]) { ensemble.setLinkValues(chain: chain, values) }
    func rng(chain: Int) -> ChainRNG { ensemble.rng(chain: chain) }
    func setRNG(chain: Int, _ r: ChainRNG) { ensemble.setRNG(chain: chain, r) }

    func progressFields(_ r: TrajectoryRecord) -> [(String, Double)] {
        func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(max(a.count, 1)) }
        return [("plaquette", mean(r.observables[0])), ("polyakov_re", mean(r.observables[1]))]
    }

    /// Strong-coupling series for ⟨P⟩ (REFERENCE §2), good to < 1e-4 for β ≤ 1.
    static func strongCouplingPlaquette(_ b: Double) -> Double {
        b / 18 + b * b / 216 - 5 * pow(b, 4) / 93312 - 49 * pow(b, 5) / 15116544
    }

    func summary(dataFolder: URL, stepSize: Double, measuredSeconds: Double) throws -> RunSummary {
        let plaq = try loadData(dataFolder, "plaquette"), poly = try loadData(dataFolder, "polyakov")
        let rect = try loadData(dataFolder, "rectangle")
        let acc = try loadData(dataFolder, "accept"), dh = try loadData(dataFolder, "dH")
        let q = try loadData(dataFolder, "charge"), flow = try loadData(dataFolder, "flow_t2E")
        let draws = plaq.shape[0], chains = config.chains, m = q.shape[0]
        let v = ensemble.lattice.volume
        var s = RunSummary(
            header: "SU(3) \(ensemble.lattice.description), \(config.action.rawValue) action, β = \(config.beta), \(chains) chains × \(draws) trajectories, \(config.integrator.rawValue) \(config.steps) × ε = \(String(format: "%.5g", stepSize)); \(m) flow measurements to t = \(config.flowTime)",
            root: ["group": "SU3", "shape": config.shape, "beta": config.beta, "chains": chains, "trajectories_measured": draws,
                   "integrator": config.integrator.rawValue, "steps": config.steps, "step_size": stepSize, "action": config.action.rawValue,
                   "trajectory_length": stepSize * Double(config.steps), "flow_time": config.flowTime, "flow_step": config.flowStep,
                   "flow_measurements": m, "measure_every": config.measureEvery,
                   "force_evaluations_per_trajectory": config.integrator.forceEvaluations(steps: config.steps)])
        s.add("plaquette", plaq.values, draws: draws, chains: chains,
              exact: config.beta <= 1 && config.action == .wilson ? SU3Theory.strongCouplingPlaquette(config.beta) : nil)
        s.add("rectangle", rect.values, draws: draws, chains: chains)
        let re = stride(from: 0, to: poly.values.count, by: 2).map { poly.values[$0] }
        let mod = stride(from: 0, to: poly.values.count, by: 2).map { hypot(poly.values[$0], poly.values[$0 + 1]) }
        s.add("polyakov_re", re, draws: draws, chains: chains)
        s.add("polyakov_abs", mod, draws: draws, chains: chains)
        s.add("acceptance", acc.values, draws: draws, chains: chains)
        // Creutz: ⟨e^{−ΔH} |det J|⟩ = 1 (|det J| = 1 for HMC).
        let logdet = learned == nil ? [Double](repeating: 0, count: dh.values.count) : try loadData(dataFolder, "logdet").values
        s.add("exp_minus_dH", zip(dh.values, logdet).map { Foundation.exp(-$0 + $1) }, draws: draws, chains: chains, exact: 1)
        s.add("dH", dh.values, draws: draws, chains: chains)
        s.add("charge", q.values, draws: m, chains: chains, exact: 0, spacing: config.measureEvery)
        s.add("charge_squared", q.values.map { $0 * $0 }, draws: m, chains: chains, spacing: config.measureEvery)
        s.add("susceptibility", q.values.map { $0 * $0 / Double(v) }, draws: m, chains: chains, spacing: config.measureEvery)
        if m > 0, let t0 = SU3Theory.t0(flow: flow.values, measurements: m, chains: chains, times: flowTimes) {
            s.root["t0"] = ["value": t0.value, "error": t0.error >= 0 ? t0.error as Any : NSNull(),
                            "definition": "t^2 <E(t)> = 0.3, clover E, jackknife over chains"]
            s.extraLines.append(String(format: "t0/a² = %.4f ± %.4f (t²⟨E⟩ = 0.3)", t0.value, t0.error))
        } else if m > 0 {
            s.root["t0"] = NSNull()
            s.extraLines.append("t0 not reached: t²⟨E⟩ < 0.3 up to t = \(config.flowTime); raise --flow-time")
        }
        if let learned {
            let f = learned.forceEvaluations
            s.header += " — L2HMC model \(config.model ?? ""), \(learned.model.config.layers) leapfrog layers (\(f) force evaluations per trajectory)"
            s.root["sampler"] = "l2hmc"
            s.root["model"] = config.model ?? ""
            s.root["force_evaluations_per_trajectory"] = f
            s.add("logdet", logdet, draws: draws, chains: chains)
        }
        s.addTiming(config: config, volume: v, draws: draws, measuredSeconds: measuredSeconds, costObservable: "charge",
                    forceEvaluations: learned?.forceEvaluations)
        return s
    }

    /// t0 from the mean t²E(t) curve (linear interpolation), with a jackknife error over chains.
    static func t0(flow: [Double], measurements m: Int, chains: Int, times: [Double]) -> (value: Double, error: Double)? {
        let k = times.count
        func curve(excluding skip: Int?) -> [Double] {
            var c = [Double](repeating: 0, count: k)
            var n = 0
            for i in 0..<m { for ch in 0..<chains where ch != skip {
                for j in 0..<k { c[j] += flow[(i * chains + ch) * k + j] }
                n += 1
            } }
            return c.map { $0 / Double(max(n, 1)) }
        }
        func crossing(_ c: [Double]) -> Double? {
            for j in 1..<k where c[j - 1] < 0.3 && c[j] >= 0.3 {
                return times[j - 1] + (0.3 - c[j - 1]) * (times[j] - times[j - 1]) / (c[j] - c[j - 1])
            }
            return nil
        }
        guard k > 1, let full = crossing(curve(excluding: nil)) else { return nil }
        guard chains > 1 else { return (full, 0) }
        var jack: [Double] = []
        for ch in 0..<chains { if let t = crossing(curve(excluding: ch)) { jack.append(t) } }
        guard jack.count == chains else { return (full, -1) }  // some jackknife sample never reached 0.3
        let mean = jack.reduce(0, +) / Double(chains)
        let err = (Double(chains - 1) / Double(chains) * jack.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)).squareRoot()
        return (full, err)
    }
}
