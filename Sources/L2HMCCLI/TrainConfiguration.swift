// TrainConfiguration.swift — the fully resolved configuration of `l2hmc train` (same precedence rules as
// `l2hmc run`: defaults < --config FILE.yaml < flags < key=value overrides; unknown keys are errors).
import Foundation
import L2HMC

public struct TrainConfiguration: Sendable, Equatable, KeyValueSettings {
    public var group: GaugeGroupName = .U1
    public var shape: [Int] = [8, 8]
    public var betaInit: Double = 2.0
    public var betaFinal: Double = 4.0
    /// era: β constant within an era, linear in the era index from β_init to β_final; geometric: per step.
    public var betaSchedule: String = "era"
    public var eras: Int = 5
    public var stepsPerEra: Int = 100
    public var chains: Int = 64
    public var leapfrog: Int = 4
    public var hidden: [Int] = [16, 16, 16, 16]
    public var activation: String = "swish"
    public var sharedNetworks: Bool = false
    /// false ("networks off"): leapfrog layers without networks, plain HMC when every ε is equal; training then
    /// learns only the per-layer step sizes.
    public var networks: Bool = true
    public var xUpdate: XUpdateKind = .ncp
    public var stepSize: Double = 0.1
    public var headGain: Double = 1e-3
    public var lr: Double = 1e-3
    public var lrSchedule: String = "constant"   // constant | exponential | cosine
    public var warmup: Int = 0
    public var clip: Double = 10
    public var loss: ChargeLossKind = .mixed
    public var chargeWeight: Double = 0.01
    public var plaquetteWeight: Double = 0
    public var auxWeight: Double = 0
    /// SU3: weight w_J of the squared link jump (SU3L2HMCSampler.swift).
    public var jumpWeight: Double = 1
    /// SU3: gauge action of the training ensemble (wilson, symanzik, iwasaki, dbw2).
    public var action: GaugeActionName = .wilson
    public var thermalize: Int = 50
    public var unitChains: Int = 64
    public var seed: UInt64 = 1
    public var threads: Int = RunConfiguration.defaultThreads
    public var out: String? = nil

    /// Keys that were set explicitly (from a file, a flag or an override); the others take the group's defaults.
    public var explicitKeys: Set<String> = []

    public init() {}

    /// Defaults that depend on the group, for keys not set explicitly. U1: 8x8, β 2 → 4, 64 chains, hidden
    /// 16×4. SU3 (the peer's SU(3) defaults): 4x4x4x4, β 5 → 6, 8 chains, 4 layers, local networks 16,16,
    /// 20 HMC thermalisation trajectories per era, charge weight 0 (jump loss only).
    public mutating func applyGroupDefaults() {
        guard group == .SU3 else { return }
        if !explicitKeys.contains("shape") { shape = [4, 4, 4, 4] }
        if !explicitKeys.contains("beta_init") { betaInit = 5.0 }
        if !explicitKeys.contains("beta_final") { betaFinal = 6.0 }
        if !explicitKeys.contains("chains") { chains = 8 }
        if !explicitKeys.contains("hidden") { hidden = [16, 16] }
        if !explicitKeys.contains("thermalize") { thermalize = 20 }
        if !explicitKeys.contains("charge_weight") { chargeWeight = 0 }
        if !explicitKeys.contains("steps_per_era") { stepsPerEra = 50 }
        if !explicitKeys.contains("eras") { eras = 2 }
    }

    public static let keys = ["group", "shape", "beta_init", "beta_final", "beta_schedule", "eras", "steps_per_era", "chains",
                              "leapfrog", "hidden", "activation", "shared_networks", "networks", "x_update", "step_size", "head_gain", "lr", "lr_schedule",
                              "warmup", "clip", "loss", "charge_weight", "plaquette_weight", "aux_weight", "jump_weight", "action", "thermalize",
                              "unit_chains", "seed", "threads", "out"]

    /// Keys that may change on --resume (the rest must match the stored run).
    public static let resumableKeys: Set<String> = ["threads", "eras", "out"]

    public var totalSteps: Int { eras * stepsPerEra }

    /// β at global training step i (0-based).
    public func beta(atStep i: Int) -> Double {
        if betaSchedule == "geometric" {
            let f = totalSteps > 1 ? Double(i) / Double(totalSteps - 1) : 1
            return betaInit * Foundation.pow(betaFinal / betaInit, f)
        }
        let era = i / stepsPerEra
        return eras > 1 ? betaInit + (betaFinal - betaInit) * Double(era) / Double(eras - 1) : betaFinal
    }

