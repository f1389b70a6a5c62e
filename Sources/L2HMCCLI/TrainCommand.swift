// TrainCommand.swift — `l2hmc train --group U1|SU3`: train leapfrog layers (REFERENCE §4) and save the model.
// One training loop (`Trainer`) for both groups; what differs (ensemble, sampler, model files, log fields) is a
// `TrainingTarget`: U1 (U1L2HMCSampler) or SU3 (SU3L2HMCSampler).
//
// Training folder: config.yaml, meta.json, train/log.jsonl (one object per training step: era, step, β, loss,
// acceptance, dQ_sin, dQ_int, ε per layer, Σ log|J|, gradient norm, seconds), checkpoint.bin (every era:
// chains' links and RNG states, step), model/ (the latest model: model.json + parameters.bin with the optimiser
// state), models/era-<k>/ (the model after each era). Chains are thermalised with plain HMC (leapfrog, ε = 0.1,
// τ = 1) for `thermalize` trajectories at the era's β before each era. SIGINT/SIGTERM stop after the current
// step with a checkpoint; --resume continues from it bit-identically. eras = 0 writes the initial model (and a
// checkpoint) without training, e.g. `--networks off --eras 0`: a model without networks that samples as HMC.
import ArgumentParser
import Foundation
import L2HMC

