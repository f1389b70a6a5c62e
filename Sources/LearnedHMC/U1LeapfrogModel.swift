// U1LeapfrogModel.swift — the generalized (learned) leapfrog for 2D U(1): networks, masks, step sizes, and the
// sub-updates with their exact inverses and log-determinants, recorded on an autodiff tape.
//
// Conventions (REFERENCE §4; Levy, Hoffman, Sohl-Dickstein 2018; Foreman, Jin, Osborn 2021):
//   state ξ = (x, v), x link angles, v momenta; fields are lane-blocked tensors [blocks, 2, L1, L0, 8]
//   (Autodiff/U1Ops.swift), chain c = 8·block + lane; per-chain results are vectors [chains].
//   Per layer k: ε_x,k = e^{η_x,k}, ε_v,k = e^{η_v,k} (trainable, positive); a fixed mask m_k (half the links,
//   drawn from the model seed, stored with the model), m̄ = 1 − m.
//   v half-step:  (s,t,q) = VNet_k(x, F), F = ∂S/∂x
//       v' = v ⊙ e^{½ε_v s} − ½ε_v [F ⊙ e^{ε_v q} + t],            log|J| = ½ε_v Σ s
//       inverse: v = (v' + ½ε_v [F ⊙ e^{ε_v q} + t]) ⊙ e^{−½ε_v s},  log|J| = −½ε_v Σ s   (x, F frozen)
//   x update of the m̄ half, network sees the frozen half only: (s,t,q) = XNet_k,h(m⊙x, v)
//       linear:  x' = m⊙x + m̄⊙[x ⊙ e^{εs} + ε(v ⊙ e^{εq} + t)],        log|J| = Σ m̄ εs
//       compact (NCP): x' = m⊙x + m̄⊙[2 atan(e^{εs} tan(x/2)) + ε(v ⊙ e^{εq} + t)],
//                log|J| = Σ m̄ log(e^{εs} / (cos²(x/2) + e^{2εs} sin²(x/2)))
//       inverses: x = (x' − ε(v e^{εq} + t)) e^{−εs};  x = 2 atan(e^{−εs} tan((x' − ε(v e^{εq} + t))/2))
//       (NCP maps angles to angles: its inverse is exact modulo 2π).
//   A layer: v-half, x(m̄ half), x(m half), v-half. The trajectory is the involution M = F⁻¹ ∘ Flip ∘ F
//   (N forward layers, v → −v, the N inverse layers in reverse order); with networks at zero it is 2N leapfrog
//   steps up to round-off. Networks off (`U1ModelConfig.networks == false`): no networks, s = t = q = 0 exactly, so
//   the v-half-steps are kicks v ∓ ½ε_v F, the x-updates drifts x ± ε_x v, log|J| = 0, and (as Flip·P(a)·Flip =
//   P(−a)) M = Flip ∘ G_0 ⋯ G_{N−1} G_{N−1} ⋯ G_0, G_k = P(½ε_v,k) X(ε_x,k) P(½ε_v,k): the sampler runs this
//   tape-free with the U(1) kernels (`U1NetworksOffSchedule`), and with one ε it is the leapfrog integrator.
//   Accept with min(1, exp(H(ξ) − H(ξ') + Σ log|J|)), H = S + ½Σv².
//   Networks: inputs [cos x, sin x] (masked to the frozen half for x-nets) and v (x-nets) or F (v-nets);
//   hidden dense layers; heads s = e^{c_s} tanh(·), t linear, q = e^{c_q} tanh(·), all started near zero so that
//   (with `sharedNetworks`, one set of networks serves every layer and reads a one-hot layer encoding;)
//   an untrained sampler is close to plain HMC. No dropout or batch-norm (they would break exactness).
import Foundation
import Autodiff
import LatticeCore
import U1

/// Which compact x-update to use.
public enum XUpdateKind: String, Codable, Sendable, CaseIterable {
    case linear
    case ncp
}

