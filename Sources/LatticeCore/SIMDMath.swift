// SIMDMath.swift — vectorised elementary functions on SIMD8<Double> (the `Lanes` type: one lane per chain).
//
// Swift has no vector sin/cos/log; the lattice forces and the Gaussian sampler need them for 8 chains at once.
// Everything here is lane-wise, branch-free and libm-free:
//   * lanes are selected with masks (`replacing(with:where:)`), never with per-lane scalar loops;
//   * every fused multiply-add is written explicitly (`addingProduct`), so results are bit-identical on every
//     machine with IEEE FMA, and identical across the SIMD8, SIMD4 and scalar entry points of a function;
//   * the algorithms and coefficients are fdlibm's (Sun Microsystems, 1993: e_rem_pio2.c, k_sin.c, k_cos.c,
//     e_log.c in the musl form), < 1 ulp in their documented ranges.
// Ranges:
//   * simdSin/simdCos/simdSinCos: Cody–Waite reduction by π/2 with a 3 × 33-bit split of π/2 (+ 53-bit tail).
//     The reduction is exact for |x| < 2^19·π/2 ≈ 8.2e5 and stays at round-off level up to |x| ≈ 1e9 (measured
//     max abs error 1.1e-16 over [−20, 20], [−1e4, 1e4], [−8e5, 8e5] and [−1e9, 1e9]); beyond, the error grows
//     ∝ |x| (3.6e-15 at 1e12, 3.6e-12 at 1e15, 4e-10 at 1e16). Lanes with |x| ≥ 2^52, ±∞ or NaN give NaN.
//   * simdLog: all Doubles (0 → −∞, negative/NaN → NaN, +∞ → +∞, subnormals handled).
//   * wrapAngle: w(θ) = θ − 2π⌊(θ+π)/2π⌋ (REFERENCE §1), result always in [−Double.pi, Double.pi).
// The SIMD4 overloads run the SIMD8 kernel on a duplicated vector: on AVX-512 that costs the same.

// MARK: - Sine and cosine

/// sin(x) lane-wise, ≤ 1 ulp for |x| ≲ 1e9; NaN for |x| ≥ 2^52. See the file header for the range.
@inlinable @inline(__always)
public func simdSin(_ x: SIMD8<Double>) -> SIMD8<Double> { _sinCos(x).sin }

/// cos(x) lane-wise, ≤ 1 ulp for |x| ≲ 1e9; NaN for |x| ≥ 2^52. See the file header for the range.
@inlinable @inline(__always)
public func simdCos(_ x: SIMD8<Double>) -> SIMD8<Double> { _sinCos(x).cos }

/// (sin x, cos x) lane-wise with one shared range reduction.
@inlinable @inline(__always)
public func simdSinCos(_ x: SIMD8<Double>) -> (sin: SIMD8<Double>, cos: SIMD8<Double>) { _sinCos(x) }

/// sin(x) lane-wise (SIMD4 entry point; same results as the SIMD8 version lane by lane).
@inlinable
public func simdSin(_ x: SIMD4<Double>) -> SIMD4<Double> { _sinCos(SIMD8(lowHalf: x, highHalf: x)).sin.lowHalf }

/// cos(x) lane-wise (SIMD4 entry point).
@inlinable
public func simdCos(_ x: SIMD4<Double>) -> SIMD4<Double> { _sinCos(SIMD8(lowHalf: x, highHalf: x)).cos.lowHalf }

/// (sin x, cos x) lane-wise (SIMD4 entry point).
@inlinable
public func simdSinCos(_ x: SIMD4<Double>) -> (sin: SIMD4<Double>, cos: SIMD4<Double>) {
    let r = _sinCos(SIMD8(lowHalf: x, highHalf: x))
    return (r.sin.lowHalf, r.cos.lowHalf)
}