public struct TrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train L2HMC leapfrog layers for 2D U(1) or 4D SU(3) and save the model.",
        discussion: """
        Precedence: defaults < --config FILE.yaml < flags < key=value overrides. Keys: \
        \(TrainConfiguration.keys.joined(separator: ", ")). β runs from --beta-init to --beta-final, constant per era \
        (beta_schedule=era) or geometric per step (beta_schedule=geometric). Loss (charge): mixed \
        L = mean[w/(ℓ+δ) − (ℓ+δ)/w] or plain L = −mean ℓ/w with ℓ = A·(ΔQ_sin)², w = charge_weight, δ = 1e-4. \
        SU3: L = −mean A·[jump_weight·J + plaquette_weight·ΔP² + charge_weight·ΔQ²] with J the mean squared link \
        jump ‖U′ − U‖² and Q the un-flowed clover charge; defaults 4x4x4x4, β 5 → 6, 8 chains, hidden 16,16.
        """
    )

    @Option(name: .long, help: "Gauge group: U1 (2D U(1)) or SU3 (4D SU(3)). [default: U1]") var group: String?
    @Option(name: .long, help: "Lattice extents, L0xL1 (U1) or L0xL1xL2xL3 with even extents (SU3). [default: 8x8 (U1), 4x4x4x4 (SU3)]") var shape: String?
    @Option(name: .customLong("beta-init"), help: "β of the first era. [default: 2.0 (U1), 5.0 (SU3)]") var betaInit: String?
    @Option(name: .customLong("beta-final"), help: "β of the last era. [default: 4.0 (U1), 6.0 (SU3)]") var betaFinal: String?
    @Option(name: .customLong("beta-schedule"), help: "era or geometric. [default: era]") var betaSchedule: String?
    @Option(name: .long, help: "Number of eras (≥ 0; 0 writes the initial model without training). [default: 5]") var eras: String?
    @Option(name: .customLong("steps-per-era"), help: "Training steps per era (≥ 1). [default: 100]") var stepsPerEra: String?
    @Option(name: .long, help: "Chains, a multiple of 8. [default: 64]") var chains: String?
    @Option(name: .long, help: "Leapfrog layers N (a proposal is 2N layers: F⁻¹∘Flip∘F). [default: 4]") var leapfrog: String?
    @Option(name: .long, help: "Hidden widths, e.g. 16,16,16,16. [default: 16,16,16,16]") var hidden: String?
    @Option(name: .long, help: "relu, tanh, swish, softplus or sigmoid. [default: swish]") var activation: String?
    @Flag(name: .customLong("shared-networks"), help: "One set of networks for all layers, with a one-hot layer encoding as input.") var sharedNetworks: Bool = false
    @Option(name: .long, help: "on or off (off: no networks, only per-layer step sizes, which training learns; with equal ε the model samples as HMC, leapfrog, 2N steps, bit for bit). [default: on]") var networks: String?
    @Option(name: .customLong("x-update"), help: "linear or ncp (compact, exact inverse). [default: ncp]") var xUpdate: String?
    @Option(name: .customLong("step-size"), help: "Initial ε_x = ε_v of every layer (MD time units). [default: 0.1]") var stepSize: String?
    @Option(name: .long, help: "Adam learning rate. [default: 1e-3]") var lr: String?
    @Option(name: .customLong("lr-schedule"), help: "constant, exponential or cosine. [default: constant]") var lrSchedule: String?
    @Option(name: .long, help: "Warm-up steps of the learning rate. [default: 0]") var warmup: String?
    @Option(name: .long, help: "Global-norm gradient clipping (0: off). [default: 10]") var clip: String?
    @Option(name: .long, help: "Charge loss: mixed or plain. [default: mixed]") var loss: String?
    @Option(name: .long, help: "SU3 gauge action of the training ensemble: wilson, symanzik, iwasaki or dbw2. [default: wilson]") var action: String?
    @Option(name: .long, help: "HMC trajectories before each era. [default: 50]") var thermalize: String?
    @Option(name: .long, help: "Seed of chains, masks and weights. [default: 1]") var seed: String?
    @Option(name: .long, help: "Worker threads; results are bit-identical for any value. [default: all cores]") var threads: String?
    @Option(name: .long, help: "Output folder. [default: runs/train/U1/<shape>/<timestamp>]") var out: String?
    @Option(name: .long, help: "YAML file of key: value settings.") var config: String?
    @Option(name: .long, help: "Continue the training run in this folder from its last checkpoint (bit-identical).") var resume: String?
    @Flag(name: .long, help: "Print nothing but errors.") var quiet: Bool = false
    @Argument(help: "Overrides key=value, e.g. lr=3e-4 aux_weight=0.5.") var overrides: [String] = []

    public init() {}

    func resolve(base: TrainConfiguration = TrainConfiguration()) throws -> TrainConfiguration {
        var c = base
        if let path = config { try c.apply(configFile: path) }
        let flags: [(String, String?)] = [("group", group), ("shape", shape), ("beta_init", betaInit), ("beta_final", betaFinal),
            ("beta_schedule", betaSchedule), ("eras", eras), ("steps_per_era", stepsPerEra), ("chains", chains),
            ("leapfrog", leapfrog), ("hidden", hidden), ("activation", activation), ("networks", networks), ("x_update", xUpdate),
            ("step_size", stepSize), ("lr", lr), ("lr_schedule", lrSchedule), ("warmup", warmup), ("clip", clip),
            ("loss", loss), ("action", action), ("thermalize", thermalize), ("seed", seed), ("threads", threads), ("out", out)]
        for (k, v) in flags { if let v { try c.set(k, v) } }
        if sharedNetworks { try c.set("shared_networks", "true") }
        try c.apply(overrides: overrides)
        c.applyGroupDefaults()
        try c.validate()
        return c
    }

    public func run() throws {
        let console = Console(quiet: quiet)
        try console.reportingErrors {
            var cfg: TrainConfiguration
            let folder: URL
            var resuming = false
            if let dir = resume {
                folder = URL(fileURLWithPath: dir)
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("config.yaml").path),
                      let text = String(data: data, encoding: .utf8) else {
                    throw ConfigurationError("--resume \(dir): no readable config.yaml in that folder (is it a training folder?)")
                }
                var stored = TrainConfiguration()
                try stored.apply(yaml: text, source: dir + "/config.yaml")
                cfg = try resolve(base: stored)
                let a = stored.values(), b = cfg.values()
                for k in a.keys.sorted() where a[k] != b[k] && !TrainConfiguration.resumableKeys.contains(k) {
                    throw ConfigurationError("--resume \(dir): \(k) = \(b[k] ?? "nil") differs from the run's \(k) = \(a[k] ?? "nil"); only threads and eras may change on resume")
                }
                cfg.out = stored.out
                resuming = true
            } else {
                cfg = try resolve()
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "yyyyMMdd-HHmmss"
                folder = URL(fileURLWithPath: cfg.out ?? "runs/train/\(cfg.group.rawValue)/\(Lattice.format(cfg.shape))/\(f.string(from: Date()))")
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.yaml").path) {
                    throw ConfigurationError("output folder \(folder.path) already holds a run; use --resume \(folder.path) or another --out")
                }
                cfg.out = folder.path
            }
            let target: any TrainingTarget = cfg.group == .SU3 ? try SU3TrainingTarget(cfg) : try U1TrainingTarget(cfg)
            let trainer = Trainer(config: cfg, target: target, folder: folder, resume: resuming, console: console)
            let outcome = try trainer.execute()
            console.info(outcome)
            if trainer.interrupted {
                console.error("interrupted; resume with: l2hmc train --resume \(folder.path)")
                throw ExitCode(130)
            }
        }
    }
}

