// SU3Algebra.swift — su(3) coordinates, the traceless anti-Hermitian projection, the exact exponential,
// re-unitarisation and Haar-random matrices, all on SIMD lanes (8 chains per vector).
//
// Conventions: see SU3Matrix.swift (REFERENCE §2): P = Σ_a p_a T_a, T_a = iλ_a/2.
// Exponential: for traceless X, Cayley–Hamilton gives X³ = t·X + d·1 with t = ½Tr X², d = det X = ⅓Tr X³.
// Hence Σ_k X^k/k! = q0 + q1 X + q2 X², with (q0, q1, q2) accumulated by the exact recursion
//   X·(a0 + a1 X + a2 X²) = a2 d + (a0 + a2 t) X + a1 X².
// 24 terms are summed after scaling X by 2^−s so that ‖X‖_F ≤ 1 (truncation < 1e-23, below round-off), then the
// result is squared s times (s per lane; s = 0 in molecular dynamics). exp(−X)·exp(X) = 1 to round-off, which
// reversibility needs (REFERENCE §2: a truncated Taylor series of fixed low order breaks it).
import LatticeCore

/// A batch of 8 su(3) algebra elements by their real coordinates p_1 … p_8.
public struct SU3Algebra: Sendable {
    public var p1, p2, p3, p4, p5, p6, p7, p8: Lanes

    @inlinable @inline(__always)
    public init(_ p1: Lanes, _ p2: Lanes, _ p3: Lanes, _ p4: Lanes, _ p5: Lanes, _ p6: Lanes, _ p7: Lanes, _ p8: Lanes) {
        self.p1 = p1; self.p2 = p2; self.p3 = p3; self.p4 = p4; self.p5 = p5; self.p6 = p6; self.p7 = p7; self.p8 = p8
    }

    @inlinable public static var zero: SU3Algebra { let z = Lanes(); return SU3Algebra(z, z, z, z, z, z, z, z) }

    public static let invSqrt3 = 0.57735026918962576451

    /// Coordinates of TA(M): p_a = −2 Re Tr(T_a M).
    @inlinable @inline(__always)
    public init(projecting m: SU3) {
        p1 = m.i01 + m.i10
        p2 = m.r01 - m.r10
        p3 = m.i00 - m.i11
        p4 = m.i02 + m.i20
        p5 = m.r02 - m.r20
        p6 = m.i12 + m.i21
        p7 = m.r12 - m.r21
        p8 = (m.i00 + m.i11 - 2 * m.i22) * SU3Algebra.invSqrt3
    }

    /// The matrix Σ_a p_a T_a (traceless anti-Hermitian).
    @inlinable @inline(__always)
    public var matrix: SU3 {
        let h = 0.5
        let d8 = p8 * (h * SU3Algebra.invSqrt3)
        let z = Lanes()
        return SU3(r00: z, i00: h * p3 + d8, r01: h * p2, i01: h * p1, r02: h * p5, i02: h * p4,
                   r10: -h * p2, i10: h * p1, r11: z, i11: -h * p3 + d8, r12: h * p7, i12: h * p6,
                   r20: -h * p5, i20: h * p4, r21: -h * p7, i21: h * p6, r22: z, i22: -2 * d8)
    }

    /// ½ Σ p_a² (= −Tr P²).
    @inlinable @inline(__always)
    public var halfNormSquared: Lanes {
        var s = p1 * p1
        s = s.addingProduct(p2, p2); s = s.addingProduct(p3, p3); s = s.addingProduct(p4, p4)
        s = s.addingProduct(p5, p5); s = s.addingProduct(p6, p6); s = s.addingProduct(p7, p7)
        s = s.addingProduct(p8, p8)
        return 0.5 * s
    }

    /// self ← self + c · other
    @inlinable @inline(__always)
    public mutating func add(_ c: Double, _ o: SU3Algebra) {
        p1 = p1.addingProduct(c, o.p1); p2 = p2.addingProduct(c, o.p2); p3 = p3.addingProduct(c, o.p3)
        p4 = p4.addingProduct(c, o.p4); p5 = p5.addingProduct(c, o.p5); p6 = p6.addingProduct(c, o.p6)
        p7 = p7.addingProduct(c, o.p7); p8 = p8.addingProduct(c, o.p8)
    }