/// Shared kernel: reduction x = nπ/2 + (y0 + y1), fdlibm polynomials, quadrant selection by masks.
@inlinable @inline(__always)
internal func _sinCos(_ x: SIMD8<Double>) -> (sin: SIMD8<Double>, cos: SIMD8<Double>) {
    typealias V = SIMD8<Double>
    // Cody–Waite reduction (fdlibm e_rem_pio2.c, medium case, always three steps).
    let invPio2 = 6.36619772367581382433e-01
    let pio2_1 = 1.57079632673412561417e+00   // first 33 bits of π/2
    let pio2_1t = 6.07710050650619224932e-11   // π/2 − pio2_1
    let pio2_2 = 6.07710050630396597660e-11   // second 33 bits
    let pio2_2t = 2.02226624879595063154e-21   // π/2 − pio2_1 − pio2_2
    let pio2_3 = 2.02226624871116645580e-21   // third 33 bits
    let pio2_3t = 8.47842766036889956997e-32   // π/2 − pio2_1 − pio2_2 − pio2_3
    _ = pio2_1t
    // Above 2^52 the quadrant itself is lost to rounding: make such lanes NaN rather than garbage.
    let absX = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: V.self)
    var fn = (x * invPio2).rounded(.toNearestOrEven)
    fn.replace(with: .nan, where: absX .>= 0x1p52)
    // n·pio2_1 and n·pio2_2, n·pio2_3 are exact for |n| < 2^20; the fma keeps the first step exact beyond.
    var r = x.addingProduct(-fn, V(repeating: pio2_1))
    var t = r
    var w = fn * pio2_2
    r = t - w
    w = (w - (t - r)).addingProduct(fn, V(repeating: pio2_2t))
    t = r
    w = fn * pio2_3
    r = t - w
    w = (w - (t - r)).addingProduct(fn, V(repeating: pio2_3t))
    var y0 = r - w
    var y1 = (r - y0) - w
    // n = 0: no reduction (keeps −0.0 and tiny arguments exact).
    let small = fn .== 0
    y0.replace(with: x, where: small)
    y1.replace(with: 0, where: small)

    let s = _kernelSin(y0, y1)
    let c = _kernelCos(y0, y1)
    // Quadrant q = n mod 4 ∈ {0, 1, 2, 3}, computed exactly in Double.
    let q = fn.addingProduct(-4, (fn * 0.25).rounded(.down))
    let odd = (q .== 1) .| (q .== 3)
    var sinv = s.replacing(with: c, where: odd)
    var cosv = c.replacing(with: s, where: odd)
    sinv.replace(with: -sinv, where: q .>= 2)
    cosv.replace(with: -cosv, where: (q .== 1) .| (q .== 2))
    return (sinv, cosv)
}

/// fdlibm __kernel_sin(x, y, 1): sin(x + y) for |x + y| ≲ π/4, y the tail of x.
@inlinable @inline(__always)
internal func _kernelSin(_ x: SIMD8<Double>, _ y: SIMD8<Double>) -> SIMD8<Double> {
    typealias V = SIMD8<Double>
    let S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03
    let S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06
    let S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10
    let z = x * x
    let v = z * x
    var p = V(repeating: S5).addingProduct(z, V(repeating: S6))
    p = V(repeating: S4).addingProduct(z, p)
    p = V(repeating: S3).addingProduct(z, p)
    p = V(repeating: S2).addingProduct(z, p)
    // x − ((z·(y/2 − v·p) − y) − v·S1)
    let inner = (0.5 * y).addingProduct(-v, p)
    return x - (-y).addingProduct(z, inner).addingProduct(-v, V(repeating: S1))
}