/// What the training loop needs from a group: chains, the learned sampler's training step, and model files.
protocol TrainingTarget: AnyObject {
    func hotStart()
    /// Plain HMC (leapfrog, ε = 0.1, 10 steps) at β before an era.
    func thermalize(beta: Double, trajectories: Int, threads: Int)
    /// One training step at β: log fields specific to the group, a progress fragment, the optimiser.
    func trainStep(beta: Double, optimizer: any Optimizer, clip: Double) throws
        -> (fields: [String: JSONValue], progress: String, loss: Double, optimizer: any Optimizer)
    var stepSizes: [(x: Double, v: Double)] { get }
    func saveModel(optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws
    /// Replaces the model by the one saved in `dir`; returns its optimiser state.
    func loadModel(_ dir: String) throws -> OptimizerState?
    func linkValues(chain: Int) -> [Double]
    func setLinkValues(chain: Int, _ values: [Double])
    func rng(chain: Int) -> ChainRNG
    func setRNG(chain: Int, _ r: ChainRNG)
}

final class U1TrainingTarget: TrainingTarget {
    let ensemble: U1Ensemble
    let sampler: U1L2HMCSampler

    init(_ config: TrainConfiguration) throws {
        let lattice = try Lattice(shape: config.shape)
        ensemble = try U1Ensemble(lattice: lattice, beta: config.betaInit, chains: config.chains, seed: config.seed)
        let model = try U1LeapfrogModel(config: U1ModelConfig(l0: lattice.shape[0], l1: lattice.shape[1], layers: config.leapfrog,
                                                              hidden: config.hidden, activation: config.activation, xUpdate: config.xUpdate,
                                                              initialStepSize: config.stepSize, headGain: config.headGain, seed: config.seed,
                                                              sharedNetworks: config.sharedNetworks, networks: config.networks))
        sampler = try U1L2HMCSampler(ensemble: ensemble, model: model, threads: config.threads, unitChains: config.unitChains)
        sampler.loss.kind = config.loss
        sampler.loss.chargeWeight = config.chargeWeight
        sampler.loss.plaquetteWeight = config.plaquetteWeight
        sampler.loss.auxWeight = config.auxWeight
    }

    func hotStart() { ensemble.hotStart() }
    func thermalize(beta: Double, trajectories: Int, threads: Int) {
        ensemble.beta = beta
        let hmc = HMCDriver(ensemble: ensemble, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: threads)
        for _ in 0..<trajectories { _ = hmc.trajectory() }
    }
    func trainStep(beta: Double, optimizer: any Optimizer, clip: Double) throws
        -> (fields: [String: JSONValue], progress: String, loss: Double, optimizer: any Optimizer) {
        sampler.beta = beta
        ensemble.beta = beta
        let (rec, o) = try sampler.step(train: optimizer, clip: clip)
        let n = Double(ensemble.chains)
        let fields: [String: JSONValue] = [
            "loss": .double(rec.loss), "accept": .double(rec.accepted.reduce(0, +) / n),
            "accept_prob": .double(rec.acceptanceProbability.reduce(0, +) / n),
            "dQ_sin": .double(rec.dQsin.reduce(0, +) / n), "dQ_int": .double(rec.dQint.reduce(0, +) / n),
            "sum_logdet": .double(rec.logdet.reduce(0, +) / n), "grad_norm": .double(rec.gradientNorm),
        ]
        let progress = String(format: "loss %.4g acc %.3f dQ_sin %.3f dQ_int %.3f", rec.loss, rec.accepted.reduce(0, +) / n,
                              rec.dQsin.reduce(0, +) / n, rec.dQint.reduce(0, +) / n)
        return (fields, progress, rec.loss, o!)
    }
    var stepSizes: [(x: Double, v: Double)] { sampler.model.stepSizes() }
    func saveModel(optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws {
        try ModelFolder.save(sampler.model, optimizer: optimizer, beta: beta, steps: steps, to: dir)
    }
    func loadModel(_ dir: String) throws -> OptimizerState? {
        let loaded = try ModelFolder.load(dir)
        sampler.model = loaded.model
        return loaded.optimizer
    }
    func linkValues(chain: Int) -> [Double] { ensemble.links(chain: chain) }
    func setLinkValues(chain: Int, _ values: [Double]) { ensemble.setLinks(chain: chain, values) }
    func rng(chain: Int) -> ChainRNG { ensemble.rng(chain: chain) }
    func setRNG(chain: Int, _ r: ChainRNG) { ensemble.setRNG(chain: chain, r) }
}

final class SU3TrainingTarget: TrainingTarget {
    let sampler: SU3L2HMCSampler
    let config: TrainConfiguration