    @inlinable @inline(__always)
    public static func * (c: Double, a: SU3Algebra) -> SU3Algebra {
        SU3Algebra(c * a.p1, c * a.p2, c * a.p3, c * a.p4, c * a.p5, c * a.p6, c * a.p7, c * a.p8)
    }
    @inlinable @inline(__always)
    public static func + (a: SU3Algebra, b: SU3Algebra) -> SU3Algebra {
        SU3Algebra(a.p1 + b.p1, a.p2 + b.p2, a.p3 + b.p3, a.p4 + b.p4, a.p5 + b.p5, a.p6 + b.p6, a.p7 + b.p7, a.p8 + b.p8)
    }
    @inlinable @inline(__always)
    public static prefix func - (a: SU3Algebra) -> SU3Algebra { -1.0 * a }

    /// Coordinate a (1…8), slow path.
    public subscript(a: Int) -> Lanes {
        get { [p1, p2, p3, p4, p5, p6, p7, p8][a - 1] }
        set {
            switch a {
            case 1: p1 = newValue
            case 2: p2 = newValue
            case 3: p3 = newValue
            case 4: p4 = newValue
            case 5: p5 = newValue
            case 6: p6 = newValue
            case 7: p7 = newValue
            case 8: p8 = newValue
            default: preconditionFailure("su(3) coordinate index \(a) not in 1…8")
            }
        }
    }
}

extension SU3 {
    /// exp(X) for traceless anti-Hermitian X (exact to round-off; see the file header).
    @inlinable
    public static func exp(_ x0: SU3) -> SU3 {
        // ‖X‖_F² = Σ|X_ij|²; choose s per lane with ‖X‖_F / 2^s ≤ 1.
        let norm2 = SU3.reTraceMulAdj(x0, x0)
        var scale = Lanes(repeating: 1)
        var squarings = 0
        if any(norm2 .> 1) {
            var n2 = norm2
            while any(n2 .> 1) && squarings < 60 {
                let big = n2 .> 1
                scale = scale.replacing(with: 0.5 * scale, where: big)
                n2 = n2.replacing(with: 0.25 * n2, where: big)
                squarings += 1
            }
        }
        let x = squarings == 0 ? x0 : scale * x0
        let x2 = SU3.mul(x, x)
        let t = 0.5 * x2.traceRe                          // ½ Tr X² (real for anti-Hermitian X)
        let dRe = SU3.reTraceMul(x2, x) * (1.0 / 3), dIm = SU3.imTraceMul(x2, x) * (1.0 / 3) // det X = ⅓ Tr X³
        // Coefficients of X^k/k! in the basis (1, X, X²), complex; summed into q.
        var a0r = Lanes(repeating: 1), a0i = Lanes(), a1r = Lanes(), a1i = Lanes(), a2r = Lanes(), a2i = Lanes()
        var q0r = a0r, q0i = a0i, q1r = a1r, q1i = a1i, q2r = a2r, q2i = a2i
        for k in 1...24 {
            let inv = 1.0 / Double(k)
            // new a0 = a2 d, a1 = a0 + a2 t, a2 = a1
            let n0r = (a2r * dRe).addingProduct(-a2i, dIm)
            let n0i = (a2r * dIm).addingProduct(a2i, dRe)
            let n1r = a0r.addingProduct(a2r, t), n1i = a0i.addingProduct(a2i, t)
            a2r = a1r * inv; a2i = a1i * inv
            a0r = n0r * inv; a0i = n0i * inv
            a1r = n1r * inv; a1i = n1i * inv
            q0r += a0r; q0i += a0i; q1r += a1r; q1i += a1i; q2r += a2r; q2i += a2i
        }
        // result = q0·1 + q1·X + q2·X²
        @inline(__always) func comb(_ xr: Lanes, _ xi: Lanes, _ yr: Lanes, _ yi: Lanes, diag: Bool) -> (Lanes, Lanes) {
            var re = ((q1r * xr).addingProduct(-q1i, xi)).addingProduct(q2r, yr).addingProduct(-q2i, yi)
            var im = ((q1r * xi).addingProduct(q1i, xr)).addingProduct(q2r, yi).addingProduct(q2i, yr)
            if diag { re += q0r; im += q0i }
            return (re, im)
        }
        let (r00, i00) = comb(x.r00, x.i00, x2.r00, x2.i00, diag: true)
        let (r01, i01) = comb(x.r01, x.i01, x2.r01, x2.i01, diag: false)
        let (r02, i02) = comb(x.r02, x.i02, x2.r02, x2.i02, diag: false)
        let (r10, i10) = comb(x.r10, x.i10, x2.r10, x2.i10, diag: false)
        let (r11, i11) = comb(x.r11, x.i11, x2.r11, x2.i11, diag: true)
        let (r12, i12) = comb(x.r12, x.i12, x2.r12, x2.i12, diag: false)
        let (r20, i20) = comb(x.r20, x.i20, x2.r20, x2.i20, diag: false)
        let (r21, i21) = comb(x.r21, x.i21, x2.r21, x2.i21, diag: false)
        let (r22, i22) = comb(x.r22, x.i22, x2.r22, x2.i22, diag: true)
        var e = SU3(r00: r00, i00: i00, r01: r01, i01: i01, r02: r02, i02: i02, r10: r10, i10: i10, r11: r11,
                    i11: i11, r12: r12, i12: i12, r20: r20, i20: i20, r21: r21, i21: i21, r22: r22, i22: i22)
        if squarings > 0 {
            var n2 = norm2
            for _ in 0..<squarings {
                let big = n2 .> 1
                let sq = SU3.mul(e, e)
                e = SU3.select(sq, e, where: big)
                n2 = n2.replacing(with: 0.25 * n2, where: big)
            }
        }
        return e
    }

