// Optimizers.swift — learning-rate schedules, SGD (with momentum), Adam and AdamW, over `ParameterSet`s.
//
// Conventions:
//   * `step` counts completed updates; the schedule is evaluated at the current step before incrementing.
//   * Schedule: linear warm-up lr·(t+1)/W for t < W, then decay in t' = t − W:
//       exponential: lr·rate^(t'/every);  cosine: floor + (lr − floor)·½(1 + cos(π·min(t', T)/T)).
//   * SGD: v ← μ v + g, θ ← θ − η v (μ = 0: plain SGD).
//   * Adam (Kingma & Ba 2015) with bias correction: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
//     θ ← θ − η [m̂/(√v̂ + ε) + λθ]; λ > 0 is AdamW's decoupled weight decay (Loshchilov & Hutter 2019).
//   * The optimiser state (step and slot ParameterSets "velocity" or "m", "v") is a value (`OptimizerState`)
//     saved by Persistence.swift. Gradient clipping: `ParameterSet.clipGlobalNorm(to:)` (Layers.swift).
// REFERENCE §4: Adam, lr ~1e-3, optional global-norm clipping.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learning rate as a function of the step.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        case none
        case exponential(rate: Double, every: Int)
        case cosine(steps: Int, floor: Double)
    }
    public var base: Double
    public var warmupSteps: Int
    public var decay: Decay

    public init(base: Double, warmupSteps: Int = 0, decay: Decay = .none) {
        self.base = base; self.warmupSteps = warmupSteps; self.decay = decay
    }

    public static func constant(_ lr: Double) -> LearningRateSchedule { LearningRateSchedule(base: lr) }

    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let t = Double(step - warmupSteps)
        switch decay {
        case .none: return base
        case .exponential(let r, let every): return base * pow(r, t / Double(max(every, 1)))
        case .cosine(let steps, let floor):
            let T = Double(max(steps, 1))
            return floor + (base - floor) * 0.5 * (1 + cos(Double.pi * min(t, T) / T))
        }
    }
}

/// The mutable state of an optimiser.
public struct OptimizerState: Sendable, Equatable {
    /// "sgd" or "adam".
    public var kind: String
    public var step: Int
    /// Named slot sets ("velocity"; "m", "v"), each of the parameters' layout.
    public var slots: [(name: String, values: ParameterSet)]

    public init(kind: String, step: Int = 0, slots: [(name: String, values: ParameterSet)] = []) {
        self.kind = kind; self.step = step; self.slots = slots
    }

    public static func == (a: OptimizerState, b: OptimizerState) -> Bool {
        a.kind == b.kind && a.step == b.step && a.slots.count == b.slots.count
            && zip(a.slots, b.slots).allSatisfy { $0.name == $1.name && $0.values == $1.values }
    }

    func slot(_ name: String) -> Int? { slots.firstIndex { $0.name == name } }
}

/// A gradient-based optimiser.
public protocol Optimizer: Sendable {
    var state: OptimizerState { get set }
    /// Applies one update to `parameters` with `gradients` (same layout, else throws).
    mutating func update(_ parameters: inout ParameterSet, with gradients: ParameterSet) throws
}

/// Stochastic gradient descent with optional momentum.
public struct SGD: Optimizer {
    public var schedule: LearningRateSchedule
    public var momentum: Double
    public var state = OptimizerState(kind: "sgd")

    public init(schedule: LearningRateSchedule, momentum: Double = 0) {
        self.schedule = schedule; self.momentum = momentum
    }

    public mutating func update(_ p: inout ParameterSet, with g: ParameterSet) throws {
        try p.checkLayout(g, "SGD.update")
        guard state.kind == "sgd" else { throw AutodiffError("SGD.update: optimiser state is of kind '\(state.kind)'") }
        let lr = schedule.rate(at: state.step)
        if momentum == 0 {
            for i in 0..<p.count {
                let gs = g.tensor(at: i).scalars
                p.withScalars(at: i) { x in for j in 0..<x.count { x[j] -= lr * gs[j] } }
            }
        } else {
            if state.slot("velocity") == nil { state.slots.append(("velocity", p.filled(with: 0))) }
            let s = state.slot("velocity")!
            try state.slots[s].values.checkLayout(p, "SGD.update (velocity)")
            for i in 0..<p.count {
                let gs = g.tensor(at: i).scalars
                let mu = momentum
                let v: [Double] = state.slots[s].values.withScalars(at: i) { v in
                    for j in 0..<v.count { v[j] = mu * v[j] + gs[j] }
                    return v
                }
                p.withScalars(at: i) { x in for j in 0..<x.count { x[j] -= lr * v[j] } }
            }
        }
        state.step += 1
    }
}

/// Adam; with `weightDecay` > 0 it is AdamW (decoupled decay).
public struct Adam: Optimizer {
    public var schedule: LearningRateSchedule
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    public var state = OptimizerState(kind: "adam")

    public init(schedule: LearningRateSchedule, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0) {
        self.schedule = schedule; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// AdamW with decoupled weight decay λ.
    public static func adamW(schedule: LearningRateSchedule, weightDecay: Double = 1e-2, beta1: Double = 0.9,
                             beta2: Double = 0.999, epsilon: Double = 1e-8) -> Adam {
        Adam(schedule: schedule, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    public mutating func update(_ p: inout ParameterSet, with g: ParameterSet) throws {
        try p.checkLayout(g, "Adam.update")
        guard state.kind == "adam" else { throw AutodiffError("Adam.update: optimiser state is of kind '\(state.kind)'") }
        if state.slot("m") == nil { state.slots.append(("m", p.filled(with: 0))) }
        if state.slot("v") == nil { state.slots.append(("v", p.filled(with: 0))) }
        let im = state.slot("m")!, iv = state.slot("v")!
        try state.slots[im].values.checkLayout(p, "Adam.update (m)")
        try state.slots[iv].values.checkLayout(p, "Adam.update (v)")
        let lr = schedule.rate(at: state.step)
        let t = Double(state.step + 1)
        let c1 = 1 / (1 - pow(beta1, t)), c2 = 1 / (1 - pow(beta2, t))
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        for i in 0..<p.count {
            let gs = g.tensor(at: i).scalars
            let m: [Double] = state.slots[im].values.withScalars(at: i) { m in
                for j in 0..<m.count { m[j] = b1 * m[j] + (1 - b1) * gs[j] }
                return m
            }
            let v: [Double] = state.slots[iv].values.withScalars(at: i) { v in
                for j in 0..<v.count { v[j] = b2 * v[j] + (1 - b2) * gs[j] * gs[j] }
                return v
            }
            p.withScalars(at: i) { x in
                for j in 0..<x.count {
                    x[j] -= lr * ((m[j] * c1) / ((v[j] * c2).squareRoot() + eps) + wd * x[j])
                }
            }
        }
        state.step += 1
    }
}
