// Ops.swift — the elementwise, reduction and shape operations on `Var`, each with its hand-written VJP.
//
// Conventions (see Tensor.swift for broadcasting, Tape.swift for recording):
//   * Binary arithmetic (+ − × ÷) broadcasts NumPy-style; the VJP sums the cotangent back over broadcast
//     dimensions. Operators throw (`try a + b`) on shape mismatches with both shapes in the message.
//   * Unary functions act elementwise: exp, log, tanh, sin, cos, tan, atan, sigmoid, softplus
//     (log(1+eˣ), computed stably), relu, leakyRelu(α), swish (x·σ(x)), square, negation.
//     At the kinks of relu/leakyRelu the derivative of the x ≤ 0 branch is used.
//   * Axis arguments count from 0 (outermost); negative axes count from the end.
//   * `roll(by:axis:)` is NumPy's roll: out[i] = in[(i − k) mod n]. On a lattice field of layout
//     [blocks, 2, L1, L0, 8] (U1Ops.swift) the field y(n) = x(n + k·μ̂) is `x.roll(by: −k, axis: μ == 0 ? 3 : 2)`.
//   * Masks: `masked(by:)` multiplies by a constant tensor (broadcast), no gradient flows into the mask.
// sin, cos, tan, exp, tanh, sigmoid, swish and atan use the lane-wise kernels of LatticeCore (SIMDMath.swift);
// log and softplus use the platform libm.
import LatticeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Helpers

@inline(__always)
func mapScalars(_ x: [Double], _ f: (Double) -> Double) -> [Double] {
    let n = x.count
    return [Double](unsafeUninitializedCapacity: n) { out, done in
        x.withUnsafeBufferPointer { p in for i in 0..<n { out[i] = f(p[i]) } }
        done = n
    }
}

@inline(__always)
func zipScalars(_ a: [Double], _ b: [Double], _ f: (Double, Double) -> Double) -> [Double] {
    let n = a.count
    return [Double](unsafeUninitializedCapacity: n) { out, done in
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in for i in 0..<n { out[i] = f(pa[i], pb[i]) } } }
        done = n
    }
}

@inline(__always)
func zip3Scalars(_ a: [Double], _ b: [Double], _ c: [Double], _ f: (Double, Double, Double) -> Double) -> [Double] {
    let n = a.count
    return [Double](unsafeUninitializedCapacity: n) { out, done in
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { pc in
            for i in 0..<n { out[i] = f(pa[i], pb[i], pc[i]) }
        } } }
        done = n
    }
}

/// Applies a lane-wise SIMD8 function to an array (the tail is padded with zeros).
@inline(__always)
func mapLanes(_ x: [Double], _ f: (Lanes) -> Lanes) -> [Double] {
    let n = x.count
    return [Double](unsafeUninitializedCapacity: n) { out, done in
        x.withUnsafeBufferPointer { p in
            var i = 0
            while i + 8 <= n {
                let v = f(Lanes(p[i ..< i + 8]))
                for j in 0..<8 { out[i + j] = v[j] }
                i += 8
            }
            if i < n {
                var t = Lanes()
                for j in 0..<(n - i) { t[j] = p[i + j] }
                let v = f(t)
                for j in 0..<(n - i) { out[i + j] = v[j] }
            }
        }
        done = n
    }
}

/// out[i] = f(a[i], b[i], c[i]) on SIMD8 lanes (the tail is padded with zeros).
@inline(__always)
func zip3Lanes(_ a: [Double], _ b: [Double], _ c: [Double], _ f: (Lanes, Lanes, Lanes) -> Lanes) -> [Double] {
    let n = a.count
    return [Double](unsafeUninitializedCapacity: n) { out, done in
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { pc in
            var i = 0
            while i + 8 <= n {
                let v = f(Lanes(pa[i ..< i + 8]), Lanes(pb[i ..< i + 8]), Lanes(pc[i ..< i + 8]))
                for j in 0..<8 { out[i + j] = v[j] }
                i += 8
            }
            if i < n {
                var x = Lanes(), y = Lanes(), z = Lanes()
                for j in 0..<(n - i) { x[j] = pa[i + j]; y[j] = pb[i + j]; z[j] = pc[i + j] }
                let v = f(x, y, z)
                for j in 0..<(n - i) { out[i + j] = v[j] }
            }
        } } }
        done = n
    }
}