    /// Lane-wise choice: a where mask, else b.
    @inlinable @inline(__always)
    public static func select(_ a: SU3, _ b: SU3, where m: LaneMask) -> SU3 {
        SU3(r00: b.r00.replacing(with: a.r00, where: m), i00: b.i00.replacing(with: a.i00, where: m),
            r01: b.r01.replacing(with: a.r01, where: m), i01: b.i01.replacing(with: a.i01, where: m),
            r02: b.r02.replacing(with: a.r02, where: m), i02: b.i02.replacing(with: a.i02, where: m),
            r10: b.r10.replacing(with: a.r10, where: m), i10: b.i10.replacing(with: a.i10, where: m),
            r11: b.r11.replacing(with: a.r11, where: m), i11: b.i11.replacing(with: a.i11, where: m),
            r12: b.r12.replacing(with: a.r12, where: m), i12: b.i12.replacing(with: a.i12, where: m),
            r20: b.r20.replacing(with: a.r20, where: m), i20: b.i20.replacing(with: a.i20, where: m),
            r21: b.r21.replacing(with: a.r21, where: m), i21: b.i21.replacing(with: a.i21, where: m),
            r22: b.r22.replacing(with: a.r22, where: m), i22: b.i22.replacing(with: a.i22, where: m))
    }

    /// The projection back onto SU(3): Gram–Schmidt on rows 0 and 1, row 2 = conj(row0 × row1).
    /// Used between trajectories only (REFERENCE §2).
    @inlinable
    public var reunitarized: SU3 {
        var u = self
        // row 0
        let n0 = (u.r00 * u.r00).addingProduct(u.i00, u.i00).addingProduct(u.r01, u.r01).addingProduct(u.i01, u.i01)
            .addingProduct(u.r02, u.r02).addingProduct(u.i02, u.i02)
        let inv0 = 1 / n0.squareRoot()
        u.r00 *= inv0; u.i00 *= inv0; u.r01 *= inv0; u.i01 *= inv0; u.r02 *= inv0; u.i02 *= inv0
        // row 1 −= (row0† · row1) row0, with ⟨row0,row1⟩ = Σ conj(u0j) u1j
        let cr = (u.r00 * u.r10).addingProduct(u.i00, u.i10).addingProduct(u.r01, u.r11).addingProduct(u.i01, u.i11)
            .addingProduct(u.r02, u.r12).addingProduct(u.i02, u.i12)
        let ci = (u.r00 * u.i10).addingProduct(-u.i00, u.r10).addingProduct(u.r01, u.i11).addingProduct(-u.i01, u.r11)
            .addingProduct(u.r02, u.i12).addingProduct(-u.i02, u.r12)
        u.r10 = u.r10 - (cr * u.r00 - ci * u.i00); u.i10 = u.i10 - (cr * u.i00 + ci * u.r00)
        u.r11 = u.r11 - (cr * u.r01 - ci * u.i01); u.i11 = u.i11 - (cr * u.i01 + ci * u.r01)
        u.r12 = u.r12 - (cr * u.r02 - ci * u.i02); u.i12 = u.i12 - (cr * u.i02 + ci * u.r02)
        let n1 = (u.r10 * u.r10).addingProduct(u.i10, u.i10).addingProduct(u.r11, u.r11).addingProduct(u.i11, u.i11)
            .addingProduct(u.r12, u.r12).addingProduct(u.i12, u.i12)
        let inv1 = 1 / n1.squareRoot()
        u.r10 *= inv1; u.i10 *= inv1; u.r11 *= inv1; u.i11 *= inv1; u.r12 *= inv1; u.i12 *= inv1
        u.completeThirdRow()
        return u
    }

