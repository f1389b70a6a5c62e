// Layers.swift — parameters as value types, initialisers, activations, and the layers the L2HMC networks use:
// Dense, MLP and the scaled-tanh head s = e^c ⊙ tanh(z·W + b) (REFERENCE §4).
//
// Conventions:
//   * `ParameterSet` is an ordered list of uniquely named tensors; gradients, Adam moments and momenta are
//     `ParameterSet`s of the same layout (same names, order and shapes).
//   * Layers are descriptions (sizes, names, activation); their weights live in a `ParameterSet` under
//     "<layer>.weight" [in, out], "<layer>.bias" [out] and, for the head, "<layer>.logScale" [out] (c).
//   * On a tape, `Tape.bind(_:)` records every parameter as a trainable leaf; `Tape.gradient(of:wrt:)` returns
//     the gradient as a `ParameterSet` with the same layout.
//   * Rows are batch entries (chains): y = x·W + b (Linear.swift).
//   * Initialisers: Glorot/Xavier uniform U(±√(6/(in+out))) and normal N(0, 2/(in+out)); He uniform
//     U(±√(6/in)) and normal N(0, 2/in); each with a `gain` multiplier (a small gain gives near-zero output
//     heads, so an untrained L2HMC sampler is plain HMC, REFERENCE §4); zeros; constant.
import LatticeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ordered set of named tensors.
public struct ParameterSet: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var tensors: [Tensor] = []
    private var lookup: [String: Int] = [:]

    public init() {}

    /// Builds a set from (name, tensor) pairs; names must be unique.
    public init(_ entries: [(String, Tensor)]) throws {
        for (n, t) in entries { try insert(n, t) }
    }

    public var count: Int { names.count }
    /// Total number of scalars.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// Adds a new tensor (throws if the name exists).
    public mutating func insert(_ name: String, _ t: Tensor) throws {
        guard lookup[name] == nil else { throw AutodiffError("ParameterSet: duplicate parameter name '\(name)'") }
        lookup[name] = names.count
        names.append(name)
        tensors.append(t)
    }

    /// The tensor named `name`. Setting replaces an existing tensor of the same shape or inserts a new one.
    public subscript(name: String) -> Tensor? {
        get { lookup[name].map { tensors[$0] } }
    }

    /// Replaces the tensor `name` (shape must match).
    public mutating func update(_ name: String, _ t: Tensor) throws {
        guard let i = lookup[name] else { throw AutodiffError("ParameterSet: no parameter named '\(name)'") }
        guard tensors[i].shape == t.shape else { throw AutodiffError.shapes("ParameterSet.update '\(name)'", tensors[i].shape, t.shape) }
        tensors[i] = t
    }

    /// Tensor at position i.
    public func tensor(at i: Int) -> Tensor { tensors[i] }
    mutating func setTensor(at i: Int, _ t: Tensor) { tensors[i] = t }
    mutating func withScalars<R>(at i: Int, _ body: (inout [Double]) -> R) -> R { body(&tensors[i].scalars) }

    /// A set of the same layout filled with `value`.
    public func filled(with value: Double) -> ParameterSet {
        var p = self
        for i in 0..<p.tensors.count { p.tensors[i] = Tensor(repeating: value, shape: tensors[i].shape) }
        return p
    }

    /// Throws unless `other` has the same names, order and shapes.
    public func checkLayout(_ other: ParameterSet, _ context: String) throws {
        guard names == other.names else {
            throw AutodiffError("\(context): parameter names differ: \(names) vs \(other.names)")
        }
        for i in 0..<count where tensors[i].shape != other.tensors[i].shape {
            throw AutodiffError.shapes("\(context) '\(names[i])'", tensors[i].shape, other.tensors[i].shape)
        }
    }

    /// √(Σ all scalars²).
    public var globalNorm: Double {
        var s = 0.0
        for t in tensors { for v in t.scalars { s += v * v } }
        return s.squareRoot()
    }

    /// Scales every tensor so that the global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public mutating func clipGlobalNorm(to maxNorm: Double) -> Double {
        let n = globalNorm
        if n > maxNorm && n > 0 {
            let f = maxNorm / n
            for i in 0..<tensors.count { for j in 0..<tensors[i].scalars.count { tensors[i].scalars[j] *= f } }
        }
        return n
    }
}