func normaliseAxis(_ op: String, _ axis: Int, rank: Int, shape: [Int]) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else { throw AutodiffError("\(op): axis \(axis) is out of range for shape \(Tensor.format(shape))") }
    return a
}

/// (outer, n, inner) with shape = outer-dims × n × inner-dims.
func splitShape(_ shape: [Int], _ axis: Int) -> (Int, Int, Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
}

// MARK: - Binary arithmetic

extension Var {
    @inline(__always)
    static func binary(_ name: String, _ a: Var, _ b: Var, _ f: (Double, Double) -> Double,
                       _ vjp: @escaping (Tensor, BroadcastPlan, Var, Var) -> ([Double]?, [Double]?)) throws -> Var {
        try a.tape.check(name, a, b)
        let plan = try BroadcastPlan(name, a.shape, b.shape)
        let out = broadcastApply(plan.count, plan.a, a.scalars, plan.b, b.scalars, f)
        let value = Tensor(unchecked: plan.shape, out)
        return a.tape.record(value, [a, b], saved: a.value.bytes + b.value.bytes) { g, acc in
            let (ga, gb) = vjp(g, plan, a, b)
            if let ga { acc.add(a, plan.a.reduce(ga, to: a.shape)) }
            if let gb { acc.add(b, plan.b.reduce(gb, to: b.shape)) }
        }
    }

    public static func + (a: Var, b: Var) throws -> Var {
        try binary("add", a, b, +) { g, _, a, b in (a.requiresGrad ? g.scalars : nil, b.requiresGrad ? g.scalars : nil) }
    }

    public static func - (a: Var, b: Var) throws -> Var {
        try binary("subtract", a, b, -) { g, _, a, b in
            (a.requiresGrad ? g.scalars : nil, b.requiresGrad ? mapScalars(g.scalars) { -$0 } : nil)
        }
    }

    public static func * (a: Var, b: Var) throws -> Var {
        try binary("multiply", a, b, *) { g, p, a, b in
            (a.requiresGrad ? broadcastApply(p.count, .identity, g.scalars, p.b, b.scalars, *) : nil,
             b.requiresGrad ? broadcastApply(p.count, .identity, g.scalars, p.a, a.scalars, *) : nil)
        }
    }

    public static func / (a: Var, b: Var) throws -> Var {
        try binary("divide", a, b, /) { g, p, a, b in
            let ga = a.requiresGrad ? broadcastApply(p.count, .identity, g.scalars, p.b, b.scalars, /) : nil
            var gb: [Double]? = nil
            if b.requiresGrad {
                let t = broadcastApply(p.count, .identity, g.scalars, p.a, a.scalars, *)
                gb = broadcastApply(p.count, .identity, t, p.b, b.scalars) { -$0 / ($1 * $1) }
            }
            return (ga, gb)
        }
    }

    /// Multiplication by a constant mask (broadcast); no gradient flows into the mask.
    public func masked(by mask: Tensor) throws -> Var {
        try self * tape.constant(mask)
    }
}

// MARK: - Unary functions

extension Var {
    /// y = f(x) with dy/dx = df(x, y).
    @inline(__always)
    func unary(_ name: String, _ y: [Double], _ df: @escaping (Double, Double) -> Double) throws -> Var {
        try tape.check(name, self)
        let x = value
        let value = Tensor(unchecked: x.shape, y)
        return tape.record(value, [self], saved: 2 * x.bytes) { [self] g, acc in
            let d = zip3Scalars(g.scalars, x.scalars, y) { g, x, y in g * df(x, y) }
            acc.add(self, Tensor(unchecked: x.shape, d))
        }
    }