    /// row2 = conj(row0 × row1), which makes a unitary pair of rows into an SU(3) matrix.
    @inlinable @inline(__always)
    public mutating func completeThirdRow() {
        // (a × b)_0 = a1 b2 − a2 b1, etc.; then conjugate.
        @inline(__always) func cross(_ ar: Lanes, _ ai: Lanes, _ br: Lanes, _ bi: Lanes,
                                     _ cr: Lanes, _ ci: Lanes, _ dr: Lanes, _ di: Lanes) -> (Lanes, Lanes) {
            // a·b − c·d (complex)
            let re = (ar * br).addingProduct(-ai, bi).addingProduct(-cr, dr).addingProduct(ci, di)
            let im = (ar * bi).addingProduct(ai, br).addingProduct(-cr, di).addingProduct(-ci, dr)
            return (re, -im)
        }
        (r20, i20) = cross(r01, i01, r12, i12, r02, i02, r11, i11)
        (r21, i21) = cross(r02, i02, r10, i10, r00, i00, r12, i12)
        (r22, i22) = cross(r00, i00, r11, i11, r01, i01, r10, i10)
    }

    /// det(self) per lane (re, im).
    public var determinant: (re: Lanes, im: Lanes) {
        func m(_ ar: Lanes, _ ai: Lanes, _ br: Lanes, _ bi: Lanes) -> (Lanes, Lanes) { (ar * br - ai * bi, ar * bi + ai * br) }
        let (c0r, c0i) = m(r11, i11, r22, i22), (d0r, d0i) = m(r12, i12, r21, i21)
        let (c1r, c1i) = m(r10, i10, r22, i22), (d1r, d1i) = m(r12, i12, r20, i20)
        let (c2r, c2i) = m(r10, i10, r21, i21), (d2r, d2i) = m(r11, i11, r20, i20)
        let (t0r, t0i) = m(r00, i00, c0r - d0r, c0i - d0i)
        let (t1r, t1i) = m(r01, i01, c1r - d1r, c1i - d1i)
        let (t2r, t2i) = m(r02, i02, c2r - d2r, c2i - d2i)
        return (t0r - t1r + t2r, t0i - t1i + t2i)
    }

    /// max over lanes and entries of |U U† − 1| (a unitarity check for tests).
    public var unitarityDeviation: Double {
        let p = SU3.mulAdj(self, self) - SU3.identity
        var worst = 0.0
        for i in 0..<3 { for j in 0..<3 {
            let (re, im) = p.entry(i, j)
            for l in 0..<8 { worst = Swift.max(worst, abs(re[l]), abs(im[l])) }
        } }
        return worst
    }
}

extension SU3 {
    /// A Haar-random SU(3) matrix in one lane from 12 standard normal numbers (rows 0 and 1 of a complex
    /// Gaussian matrix, Gram–Schmidt, third row from the cross product).
    public mutating func setHaarRandom(lane l: Int, gaussians g: UnsafePointer<Double>) {
        for j in 0..<3 {
            var (r0, i0) = entry(0, j); r0[l] = g[2 * j]; i0[l] = g[2 * j + 1]; setEntry(0, j, re: r0, im: i0)
            var (r1, i1) = entry(1, j); r1[l] = g[6 + 2 * j]; i1[l] = g[6 + 2 * j + 1]; setEntry(1, j, re: r1, im: i1)
        }
    }
}