/// Architecture and sizes of a U(1) leapfrog-layer model.
public struct U1ModelConfig: Codable, Sendable, Equatable {
    public var l0: Int
    public var l1: Int
    public var layers: Int
    public var hidden: [Int]
    public var activation: String      // relu | tanh | swish | softplus
    public var xUpdate: XUpdateKind
    public var initialStepSize: Double
    public var headGain: Double
    public var seed: UInt64
    /// One set of networks for all layers, told the layer by a one-hot encoding appended to their input
    /// (nil or false: separate networks per layer).
    public var sharedNetworks: Bool?
    /// false: no networks at all ("networks off"); the model's only parameters are the per-layer step sizes, and
    /// the proposal is plain leapfrog (see `U1NetworksOffSchedule`). nil (models saved before the option existed)
    /// or true: networks on.
    public var networks: Bool?

    public init(l0: Int, l1: Int, layers: Int = 4, hidden: [Int] = [16, 16, 16, 16], activation: String = "swish",
                xUpdate: XUpdateKind = .ncp, initialStepSize: Double = 0.1, headGain: Double = 1e-3, seed: UInt64 = 1,
                sharedNetworks: Bool = false, networks: Bool = true) {
        self.l0 = l0; self.l1 = l1; self.layers = layers; self.hidden = hidden; self.activation = activation
        self.xUpdate = xUpdate; self.initialStepSize = initialStepSize; self.headGain = headGain; self.seed = seed
        self.sharedNetworks = sharedNetworks
        self.networks = networks
    }

    public var shared: Bool { sharedNetworks ?? false }
    /// Whether the model has networks (false: "networks off", plain leapfrog with per-layer step sizes).
    public var networksOn: Bool { networks ?? true }

    public var volume: Int { l0 * l1 }
    public var links: Int { 2 * volume }

    public func activationFunction() throws -> Activation { try Activation(named: activation) }
}

/// One network: MLP trunk and the three heads (s, t, q), each with one output per link.
struct LeapfrogNet {
    let trunk: MLP
    let s: ScaledTanhHead
    let t: Dense
    let q: ScaledTanhHead

    init(name: String, inputs: Int, hidden: [Int], links: Int, activation: Activation, gain: Double) {
        trunk = MLP(name: name + ".trunk", sizes: [inputs] + hidden, activation: activation, outputActivation: activation,
                    weightInit: .heNormal(gain: 1), outputInit: .heNormal(gain: 1))
        let h = hidden.last ?? inputs
        s = ScaledTanhHead(name: name + ".s", inputs: h, outputs: links, weightInit: .glorotUniform(gain: gain))
        t = Dense(name: name + ".t", inputs: h, outputs: links, weightInit: .glorotUniform(gain: gain))
        q = ScaledTanhHead(name: name + ".q", inputs: h, outputs: links, weightInit: .glorotUniform(gain: gain))
    }

    func initialize(into p: inout ParameterSet, using rng: inout some RandomNumberGenerator) throws {
        try trunk.initialize(into: &p, using: &rng)
        try s.initialize(into: &p, using: &rng)
        try t.initialize(into: &p, using: &rng)
        try q.initialize(into: &p, using: &rng)
    }

    /// Rows [chains, inputs] → (s, t, q) rows [chains, links].
    func callAsFunction(_ input: Var, _ p: BoundParameters) throws -> (Var, Var, Var) {
        let h = try trunk(input, p)
        return (try s(h, p), try t(h, p), try q(h, p))
    }
}

/// The model: configuration, masks and parameters.
public struct U1LeapfrogModel: Sendable {
    public let config: U1ModelConfig
    /// masks[k][i] ∈ {0, 1} for link i = μ·V + n (1: the half the first x-update freezes).
    public let masks: [[Double]]
    public var parameters: ParameterSet