    init(_ config: TrainConfiguration) throws {
        self.config = config
        let lattice = try Lattice(shape: config.shape)
        guard let action = SU3GaugeAction(rawValue: config.action.rawValue) else {
            throw ConfigurationError("action = \(config.action.rawValue) is not an SU(3) gauge action")
        }
        let ensemble = try SU3Ensemble(lattice: lattice, beta: config.betaInit, chains: config.chains, seed: config.seed, action: action)
        let model = try SU3LeapfrogModel(config: SU3ModelConfig(layers: config.leapfrog, hidden: config.hidden, activation: config.activation,
                                                                initialStepSize: config.stepSize, headGain: config.headGain, seed: config.seed))
        sampler = try SU3L2HMCSampler(ensemble: ensemble, model: model, threads: config.threads)
        sampler.loss = SU3LossConfig(jumpWeight: config.jumpWeight, plaquetteWeight: config.plaquetteWeight, chargeWeight: config.chargeWeight)
    }

    func hotStart() { sampler.ensemble.hotStart() }
    func thermalize(beta: Double, trajectories: Int, threads: Int) {
        sampler.ensemble.beta = beta
        let hmc = HMCDriver(ensemble: sampler.ensemble, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: threads)
        for _ in 0..<trajectories { _ = hmc.trajectory() }
    }
    func trainStep(beta: Double, optimizer: any Optimizer, clip: Double) throws
        -> (fields: [String: JSONValue], progress: String, loss: Double, optimizer: any Optimizer) {
        sampler.ensemble.beta = beta
        let (rec, o) = try sampler.step(train: optimizer, clip: clip)
        let n = Double(config.chains)
        func mean(_ a: [Double]) -> Double { a.reduce(0, +) / n }
        let fields: [String: JSONValue] = [
            "loss": .double(rec.loss), "accept": .double(mean(rec.accepted)), "accept_prob": .double(mean(rec.acceptanceProbability)),
            "jump": .double(mean(rec.jump)), "dQ_clover": .double(mean(rec.dQ)), "plaquette": .double(mean(rec.observables[0])),
            "sum_logdet": .double(mean(rec.logdet)), "grad_norm": .double(rec.gradientNorm),
        ]
        let progress = String(format: "loss %.4g acc %.3f jump %.4f dQ %.4f P %.4f", rec.loss, mean(rec.accepted), mean(rec.jump),
                              mean(rec.dQ), mean(rec.observables[0]))
        return (fields, progress, rec.loss, o!)
    }
    var stepSizes: [(x: Double, v: Double)] { sampler.model.stepSizes() }
    func saveModel(optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws {
        try ModelFolder.save(sampler.model, optimizer: optimizer, beta: beta, steps: steps, to: dir)
    }
    func loadModel(_ dir: String) throws -> OptimizerState? {
        let loaded = try ModelFolder.loadSU3(dir)
        sampler.model = loaded.model
        return loaded.optimizer
    }
    func linkValues(chain: Int) -> [Double] { sampler.ensemble.linkValues(chain: chain) }
    func setLinkValues(chain: Int, _ values: [Double]) { sampler.ensemble.setLinkValues(chain: chain, values) }
    func rng(chain: Int) -> ChainRNG { sampler.ensemble.rng(chain: chain) }
    func setRNG(chain: Int, _ r: ChainRNG) { sampler.ensemble.setRNG(chain: chain, r) }
}

/// The training loop: eras, HMC thermalisation, steps, log, checkpoints, interrupt and resume.
final class Trainer {
    let config: TrainConfiguration
    let target: any TrainingTarget
    let folder: URL
    let resume: Bool
    let console: Console
    var interrupted = false

    init(config: TrainConfiguration, target: any TrainingTarget, folder: URL, resume: Bool, console: Console) {
        self.config = config; self.target = target; self.folder = folder; self.resume = resume; self.console = console
    }

    var checkpointURL: URL { folder.appendingPathComponent("checkpoint.bin") }

    struct State: Codable { var era: Int; var step: Int; var logLines: Int }

    func makeOptimizer(_ state: OptimizerState?) -> Adam {
        var a = Adam(schedule: config.schedule())
        if let state { a.state = state }
        return a
    }