    /// y = f(x) with dy/dx = df(x, y), the backward pass on SIMD8 lanes.
    @inline(__always)
    func unaryLanes(_ name: String, _ y: [Double], _ df: @escaping (Lanes, Lanes) -> Lanes) throws -> Var {
        try tape.check(name, self)
        let x = value
        let value = Tensor(unchecked: x.shape, y)
        return tape.record(value, [self], saved: 2 * x.bytes) { [self] g, acc in
            let d = zip3Lanes(g.scalars, x.scalars, y) { g, x, y in g * df(x, y) }
            acc.add(self, Tensor(unchecked: x.shape, d))
        }
    }

    public func exp() throws -> Var { try unaryLanes("exp", mapLanes(scalars, simdExp)) { _, y in y } }
    public func log() throws -> Var { try unary("log", mapScalars(scalars) { Foundation_log($0) }) { x, _ in 1 / x } }
    public func tanh() throws -> Var { try unaryLanes("tanh", mapLanes(scalars, simdTanh)) { _, y in 1 - y * y } }
    public func sin() throws -> Var {
        let x = value
        return try tape.checked("sin", self) {
            let y = mapLanes(x.scalars, simdSin)
            return tape.record(Tensor(unchecked: x.shape, y), [self], saved: x.bytes) { [self] g, acc in
                let c = mapLanes(x.scalars, simdCos)
                acc.add(self, Tensor(unchecked: x.shape, zipScalars(g.scalars, c, *)))
            }
        }
    }
    public func cos() throws -> Var {
        let x = value
        return try tape.checked("cos", self) {
            let y = mapLanes(x.scalars, simdCos)
            return tape.record(Tensor(unchecked: x.shape, y), [self], saved: x.bytes) { [self] g, acc in
                let s = mapLanes(x.scalars, simdSin)
                acc.add(self, Tensor(unchecked: x.shape, zipScalars(g.scalars, s) { -$0 * $1 }))
            }
        }
    }
    public func tan() throws -> Var {
        try unaryLanes("tan", mapLanes(scalars) { x in let (s, c) = simdSinCos(x); return s / c }) { _, y in 1 + y * y }
    }
    public func atan() throws -> Var { try unaryLanes("atan", mapLanes(scalars, simdAtan)) { x, _ in 1 / (1 + x * x) } }
    public func sigmoid() throws -> Var { try unaryLanes("sigmoid", mapLanes(scalars, simdSigmoid)) { _, y in y * (1 - y) } }
    public func softplus() throws -> Var {
        try unary("softplus", mapScalars(scalars) { max($0, 0) + Foundation_log1p(Foundation_exp(-abs($0))) }) { x, _ in sigmoidScalar(x) }
    }
    public func relu() throws -> Var { try unary("relu", mapScalars(scalars) { $0 > 0 ? $0 : 0 }) { x, _ in x > 0 ? 1 : 0 } }
    public func leakyRelu(_ alpha: Double = 0.01) throws -> Var {
        try unary("leakyRelu", mapScalars(scalars) { $0 > 0 ? $0 : alpha * $0 }) { x, _ in x > 0 ? 1 : alpha }
    }
    public func swish() throws -> Var {
        try unaryLanes("swish", mapLanes(scalars) { $0 * simdSigmoid($0) }) { x, _ in
            let s = simdSigmoid(x)
            return s + x * s * (1 - s)
        }
    }
    public func square() throws -> Var { try unaryLanes("square", mapScalars(scalars) { $0 * $0 }) { x, _ in 2 * x } }

    public static prefix func - (x: Var) throws -> Var { try x * -1.0 }

    // Scalar operands.
    public static func * (x: Var, c: Double) throws -> Var {
        try x.tape.check("scale", x)
        let shape = x.shape
        return x.tape.record(Tensor(unchecked: shape, mapScalars(x.scalars) { $0 * c }), [x], saved: 0) { g, acc in
            acc.add(x, Tensor(unchecked: shape, mapScalars(g.scalars) { $0 * c }))
        }
    }
    public static func * (c: Double, x: Var) throws -> Var { try x * c }
    public static func / (x: Var, c: Double) throws -> Var { try x * (1 / c) }
    public static func + (x: Var, c: Double) throws -> Var {
        try x.tape.check("add", x)
        return x.tape.record(Tensor(unchecked: x.shape, mapScalars(x.scalars) { $0 + c }), [x], saved: 0) { g, acc in acc.add(x, g) }
    }
    public static func + (c: Double, x: Var) throws -> Var { try x + c }
    public static func - (x: Var, c: Double) throws -> Var { try x + (-c) }
    public static func - (c: Double, x: Var) throws -> Var { try (-x) + c }
    public static func / (c: Double, x: Var) throws -> Var {
        try x.unary("reciprocal", mapScalars(x.scalars) { c / $0 }) { x, _ in -c / (x * x) }
    }