    public init(config: U1ModelConfig) throws {
        try validateLeapfrogArchitecture(layers: config.layers, hidden: config.hidden, stepSize: config.initialStepSize)
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        // Masks: a random half of the links per layer (Fisher–Yates on the seed's stream).
        var masks: [[Double]] = []
        for _ in 0..<config.layers {
            var idx = Array(0..<config.links)
            for i in stride(from: idx.count - 1, to: 0, by: -1) { idx.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var m = [Double](repeating: 0, count: config.links)
            for i in idx.prefix(config.links / 2) { m[i] = 1 }
            masks.append(m)
        }
        self.masks = masks
        var p = ParameterSet()
        let act = try config.activationFunction()
        for k in 0..<config.layers {
            if config.networksOn && (!config.shared || k == 0) {
                for net in U1LeapfrogModel.networks(config, k, act) { try net.initialize(into: &p, using: &rng) }
            }
            try p.insert("layer\(k).log_eps_x", Tensor([Foundation.log(config.initialStepSize)]))
            try p.insert("layer\(k).log_eps_v", Tensor([Foundation.log(config.initialStepSize)]))
        }
        parameters = p
    }

    /// Rebuilds a model from stored masks and parameters (checked against the configuration).
    public init(config: U1ModelConfig, masks: [[Double]], parameters: ParameterSet) throws {
        let fresh = try U1LeapfrogModel(config: config)
        try fresh.parameters.checkLayout(parameters, "model parameters")
        guard masks.count == config.layers, masks.allSatisfy({ $0.count == config.links }) else {
            throw ConfigurationError("model masks: expected \(config.layers) masks of \(config.links) links")
        }
        self.config = config
        self.masks = masks
        self.parameters = parameters
    }

    static func networks(_ c: U1ModelConfig, _ k: Int, _ act: Activation) -> [LeapfrogNet] {
        // [cos x, sin x] and v (or F); shared networks also get the one-hot layer encoding.
        let inputs = 3 * c.links + (c.shared ? c.layers : 0)
        let prefix = c.shared ? "shared" : "layer\(k)"
        return ["v", "xa", "xb"].map {
            LeapfrogNet(name: "\(prefix).\($0)", inputs: inputs, hidden: c.hidden, links: c.links, activation: act, gain: c.headGain)
        }
    }

    /// Step sizes (ε_x, ε_v) per layer.
    public func stepSizes() -> [(x: Double, v: Double)] { leapfrogStepSizes(parameters, layers: config.layers) }
}

/// The recorded dynamics of one batch of chains on one tape.
public struct U1LeapfrogDynamics {
    public let model: U1LeapfrogModel
    public let beta: Double
    public let chains: Int
    let blocks: Int
    let shape: [Int]
    let nets: [[LeapfrogNet]]
    let maskTensors: [Tensor]
    let antiMaskTensors: [Tensor]

    public init(model: U1LeapfrogModel, beta: Double, chains: Int) throws {
        guard chains % 8 == 0, chains > 0 else {
            throw ConfigurationError("chains = \(chains) is not allowed for L2HMC; use a positive multiple of 8")
        }
        self.model = model
        self.beta = beta
        self.chains = chains
        blocks = chains / 8
        let c = model.config
        shape = U1Layout.linkShape(l0: c.l0, l1: c.l1, chains: chains)
        let act = try c.activationFunction()
        nets = c.networksOn ? (0..<c.layers).map { U1LeapfrogModel.networks(c, $0, act) } : []
        let nb = chains / 8
        func laneBlocked(_ m: [Double]) -> Tensor {
            var out = [Double](repeating: 0, count: nb * c.links * 8)
            for b in 0..<nb { for i in 0..<c.links { for l in 0..<8 { out[(b * c.links + i) * 8 + l] = m[i] } } }
            return try! Tensor(shape: U1Layout.linkShape(l0: c.l0, l1: c.l1, chains: chains), scalars: out)
        }
        maskTensors = model.masks.map(laneBlocked)
        antiMaskTensors = model.masks.map { laneBlocked($0.map { 1 - $0 }) }
    }

    /// Per-chain sum over links of a lane-blocked field → [chains].
    func perChain(_ f: Var) throws -> Var {
        try f.sum(axis: 3).sum(axis: 2).sum(axis: 1).reshaped([chains])
    }

