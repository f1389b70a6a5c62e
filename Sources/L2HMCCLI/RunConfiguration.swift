// RunConfiguration.swift — the fully resolved configuration of `l2hmc run`, and how it is assembled.
//
// Precedence, lowest to highest: built-in defaults < `--config FILE.yaml` < explicit command-line flags <
// trailing `key=value` overrides. A YAML file and the overrides use the same keys (snake_case, listed in
// `RunConfiguration.keys`); an unknown key is an error that lists the allowed ones. The resolved configuration is
// written to the run folder as config.yaml and is what `--resume` compares against.
import Foundation
import L2HMC

public enum GaugeGroupName: String, Codable, Sendable, CaseIterable {
    case U1
    case SU3
}

/// SU(3) gauge action: Wilson, or rectangle-improved with c1 = −1/12 (tree-level Symanzik), −0.331 (Iwasaki),
/// −1.4088 (DBW2); see Sources/SU3/SU3Action.swift.
public enum GaugeActionName: String, Codable, Sendable, CaseIterable {
    case wilson
    case symanzik
    case iwasaki
    case dbw2
}

public enum StartKind: String, Codable, Sendable, CaseIterable {
    case hot, cold
}

public struct RunConfiguration: Codable, Sendable, Equatable, KeyValueSettings {
    public var group: GaugeGroupName = .U1
    public var shape: [Int] = [16, 16]
    public var beta: Double = 4.0
    public var chains: Int = 128
    public var trajectories: Int = 2000
    public var thermalization: Int = 200
    public var integrator: IntegratorKind = .leapfrog
    public var steps: Int = 10
    /// Trajectory length τ (MD time units); used when `step_size` is not given: ε = τ / steps.
    public var tau: Double = 1.0
    /// Leapfrog step ε (MD time units); nil means τ / steps.
    public var stepSize: Double? = nil
    public var start: StartKind = .hot
    public var seed: UInt64 = 1
    public var threads: Int = RunConfiguration.defaultThreads
    /// Adapt ε during thermalization towards `target_accept` (then frozen).
    public var tune: Bool = false
    public var targetAccept: Double = 0.8
    /// Write a checkpoint every this many trajectories (and always at the end or on interruption).
    public var checkpointEvery: Int = 100
    /// Output folder; nil means runs/<group>/<shape>/beta-<β>/<timestamp>/.
    public var out: String? = nil
    /// Gauge action (SU(3)): wilson, symanzik, iwasaki or dbw2.
    public var action: GaugeActionName = .wilson
    /// SU(3): Wilson-flow time t (units of a²) at which the clover charge is recorded, the RK3 step, and the
    /// period (in measured trajectories) of the flow measurement.
    public var flowTime: Double = 1.0
    public var flowStep: Double = 0.02
    public var measureEvery: Int = 10

    /// Start from a gauge configuration file (NERSC, ILDG or l2hmc U(1)) in every chain: `start: file:PATH`.
    public var startFile: String? = nil
    /// Save configurations every this many measured trajectories (0: never), of chains `save_chains`, as `save_format`.
    public var saveEvery: Int = 0
    public var saveFormat: String? = nil
    public var saveChains: [Int] = [0]

    /// A trained L2HMC model (folder) to sample with instead of HMC (U1 or SU3, matching `group`); nil: HMC.
    public var model: String? = nil

    /// Keys that were set explicitly (from a file, a flag or an override); the others take the group's defaults.
    public var explicitKeys: Set<String> = []