    /// a + c·b for same-shaped a, b (one fused node; the leapfrog's updates).
    public func adding(_ b: Var, scaledBy c: Double) throws -> Var {
        try tape.check("adding(_:scaledBy:)", self, b)
        guard shape == b.shape else { throw AutodiffError.shapes("adding(_:scaledBy:)", shape, b.shape) }
        let a = self
        let y = zipScalars(a.scalars, b.scalars) { $0 + c * $1 }
        return tape.record(Tensor(unchecked: shape, y), [a, b], saved: 0) { g, acc in
            acc.add(a, g)
            acc.add(b, fresh: { Tensor(unchecked: g.shape, mapScalars(g.scalars) { c * $0 }) }) { d in
                g.scalars.withUnsafeBufferPointer { gs in for i in 0..<gs.count { d[i] += c * gs[i] } }
            }
        }
    }
}

@inline(__always) func sigmoidScalar(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Foundation_exp(-x)) }
    let e = Foundation_exp(x)
    return e / (1 + e)
}

// libm, named so that the methods above (exp(), log(), …) do not shadow them.
@inline(__always) func Foundation_exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func Foundation_log(_ x: Double) -> Double { log(x) }
@inline(__always) func Foundation_log1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func Foundation_tanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func Foundation_tan(_ x: Double) -> Double { tan(x) }
@inline(__always) func Foundation_atan(_ x: Double) -> Double { atan(x) }

extension Tape {
    @inline(__always)
    func checked(_ op: String, _ v: Var, _ body: () throws -> Var) throws -> Var {
        try check(op, v)
        return try body()
    }
}

// MARK: - Reductions

extension Var {
    /// Sum over `axis` (removed from the shape unless `keepingDimension`).
    public func sum(axis: Int, keepingDimension: Bool = false) throws -> Var {
        try tape.check("sum", self)
        let shape = self.shape
        let a = try normaliseAxis("sum", axis, rank: shape.count, shape: shape)
        let (outer, n, inner) = splitShape(shape, a)
        var outShape = shape
        if keepingDimension { outShape[a] = 1 } else { outShape.remove(at: a) }
        var out = [Double](repeating: 0, count: outer * inner)
        out.withUnsafeMutableBufferPointer { o in
            scalars.withUnsafeBufferPointer { x in
                for i in 0..<outer { for k in 0..<n {
                    let base = (i * n + k) * inner
                    for j in 0..<inner { o[i * inner + j] += x[base + j] }
                } }
            }
        }
        return tape.record(Tensor(unchecked: outShape, out), [self], saved: 0) { [self] g, acc in
            let gs = g.scalars
            let d = [Double](unsafeUninitializedCapacity: outer * n * inner) { p, done in
                for i in 0..<outer { for k in 0..<n {
                    let base = (i * n + k) * inner
                    for j in 0..<inner { p[base + j] = gs[i * inner + j] }
                } }
                done = outer * n * inner
            }
            acc.add(self, Tensor(unchecked: shape, d))
        }
    }

    /// Mean over `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) throws -> Var {
        let a = try normaliseAxis("mean", axis, rank: shape.count, shape: shape)
        return try sum(axis: a, keepingDimension: keepingDimension) * (1 / Double(max(shape[a], 1)))
    }

    /// Sum of all elements (shape []).
    public func sum() throws -> Var {
        try tape.check("sum", self)
        let shape = self.shape
        var s = 0.0
        scalars.withUnsafeBufferPointer { for v in $0 { s += v } }
        return tape.record(Tensor(s), [self], saved: 0) { [self] g, acc in
            acc.add(self, Tensor(repeating: g.scalars[0], shape: shape))
        }
    }

    /// Mean of all elements (shape []).
    public func mean() throws -> Var { try sum() * (1 / Double(max(value.count, 1))) }
}

