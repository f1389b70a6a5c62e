// Tensor.swift — the value type of the autodiff (a row-major Double array with a shape), the error type, and the
// broadcasting rules shared by all binary operations.
//
// Conventions:
//   * `Tensor.scalars` is row-major (last index fastest); shape [] is a scalar (count 1).
//   * Broadcasting follows NumPy: shapes are right-aligned, a dimension of 1 (or a missing leading dimension)
//     stretches to the other operand's extent. Fast paths: equal shapes, a scalar operand (count 1), and a
//     "row" operand whose shape equals a suffix of the result (bias rows). Everything else takes a general path.
//   * Shape problems are thrown as `AutodiffError` naming the shapes, never trapped.
//   * Lattice fields use the lane-blocked layout [blocks, 2, L1, L0, 8] (see U1Ops.swift; REFERENCE §1).
// Pure value types; no I/O.

/// An error of the autodiff library: shape mismatches, misuse of a tape, bad persistence files.
/// The message names the operation, the shapes (or the file) and what is wrong.
public struct AutodiffError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }

    static func shapes(_ op: String, _ shapes: [Int]..., detail: String = "") -> AutodiffError {
        let s = shapes.map(Tensor.format).joined(separator: " and ")
        return AutodiffError("\(op): incompatible shapes \(s)" + (detail.isEmpty ? "" : " (\(detail))"))
    }
}

/// A dense row-major array of Doubles with a shape.
public struct Tensor: Sendable, Equatable {
    /// Extents, outermost first. [] is a scalar.
    public private(set) var shape: [Int]
    /// Row-major elements; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Double]