    func rows(_ f: Var) throws -> Var { try f.chainRows() }

    func eps(_ p: BoundParameters, _ k: Int, _ which: String) throws -> Var {
        try p("layer\(k).log_eps_\(which)").exp()
    }

    func heads(_ net: LeapfrogNet, layer k: Int, _ features: [Var], _ p: BoundParameters) throws -> (Var, Var, Var) {
        var columns = try features.map { try rows($0) }
        if model.config.shared {
            // One-hot layer encoding, the same for every chain.
            let n = model.config.layers
            var enc = [Double](repeating: 0, count: chains * n)
            for c in 0..<chains { enc[c * n + k] = 1 }
            columns.append(features[0].tape.constant(try Tensor(shape: [chains, n], scalars: enc)))
        }
        let input = try concatenate(columns, axis: 1)
        let (s, t, q) = try net(input, p)
        return (try s.laneBlocked(shape), try t.laneBlocked(shape), try q.laneBlocked(shape))
    }

    /// v half-step of layer k (forward or inverse). Returns (v', log|J| per chain).
    public func vUpdate(_ k: Int, x: Var, v: Var, force: Var, _ p: BoundParameters, inverse: Bool) throws -> (Var, Var) {
        if !model.config.networksOn {
            // Networks off: a pure kick v' = v ∓ ½ε_v F, volume-preserving.
            let shift = try eps(p, k, "v") * 0.5 * force
            return (try inverse ? v + shift : v - shift, x.tape.constant(Tensor.zeros([chains])))
        }
        let (s, t, q) = try heads(nets[k][0], layer: k, [try x.cos(), try x.sin(), force], p)
        let e = try eps(p, k, "v")
        let half = try e * 0.5
        let shift = try half * (force * (e * q).exp() + t)
        if !inverse {
            let vNew = try v * (half * s).exp() - shift
            return (vNew, try perChain(half * s))
        } else {
            let vOld = try (v + shift) * (-(half * s)).exp()
            return (vOld, try -perChain(half * s))
        }
    }

    /// x update of layer k on one half (`half` 0: update m̄ with m frozen; 1: update m with m̄ frozen).
    public func xUpdate(_ k: Int, half: Int, x: Var, v: Var, _ p: BoundParameters, inverse: Bool) throws -> (Var, Var) {
        let frozenMask = half == 0 ? maskTensors[k] : antiMaskTensors[k]
        let movingMask = half == 0 ? antiMaskTensors[k] : maskTensors[k]
        let xf = try x.masked(by: frozenMask)
        if !model.config.networksOn {
            // Networks off: a pure drift of the moving half, x' = x ± ε_x v (whatever the x-update kind).
            let translation = try eps(p, k, "x") * v
            let xm = try x.masked(by: movingMask)
            let moved = try inverse ? xm - translation : xm + translation
            return (try xf + moved.masked(by: movingMask), x.tape.constant(Tensor.zeros([chains])))
        }
        let (s, t, q) = try heads(nets[k][half == 0 ? 1 : 2], layer: k, [try x.cos().masked(by: frozenMask), try x.sin().masked(by: frozenMask), v], p)
        let e = try eps(p, k, "x")
        let es = try e * s
        let translation = try e * (v * (e * q).exp() + t)
        let xm = try x.masked(by: movingMask)
        switch model.config.xUpdate {
        case .linear:
            if !inverse {
                let moved = try xm * es.exp() + translation
                return (try xf + moved.masked(by: movingMask), try perChain(es.masked(by: movingMask)))
            } else {
                let moved = try (xm - translation) * (-es).exp()
                return (try xf + moved.masked(by: movingMask), try -perChain(es.masked(by: movingMask)))
            }
        case .ncp:
            let sign = inverse ? -1.0 : 1.0
            let y = inverse ? try xm - translation : xm
            let a = try es * sign
            let half2 = try y * 0.5
            let mapped = try 2.0 * (a.exp() * half2.tan()).atan()
            let c2 = try half2.cos().square(), s2 = try half2.sin().square()
            // log f'(y) = a − log(cos²(y/2) + e^{2a} sin²(y/2))
            let logJ = try a - (c2 + (2.0 * a).exp() * s2).log()
            let moved = inverse ? mapped : try mapped + translation
            return (try xf + moved.masked(by: movingMask), try perChain(logJ.masked(by: movingMask)))
        }
    }

