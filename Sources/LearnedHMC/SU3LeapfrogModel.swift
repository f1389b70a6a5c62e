// SU3LeapfrogModel.swift — the generalized (learned) leapfrog for 4D SU(3): group-respecting, exactly invertible
// sub-updates with their log-determinants, recorded on an autodiff tape (Autodiff/SU3Ops.swift).
//
// Conventions (REFERENCE §2 and §4; layout of SU3LinkGeometry: links by class (μ, parity), lanes = chains):
//   state ξ = (U, P): links U ∈ SU(3), momenta P = Σ_a p_a T_a by their 8 real coordinates; H = S(U) + ½Σp², S any
//   SU3GaugeAction (Wilson, Symanzik, Iwasaki, DBW2; the model itself does not depend on it).
//   Per layer k: step sizes ε_x,k = e^{η_x,k}, ε_v,k = e^{η_v,k} (trainable, positive), a v-network and an
//   x-network. Both are *local*: one small MLP applied to every link (rows = links × chains), so the model does not
//   depend on the lattice size and a model trained on 4⁴ runs on 8⁴.
//
//   Momentum half-step (all links; U frozen):
//     W_j = U_μ(n) S_j, j = 1…6, the six plaquettes containing the link; G_j = (β/6)·TA(W_j); F = ∂S/∂ω (for the
//     Wilson action F = Σ_j G_j; for improved actions F includes the rectangles, Autodiff `su3Force`).
//     (s, q, τ_1…τ_6) = VNet(Re Tr W_j, Im Tr W_j), one scalar s, q and six τ per link;
//     P' = P·e^{½ε_v s} − ½ε_v [F·e^{ε_v q} + Σ_j τ_j G_j],       log|J| = ½ε_v · 8 · Σ_links s
//     inverse: P = (P' + ½ε_v [F e^{ε_v q} + Σ_j τ_j G_j]) e^{−½ε_v s}  (s, q, τ, G depend on U only).
//   Link update of one class c = (μ, parity) (all other links frozen; P frozen):
//     S_j the six staples of a class link — they contain no link of the class (SU3Ops.swift);
//     M_j = S_j† A with A = Σ_j S_j: a sum of closed loops at n, so TA(M_j) transforms like P under gauge
//     transformations and Tr M_j is gauge invariant.
//     (q, τ_1…τ_6) = XNet(Re Tr M_j/6, Im Tr M_j/6, ½|P_ℓ|²/4);   Z = P·e^{ε_x q} + Σ_j τ_j TA(M_j)
//     U' = exp(ε_x Z)·U,   inverse U = exp(−ε_x Z)·U'  (Z is the same function of the unchanged links and P),
//     log|J| = 0: left multiplication preserves the Haar measure.
//   All network outputs are gauge-invariant scalars multiplying gauge-covariant algebra elements, so every
//   sub-update is gauge covariant: the sampler commutes with gauge transformations (tested).
//   A layer: P half-step, link updates of the 8 classes in order c = 0…7 (μ = c/2, parity = c%2), P half-step.
//   Proposal M = F⁻¹∘Flip∘F (N forward layers, P → −P, the N inverse layers in reverse order): an involution.
//   With all heads at zero it is 2N leapfrog steps. No dropout or batch-norm.
import Foundation
import Autodiff
import LatticeCore
import SU3

/// Architecture of an SU(3) leapfrog-layer model (independent of the lattice size).
public struct SU3ModelConfig: Codable, Sendable, Equatable {
    public var layers: Int
    public var hidden: [Int]
    public var activation: String
    public var initialStepSize: Double
    public var headGain: Double
    public var seed: UInt64

    public init(layers: Int = 4, hidden: [Int] = [16, 16], activation: String = "swish", initialStepSize: Double = 0.1,
                headGain: Double = 1e-3, seed: UInt64 = 1) {
        self.layers = layers; self.hidden = hidden; self.activation = activation
        self.initialStepSize = initialStepSize; self.headGain = headGain; self.seed = seed
    }

