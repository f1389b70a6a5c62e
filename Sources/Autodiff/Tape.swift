// Tape.swift — reverse-mode automatic differentiation: the tape that records operations and replays their
// vector–Jacobian products (VJPs), and `Var`, a recorded value.
//
// Conventions:
//   * Every operation on `Var`s appends one node to the tape of its operands: the output's shape, whether it
//     needs a gradient, and a closure that maps the output's cotangent to cotangents of the inputs (the VJP).
//     The closure captures exactly the tensors its VJP needs; their sizes are summed into `bytes`.
//   * Nodes that depend on no trainable input (constants, masks) record no VJP at all.
//   * `gradient(of:wrt:)` seeds the cotangent of a count-1 output with 1 (or with an explicit seed), walks the
//     nodes in reverse order, frees each intermediate cotangent as soon as it has been propagated, and — by
//     default — releases the whole tape afterwards (closures and saved tensors), so memory is bounded by one
//     forward pass. `reset()` releases it explicitly. `bytes`/`peakBytes` report the saved-tensor memory.
//   * A `Var` remembers its tape generation: using a `Var` after its tape was released, or mixing tapes, throws.
//   * A tape is single-threaded (not Sendable); use one tape per thread.
// Used by L2HMC (REFERENCE §4) to differentiate a loss through a whole trajectory.

/// A recorded value on a `Tape`.
public struct Var {
    /// The forward value.
    public let value: Tensor
    /// The tape this value was recorded on.
    public let tape: Tape
    @usableFromInline let index: Int
    @usableFromInline let generation: Int
    /// Whether a gradient can flow into this value (it depends on a `Tape.variable`).
    public let requiresGrad: Bool

    public var shape: [Int] { value.shape }
    public var scalars: [Double] { value.scalars }
}

/// Cotangent accumulator used during the backward pass.
public struct GradientAccumulator {
    @usableFromInline var grads: [Tensor?]

    /// Adds `g` to the cotangent of `v` (no-op when `v` needs no gradient).
    @inlinable
    mutating func add(_ v: Var, _ g: Tensor) {
        guard v.requiresGrad else { return }
        if grads[v.index] == nil { grads[v.index] = g } else { grads[v.index]!.addInPlace(g) }
    }

    /// Adds a cotangent to `v` without materialising it twice: `fresh()` builds it when `v` has none yet,
    /// otherwise `accumulate` adds it into the existing buffer in place (fused kernels, e.g. axpy, p += c·Dᵀg).
    @inlinable
    mutating func add(_ v: Var, fresh: () -> Tensor, accumulate: (UnsafeMutableBufferPointer<Double>) -> Void) {
        guard v.requiresGrad else { return }
        if grads[v.index] == nil { grads[v.index] = fresh() } else {
            grads[v.index]!.scalars.withUnsafeMutableBufferPointer { accumulate($0) }
        }
    }
}

/// The operation recorder.
public final class Tape {
    @usableFromInline struct Node {
        var backward: ((Tensor, inout GradientAccumulator) -> Void)?
        var bytes: Int
    }

    @usableFromInline var nodes: [Node] = []
    @usableFromInline var generation = 0
    /// Bytes of tensors currently held by recorded VJPs.
    public private(set) var bytes = 0
    /// Largest `bytes` since the tape was created.
    public private(set) var peakBytes = 0

    public init() {}

    /// Number of recorded nodes.
    public var count: Int { nodes.count }

    /// Releases all nodes and their saved tensors; every existing `Var` of this tape becomes unusable.
    public func reset() {
        nodes.removeAll(keepingCapacity: true)
        bytes = 0
        generation += 1
    }

    /// A trainable leaf (gradients can be taken with respect to it).
    public func variable(_ t: Tensor) -> Var {
        append(Node(backward: nil, bytes: 0), t, requiresGrad: true)
    }

    /// A constant leaf (no gradient flows into it).
    public func constant(_ t: Tensor) -> Var {
        append(Node(backward: nil, bytes: 0), t, requiresGrad: false)
    }

    @usableFromInline
    func append(_ node: Node, _ value: Tensor, requiresGrad: Bool) -> Var {
        nodes.append(node)
        bytes += node.bytes
        if bytes > peakBytes { peakBytes = bytes }
        return Var(value: value, tape: self, index: nodes.count - 1, generation: generation, requiresGrad: requiresGrad)
    }

    /// Records the result of an operation. `saved` is the number of bytes the VJP keeps alive.
    @usableFromInline
    func record(_ value: Tensor, _ inputs: [Var], saved: Int,
                _ backward: @escaping (Tensor, inout GradientAccumulator) -> Void) -> Var {
        let needs = inputs.contains { $0.requiresGrad }
        if !needs { return append(Node(backward: nil, bytes: 0), value, requiresGrad: false) }
        return append(Node(backward: backward, bytes: saved), value, requiresGrad: true)
    }

    /// Throws unless every `Var` belongs to this tape's current generation.
    @usableFromInline
    func check(_ op: String, _ vs: Var...) throws {
        for v in vs { try check(op, v) }
    }

    @usableFromInline
    func check(_ op: String, _ v: Var) throws {
        guard v.tape === self else { throw AutodiffError("\(op): operands belong to different tapes") }
        guard v.generation == generation else {
            throw AutodiffError("\(op): a value from a released tape was used (tape was reset or a gradient released it)")
        }
    }

    /// Gradients of `y` with respect to `xs`, in order.
    /// - Parameters:
    ///   - seed: the cotangent of `y` (default: 1, which requires `y` to have one element).
    ///   - release: free the tape after the backward pass (default true); the returned gradients stay valid.
    public func gradient(of y: Var, wrt xs: [Var], seed: Tensor? = nil, release: Bool = true) throws -> [Tensor] {
        try check("gradient", y)
        for x in xs {
            try check("gradient", x)
            guard x.requiresGrad else {
                throw AutodiffError("gradient: a requested input of shape \(Tensor.format(x.shape)) is a constant (record it with Tape.variable)")
            }
        }
        let s: Tensor
        if let seed {
            guard seed.shape == y.shape else { throw AutodiffError.shapes("gradient seed", seed.shape, y.shape) }
            s = seed
        } else {
            guard y.value.count == 1 else {
                throw AutodiffError("gradient: output of shape \(Tensor.format(y.shape)) is not a scalar; pass a seed of that shape")
            }
            s = Tensor(repeating: 1, shape: y.shape)
        }
        defer { if release { reset() } }
        var wanted = [Bool](repeating: false, count: y.index + 1)
        for x in xs where x.index <= y.index { wanted[x.index] = true }
        var acc = GradientAccumulator(grads: [Tensor?](repeating: nil, count: y.index + 1))
        if y.requiresGrad { acc.grads[y.index] = s }
        let lowest = xs.map(\.index).min() ?? y.index
        var i = y.index
        while i >= lowest && i >= 0 {
            if let g = acc.grads[i], let bw = nodes[i].backward {
                if !wanted[i] { acc.grads[i] = nil }
                bw(g, &acc)
                if release { nodes[i].backward = nil }
            }
            i -= 1
        }
        return xs.map { x in
            (x.index <= y.index ? acc.grads[x.index] : nil) ?? Tensor.zeros(x.shape)
        }
    }
}

extension Tensor {
    /// self += other (same count), in place.
    @inlinable
    mutating func addInPlace(_ other: Tensor) {
        let n = count
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<n { a[i] += b[i] }
            }
        }
    }
}