    public func schedule() -> LearningRateSchedule {
        switch lrSchedule {
        case "exponential": return LearningRateSchedule(base: lr, warmupSteps: warmup, decay: .exponential(rate: 0.5, every: max(totalSteps / 4, 1)))
        case "cosine": return LearningRateSchedule(base: lr, warmupSteps: warmup, decay: .cosine(steps: totalSteps, floor: lr * 0.01))
        default: return LearningRateSchedule(base: lr, warmupSteps: warmup)
        }
    }

    public mutating func set(_ key: String, _ rawValue: String) throws {
        defer { explicitKeys.insert(key) }
        let value = rawValue.trimmingCharacters(in: .whitespaces)
        func bad(_ allowed: String) -> ConfigurationError { ConfigurationError("\(key) = '\(rawValue)' is not allowed; \(allowed)") }
        func int(_ min: Int, _ what: String) throws -> Int { guard let v = Int(value), v >= min else { throw bad(what) }; return v }
        func double(_ what: String, _ ok: (Double) -> Bool) throws -> Double {
            guard let v = Double(value), v.isFinite, ok(v) else { throw bad(what) }; return v
        }
        switch key {
        case "group":
            guard let g = GaugeGroupName.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                throw bad("allowed groups: U1, SU3")
            }
            group = g
        case "shape":
            do { shape = try Lattice(parsing: value).shape } catch let e as ConfigurationError {
                throw ConfigurationError("shape = '\(rawValue)': \(e.description)")
            }
        case "beta_init": betaInit = try double("β must be a finite number > 0") { $0 > 0 }
        case "beta_final": betaFinal = try double("β must be a finite number > 0") { $0 > 0 }
        case "beta_schedule":
            guard ["era", "geometric"].contains(value) else { throw bad("allowed: era, geometric") }
            betaSchedule = value
        case "eras": eras = try int(0, "need an integer ≥ 0 (0: write the initial model without training)")
        case "steps_per_era": stepsPerEra = try int(1, "need an integer ≥ 1")
        case "chains":
            let c = try int(8, "need a multiple of 8, at least 8")
            guard c % 8 == 0 else { throw bad("need a multiple of 8, at least 8 (chains fill SIMD blocks of 8)") }
            chains = c
        case "leapfrog": leapfrog = try int(1, "need an integer ≥ 1 (leapfrog layers)")
        case "hidden":
            let parts = value.split(whereSeparator: { $0 == "," || $0 == "x" || $0 == " " }).map { Int($0) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 1 }) else { throw bad("need widths like 16,16,16,16") }
            hidden = parts.map { $0! }
        case "activation":
            guard Activation.names.contains(value) else { throw bad("allowed: \(Activation.names.joined(separator: ", "))") }
            activation = value
        case "shared_networks":
            switch value.lowercased() {
            case "true", "yes", "1": sharedNetworks = true
            case "false", "no", "0": sharedNetworks = false
            default: throw bad("need true or false")
            }
        case "networks":
            switch value.lowercased() {
            case "on", "true", "yes", "1": networks = true
            case "off", "false", "no", "0": networks = false
            default: throw bad("allowed: on, off")
            }
        case "x_update":
            guard let k = XUpdateKind(rawValue: value.lowercased()) else { throw bad("allowed: linear, ncp") }
            xUpdate = k
        case "step_size": stepSize = try double("ε must be a finite number > 0") { $0 > 0 }
        case "head_gain": headGain = try double("need a number ≥ 0") { $0 >= 0 }
        case "lr": lr = try double("need a learning rate > 0") { $0 > 0 }
        case "lr_schedule":
            guard ["constant", "exponential", "cosine"].contains(value) else { throw bad("allowed: constant, exponential, cosine") }
            lrSchedule = value
        case "warmup": warmup = try int(0, "need an integer ≥ 0")
        case "clip": clip = try double("need a number ≥ 0 (0: no clipping)") { $0 >= 0 }
        case "loss":
            guard let k = ChargeLossKind(rawValue: value.lowercased()) else { throw bad("allowed: mixed, plain") }
            loss = k
        case "charge_weight": chargeWeight = try double("need a number ≥ 0 (U1: > 0)") { $0 >= 0 }
        case "jump_weight": jumpWeight = try double("need a number ≥ 0") { $0 >= 0 }
        case "action":
            guard let a = GaugeActionName(rawValue: value.lowercased()) else {
                throw bad("allowed: \(GaugeActionName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            action = a
        case "plaquette_weight": plaquetteWeight = try double("need a number ≥ 0") { $0 >= 0 }
        case "aux_weight": auxWeight = try double("need a number ≥ 0") { $0 >= 0 }
        case "thermalize": thermalize = try int(0, "need an integer ≥ 0 (HMC trajectories before each era)")
        case "unit_chains":
            let u = try int(8, "need a multiple of 8, at least 8")
            guard u % 8 == 0 else { throw bad("need a multiple of 8") }
            unitChains = u
        case "seed": guard let s = UInt64(value) else { throw bad("need an integer in 0…\(UInt64.max)") }; seed = s
        case "threads": threads = try int(1, "need an integer ≥ 1")
        case "out": out = value.isEmpty || value == "null" ? nil : value
        default:
            throw ConfigurationError("unknown key '\(key)'; allowed keys: \(TrainConfiguration.keys.joined(separator: ", "))")
        }
    }