/// Parameters recorded on a tape.
public struct BoundParameters {
    public let parameters: ParameterSet
    public let vars: [Var]
    private let lookup: [String: Int]

    /// Uses already-recorded values as the parameters `p` (same count and shapes, in order).
    public init(rebinding p: ParameterSet, vars: [Var]) throws {
        guard p.count == vars.count else {
            throw AutodiffError("BoundParameters: \(p.count) parameters but \(vars.count) values")
        }
        for i in 0..<p.count where p.tensor(at: i).shape != vars[i].shape {
            throw AutodiffError.shapes("BoundParameters '\(p.names[i])'", p.tensor(at: i).shape, vars[i].shape)
        }
        self.init(p, vars)
    }

    init(_ p: ParameterSet, _ vars: [Var]) {
        parameters = p
        self.vars = vars
        var l: [String: Int] = [:]
        for (i, n) in p.names.enumerated() { l[n] = i }
        lookup = l
    }

    /// The recorded parameter `name` (throws if absent).
    public func callAsFunction(_ name: String) throws -> Var {
        guard let i = lookup[name] else { throw AutodiffError("BoundParameters: no parameter named '\(name)'") }
        return vars[i]
    }
}

extension Tape {
    /// Records every parameter as a trainable leaf.
    public func bind(_ p: ParameterSet) -> BoundParameters {
        BoundParameters(p, p.tensors.map { variable($0) })
    }

    /// Gradient of a scalar with respect to bound parameters, as a ParameterSet of the same layout.
    public func gradient(of y: Var, wrt p: BoundParameters, release: Bool = true) throws -> ParameterSet {
        let g = try gradient(of: y, wrt: p.vars, release: release)
        var out = p.parameters
        for i in 0..<g.count { out.setTensor(at: i, g[i]) }
        return out
    }
}

// MARK: - Random numbers, initialisers

/// SplitMix64: a small seedable generator for initialisers and tests (any RandomNumberGenerator works).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func standardNormal(_ rng: inout some RandomNumberGenerator) -> Double {
    let u = Double.random(in: Double.ulpOfOne ..< 1, using: &rng)
    let v = Double.random(in: 0 ..< 1, using: &rng)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}

/// Weight initialisers (see the file header for the formulas).
public enum Initializer: Sendable, Equatable {
    case glorotUniform(gain: Double = 1)
    case glorotNormal(gain: Double = 1)
    case heUniform(gain: Double = 1)
    case heNormal(gain: Double = 1)
    case zeros
    case constant(Double)

    /// A tensor of `shape` for a layer with the given fan-in and fan-out.
    public func make(_ shape: [Int], fanIn: Int, fanOut: Int, using rng: inout some RandomNumberGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        let fi = Double(max(fanIn, 1)), fo = Double(max(fanOut, 1))
        func uniform(_ a: Double, _ rng: inout some RandomNumberGenerator) -> [Double] {
            (0..<n).map { _ in Double.random(in: -a ... a, using: &rng) }
        }
        func normal(_ s: Double, _ rng: inout some RandomNumberGenerator) -> [Double] {
            (0..<n).map { _ in s * standardNormal(&rng) }
        }
        let v: [Double]
        switch self {
        case .glorotUniform(let g): v = uniform(g * (6 / (fi + fo)).squareRoot(), &rng)
        case .glorotNormal(let g): v = normal(g * (2 / (fi + fo)).squareRoot(), &rng)
        case .heUniform(let g): v = uniform(g * (6 / fi).squareRoot(), &rng)
        case .heNormal(let g): v = normal(g * (2 / fi).squareRoot(), &rng)
        case .zeros: v = [Double](repeating: 0, count: n)
        case .constant(let c): v = [Double](repeating: c, count: n)
        }
        return Tensor(unchecked: shape, v)
    }
}

/// Elementwise activations.
public enum Activation: Sendable, Equatable {
    case identity, relu, tanh, sigmoid, softplus, swish, sin
    case leakyRelu(Double)

    public func callAsFunction(_ x: Var) throws -> Var {
        switch self {
        case .identity: return x
        case .relu: return try x.relu()
        case .tanh: return try x.tanh()
        case .sigmoid: return try x.sigmoid()
        case .softplus: return try x.softplus()
        case .swish: return try x.swish()
        case .sin: return try x.sin()
        case .leakyRelu(let a): return try x.leakyRelu(a)
        }
    }
}