// MARK: - Shape operations

extension Var {
    /// The same elements with another shape of equal count.
    public func reshaped(_ newShape: [Int]) throws -> Var {
        try tape.check("reshape", self)
        let old = shape
        let v = try value.reshaped(newShape)
        return tape.record(v, [self], saved: 0) { [self] g, acc in acc.add(self, Tensor(unchecked: old, g.scalars)) }
    }

    /// Elements `range` along `axis`.
    public func slice(_ range: Range<Int>, axis: Int) throws -> Var {
        try tape.check("slice", self)
        let shape = self.shape
        let a = try normaliseAxis("slice", axis, rank: shape.count, shape: shape)
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw AutodiffError("slice: range \(range) is out of bounds for axis \(a) of shape \(Tensor.format(shape))")
        }
        let (outer, n, inner) = splitShape(shape, a)
        let m = range.count, lo = range.lowerBound
        var outShape = shape
        outShape[a] = m
        let x = scalars
        var out = [Double]()
        out.reserveCapacity(outer * m * inner)
        for i in 0..<outer { out += x[((i * n + lo) * inner) ..< ((i * n + lo + m) * inner)] }
        return tape.record(Tensor(unchecked: outShape, out), [self], saved: 0) { [self] g, acc in
            var d = [Double](repeating: 0, count: outer * n * inner)
            let gs = g.scalars
            d.withUnsafeMutableBufferPointer { p in
                for i in 0..<outer {
                    for j in 0..<(m * inner) { p[(i * n + lo) * inner + j] = gs[i * m * inner + j] }
                }
            }
            acc.add(self, Tensor(unchecked: shape, d))
        }
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the extent).
    public func split(sizes: [Int], axis: Int) throws -> [Var] {
        let a = try normaliseAxis("split", axis, rank: shape.count, shape: shape)
        guard sizes.reduce(0, +) == shape[a], sizes.allSatisfy({ $0 >= 0 }) else {
            throw AutodiffError("split: sizes \(sizes) do not add up to extent \(shape[a]) of axis \(a) in shape \(Tensor.format(shape))")
        }
        var lo = 0
        return try sizes.map { s in
            defer { lo += s }
            return try slice(lo ..< lo + s, axis: a)
        }
    }

    /// NumPy roll: out[i] = in[(i − k) mod n] along `axis` (periodic shift).
    public func roll(by k: Int, axis: Int) throws -> Var {
        try tape.check("roll", self)
        let shape = self.shape
        let a = try normaliseAxis("roll", axis, rank: shape.count, shape: shape)
        let y = Var.rollScalars(scalars, shape, a, k)
        return tape.record(Tensor(unchecked: shape, y), [self], saved: 0) { [self] g, acc in
            acc.add(self, Tensor(unchecked: shape, Var.rollScalars(g.scalars, shape, a, -k)))
        }
    }

    static func rollScalars(_ x: [Double], _ shape: [Int], _ a: Int, _ k: Int) -> [Double] {
        let (outer, n, inner) = splitShape(shape, a)
        guard n > 0 else { return x }
        let s = ((k % n) + n) % n
        return [Double](unsafeUninitializedCapacity: x.count) { p, done in
            x.withUnsafeBufferPointer { q in
                for i in 0..<outer {
                    for t in 0..<n {
                        let src = (i * n + t) * inner, dst = (i * n + (t + s) % n) * inner
                        for j in 0..<inner { p[dst + j] = q[src + j] }
                    }
                }
            }
            done = x.count
        }
    }

    /// Permutes the axes: out.shape[d] = in.shape[permutation[d]].
    public func transposed(_ permutation: [Int]) throws -> Var {
        try tape.check("transpose", self)
        let shape = self.shape
        guard permutation.sorted() == Array(0..<shape.count) else {
            throw AutodiffError("transpose: \(permutation) is not a permutation of the axes of shape \(Tensor.format(shape))")
        }
        var inverse = permutation
        for (d, p) in permutation.enumerated() { inverse[p] = d }
        let outShape = permutation.map { shape[$0] }
        let y = Var.permuteScalars(scalars, shape, permutation)
        return tape.record(Tensor(unchecked: outShape, y), [self], saved: 0) { [self] g, acc in
            acc.add(self, Tensor(unchecked: shape, Var.permuteScalars(g.scalars, outShape, inverse)))
        }
    }

    static func permuteScalars(_ x: [Double], _ shape: [Int], _ perm: [Int]) -> [Double] {
        let r = shape.count
        var inStrides = [Int](repeating: 1, count: r)
        for d in stride(from: r - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        let outShape = perm.map { shape[$0] }
        let strides = perm.map { inStrides[$0] }
        let n = x.count
        guard r > 0, n > 0 else { return x }
        // Swap of the last two axes (the chain-row ↔ lane-blocked conversions): plain 2D transposes per outer index.
        if r >= 2 && perm[r - 1] == r - 2 && perm[r - 2] == r - 1 && (0..<(r - 2)).allSatisfy({ perm[$0] == $0 }) {
            let a = shape[r - 2], b = shape[r - 1], outer = n / (a * b)
            return [Double](unsafeUninitializedCapacity: n) { p, done in
                x.withUnsafeBufferPointer { q in
                    for o in 0..<outer {
                        let base = o * a * b
                        // Output rows outer (contiguous writes); the strided reads of one row stay in cache.
                        for j in 0..<b { for i in 0..<a { p[base + j * a + i] = q[base + i * b + j] } }
                    }
                }
                done = n
            }
        }
        // Innermost output axis handled as a strided inner loop.
        let lastN = outShape[r - 1], lastS = strides[r - 1]
        return [Double](unsafeUninitializedCapacity: n) { p, done in
            x.withUnsafeBufferPointer { q in
                var coord = [Int](repeating: 0, count: r)
                var off = 0
                var o = 0
                while o < n {
                    for j in 0..<lastN { p[o + j] = q[off + j * lastS] }
                    o += lastN
                    var d = r - 2
                    while d >= 0 {
                        coord[d] += 1
                        off += strides[d]
                        if coord[d] < outShape[d] { break }
                        off -= strides[d] * outShape[d]
                        coord[d] = 0
                        d -= 1
                    }
                }
            }
            done = n
        }
    }
}