    public func validate() throws {
        let lat = try Lattice(shape: shape)
        if group == .SU3 {
            _ = try SU3LinkGeometry(lattice: lat)   // 4D, even extents
            guard lat.volume <= 16 * 16 * 16 * 16 else {
                throw ConfigurationError("shape = \(lat.description): SU3 training supports lattices up to 16x16x16x16")
            }
            let u1Only: [(String, Bool)] = [("shared_networks", sharedNetworks), ("networks", !networks), ("aux_weight", auxWeight != 0),
                                            ("x_update", xUpdate != .ncp), ("loss", loss != .mixed)]
            for (k, set) in u1Only where set {
                throw ConfigurationError("\(k) is a U1 setting; SU3 models use local gauge-covariant networks and the loss −A·[jump_weight·J + plaquette_weight·ΔP² + charge_weight·ΔQ²]")
            }
            guard jumpWeight > 0 || plaquetteWeight > 0 || chargeWeight > 0 else {
                throw ConfigurationError("jump_weight, plaquette_weight and charge_weight are all 0: the SU3 loss would be zero")
            }
            return
        }
        guard action == .wilson else { throw ConfigurationError("action = \(action.rawValue) applies to SU3 only; U1 uses the Wilson action") }
        guard chargeWeight > 0 else { throw ConfigurationError("charge_weight = \(chargeWeight) is not allowed for U1; need a number > 0") }
        guard lat.dimensions == 2, lat.shape.allSatisfy({ $0 >= 2 }) else {
            throw ConfigurationError("shape = \(lat.description): U1 training needs a 2-dimensional shape with extents ≥ 2")
        }
        guard lat.volume <= 64 * 64 else {
            throw ConfigurationError("shape = \(lat.description): training supports lattices up to 64x64 (the networks see every link)")
        }
    }

    public func yaml() -> String {
        var l = ["# l2hmc train — fully resolved configuration"]
        l.append("group: \(group.rawValue)"); l.append("shape: \(Lattice.format(shape))")
        l.append("beta_init: \(betaInit)"); l.append("beta_final: \(betaFinal)"); l.append("beta_schedule: \(betaSchedule)")
        l.append("eras: \(eras)"); l.append("steps_per_era: \(stepsPerEra)"); l.append("chains: \(chains)")
        l.append("leapfrog: \(leapfrog)"); l.append("hidden: \(hidden.map(String.init).joined(separator: ","))")
        l.append("activation: \(activation)"); l.append("shared_networks: \(sharedNetworks)")
        l.append("networks: \(networks ? "on" : "off")"); l.append("x_update: \(xUpdate.rawValue)"); l.append("step_size: \(stepSize)")
        l.append("head_gain: \(headGain)"); l.append("lr: \(lr)"); l.append("lr_schedule: \(lrSchedule)"); l.append("warmup: \(warmup)")
        l.append("clip: \(clip)"); l.append("loss: \(loss.rawValue)"); l.append("charge_weight: \(chargeWeight)")
        l.append("plaquette_weight: \(plaquetteWeight)"); l.append("aux_weight: \(auxWeight)"); l.append("jump_weight: \(jumpWeight)")
        l.append("action: \(action.rawValue)")
        l.append("thermalize: \(thermalize)")
        l.append("unit_chains: \(unitChains)"); l.append("seed: \(seed)"); l.append("threads: \(threads)"); l.append("out: \(out ?? "null")")
        return l.joined(separator: "\n") + "\n"
    }

    func values() -> [String: String] {
        var d: [String: String] = [:]
        for line in yaml().split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { d[parts[0]] = parts[1] }
        }
        return d
    }
}