/// fdlibm __kernel_cos(x, y): cos(x + y) for |x + y| ≲ π/4, y the tail of x.
@inlinable @inline(__always)
internal func _kernelCos(_ x: SIMD8<Double>, _ y: SIMD8<Double>) -> SIMD8<Double> {
    typealias V = SIMD8<Double>
    typealias U = SIMD8<UInt64>
    let C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03
    let C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07
    let C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11
    let z = x * x
    var p = V(repeating: C5).addingProduct(z, V(repeating: C6))
    p = V(repeating: C4).addingProduct(z, p)
    p = V(repeating: C3).addingProduct(z, p)
    p = V(repeating: C2).addingProduct(z, p)
    p = V(repeating: C1).addingProduct(z, p)
    let r = z * p
    // qx: 0 for |x| < 0.3, 0.28125 for |x| > 0.78125, else |x|/4 with its low 32 bits cleared (1 − qx exact).
    let absBits = unsafeBitCast(x, to: U.self) & 0x7FFF_FFFF_FFFF_FFFF
    let absX = unsafeBitCast(absBits, to: V.self)
    var qx = unsafeBitCast((absBits & 0xFFFF_FFFF_0000_0000) &- 0x0020_0000_0000_0000, to: V.self)
    qx.replace(with: 0, where: absX .< 0.3)
    qx.replace(with: 0.28125, where: absX .> 0.78125)
    let hz = (0.5 * z) - qx
    let a = 1 - qx
    return a - (hz - (-(x * y)).addingProduct(z, r))
}

// MARK: - Logarithm

/// Natural logarithm lane-wise, < 1 ulp (fdlibm e_log.c, musl form). 0 → −∞, x < 0 or NaN → NaN, +∞ → +∞.
@inlinable @inline(__always)
public func simdLog(_ x: SIMD8<Double>) -> SIMD8<Double> {
    // Subnormals: scale by 2^54 and correct the exponent.
    let sub = (x .> 0) .& (x .< 0x1p-1022)
    var y = x.replacing(with: x * 0x1p54, where: sub)
    y.replace(with: 1, where: .!(x .> 0) .| (x .== .infinity))   // keep the kernel's input in range
    var result = _logPositiveNormal(y, exponentBias: SIMD8<Double>(repeating: 0).replacing(with: -54, where: sub))
    result.replace(with: -.infinity, where: x .== 0)
    result.replace(with: .nan, where: (x .< 0) .| (x .!= x))
    result.replace(with: .infinity, where: x .== .infinity)
    return result
}

/// log(x) for positive, finite, normal x (no checks); `exponentBias` is added to the binary exponent.
@inlinable @inline(__always)
internal func _logPositiveNormal(_ x: SIMD8<Double>, exponentBias: SIMD8<Double> = .zero) -> SIMD8<Double> {
    typealias V = SIMD8<Double>
    typealias U = SIMD8<UInt64>
    let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    let Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01
    let Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01
    let Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01
    let Lg7 = 1.479819860511658591e-01
    // x = 2^k · m with m ∈ [√2/2, √2).
    var bits = unsafeBitCast(x, to: U.self) &+ ((0x3FF0_0000 - 0x3FE6_A09E) &<< 32)
    // k = biased exponent − 1023, converted exactly via the 2^52 trick (no int→double conversion call).
    let k = (unsafeBitCast((bits &>> 52) | 0x4330_0000_0000_0000, to: V.self) - (0x1p52 + 1023)) + exponentBias
    bits = (bits & 0x000F_FFFF_FFFF_FFFF) &+ (0x3FE6_A09E &<< 32)
    let f = unsafeBitCast(bits, to: V.self) - 1
    let hfsq = 0.5 * f * f
    let s = f / (2 + f)
    let z = s * s
    let w = z * z
    let t1 = w * V(repeating: Lg4).addingProduct(w, V(repeating: Lg6)).addingProductTimes(w, Lg2)
    let t2 = z * V(repeating: Lg5).addingProduct(w, V(repeating: Lg7))
        .addingProductTimes(w, Lg3).addingProductTimes(w, Lg1)
    let R = t2 + t1
    // s·(hfsq + R) + k·ln2Lo − hfsq + f + k·ln2Hi
    let lo = (s * (hfsq + R)).addingProduct(k, V(repeating: ln2Lo)) - hfsq + f
    return lo.addingProduct(k, V(repeating: ln2Hi))
}

/// √|x| lane-wise, correctly rounded (one vsqrtpd). Clearing the sign bit first lets LLVM drop the libm
/// errno fallback that `squareRoot()` otherwise keeps per lane on Linux.
@inlinable @inline(__always)
internal func _sqrtMagnitude(_ x: SIMD8<Double>) -> SIMD8<Double> {
    unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: SIMD8<Double>.self)
        .squareRoot()
}