    public func activationFunction() throws -> Activation { try Activation(named: activation) }
}

/// A local network: MLP trunk and heads with a fixed number of outputs per link.
struct SU3LinkNet {
    let trunk: MLP
    let scaled: [ScaledTanhHead]   // s, q (v-net) or q (x-net)
    let linear: Dense              // τ_1…τ_6

    init(name: String, inputs: Int, hidden: [Int], scaledHeads: [String], activation: Activation, gain: Double) {
        trunk = MLP(name: name + ".trunk", sizes: [inputs] + hidden, activation: activation, outputActivation: activation,
                    weightInit: .heNormal(gain: 1), outputInit: .heNormal(gain: 1))
        let h = hidden.last ?? inputs
        scaled = scaledHeads.map { ScaledTanhHead(name: name + "." + $0, inputs: h, outputs: 1, weightInit: .glorotUniform(gain: gain)) }
        linear = Dense(name: name + ".tau", inputs: h, outputs: 6, weightInit: .glorotUniform(gain: gain))
    }

    func initialize(into p: inout ParameterSet, using rng: inout some RandomNumberGenerator) throws {
        try trunk.initialize(into: &p, using: &rng)
        for s in scaled { try s.initialize(into: &p, using: &rng) }
        try linear.initialize(into: &p, using: &rng)
    }

    /// Rows [rows, inputs] → ([rows, 1] per scaled head, [rows, 6]).
    func callAsFunction(_ input: Var, _ p: BoundParameters) throws -> ([Var], Var) {
        let h = try trunk(input, p)
        return (try scaled.map { try $0(h, p) }, try linear(h, p))
    }
}

/// The model: configuration and parameters.
public struct SU3LeapfrogModel: Sendable {
    public let config: SU3ModelConfig
    public var parameters: ParameterSet

    public static let vInputs = 12
    public static let xInputs = 13

    public init(config: SU3ModelConfig) throws {
        try validateLeapfrogArchitecture(layers: config.layers, hidden: config.hidden, stepSize: config.initialStepSize)
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        var p = ParameterSet()
        let act = try config.activationFunction()
        for k in 0..<config.layers {
            let (v, x) = SU3LeapfrogModel.networks(config, k, act)
            try v.initialize(into: &p, using: &rng)
            try x.initialize(into: &p, using: &rng)
            try p.insert("layer\(k).log_eps_x", Tensor([Foundation.log(config.initialStepSize)]))
            try p.insert("layer\(k).log_eps_v", Tensor([Foundation.log(config.initialStepSize)]))
        }
        parameters = p
    }

    /// Rebuilds a model from stored parameters (checked against the configuration).
    public init(config: SU3ModelConfig, parameters: ParameterSet) throws {
        let fresh = try SU3LeapfrogModel(config: config)
        try fresh.parameters.checkLayout(parameters, "model parameters")
        self.config = config
        self.parameters = parameters
    }

    static func networks(_ c: SU3ModelConfig, _ k: Int, _ act: Activation) -> (SU3LinkNet, SU3LinkNet) {
        (SU3LinkNet(name: "layer\(k).v", inputs: vInputs, hidden: c.hidden, scaledHeads: ["s", "q"], activation: act, gain: c.headGain),
         SU3LinkNet(name: "layer\(k).x", inputs: xInputs, hidden: c.hidden, scaledHeads: ["q"], activation: act, gain: c.headGain))
    }

    /// Step sizes (ε_x, ε_v) per layer.
    public func stepSizes() -> [(x: Double, v: Double)] { leapfrogStepSizes(parameters, layers: config.layers) }
}

/// The recorded dynamics of `blocks` blocks of 8 chains on one tape.
public struct SU3LeapfrogDynamics {
    public let model: SU3LeapfrogModel
    public let geometry: SU3LinkGeometry
    public let beta: Double
    public let action: SU3GaugeAction
    public let blocks: Int
    let nets: [(v: SU3LinkNet, x: SU3LinkNet)]