    public init() {}

    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case group, shape, beta, chains, trajectories, thermalization, integrator, steps, tau
        case stepSize = "step_size", start, seed, threads, tune
        case targetAccept = "target_accept", checkpointEvery = "checkpoint_every", out
        case action, flowTime = "flow_time", flowStep = "flow_step", measureEvery = "measure_every", model
        case saveEvery = "save_every", saveFormat = "save_format", saveChains = "save_chains"
    }

    /// All keys accepted in a config file or as key=value.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Keys whose change alters the Markov chain (compared on --resume). `trajectories`, `threads`, `out` and
    /// `checkpoint_every` may differ on resume.
    public static let physicsKeys: Set<String> = [
        "group", "shape", "beta", "chains", "thermalization", "integrator", "steps", "tau", "step_size",
        "start", "seed", "tune", "target_accept", "action", "flow_time", "flow_step", "measure_every", "model",
    ]

    /// Defaults that depend on the group, for keys not set explicitly: U1 16x16 at β = 4 (128 chains × 2000),
    /// SU3 8x8x8x8 at β = 6 (8 chains × 200, leapfrog 12 steps, τ = 1).
    public mutating func applyGroupDefaults() {
        guard group == .SU3 else { return }
        if !explicitKeys.contains("shape") { shape = [8, 8, 8, 8] }
        if !explicitKeys.contains("beta") { beta = 6.0 }
        if !explicitKeys.contains("chains") { chains = 8 }
        if !explicitKeys.contains("trajectories") { trajectories = 200 }
        if !explicitKeys.contains("thermalization") { thermalization = 50 }
        if !explicitKeys.contains("steps") { steps = 12 }
    }

    public var lattice: Lattice { get throws { try Lattice(shape: shape) } }

    /// The initial step size ε.
    public var initialStepSize: Double { stepSize ?? tau / Double(steps) }

    // MARK: setting keys from text

    /// Sets one key from its textual value (YAML scalar or the right side of key=value).
    public mutating func set(_ key: String, _ rawValue: String) throws {
        defer { explicitKeys.insert(key) }
        let value = rawValue.trimmingCharacters(in: .whitespaces)
        func bad(_ allowed: String) -> ConfigurationError {
            ConfigurationError("\(key) = '\(rawValue)' is not allowed; \(allowed)")
        }
        func int(_ min: Int, _ what: String) throws -> Int {
            guard let v = Int(value), v >= min else { throw bad(what) }
            return v
        }
        func double(_ what: String, _ ok: (Double) -> Bool) throws -> Double {
            guard let v = Double(value), v.isFinite, ok(v) else { throw bad(what) }
            return v
        }
        switch key {
        case "group":
            guard let g = GaugeGroupName.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                throw bad("allowed groups: \(GaugeGroupName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            group = g
        case "shape":
            do { shape = try Lattice(parsing: value).shape } catch let e as ConfigurationError {
                throw ConfigurationError("shape = '\(rawValue)': \(e.description)")
            }
        case "beta": beta = try double("β must be a finite number > 0") { $0 > 0 }
        case "chains": chains = try int(1, "need an integer ≥ 1")
        case "trajectories": trajectories = try int(0, "need an integer ≥ 0")
        case "thermalization": thermalization = try int(0, "need an integer ≥ 0")
        case "integrator":
            guard let k = IntegratorKind(rawValue: value.lowercased()) else {
                throw bad("allowed integrators: \(IntegratorKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            integrator = k
        case "steps": steps = try int(1, "need an integer number of MD steps ≥ 1")
        case "tau": tau = try double("τ must be a finite number > 0") { $0 > 0 }
        case "step_size":
            if value.lowercased() == "null" || value.isEmpty { stepSize = nil } else {
                stepSize = try double("ε must be a finite number > 0") { $0 > 0 }
            }
        case "start":
            if value.hasPrefix("file:") {
                let path = String(value.dropFirst(5))
                guard !path.isEmpty else { throw bad("file: needs a path, e.g. file:conf.nersc") }
                startFile = path
                start = .cold
            } else {
                guard let s = StartKind(rawValue: value.lowercased()) else { throw bad("allowed: hot, cold, file:PATH") }
                start = s
                startFile = nil
            }
        case "save_every": saveEvery = try int(0, "need an integer ≥ 0 (0: never)")
        case "save_format":
            if value == "null" || value.isEmpty { saveFormat = nil } else {
                guard GaugeFileFormat(rawValue: value.lowercased()) != nil else {
                    throw bad("allowed formats: \(GaugeFileFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                saveFormat = value.lowercased()
            }
        case "save_chains":
            let parts = value.split(whereSeparator: { $0 == "," || $0 == " " }).map { Int($0) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw bad("need chain indices like 0,1,5") }
            saveChains = parts.map { $0! }
        case "seed":
            guard let s = UInt64(value) else { throw bad("need an integer in 0…\(UInt64.max)") }
            seed = s
        case "threads": threads = try int(1, "need an integer ≥ 1")
        case "tune":
            switch value.lowercased() {
            case "true", "yes", "on", "1": tune = true
            case "false", "no", "off", "0": tune = false
            default: throw bad("need true or false")
            }
        case "target_accept": targetAccept = try double("need a number in (0, 1)") { $0 > 0 && $0 < 1 }
        case "checkpoint_every": checkpointEvery = try int(1, "need an integer ≥ 1")
        case "out": out = value.isEmpty || value == "null" ? nil : value
        case "action":
            guard let a = GaugeActionName(rawValue: value.lowercased()) else {
                throw bad("allowed actions: \(GaugeActionName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            action = a
        case "flow_time": flowTime = try double("need a flow time t ≥ 0 (units of a²)") { $0 >= 0 }
        case "flow_step": flowStep = try double("need a flow step ε > 0 (units of a²)") { $0 > 0 && $0 <= 1 }
        case "measure_every": measureEvery = try int(1, "need an integer ≥ 1 (measured trajectories)")
        case "model": model = value.isEmpty || value == "null" ? nil : value
        default:
            throw ConfigurationError("unknown key '\(key)'; allowed keys: \(RunConfiguration.keys.joined(separator: ", "))")
        }
    }

    /// Cross-key checks.
    public func validate() throws {
        let lat = try lattice
        let (dimensions, example, need) = group == .U1
            ? (2, "16x16", U1Ensemble.memoryRequirement(lattice: lat, chains: chains))
            : (4, "8x8x8x8", SU3Ensemble.memoryRequirement(lattice: lat, chains: chains))
        guard lat.dimensions == dimensions else {
            throw ConfigurationError("shape = \(lat.description): group \(group.rawValue) needs a \(dimensions)-dimensional shape such as \(example)")
        }
        guard lat.shape.allSatisfy({ $0 >= 2 }) else {
            throw ConfigurationError("shape = \(lat.description): every extent must be ≥ 2")
        }
        let have = Int(ProcessInfo.processInfo.physicalMemory)
        if need > have * 3 / 4 {
            throw ConfigurationError("shape = \(lat.description) with chains = \(chains) needs \(need / (1 << 20)) MiB, more than 75 % of this machine's \(have / (1 << 20)) MiB; use a smaller lattice or fewer chains")
        }
        if let bad = saveChains.first(where: { $0 >= chains }) {
            throw ConfigurationError("save_chains contains chain \(bad); allowed chains: 0…\(chains - 1)")
        }
        if let f = saveFormat.flatMap(GaugeFileFormat.init(rawValue:)) {
            if (group == .U1) != (f == .u1) {
                throw ConfigurationError("save_format = \(f.rawValue) does not fit group \(group.rawValue); use \(group == .U1 ? "u1" : "nersc, nersc-2row or ildg")")
            }
        }
        if let path = startFile {
            let contents: GaugeFileContents
            do { contents = try GaugeFile.read(URL(fileURLWithPath: path), verify: true) } catch let e as LatticeIOError {
                throw ConfigurationError("start = file:\(path): \(e.description)")
            }
            let cfgGroup: GaugeGroup = group == .U1 ? .u1 : .su3
            guard contents.configuration.group == cfgGroup, contents.configuration.shape == lat.shape else {
                throw ConfigurationError("start = file:\(path) holds a \(contents.configuration.group.rawValue) configuration of shape \(Lattice.format(contents.configuration.shape)); the run is \(group.rawValue) on \(lat.description)")
            }
        }
        if model != nil {
            if group == .SU3 {
                _ = try SU3LinkGeometry(lattice: lat)   // 4D with even extents (links are updated by site parity)
            }
            guard chains % 8 == 0 else {
                throw ConfigurationError("chains = \(chains) is not allowed with --model; L2HMC needs a positive multiple of 8")
            }
        }
        if group == .U1 && action != .wilson {
            throw ConfigurationError("action = \(action.rawValue) applies to SU3 only; U1 uses the Wilson action")
        }
    }

    // MARK: YAML

    /// The configuration as YAML (every key, resolved).
    public func yaml() -> String {
        var lines = ["# l2hmc run — fully resolved configuration"]
        lines.append("group: \(group.rawValue)")
        lines.append("shape: \(Lattice.format(shape))")
        lines.append("beta: \(beta)")
        lines.append("chains: \(chains)")
        lines.append("trajectories: \(trajectories)")
        lines.append("thermalization: \(thermalization)")
        lines.append("integrator: \(integrator.rawValue)")
        lines.append("steps: \(steps)")
        lines.append("tau: \(tau)")
        lines.append("step_size: \(stepSize.map { "\($0)" } ?? "null")")
        lines.append("start: \(startFile.map { "file:" + $0 } ?? start.rawValue)")
        lines.append("seed: \(seed)")
        lines.append("threads: \(threads)")
        lines.append("tune: \(tune)")
        lines.append("target_accept: \(targetAccept)")
        lines.append("checkpoint_every: \(checkpointEvery)")
        lines.append("out: \(out ?? "null")")
        lines.append("action: \(action.rawValue)")
        lines.append("flow_time: \(flowTime)")
        lines.append("flow_step: \(flowStep)")
        lines.append("measure_every: \(measureEvery)")
        lines.append("model: \(model ?? "null")")
        lines.append("save_every: \(saveEvery)")
        lines.append("save_format: \(saveFormat ?? "null")")
        lines.append("save_chains: \(saveChains.map(String.init).joined(separator: ","))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Values of the physics keys, for the resume comparison.
    func physicsValues() -> [String: String] {
        var d: [String: String] = [:]
        for line in yaml().split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, RunConfiguration.physicsKeys.contains(parts[0]) { d[parts[0]] = parts[1] }
        }
        return d
    }
}