extension SIMD8 where Scalar == Double {
    /// Horner step: c + x·self (fused).
    @inlinable @inline(__always)
    internal func addingProductTimes(_ x: SIMD8<Double>, _ c: Double) -> SIMD8<Double> {
        SIMD8<Double>(repeating: c).addingProduct(x, self)
    }
}

// MARK: - Angle wrapping

/// w(θ) = θ − 2π⌊(θ+π)/2π⌋ lane-wise (REFERENCE §1); the result is always in [−Double.pi, Double.pi).
/// 2π is applied as a two-part constant with fma, so w(θ) is accurate to a few ulp of π for |θ| ≲ 1e6.
@inlinable @inline(__always)
public func wrapAngle(_ x: SIMD8<Double>) -> SIMD8<Double> {
    typealias V = SIMD8<Double>
    let twoPiHi = 6.283185307179586232, twoPiLo = 2.4492935982947064e-16, inv2Pi = 0.15915494309189535
    let k = ((x + .pi) * inv2Pi).rounded(.down)
    var r = x.addingProduct(-k, V(repeating: twoPiHi)).addingProduct(-k, V(repeating: twoPiLo))
    // k can be off by one next to the boundaries; one correction each way, then the half-open guard.
    r.replace(with: (r - twoPiHi) - twoPiLo, where: r .>= .pi)
    r.replace(with: (r + twoPiHi) + twoPiLo, where: r .< -.pi)
    r.replace(with: -.pi, where: r .>= .pi)
    return r
}

/// Scalar w(θ) = θ − 2π⌊(θ+π)/2π⌋, the same arithmetic as the SIMD version; result in [−Double.pi, Double.pi).
@inlinable
public func wrapAngle(_ x: Double) -> Double {
    let twoPiHi = 6.283185307179586232, twoPiLo = 2.4492935982947064e-16, inv2Pi = 0.15915494309189535
    let k = ((x + .pi) * inv2Pi).rounded(.down)
    var r = x.addingProduct(-k, twoPiHi).addingProduct(-k, twoPiLo)
    if r >= .pi { r = (r - twoPiHi) - twoPiLo }
    if r < -.pi { r = (r + twoPiHi) + twoPiLo }
    if r >= .pi { r = -.pi }
    return r
}

// MARK: - Exponential

/// e^x lane-wise: Cody–Waite reduction x = n·ln2 + r (|r| ≤ ½ln2, two-part ln2), the Taylor series of e^r to r¹³/13!
/// (truncation < 1e-17 relative), then scaling by 2^n built from the exponent bits (split in two factors so that
/// results down to the subnormal range stay exact). x > 709.78 → +∞, x < −745.2 → 0, NaN → NaN. Accuracy ≈ 1–2 ulp.
@inlinable @inline(__always)
public func simdExp(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10, invLn2 = 1.44269504088896338700e+00
    let xc = x.clamped(lowerBound: SIMD8(repeating: -746), upperBound: SIMD8(repeating: 710))
    let n = (xc * invLn2).rounded(.toNearestOrEven)
    let r = xc.addingProduct(-n, SIMD8(repeating: ln2Hi)).addingProduct(-n, SIMD8(repeating: ln2Lo))
    // Horner for Σ_{k≤13} r^k/k!
    typealias V = SIMD8<Double>
    var p = V(repeating: 1.0 / 6227020800.0)
    p = V(repeating: 1.0 / 479001600.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 39916800.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 3628800.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 362880.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 40320.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 5040.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 720.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 120.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 24.0).addingProduct(p, r)
    p = V(repeating: 1.0 / 6.0).addingProduct(p, r)
    p = V(repeating: 0.5).addingProduct(p, r)
    p = V(repeating: 1.0).addingProduct(p, r)
    p = V(repeating: 1.0).addingProduct(p, r)
    // 2^n as two factors 2^h·2^(n−h), each a normal number for n ∈ [−1076, 1024].
    let h = (n * 0.5).rounded(.down)
    func pow2(_ k: SIMD8<Double>) -> SIMD8<Double> {
        // (k + 1023) << 52 via the 2^52 trick: exact for integral k in [−1022, 1023].
        let biased = k + SIMD8(repeating: 1023 + 0x1p52)
        let bits = unsafeBitCast(biased, to: SIMD8<UInt64>.self) &- SIMD8<UInt64>(repeating: 0x4330_0000_0000_0000)
        return unsafeBitCast(bits &<< 52, to: SIMD8<Double>.self)
    }
    var y = p * pow2(h) * pow2(n - h)
    y.replace(with: .infinity, where: x .> 709.782712893384)
    y.replace(with: 0, where: x .< -745.2)
    y.replace(with: x, where: x .!= x)
    return y
}