    public init(model: SU3LeapfrogModel, geometry: SU3LinkGeometry, beta: Double, action: SU3GaugeAction = .wilson, blocks: Int) throws {
        guard blocks >= 1 else { throw ConfigurationError("blocks = \(blocks) is not allowed; need ≥ 1") }
        self.model = model
        self.geometry = geometry
        self.beta = beta
        self.action = action
        self.blocks = blocks
        let act = try model.config.activationFunction()
        nets = (0..<model.config.layers).map { SU3LeapfrogModel.networks(model.config, $0, act) }
    }

    public var chains: Int { 8 * blocks }
    public var linkShape: [Int] { geometry.linkShape(blocks: blocks) }
    public var momentumShape: [Int] { geometry.algebraShape(blocks: blocks) }

    /// [b, n, k, 8] → network rows [b·n·8, k].
    func rows(_ f: Var) throws -> Var {
        let s = f.shape
        return try f.transposed([0, 1, 3, 2]).reshaped([s[0] * s[1] * 8, s[2]])
    }

    /// Network rows [b·n·8, k] → [b, n, k, 8].
    func fields(_ r: Var, links n: Int) throws -> Var {
        let k = r.shape[1]
        return try r.reshaped([blocks, n, 8, k]).transposed([0, 1, 3, 2])
    }

    /// Per-chain sum of a field [b, n, k, 8] → [chains].
    func perChain(_ f: Var) throws -> Var {
        try f.sum(axis: 2).sum(axis: 1).reshaped([chains])
    }

    func eps(_ p: BoundParameters, _ k: Int, _ which: String) throws -> Var {
        try p("layer\(k).log_eps_\(which)").exp()
    }

    /// The plaquette loops of U (features and force components) — reused between adjacent momentum updates.
    public func loops(_ u: Var) throws -> Var { try u.su3PlaquetteLoops(geometry, beta: beta) }

    /// Momentum half-step of layer k (forward or inverse), with `loops` = loops(U). Returns (P', log|J| per chain).
    public func momentumUpdate(_ k: Int, u: Var, p mom: Var, loops l: Var, _ params: BoundParameters, inverse: Bool) throws -> (Var, Var) {
        let m = geometry.links
        let (sc, tau) = try nets[k].v(rows(l.slice(0..<12, axis: 2)), params)
        let s = try fields(sc[0], links: m), q = try fields(sc[1], links: m)                  // [b, m, 1, 8]
        let e = try eps(params, k, "v")
        // One fused pass (Autodiff su3MomentumUpdate): shift = ½ε(F e^{εq} + Σ_j τ_j G_j), P′ = P e^{½εs} − shift or
        // its inverse; F = Σ_j G_j for the Wilson action, the improved force otherwise.
        let force: Var? = action == .wilson ? nil : try u.su3Force(geometry, beta: beta, action: action)
        let pNew = try mom.su3MomentumUpdate(loops: l, force: force, s: s, q: q, tau: fields(tau, links: m), eps: e, inverse: inverse)
        let logdet = try perChain(s) * e * 4.0          // ½ε · 8 coordinates · Σ s
        return (pNew, inverse ? try -logdet : logdet)
    }