/// Concatenates along `axis` (all other extents must agree).
public func concatenate(_ parts: [Var], axis: Int) throws -> Var {
    guard let first = parts.first else { throw AutodiffError("concatenate: no operands") }
    let tape = first.tape
    for p in parts { try tape.check("concatenate", p) }
    let rank = first.shape.count
    let a = try normaliseAxis("concatenate", axis, rank: rank, shape: first.shape)
    for p in parts {
        var s1 = p.shape, s0 = first.shape
        guard s1.count == rank else { throw AutodiffError.shapes("concatenate", first.shape, p.shape, detail: "ranks differ") }
        s1[a] = 0; s0[a] = 0
        guard s1 == s0 else { throw AutodiffError.shapes("concatenate", first.shape, p.shape, detail: "extents differ off axis \(a)") }
    }
    let sizes = parts.map { $0.shape[a] }
    let total = sizes.reduce(0, +)
    var outShape = first.shape
    outShape[a] = total
    let (outer, _, inner) = splitShape(outShape, a)
    var out = [Double]()
    out.reserveCapacity(outer * total * inner)
    for i in 0..<outer {
        for (p, m) in zip(parts, sizes) { out += p.scalars[(i * m * inner) ..< ((i + 1) * m * inner)] }
    }
    return tape.record(Tensor(unchecked: outShape, out), parts, saved: 0) { g, acc in
        let gs = g.scalars
        var lo = 0
        for (p, m) in zip(parts, sizes) {
            defer { lo += m }
            guard p.requiresGrad else { continue }
            var d = [Double]()
            d.reserveCapacity(outer * m * inner)
            for i in 0..<outer { d += gs[((i * total + lo) * inner) ..< ((i * total + lo + m) * inner)] }
            acc.add(p, Tensor(unchecked: p.shape, d))
        }
    }
}