/// tanh lane-wise: odd Taylor series to x¹¹ for |x| < 1/16 (truncation < 2e-17 relative), else
/// sign(x)·(1 − e^{−2|x|})/(1 + e^{−2|x|}) with simdExp. A few ulp.
@inlinable @inline(__always)
public func simdTanh(_ x: SIMD8<Double>) -> SIMD8<Double> {
    typealias V = SIMD8<Double>
    let a = x.replacing(with: -x, where: x .< 0)
    let t = simdExp(-2 * a)
    var big = (1 - t) / (1 + t)
    big.replace(with: -big, where: x .< 0)
    let x2 = x * x
    var p = V(repeating: -1382.0 / 155925.0)
    p = V(repeating: 62.0 / 2835.0).addingProduct(p, x2)
    p = V(repeating: -17.0 / 315.0).addingProduct(p, x2)
    p = V(repeating: 2.0 / 15.0).addingProduct(p, x2)
    p = V(repeating: -1.0 / 3.0).addingProduct(p, x2)
    let small = x.addingProduct(x * x2, p)
    var y = big.replacing(with: small, where: a .< 0.0625)
    y.replace(with: x, where: x .!= x)
    return y
}

/// The logistic function 1/(1 + e^{−x}) lane-wise (simdExp).
@inlinable @inline(__always)
public func simdSigmoid(_ x: SIMD8<Double>) -> SIMD8<Double> { 1 / (1 + simdExp(-x)) }

/// atan(x) on 8 lanes (Cephes' atan: range reduction to |x| ≤ 0.66 via π/2 − atan(1/x) and π/4 + atan((x−1)/(x+1)),
/// then x + x·z·P(z)/Q(z), z = x²; a few ulp against libm, tested in SIMDAtanTests). NaN propagates; ±∞ → ±π/2.
@inlinable
public func simdAtan(_ x0: SIMD8<Double>) -> SIMD8<Double> {
    let sign = x0 .< 0
    var x = x0.replacing(with: -x0, where: sign)
    let big = x .> 2.41421356237309504880           // tan(3π/8)
    let mid = (x .> 0.66) .& .!big
    let moreBits = 6.123233995736765886130e-17
    var y = SIMD8<Double>(repeating: 0)
    y.replace(with: SIMD8(repeating: Double.pi / 2), where: big)
    y.replace(with: SIMD8(repeating: Double.pi / 4), where: mid)
    x = x.replacing(with: -1 / x, where: big)
    x = x.replacing(with: (x - 1) / (x + 1), where: mid)
    let z = x * x
    var p = SIMD8<Double>(repeating: -8.750608600031904122785e-1)
    p = p * z + -1.615753718733365076637e1
    p = p * z + -7.500855792314704667340e1
    p = p * z + -1.228866684490136173410e2
    p = p * z + -6.485021904942025371773e1
    var q = z + 2.485846490142306297962e1
    q = q * z + 1.650270098316988542046e2
    q = q * z + 4.328810604912902668951e2
    q = q * z + 4.853903996359136964868e2
    q = q * z + 1.945506571482613964425e2
    var r = x * (z * p / q) + x
    r.replace(with: r + moreBits, where: big)
    r.replace(with: r + 0.5 * moreBits, where: mid)
    let out = y + r
    return out.replacing(with: -out, where: sign)
}