    /// One layer forward, or its inverse. `force` is F(x) at entry; returns the force at exit (for reuse).
    public func layer(_ k: Int, x: Var, v: Var, force: Var, _ p: BoundParameters, inverse: Bool) throws -> (x: Var, v: Var, logdet: Var, force: Var) {
        var x = x, v = v, f = force
        var ld: Var
        if !inverse {
            (v, ld) = try vUpdate(k, x: x, v: v, force: f, p, inverse: false)
            var l2: Var
            (x, l2) = try xUpdate(k, half: 0, x: x, v: v, p, inverse: false); ld = try ld + l2
            (x, l2) = try xUpdate(k, half: 1, x: x, v: v, p, inverse: false); ld = try ld + l2
            f = try x.u1Force(beta: beta)
            (v, l2) = try vUpdate(k, x: x, v: v, force: f, p, inverse: false); ld = try ld + l2
        } else {
            (v, ld) = try vUpdate(k, x: x, v: v, force: f, p, inverse: true)
            var l2: Var
            (x, l2) = try xUpdate(k, half: 1, x: x, v: v, p, inverse: true); ld = try ld + l2
            (x, l2) = try xUpdate(k, half: 0, x: x, v: v, p, inverse: true); ld = try ld + l2
            f = try x.u1Force(beta: beta)
            (v, l2) = try vUpdate(k, x: x, v: v, force: f, p, inverse: true); ld = try ld + l2
        }
        return (x, v, ld, f)
    }

    /// The forward map F (all layers) and its inverse.
    public func forwardMap(x: Var, v: Var, _ p: BoundParameters) throws -> (x: Var, v: Var, logdet: Var, force: Var) {
        var x = x, v = v, f = try x.u1Force(beta: beta)
        var ld = x.tape.constant(Tensor.zeros([chains]))
        for k in 0..<model.config.layers {
            let r = try layer(k, x: x, v: v, force: f, p, inverse: false)
            x = r.x; v = r.v; f = r.force; ld = try ld + r.logdet
        }
        return (x, v, ld, f)
    }

    /// F⁻¹: the inverse layers in reverse order. `force` may pass F(x) if it is already known.
    public func inverseMap(x: Var, v: Var, force: Var? = nil, _ p: BoundParameters) throws -> (x: Var, v: Var, logdet: Var) {
        var x = x, v = v, f = try force ?? x.u1Force(beta: beta)
        var ld = x.tape.constant(Tensor.zeros([chains]))
        for k in stride(from: model.config.layers - 1, through: 0, by: -1) {
            let r = try layer(k, x: x, v: v, force: f, p, inverse: true)
            x = r.x; v = r.v; f = r.force; ld = try ld + r.logdet
        }
        return (x, v, ld)
    }

    /// The proposal M = F⁻¹ ∘ Flip ∘ F (an involution) with its log|det|.
    public func proposal(x: Var, v: Var, _ p: BoundParameters) throws -> (x: Var, v: Var, logdet: Var) {
        let a = try forwardMap(x: x, v: v, p)
        let b = try inverseMap(x: a.x, v: -a.v, force: a.force, p)
        return (b.x, b.v, try a.logdet + b.logdet)
    }

    /// H = S + ½Σv² per chain.
    public func hamiltonian(x: Var, v: Var) throws -> Var {
        try x.u1Action(beta: beta) + 0.5 * perChain(v.square())
    }

    /// Force evaluations of one proposal: one per layer in each direction plus the start.
    public var forceEvaluations: Int { 2 * model.config.layers + 1 }
}
