// RunCommand.swift — `l2hmc run`: sample a gauge theory with HMC and write the run folder.
import ArgumentParser
import Foundation
import L2HMC

public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sample a lattice gauge theory with HMC on many chains; write data, checkpoints and a summary.",
        discussion: """
        Precedence: defaults < --config FILE.yaml < flags < trailing key=value overrides. Keys: \
        \(RunConfiguration.keys.joined(separator: ", ")).

        Output folder (default runs/<group>/<shape>/beta-<β>/<timestamp>/): config.yaml, meta.json, log.jsonl, \
        summary.json, checkpoint.bin and data/*.npy, float64 arrays of shape (trajectories, chains[, …]), valid at every \
        moment: U1 writes plaquette, charge (Q_int), charge_sin, accept, dH; SU3 writes plaquette, polyakov (…, 2), \
        accept, dH and, every --measure-every trajectories, charge (flowed clover Q), flow_t2E and flow_Q (…, flow steps); flow_t.npy; rectangle.npy. With --model: logdet.npy. SIGINT/SIGTERM finish the current trajectory, checkpoint \
        and exit; --resume DIR continues bit-identically.
        """
    )

    @Option(name: .long, help: "Gauge group: U1 (2D U(1)) or SU3 (4D SU(3)). [default: U1]")
    var group: String?
    @Option(name: .long, help: "Lattice extents L0xL1…, e.g. 16x16 or 8x8x8x8. [default: 16x16 (U1), 8x8x8x8 (SU3)]")
    var shape: String?
    @Option(name: .long, help: "Inverse coupling β > 0 (U1: S = βΣ(1 − cos θ_P); SU3: β = 6/g0², S = βΣ(1 − ⅓ Re Tr U_P)). [default: 4.0 (U1), 6.0 (SU3)]")
    var beta: String?
    @Option(name: .long, help: "Number of independent Markov chains (≥ 1). [default: 128 (U1), 8 (SU3)]")
    var chains: String?
    @Option(name: .long, help: "Measured trajectories after thermalization (≥ 0). [default: 2000 (U1), 200 (SU3)]")
    var trajectories: String?
    @Option(name: .long, help: "Thermalization trajectories, not written to data/ (≥ 0). [default: 200 (U1), 50 (SU3)]")
    var thermalization: String?
    @Option(name: .long, help: "MD integrator: leapfrog or omelyan (2MN). [default: leapfrog]")
    var integrator: String?
    @Option(name: .long, help: "MD steps per trajectory (≥ 1). [default: 10 (U1), 12 (SU3)]")
    var steps: String?
    @Option(name: .long, help: "Trajectory length τ in MD time units; ε = τ/steps. [default: 1.0]")
    var tau: String?
    @Option(name: .customLong("step-size"), help: "MD step size ε (overrides τ: τ = steps·ε).")
    var stepSize: String?
    @Option(name: .long, help: "Initial configuration: hot (uniform random links), cold (unit links) or file:PATH (NERSC, ILDG or l2hmc U(1) file, in every chain). [default: hot]")
    var start: String?
    @Option(name: .long, help: "Seed of every random stream (chain c uses stream c). [default: 1]")
    var seed: String?
    @Option(name: .long, help: "Worker threads; results do not depend on it. [default: all cores]")
    var threads: String?
    @Flag(name: .long, help: "Adapt ε during thermalization towards --target-accept, then freeze it.")
    var tune: Bool = false
    @Option(name: .customLong("target-accept"), help: "Target acceptance for --tune, in (0, 1). [default: 0.8]")
    var targetAccept: String?
    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N trajectories (≥ 1). [default: 100]")
    var checkpointEvery: String?
    @Option(name: .long, help: "Output folder. [default: runs/<group>/<shape>/beta-<β>/<timestamp>]")
    var out: String?
    @Option(name: .long, help: "SU3 gauge action: wilson, symanzik (c1 = −1/12), iwasaki (c1 = −0.331) or dbw2 (c1 = −1.4088); the flow stays Wilson. [default: wilson]")
    var action: String?
    @Option(name: .customLong("flow-time"), help: "SU3: Wilson-flow time t/a² of the recorded clover charge (≥ 0). [default: 1.0]")
    var flowTime: String?
    @Option(name: .customLong("flow-step"), help: "SU3: RK3 flow step ε/a² in (0, 1]. [default: 0.02]")
    var flowStep: String?
    @Option(name: .customLong("measure-every"), help: "SU3: flow measurement every N measured trajectories (≥ 1). [default: 10]")
    var measureEvery: String?
    @Option(name: .long, help: "Sample with a trained L2HMC model of the same group (a model folder or a training run folder) instead of HMC.")
    var model: String?
    @Option(name: .customLong("save-every"), help: "Save configurations every N measured trajectories into configs/ (0: never). [default: 0]")
    var saveEvery: String?
    @Option(name: .customLong("save-format"), help: "nersc, nersc-2row, ildg (SU3) or u1 (U1). [default: nersc (SU3), u1 (U1)]")
    var saveFormat: String?
    @Option(name: .customLong("save-chains"), help: "Chains whose configurations are saved, e.g. 0,3. [default: 0]")
    var saveChains: String?
    @Option(name: .long, help: "YAML file of key: value settings (same keys as the overrides).")
    var config: String?
    @Option(name: .long, help: "Continue the run in this folder from its last checkpoint (same physics settings).")
    var resume: String?
    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet: Bool = false
    @Flag(name: .long, help: "Print the summary as JSON on stdout instead of a table.")
    var json: Bool = false
    @Argument(help: "Overrides key=value, e.g. beta=3.0 chains=128.")
    var overrides: [String] = []

    public init() {}

    /// The explicit flags as key/value pairs (only those given).
    var explicitSettings: [(String, String)] {
        var s: [(String, String)] = []
        func add(_ k: String, _ v: String?) { if let v { s.append((k, v)) } }
        add("group", group); add("shape", shape); add("beta", beta); add("chains", chains)
        add("trajectories", trajectories); add("thermalization", thermalization); add("integrator", integrator)
        add("steps", steps); add("tau", tau); add("step_size", stepSize); add("start", start); add("seed", seed)
        add("threads", threads); if tune { s.append(("tune", "true")) }
        add("target_accept", targetAccept); add("checkpoint_every", checkpointEvery); add("out", out)
        add("action", action); add("flow_time", flowTime); add("flow_step", flowStep); add("measure_every", measureEvery); add("model", model)
        add("save_every", saveEvery); add("save_format", saveFormat); add("save_chains", saveChains)
        return s
    }

    /// Resolves the configuration (without the resume comparison).
    func resolve(base: RunConfiguration = RunConfiguration()) throws -> RunConfiguration {
        var c = base
        if let path = config { try c.apply(configFile: path) }
        for (k, v) in explicitSettings { try c.set(k, v) }
        try c.apply(overrides: overrides)
        c.applyGroupDefaults()
        try c.validate()
        return c
    }

    public func run() throws {
        let console = Console(quiet: quiet)
        try console.reportingErrors {
            let outcome = try RunCommand.execute(self, console: console)
            if json {
                console.out(outcome.summaryJSON)
            } else {
                console.info(outcome.table)
            }
            if outcome.interrupted {
                console.error("interrupted: \(outcome.message); resume with: l2hmc run --resume \(outcome.folder.path)")
                throw ExitCode(130)
            }
        }
    }

    static func execute(_ cmd: RunCommand, console: Console) throws -> RunOutcome {
        var cfg: RunConfiguration
        var folder: URL
        var resuming = false
        if let dir = cmd.resume {
            folder = URL(fileURLWithPath: dir)
            let cfgURL = folder.appendingPathComponent("config.yaml")
            guard let data = FileManager.default.contents(atPath: cfgURL.path),
                  let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("--resume \(dir): no readable config.yaml in that folder (is it a run folder?)")
            }
            var stored = RunConfiguration()
            try stored.apply(yaml: text, source: cfgURL.path)
            let requested = try cmd.resolve(base: stored)
            let a = stored.physicsValues(), b = requested.physicsValues()
            for key in a.keys.sorted() where a[key] != b[key] {
                throw ConfigurationError("--resume \(dir): \(key) = \(b[key] ?? "nil") differs from the run's \(key) = \(a[key] ?? "nil"); only trajectories, threads, checkpoint_every may change on resume")
            }
            cfg = requested
            cfg.out = stored.out
            resuming = true
        } else {
            cfg = try cmd.resolve()
            folder = URL(fileURLWithPath: cfg.out ?? RunCommand.defaultFolder(cfg))
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.yaml").path) {
                throw ConfigurationError("output folder \(folder.path) already holds a run; use --resume \(folder.path) or another --out")
            }
            cfg.out = folder.path
        }
        let progress = console.progressEnabled ? console : nil
        switch cfg.group {
        case .U1:
            return try HMCRun(theory: U1Theory(config: cfg), config: cfg, folder: folder, resume: resuming,
                              commandLine: CommandLine.arguments).execute(progress: progress)
        case .SU3:
            return try HMCRun(theory: SU3Theory(config: cfg), config: cfg, folder: folder, resume: resuming,
                              commandLine: CommandLine.arguments).execute(progress: progress)
        }
    }

    static func defaultFolder(_ c: RunConfiguration) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/\(c.group.rawValue)/\(Lattice.format(c.shape))/beta-\(c.beta)/\(f.string(from: Date()))"
    }
}