    func execute() throws -> String {
        var opt: any Optimizer
        var state: State
        let log: JSONLinesAppender
        if resume {
            let archive = try CheckpointArchive.read(from: checkpointURL)
            state = try JSONDecoder().decode(State.self, from: archive.section("state", in: checkpointURL))
            let links = try [Double](littleEndian: archive.section("links", in: checkpointURL))
            let per = links.count / config.chains
            for c in 0..<config.chains { target.setLinkValues(chain: c, Array(links[(c * per)..<((c + 1) * per)])) }
            let rngs = try JSONDecoder().decode([ChainRNG].self, from: archive.section("rng", in: checkpointURL))
            for (c, r) in rngs.enumerated() { target.setRNG(chain: c, r) }
            opt = makeOptimizer(try target.loadModel(folder.appendingPathComponent("model").path))
            log = try JSONLinesAppender(resuming: folder.appendingPathComponent("train/log.jsonl"), lines: state.logLines)
        } else {
            try OutputDirectory.create(folder)
            try OutputDirectory.create(folder.appendingPathComponent("train"))
            try AtomicFile.write(Data(config.yaml().utf8), to: folder.appendingPathComponent("config.yaml"))
            let meta = ["version": L2HMCVersion.string, "seed": String(config.seed), "command_line": CommandLine.arguments.joined(separator: " "),
                        "host": ProcessInfo.processInfo.hostName, "start_time": ISO8601DateFormatter().string(from: Date())]
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys]),
                                 to: folder.appendingPathComponent("meta.json"))
            target.hotStart()
            opt = makeOptimizer(nil)
            state = State(era: 0, step: 0, logLines: 0)
            log = try JSONLinesAppender(creating: folder.appendingPathComponent("train/log.jsonl"))
        }
        Interrupt.install()
        defer { Interrupt.uninstall() }
        // Test hook: raise a real SIGINT after this many training steps of this process.
        let sigintAfter = ProcessInfo.processInfo.environment["L2HMC_TEST_SIGINT_AFTER"].flatMap(Int.init)
        var stepsThisProcess = 0
        var last = ""
        /// Saves the model (latest and, at an era boundary, models/era-<k>) and the checkpoint.
        func save(optimizer opt: any Optimizer) throws {
            let optState = (opt as? Adam)?.state
            if state.step % config.stepsPerEra == 0 {
                try target.saveModel(optimizer: optState, beta: config.betaFinal, steps: state.step,
                                     to: folder.appendingPathComponent("models/era-\(state.era)"))
            }
            try target.saveModel(optimizer: optState, beta: config.betaFinal, steps: state.step, to: folder.appendingPathComponent("model"))
            var links: [Double] = []
            for c in 0..<config.chains { links += target.linkValues(chain: c) }
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            let archive = try CheckpointArchive(sections: [
                (name: "state", data: try enc.encode(state)), (name: "links", data: Data(doubles: links)),
                (name: "rng", data: try enc.encode((0..<config.chains).map { target.rng(chain: $0) })),
            ])
            try archive.write(to: checkpointURL)
        }
        // eras = 0: only the initial model (and a checkpoint, so that --resume --eras K trains from it).
        if config.totalSteps == 0 && !resume { try save(optimizer: opt) }
        while state.step < config.totalSteps {
            let era = state.step / config.stepsPerEra
            if state.step % config.stepsPerEra == 0 {
                // Thermalise with plain HMC at the era's β before the era (not when resuming in the middle of one).
                target.thermalize(beta: config.beta(atStep: state.step), trajectories: config.thermalize, threads: config.threads)
            }
            while state.step < (era + 1) * config.stepsPerEra {
                let beta = config.beta(atStep: state.step)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try target.trainStep(beta: beta, optimizer: opt, clip: config.clip)
                opt = r.optimizer
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
                let eps = target.stepSizes
                var entry = r.fields
                entry["era"] = .int(era); entry["step"] = .int(state.step); entry["beta"] = .double(beta)
                entry["eps_x"] = .string(eps.map { String($0.x) }.joined(separator: ","))
                entry["eps_v"] = .string(eps.map { String($0.v) }.joined(separator: ","))
                entry["seconds"] = .double(seconds)
                entry["lr"] = .double(config.schedule().rate(at: state.step))
                try log.append(entry)
                state.logLines += 1
                state.step += 1
                stepsThisProcess += 1
                last = String(format: "era %d/%d step %d/%d β %.3g ", era + 1, config.eras, state.step, config.totalSteps, beta)
                    + r.progress + String(format: " %.0f ms/step", seconds * 1e3)
                if console.progressEnabled { console.progress(last) }
                if let n = sigintAfter, stepsThisProcess == n { raise(SIGINT) }
                if Interrupt.requested { interrupted = true; break }
            }
            state.era = state.step / config.stepsPerEra
            // Checkpoint at the end of every era, and after the current step when interrupted.
            try log.flush()
            try save(optimizer: opt)
            if interrupted { break }
        }
        console.clearProgress()
        return "trained \(state.step) steps in \(state.era) eras; \(last)\nmodel: \(folder.appendingPathComponent("model").path)"
    }
}