    /// Link update of class c = (μ = c/2, parity = c%2) in layer k (forward or inverse). log|J| = 0.
    public func linkUpdate(_ k: Int, classIndex c: Int, u: Var, p mom: Var, _ params: BoundParameters, inverse: Bool) throws -> Var {
        let range = geometry.classRange(mu: c / 2, parity: c % 2)
        let h = range.count
        let st = try u.su3ClassStaples(geometry, mu: c / 2, parity: c % 2)                         // [b, h, 6, 18, 8]
        let a = try st.sum(axis: 2).reshaped([blocks, h, 1, 18, 8])
        let mj = try st.su3Mul(concatenate(Array(repeating: a, count: 6), axis: 2), adjointLeft: true)   // S_j† A
        let tr = try mj.su3TraceReIm().reshaped([blocks, h, 12, 8]) * (1.0 / 6)
        let basis = try mj.su3ProjectTA()                                                          // [b, h, 6, 8, 8]
        let pc = try mom.slice(range, axis: 1)                                                     // [b, h, 8, 8]
        let kin = try pc.square().sum(axis: 2, keepingDimension: true) * 0.125
        let (sc, tau) = try nets[k].x(rows(concatenate([tr, kin], axis: 2)), params)
        let q = try fields(sc[0], links: h)
        let t = try (fields(tau, links: h).reshaped([blocks, h, 6, 1, 8]) * basis).sum(axis: 2)
        let e = try eps(params, k, "x")
        let z = try pc * (e * q).exp() + t
        let step = try (inverse ? -e : e) * z
        let moved = try step.su3Exp().su3Mul(u.slice(range, axis: 1))
        return try u.replacingSlice(range, axis: 1, with: moved)
    }

    /// One layer forward, or its inverse. `loops` are those of U at entry; returns those at exit (for reuse).
    public func layer(_ k: Int, u: Var, p: Var, loops l: Var, _ params: BoundParameters, inverse: Bool)
        throws -> (u: Var, p: Var, logdet: Var, loops: Var) {
        var (p1, ld) = try momentumUpdate(k, u: u, p: p, loops: l, params, inverse: inverse)
        var u1 = u
        let order = inverse ? Array((0..<8).reversed()) : Array(0..<8)
        for c in order { u1 = try linkUpdate(k, classIndex: c, u: u1, p: p1, params, inverse: inverse) }
        let l1 = try loops(u1)
        let ld2: Var
        (p1, ld2) = try momentumUpdate(k, u: u1, p: p1, loops: l1, params, inverse: inverse)
        ld = try ld + ld2
        return (u1, p1, ld, l1)
    }

    /// The forward map F (all layers); `loops` may pass loops(U) if already known.
    public func forwardMap(u: Var, p: Var, loops: Var? = nil, _ params: BoundParameters) throws -> (u: Var, p: Var, logdet: Var, loops: Var) {
        var u = u, p = p, l = try loops ?? self.loops(u)
        var ld = u.tape.constant(Tensor.zeros([chains]))
        for k in 0..<model.config.layers {
            let r = try layer(k, u: u, p: p, loops: l, params, inverse: false)
            u = r.u; p = r.p; l = r.loops; ld = try ld + r.logdet
        }
        return (u, p, ld, l)
    }

    /// F⁻¹: the inverse layers in reverse order.
    public func inverseMap(u: Var, p: Var, loops: Var? = nil, _ params: BoundParameters) throws -> (u: Var, p: Var, logdet: Var, loops: Var) {
        var u = u, p = p, l = try loops ?? self.loops(u)
        var ld = u.tape.constant(Tensor.zeros([chains]))
        for k in stride(from: model.config.layers - 1, through: 0, by: -1) {
            let r = try layer(k, u: u, p: p, loops: l, params, inverse: true)
            u = r.u; p = r.p; l = r.loops; ld = try ld + r.logdet
        }
        return (u, p, ld, l)
    }

    /// The proposal M = F⁻¹ ∘ Flip ∘ F (an involution) with its log|det|.
    public func proposal(u: Var, p: Var, _ params: BoundParameters) throws -> (u: Var, p: Var, logdet: Var) {
        let a = try forwardMap(u: u, p: p, params)
        let b = try inverseMap(u: a.u, p: -a.p, loops: a.loops, params)
        return (b.u, b.p, try a.logdet + b.logdet)
    }

    /// H = S + ½Σp² per chain.
    public func hamiltonian(u: Var, p: Var) throws -> Var {
        try u.su3GaugeAction(geometry, beta: beta, action: action) + perChain(p.square()) * 0.5
    }

    /// Force evaluations (plaquette-loop passes) of one proposal: one per layer in each direction plus the start.
    public var forceEvaluations: Int { 2 * model.config.layers + 1 }
}