extension Activation {
    /// The activations a configuration file or flag may name.
    public static let names = ["relu", "tanh", "swish", "softplus", "sigmoid"]

    /// The activation called `name` (one of `names`); a ConfigurationError naming the value otherwise.
    public init(named name: String) throws {
        switch name {
        case "relu": self = .relu
        case "tanh": self = .tanh
        case "swish": self = .swish
        case "softplus": self = .softplus
        case "sigmoid": self = .sigmoid
        default:
            throw ConfigurationError("activation = '\(name)' is not allowed; allowed: \(Activation.names.joined(separator: ", "))")
        }
    }
}

// MARK: - Layers

/// y = activation(x·W + b), x [batch, inputs].
public struct Dense: Sendable, Equatable {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let activation: Activation
    public let weightInit: Initializer
    public let biasInit: Initializer

    public init(name: String, inputs: Int, outputs: Int, activation: Activation = .identity,
                weightInit: Initializer = .glorotUniform(), biasInit: Initializer = .zeros) {
        self.name = name; self.inputs = inputs; self.outputs = outputs
        self.activation = activation; self.weightInit = weightInit; self.biasInit = biasInit
    }

    public var weightName: String { name + ".weight" }
    public var biasName: String { name + ".bias" }

    /// Adds freshly initialised weights to `p`.
    public func initialize(into p: inout ParameterSet, using rng: inout some RandomNumberGenerator) throws {
        try p.insert(weightName, weightInit.make([inputs, outputs], fanIn: inputs, fanOut: outputs, using: &rng))
        try p.insert(biasName, biasInit.make([outputs], fanIn: inputs, fanOut: outputs, using: &rng))
    }

    public func callAsFunction(_ x: Var, _ p: BoundParameters) throws -> Var {
        guard x.shape.count == 2, x.shape[1] == inputs else {
            throw AutodiffError("Dense '\(name)': input shape \(Tensor.format(x.shape)) does not match [batch, \(inputs)]")
        }
        return try activation(x.affine(p(weightName), p(biasName)))
    }
}

/// A stack of dense layers: hidden layers with `activation`, the last with `outputActivation`.
public struct MLP: Sendable, Equatable {
    public let layers: [Dense]

    /// sizes = [inputs, hidden…, outputs].
    public init(name: String, sizes: [Int], activation: Activation = .relu, outputActivation: Activation = .identity,
                weightInit: Initializer = .glorotUniform(), outputInit: Initializer = .glorotUniform()) {
        var l: [Dense] = []
        for i in 0 ..< max(sizes.count - 1, 0) {
            let last = i == sizes.count - 2
            l.append(Dense(name: "\(name).\(i)", inputs: sizes[i], outputs: sizes[i + 1],
                           activation: last ? outputActivation : activation, weightInit: last ? outputInit : weightInit))
        }
        layers = l
    }

    public init(layers: [Dense]) { self.layers = layers }

    public func initialize(into p: inout ParameterSet, using rng: inout some RandomNumberGenerator) throws {
        for l in layers { try l.initialize(into: &p, using: &rng) }
    }

    public func callAsFunction(_ x: Var, _ p: BoundParameters) throws -> Var {
        var h = x
        for l in layers { h = try l(h, p) }
        return h
    }
}

/// s = e^c ⊙ tanh(z·W + b) with trainable c [outputs] (REFERENCE §4: λ = e^c).
public struct ScaledTanhHead: Sendable, Equatable {
    public let dense: Dense
    public let logScaleInit: Double

    /// Near-zero by default (small Glorot gain), so the head starts close to 0.
    public init(name: String, inputs: Int, outputs: Int, weightInit: Initializer = .glorotUniform(gain: 1e-3),
                logScaleInit: Double = 0) {
        dense = Dense(name: name, inputs: inputs, outputs: outputs, activation: .identity, weightInit: weightInit)
        self.logScaleInit = logScaleInit
    }

    public var logScaleName: String { dense.name + ".logScale" }

    public func initialize(into p: inout ParameterSet, using rng: inout some RandomNumberGenerator) throws {
        try dense.initialize(into: &p, using: &rng)
        try p.insert(logScaleName, Tensor(repeating: logScaleInit, shape: [dense.outputs]))
    }

    public func callAsFunction(_ z: Var, _ p: BoundParameters) throws -> Var {
        try p(logScaleName).exp() * dense(z, p).tanh()
    }
}