    /// A tensor with the given shape and elements (throws when the count does not match the shape).
    public init(shape: [Int], scalars: [Double]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw AutodiffError("Tensor: negative extent in shape \(Tensor.format(shape))") }
        let n = shape.reduce(1, *)
        guard n == scalars.count else {
            throw AutodiffError("Tensor: shape \(Tensor.format(shape)) needs \(n) elements, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Internal unchecked initialiser.
    @usableFromInline
    init(unchecked shape: [Int], _ scalars: [Double]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor filled with `value`.
    public init(repeating value: Double, shape: [Int]) {
        self.shape = shape
        self.scalars = [Double](repeating: value, count: shape.reduce(1, *))
    }

    /// A scalar (shape []).
    public init(_ value: Double) {
        self.shape = []
        self.scalars = [value]
    }

    /// A 1-D tensor.
    public init(_ values: [Double]) {
        self.shape = [values.count]
        self.scalars = values
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// Number of elements.
    public var count: Int { scalars.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Bytes of element storage.
    public var bytes: Int { scalars.count * MemoryLayout<Double>.stride }

    /// The same elements with another shape of equal count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.reduce(1, *) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw AutodiffError.shapes("reshape", shape, newShape, detail: "element counts differ")
        }
        return Tensor(unchecked: newShape, scalars)
    }

    /// The single element of a count-1 tensor.
    public var scalar: Double? { count == 1 ? scalars[0] : nil }

    static func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

// MARK: - Broadcasting

/// How one operand of a broadcast maps onto the result's flat index i.
@usableFromInline
enum BroadcastMap: Sendable {
    case identity              // index i
    case scalar                // index 0
    case period(Int)           // index i % p (operand's shape is a suffix of the result's)
    /// One contiguous group of broadcast dimensions: the result is blocks of `times` repetitions of `inner`
    /// consecutive operand values; index ((i / (inner·times))·inner + i % inner) % count. Covers e.g. a per-link
    /// scalar [b, n, 1, 8] against an algebra field [b, n, 8, 8] without an index list.
    case grouped(inner: Int, times: Int, count: Int)
    case gather([Int])         // explicit index list (general case)
}

/// The result shape and the index maps of a NumPy-style broadcast of two shapes.
@usableFromInline
struct BroadcastPlan: Sendable {
    let shape: [Int]
    let count: Int
    let a: BroadcastMap
    let b: BroadcastMap

    init(_ op: String, _ sa: [Int], _ sb: [Int]) throws {
        let r = max(sa.count, sb.count)
        let pa = [Int](repeating: 1, count: r - sa.count) + sa
        let pb = [Int](repeating: 1, count: r - sb.count) + sb
        var out = [Int](repeating: 1, count: r)
        for d in 0..<r {
            if pa[d] == pb[d] || pb[d] == 1 { out[d] = pa[d] } else if pa[d] == 1 { out[d] = pb[d] } else {
                throw AutodiffError.shapes(op, sa, sb, detail: "dimension \(d) of the right-aligned shapes: \(pa[d]) vs \(pb[d])")
            }
        }
        shape = out
        count = out.reduce(1, *)
        a = BroadcastPlan.map(pa, out, count)
        b = BroadcastPlan.map(pb, out, count)
    }

    static func map(_ s: [Int], _ out: [Int], _ count: Int) -> BroadcastMap {
        let n = s.reduce(1, *)
        if s == out { return .identity }
        if n == 1 { return .scalar }
        // Strip leading 1s; if what remains equals the result's suffix, the operand repeats with period n.
        var k = 0
        while k < s.count && s[k] == 1 { k += 1 }
        if Array(s[k...]) == Array(out[k...]) { return .period(n) }
        // One contiguous group of broadcast dimensions after the leading ones.
        let diff = (k..<s.count).filter { s[$0] != out[$0] }
        if let lo = diff.first, let hi = diff.last, hi - lo + 1 == diff.count {
            let inner = s[(hi + 1)...].reduce(1, *), times = out[lo...hi].reduce(1, *)
            return .grouped(inner: inner, times: times, count: n)
        }
        // General: strides in the operand, zero where it broadcasts; odometer over the result.
        let r = out.count
        var strides = [Int](repeating: 0, count: r)
        var st = 1
        for d in stride(from: r - 1, through: 0, by: -1) {
            strides[d] = s[d] == 1 ? 0 : st
            st *= s[d]
        }
        var idx = [Int](repeating: 0, count: count)
        var coord = [Int](repeating: 0, count: r)
        var off = 0
        for i in 0..<count {
            idx[i] = off
            var d = r - 1
            while d >= 0 {
                coord[d] += 1
                off += strides[d]
                if coord[d] < out[d] { break }
                off -= strides[d] * out[d]
                coord[d] = 0
                d -= 1
            }
        }
        return .gather(idx)
    }
}

extension BroadcastMap {
    /// Sums `values` (one per result element) into a tensor of the operand's shape.
    func reduce(_ values: [Double], to shape: [Int]) -> Tensor {
        switch self {
        case .identity:
            return Tensor(unchecked: shape, values)
        case .scalar:
            var s = 0.0
            values.withUnsafeBufferPointer { for v in $0 { s += v } }
            return Tensor(unchecked: shape, [s])
        case .period(let p):
            var out = [Double](repeating: 0, count: p)
            out.withUnsafeMutableBufferPointer { o in
                values.withUnsafeBufferPointer { v in
                    var base = 0
                    while base < v.count {
                        for j in 0..<p { o[j] += v[base + j] }
                        base += p
                    }
                }
            }
            return Tensor(unchecked: shape, out)
        case .grouped(let inner, let times, let count):
            var out = [Double](repeating: 0, count: count)
            out.withUnsafeMutableBufferPointer { o in
                values.withUnsafeBufferPointer { v in
                    var i = 0, src = 0
                    while i < v.count {
                        for t in 0..<times { for j in 0..<inner { o[src + j] += v[i + t * inner + j] } }
                        i += inner * times
                        src += inner
                        if src == count { src = 0 }
                    }
                }
            }
            return Tensor(unchecked: shape, out)
        case .gather(let idx):
            var out = [Double](repeating: 0, count: shape.reduce(1, *))
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<values.count { o[idx[i]] += values[i] }
            }
            return Tensor(unchecked: shape, out)
        }
    }
}

/// Applies `f(a[ia], b[ib])` over a broadcast plan. The switch is outside the loops.
@inline(__always)
func broadcastApply(_ n: Int, _ ma: BroadcastMap, _ a: [Double], _ mb: BroadcastMap, _ b: [Double],
                    _ f: (Double, Double) -> Double) -> [Double] {
    return [Double](unsafeUninitializedCapacity: n) { out, initialized in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                switch (ma, mb) {
                case (.identity, .identity):
                    for i in 0..<n { out[i] = f(pa[i], pb[i]) }
                case (.identity, .scalar):
                    let s = pb[0]
                    for i in 0..<n { out[i] = f(pa[i], s) }
                case (.scalar, .identity):
                    let s = pa[0]
                    for i in 0..<n { out[i] = f(s, pb[i]) }
                case (.identity, .period(let p)):
                    var base = 0
                    while base < n {
                        for j in 0..<p { out[base + j] = f(pa[base + j], pb[j]) }
                        base += p
                    }
                case (.period(let p), .identity):
                    var base = 0
                    while base < n {
                        for j in 0..<p { out[base + j] = f(pa[j], pb[base + j]) }
                        base += p
                    }
                case (.identity, .grouped(let inner, let times, let count)):
                    var i = 0, src = 0
                    while i < n {
                        for t in 0..<times { for j in 0..<inner { out[i + t * inner + j] = f(pa[i + t * inner + j], pb[src + j]) } }
                        i += inner * times
                        src += inner
                        if src == count { src = 0 }
                    }
                case (.grouped(let inner, let times, let count), .identity):
                    var i = 0, src = 0
                    while i < n {
                        for t in 0..<times { for j in 0..<inner { out[i + t * inner + j] = f(pa[src + j], pb[i + t * inner + j]) } }
                        i += inner * times
                        src += inner
                        if src == count { src = 0 }
                    }
                default:
                    for i in 0..<n { out[i] = f(pa[ma.index(i)], pb[mb.index(i)]) }
                }
            }
        }
        initialized = n
    }
}

extension BroadcastMap {
    @inline(__always)
    func index(_ i: Int) -> Int {
        switch self {
        case .identity: return i
        case .scalar: return 0
        case .period(let p): return i % p
        case .grouped(let inner, let times, let count): return ((i / (inner * times)) * inner + i % inner) % count
        case .gather(let idx): return idx[i]
        }
    }

    /// The operand's values expanded to one per result element (for backward passes needing them).
    func expand(_ v: [Double], count n: Int) -> [Double] {
        if case .identity = self { return v }
        return (0..<n).map { v[index($0)] }
    }
}
