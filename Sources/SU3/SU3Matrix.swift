// SU3Matrix.swift — 3×3 complex matrices on SIMD lanes (8 chains per vector) and the su(3) algebra.
//
// GENERATED-STYLE CODE: the unrolled products below are written out entry by entry with explicit FMAs
// (REFERENCE §8: no FMA unless written). Each entry's real and imaginary parts are one SIMD8<Double> (one lane
// per chain), so one SU3 value is 18 vectors = 1152 bytes, the batch of 8 chains.
//
// Conventions (REFERENCE §2): generators T_a = iλ_a/2 (Gell-Mann λ), anti-Hermitian, Tr(T_a T_b) = −½δ_ab.
// An algebra element P = Σ_a p_a T_a is stored by its 8 real coordinates; ½Σp_a² = −Tr P².
// Coordinates of the traceless anti-Hermitian part TA(M) = ½(M − M†) − (1/6)Tr(M − M†)·1 of any M are
// p_a = −2 Re Tr(T_a M):
//   p1 = Im(M01+M10)  p2 = Re(M01−M10)  p3 = Im(M00−M11)  p4 = Im(M02+M20)  p5 = Re(M02−M20)
//   p6 = Im(M12+M21)  p7 = Re(M12−M21)  p8 = (Im M00 + Im M11 − 2 Im M22)/√3
import LatticeCore

/// A batch of 8 complex 3×3 matrices (one per chain lane).
public struct SU3: Sendable {
    public var r00: Lanes
    public var i00: Lanes
    public var r01: Lanes
    public var i01: Lanes
    public var r02: Lanes
    public var i02: Lanes
    public var r10: Lanes
    public var i10: Lanes
    public var r11: Lanes
    public var i11: Lanes
    public var r12: Lanes
    public var i12: Lanes
    public var r20: Lanes
    public var i20: Lanes
    public var r21: Lanes
    public var i21: Lanes
    public var r22: Lanes
    public var i22: Lanes

    @inlinable @inline(__always)
    public init(r00: Lanes, i00: Lanes, r01: Lanes, i01: Lanes, r02: Lanes, i02: Lanes, r10: Lanes, i10: Lanes, r11: Lanes, i11: Lanes, r12: Lanes, i12: Lanes, r20: Lanes, i20: Lanes, r21: Lanes, i21: Lanes, r22: Lanes, i22: Lanes) {
        self.r00 = r00; self.i00 = i00
        self.r01 = r01; self.i01 = i01
        self.r02 = r02; self.i02 = i02
        self.r10 = r10; self.i10 = i10
        self.r11 = r11; self.i11 = i11
        self.r12 = r12; self.i12 = i12
        self.r20 = r20; self.i20 = i20
        self.r21 = r21; self.i21 = i21
        self.r22 = r22; self.i22 = i22
    }

    /// The identity in every lane.
    @inlinable public static var identity: SU3 {
        let o = Lanes(repeating: 1), z = Lanes()
        return SU3(r00: o, i00: z, r01: z, i01: z, r02: z, i02: z, r10: z, i10: z, r11: o, i11: z, r12: z, i12: z, r20: z, i20: z, r21: z, i21: z, r22: o, i22: z)
    }
    @inlinable public static var zero: SU3 {
        let z = Lanes()
        return SU3(r00: z, i00: z, r01: z, i01: z, r02: z, i02: z, r10: z, i10: z, r11: z, i11: z, r12: z, i12: z, r20: z, i20: z, r21: z, i21: z, r22: z, i22: z)
    }

    /// Entry (i, j) as (re, im) — slow path for tests and I/O.
    public func entry(_ i: Int, _ j: Int) -> (re: Lanes, im: Lanes) {
        switch (i, j) {
        case (0, 0): return (r00, i00)
        case (0, 1): return (r01, i01)
        case (0, 2): return (r02, i02)
        case (1, 0): return (r10, i10)
        case (1, 1): return (r11, i11)
        case (1, 2): return (r12, i12)
        case (2, 0): return (r20, i20)
        case (2, 1): return (r21, i21)
        case (2, 2): return (r22, i22)
        default: preconditionFailure("SU3 index out of range")
        }
    }
    public mutating func setEntry(_ i: Int, _ j: Int, re: Lanes, im: Lanes) {
        switch (i, j) {
        case (0, 0): r00 = re; i00 = im
        case (0, 1): r01 = re; i01 = im
        case (0, 2): r02 = re; i02 = im
        case (1, 0): r10 = re; i10 = im
        case (1, 1): r11 = re; i11 = im
        case (1, 2): r12 = re; i12 = im
        case (2, 0): r20 = re; i20 = im
        case (2, 1): r21 = re; i21 = im
        case (2, 2): r22 = re; i22 = im
        default: preconditionFailure("SU3 index out of range")
        }
    }

    /// a · b
    @inlinable @inline(__always)
    public static func mul(_ a: SU3, _ b: SU3) -> SU3 {
        let r00 = (((((a.r00 * b.r00).addingProduct(-a.i00, b.i00)).addingProduct(a.r01, b.r10)).addingProduct(-a.i01, b.i10)).addingProduct(a.r02, b.r20)).addingProduct(-a.i02, b.i20)
        let i00 = (((((a.r00 * b.i00).addingProduct(a.i00, b.r00)).addingProduct(a.r01, b.i10)).addingProduct(a.i01, b.r10)).addingProduct(a.r02, b.i20)).addingProduct(a.i02, b.r20)
        let r01 = (((((a.r00 * b.r01).addingProduct(-a.i00, b.i01)).addingProduct(a.r01, b.r11)).addingProduct(-a.i01, b.i11)).addingProduct(a.r02, b.r21)).addingProduct(-a.i02, b.i21)
        let i01 = (((((a.r00 * b.i01).addingProduct(a.i00, b.r01)).addingProduct(a.r01, b.i11)).addingProduct(a.i01, b.r11)).addingProduct(a.r02, b.i21)).addingProduct(a.i02, b.r21)
        let r02 = (((((a.r00 * b.r02).addingProduct(-a.i00, b.i02)).addingProduct(a.r01, b.r12)).addingProduct(-a.i01, b.i12)).addingProduct(a.r02, b.r22)).addingProduct(-a.i02, b.i22)
        let i02 = (((((a.r00 * b.i02).addingProduct(a.i00, b.r02)).addingProduct(a.r01, b.i12)).addingProduct(a.i01, b.r12)).addingProduct(a.r02, b.i22)).addingProduct(a.i02, b.r22)
        let r10 = (((((a.r10 * b.r00).addingProduct(-a.i10, b.i00)).addingProduct(a.r11, b.r10)).addingProduct(-a.i11, b.i10)).addingProduct(a.r12, b.r20)).addingProduct(-a.i12, b.i20)
        let i10 = (((((a.r10 * b.i00).addingProduct(a.i10, b.r00)).addingProduct(a.r11, b.i10)).addingProduct(a.i11, b.r10)).addingProduct(a.r12, b.i20)).addingProduct(a.i12, b.r20)
        let r11 = (((((a.r10 * b.r01).addingProduct(-a.i10, b.i01)).addingProduct(a.r11, b.r11)).addingProduct(-a.i11, b.i11)).addingProduct(a.r12, b.r21)).addingProduct(-a.i12, b.i21)
        let i11 = (((((a.r10 * b.i01).addingProduct(a.i10, b.r01)).addingProduct(a.r11, b.i11)).addingProduct(a.i11, b.r11)).addingProduct(a.r12, b.i21)).addingProduct(a.i12, b.r21)
        let r12 = (((((a.r10 * b.r02).addingProduct(-a.i10, b.i02)).addingProduct(a.r11, b.r12)).addingProduct(-a.i11, b.i12)).addingProduct(a.r12, b.r22)).addingProduct(-a.i12, b.i22)
        let i12 = (((((a.r10 * b.i02).addingProduct(a.i10, b.r02)).addingProduct(a.r11, b.i12)).addingProduct(a.i11, b.r12)).addingProduct(a.r12, b.i22)).addingProduct(a.i12, b.r22)
        let r20 = (((((a.r20 * b.r00).addingProduct(-a.i20, b.i00)).addingProduct(a.r21, b.r10)).addingProduct(-a.i21, b.i10)).addingProduct(a.r22, b.r20)).addingProduct(-a.i22, b.i20)
        let i20 = (((((a.r20 * b.i00).addingProduct(a.i20, b.r00)).addingProduct(a.r21, b.i10)).addingProduct(a.i21, b.r10)).addingProduct(a.r22, b.i20)).addingProduct(a.i22, b.r20)
        let r21 = (((((a.r20 * b.r01).addingProduct(-a.i20, b.i01)).addingProduct(a.r21, b.r11)).addingProduct(-a.i21, b.i11)).addingProduct(a.r22, b.r21)).addingProduct(-a.i22, b.i21)
        let i21 = (((((a.r20 * b.i01).addingProduct(a.i20, b.r01)).addingProduct(a.r21, b.i11)).addingProduct(a.i21, b.r11)).addingProduct(a.r22, b.i21)).addingProduct(a.i22, b.r21)
        let r22 = (((((a.r20 * b.r02).addingProduct(-a.i20, b.i02)).addingProduct(a.r21, b.r12)).addingProduct(-a.i21, b.i12)).addingProduct(a.r22, b.r22)).addingProduct(-a.i22, b.i22)
        let i22 = (((((a.r20 * b.i02).addingProduct(a.i20, b.r02)).addingProduct(a.r21, b.i12)).addingProduct(a.i21, b.r12)).addingProduct(a.r22, b.i22)).addingProduct(a.i22, b.r22)
        return SU3(r00: r00, i00: i00, r01: r01, i01: i01, r02: r02, i02: i02, r10: r10, i10: i10, r11: r11, i11: i11, r12: r12, i12: i12, r20: r20, i20: i20, r21: r21, i21: i21, r22: r22, i22: i22)
    }

    /// a · b†
    @inlinable @inline(__always)
    public static func mulAdj(_ a: SU3, _ b: SU3) -> SU3 {
        let r00 = (((((a.r00 * b.r00).addingProduct(a.i00, b.i00)).addingProduct(a.r01, b.r01)).addingProduct(a.i01, b.i01)).addingProduct(a.r02, b.r02)).addingProduct(a.i02, b.i02)
        let i00 = (((((-(a.r00 * b.i00)).addingProduct(a.i00, b.r00)).addingProduct(-a.r01, b.i01)).addingProduct(a.i01, b.r01)).addingProduct(-a.r02, b.i02)).addingProduct(a.i02, b.r02)
        let r01 = (((((a.r00 * b.r10).addingProduct(a.i00, b.i10)).addingProduct(a.r01, b.r11)).addingProduct(a.i01, b.i11)).addingProduct(a.r02, b.r12)).addingProduct(a.i02, b.i12)
        let i01 = (((((-(a.r00 * b.i10)).addingProduct(a.i00, b.r10)).addingProduct(-a.r01, b.i11)).addingProduct(a.i01, b.r11)).addingProduct(-a.r02, b.i12)).addingProduct(a.i02, b.r12)
        let r02 = (((((a.r00 * b.r20).addingProduct(a.i00, b.i20)).addingProduct(a.r01, b.r21)).addingProduct(a.i01, b.i21)).addingProduct(a.r02, b.r22)).addingProduct(a.i02, b.i22)
        let i02 = (((((-(a.r00 * b.i20)).addingProduct(a.i00, b.r20)).addingProduct(-a.r01, b.i21)).addingProduct(a.i01, b.r21)).addingProduct(-a.r02, b.i22)).addingProduct(a.i02, b.r22)
        let r10 = (((((a.r10 * b.r00).addingProduct(a.i10, b.i00)).addingProduct(a.r11, b.r01)).addingProduct(a.i11, b.i01)).addingProduct(a.r12, b.r02)).addingProduct(a.i12, b.i02)
        let i10 = (((((-(a.r10 * b.i00)).addingProduct(a.i10, b.r00)).addingProduct(-a.r11, b.i01)).addingProduct(a.i11, b.r01)).addingProduct(-a.r12, b.i02)).addingProduct(a.i12, b.r02)
        let r11 = (((((a.r10 * b.r10).addingProduct(a.i10, b.i10)).addingProduct(a.r11, b.r11)).addingProduct(a.i11, b.i11)).addingProduct(a.r12, b.r12)).addingProduct(a.i12, b.i12)
        let i11 = (((((-(a.r10 * b.i10)).addingProduct(a.i10, b.r10)).addingProduct(-a.r11, b.i11)).addingProduct(a.i11, b.r11)).addingProduct(-a.r12, b.i12)).addingProduct(a.i12, b.r12)
        let r12 = (((((a.r10 * b.r20).addingProduct(a.i10, b.i20)).addingProduct(a.r11, b.r21)).addingProduct(a.i11, b.i21)).addingProduct(a.r12, b.r22)).addingProduct(a.i12, b.i22)
        let i12 = (((((-(a.r10 * b.i20)).addingProduct(a.i10, b.r20)).addingProduct(-a.r11, b.i21)).addingProduct(a.i11, b.r21)).addingProduct(-a.r12, b.i22)).addingProduct(a.i12, b.r22)
        let r20 = (((((a.r20 * b.r00).addingProduct(a.i20, b.i00)).addingProduct(a.r21, b.r01)).addingProduct(a.i21, b.i01)).addingProduct(a.r22, b.r02)).addingProduct(a.i22, b.i02)
        let i20 = (((((-(a.r20 * b.i00)).addingProduct(a.i20, b.r00)).addingProduct(-a.r21, b.i01)).addingProduct(a.i21, b.r01)).addingProduct(-a.r22, b.i02)).addingProduct(a.i22, b.r02)
        let r21 = (((((a.r20 * b.r10).addingProduct(a.i20, b.i10)).addingProduct(a.r21, b.r11)).addingProduct(a.i21, b.i11)).addingProduct(a.r22, b.r12)).addingProduct(a.i22, b.i12)
        let i21 = (((((-(a.r20 * b.i10)).addingProduct(a.i20, b.r10)).addingProduct(-a.r21, b.i11)).addingProduct(a.i21, b.r11)).addingProduct(-a.r22, b.i12)).addingProduct(a.i22, b.r12)
        let r22 = (((((a.r20 * b.r20).addingProduct(a.i20, b.i20)).addingProduct(a.r21, b.r21)).addingProduct(a.i21, b.i21)).addingProduct(a.r22, b.r22)).addingProduct(a.i22, b.i22)
        let i22 = (((((-(a.r20 * b.i20)).addingProduct(a.i20, b.r20)).addingProduct(-a.r21, b.i21)).addingProduct(a.i21, b.r21)).addingProduct(-a.r22, b.i22)).addingProduct(a.i22, b.r22)
        return SU3(r00: r00, i00: i00, r01: r01, i01: i01, r02: r02, i02: i02, r10: r10, i10: i10, r11: r11, i11: i11, r12: r12, i12: i12, r20: r20, i20: i20, r21: r21, i21: i21, r22: r22, i22: i22)
    }

    /// a† · b
    @inlinable @inline(__always)
    public static func adjMul(_ a: SU3, _ b: SU3) -> SU3 {
        let r00 = (((((a.r00 * b.r00).addingProduct(a.i00, b.i00)).addingProduct(a.r10, b.r10)).addingProduct(a.i10, b.i10)).addingProduct(a.r20, b.r20)).addingProduct(a.i20, b.i20)
        let i00 = (((((a.r00 * b.i00).addingProduct(-a.i00, b.r00)).addingProduct(a.r10, b.i10)).addingProduct(-a.i10, b.r10)).addingProduct(a.r20, b.i20)).addingProduct(-a.i20, b.r20)
        let r01 = (((((a.r00 * b.r01).addingProduct(a.i00, b.i01)).addingProduct(a.r10, b.r11)).addingProduct(a.i10, b.i11)).addingProduct(a.r20, b.r21)).addingProduct(a.i20, b.i21)
        let i01 = (((((a.r00 * b.i01).addingProduct(-a.i00, b.r01)).addingProduct(a.r10, b.i11)).addingProduct(-a.i10, b.r11)).addingProduct(a.r20, b.i21)).addingProduct(-a.i20, b.r21)
        let r02 = (((((a.r00 * b.r02).addingProduct(a.i00, b.i02)).addingProduct(a.r10, b.r12)).addingProduct(a.i10, b.i12)).addingProduct(a.r20, b.r22)).addingProduct(a.i20, b.i22)
        let i02 = (((((a.r00 * b.i02).addingProduct(-a.i00, b.r02)).addingProduct(a.r10, b.i12)).addingProduct(-a.i10, b.r12)).addingProduct(a.r20, b.i22)).addingProduct(-a.i20, b.r22)
        let r10 = (((((a.r01 * b.r00).addingProduct(a.i01, b.i00)).addingProduct(a.r11, b.r10)).addingProduct(a.i11, b.i10)).addingProduct(a.r21, b.r20)).addingProduct(a.i21, b.i20)
        let i10 = (((((a.r01 * b.i00).addingProduct(-a.i01, b.r00)).addingProduct(a.r11, b.i10)).addingProduct(-a.i11, b.r10)).addingProduct(a.r21, b.i20)).addingProduct(-a.i21, b.r20)
        let r11 = (((((a.r01 * b.r01).addingProduct(a.i01, b.i01)).addingProduct(a.r11, b.r11)).addingProduct(a.i11, b.i11)).addingProduct(a.r21, b.r21)).addingProduct(a.i21, b.i21)
        let i11 = (((((a.r01 * b.i01).addingProduct(-a.i01, b.r01)).addingProduct(a.r11, b.i11)).addingProduct(-a.i11, b.r11)).addingProduct(a.r21, b.i21)).addingProduct(-a.i21, b.r21)
        let r12 = (((((a.r01 * b.r02).addingProduct(a.i01, b.i02)).addingProduct(a.r11, b.r12)).addingProduct(a.i11, b.i12)).addingProduct(a.r21, b.r22)).addingProduct(a.i21, b.i22)
        let i12 = (((((a.r01 * b.i02).addingProduct(-a.i01, b.r02)).addingProduct(a.r11, b.i12)).addingProduct(-a.i11, b.r12)).addingProduct(a.r21, b.i22)).addingProduct(-a.i21, b.r22)
        let r20 = (((((a.r02 * b.r00).addingProduct(a.i02, b.i00)).addingProduct(a.r12, b.r10)).addingProduct(a.i12, b.i10)).addingProduct(a.r22, b.r20)).addingProduct(a.i22, b.i20)
        let i20 = (((((a.r02 * b.i00).addingProduct(-a.i02, b.r00)).addingProduct(a.r12, b.i10)).addingProduct(-a.i12, b.r10)).addingProduct(a.r22, b.i20)).addingProduct(-a.i22, b.r20)
        let r21 = (((((a.r02 * b.r01).addingProduct(a.i02, b.i01)).addingProduct(a.r12, b.r11)).addingProduct(a.i12, b.i11)).addingProduct(a.r22, b.r21)).addingProduct(a.i22, b.i21)
        let i21 = (((((a.r02 * b.i01).addingProduct(-a.i02, b.r01)).addingProduct(a.r12, b.i11)).addingProduct(-a.i12, b.r11)).addingProduct(a.r22, b.i21)).addingProduct(-a.i22, b.r21)
        let r22 = (((((a.r02 * b.r02).addingProduct(a.i02, b.i02)).addingProduct(a.r12, b.r12)).addingProduct(a.i12, b.i12)).addingProduct(a.r22, b.r22)).addingProduct(a.i22, b.i22)
        let i22 = (((((a.r02 * b.i02).addingProduct(-a.i02, b.r02)).addingProduct(a.r12, b.i12)).addingProduct(-a.i12, b.r12)).addingProduct(a.r22, b.i22)).addingProduct(-a.i22, b.r22)
        return SU3(r00: r00, i00: i00, r01: r01, i01: i01, r02: r02, i02: i02, r10: r10, i10: i10, r11: r11, i11: i11, r12: r12, i12: i12, r20: r20, i20: i20, r21: r21, i21: i21, r22: r22, i22: i22)
    }

    @inlinable @inline(__always)
    public static func * (a: SU3, b: SU3) -> SU3 { mul(a, b) }

    @inlinable @inline(__always)
    public static func + (a: SU3, b: SU3) -> SU3 {
        SU3(r00: a.r00 + b.r00, i00: a.i00 + b.i00, r01: a.r01 + b.r01, i01: a.i01 + b.i01, r02: a.r02 + b.r02, i02: a.i02 + b.i02, r10: a.r10 + b.r10, i10: a.i10 + b.i10, r11: a.r11 + b.r11, i11: a.i11 + b.i11, r12: a.r12 + b.r12, i12: a.i12 + b.i12, r20: a.r20 + b.r20, i20: a.i20 + b.i20, r21: a.r21 + b.r21, i21: a.i21 + b.i21, r22: a.r22 + b.r22, i22: a.i22 + b.i22)
    }
    @inlinable @inline(__always)
    public static func - (a: SU3, b: SU3) -> SU3 {
        SU3(r00: a.r00 - b.r00, i00: a.i00 - b.i00, r01: a.r01 - b.r01, i01: a.i01 - b.i01, r02: a.r02 - b.r02, i02: a.i02 - b.i02, r10: a.r10 - b.r10, i10: a.i10 - b.i10, r11: a.r11 - b.r11, i11: a.i11 - b.i11, r12: a.r12 - b.r12, i12: a.i12 - b.i12, r20: a.r20 - b.r20, i20: a.i20 - b.i20, r21: a.r21 - b.r21, i21: a.i21 - b.i21, r22: a.r22 - b.r22, i22: a.i22 - b.i22)
    }
    @inlinable @inline(__always)
    public static func += (a: inout SU3, b: SU3) { a = a + b }
    @inlinable @inline(__always)
    public static func * (s: Lanes, a: SU3) -> SU3 {
        SU3(r00: s * a.r00, i00: s * a.i00, r01: s * a.r01, i01: s * a.i01, r02: s * a.r02, i02: s * a.i02, r10: s * a.r10, i10: s * a.i10, r11: s * a.r11, i11: s * a.i11, r12: s * a.r12, i12: s * a.i12, r20: s * a.r20, i20: s * a.i20, r21: s * a.r21, i21: s * a.i21, r22: s * a.r22, i22: s * a.i22)
    }
    @inlinable @inline(__always)
    public static func * (s: Double, a: SU3) -> SU3 { Lanes(repeating: s) * a }

    /// a†
    @inlinable @inline(__always)
    public var adjoint: SU3 {
        SU3(r00: r00, i00: -i00, r01: r10, i01: -i10, r02: r20, i02: -i20, r10: r01, i10: -i01, r11: r11, i11: -i11, r12: r21, i12: -i21, r20: r02, i20: -i02, r21: r12, i21: -i12, r22: r22, i22: -i22)
    }

    /// Re Tr a, Im Tr a
    @inlinable @inline(__always)
    public var traceRe: Lanes { r00 + r11 + r22 }
    @inlinable @inline(__always)
    public var traceIm: Lanes { i00 + i11 + i22 }

    /// Re Tr(a · b†) = Σ_ij Re(a_ij conj(b_ij)).
    @inlinable @inline(__always)
    public static func reTraceMulAdj(_ a: SU3, _ b: SU3) -> Lanes {
        var s = a.r00 * b.r00
        s = s.addingProduct(a.i00, b.i00)
        s = s.addingProduct(a.r01, b.r01)
        s = s.addingProduct(a.i01, b.i01)
        s = s.addingProduct(a.r02, b.r02)
        s = s.addingProduct(a.i02, b.i02)
        s = s.addingProduct(a.r10, b.r10)
        s = s.addingProduct(a.i10, b.i10)
        s = s.addingProduct(a.r11, b.r11)
        s = s.addingProduct(a.i11, b.i11)
        s = s.addingProduct(a.r12, b.r12)
        s = s.addingProduct(a.i12, b.i12)
        s = s.addingProduct(a.r20, b.r20)
        s = s.addingProduct(a.i20, b.i20)
        s = s.addingProduct(a.r21, b.r21)
        s = s.addingProduct(a.i21, b.i21)
        s = s.addingProduct(a.r22, b.r22)
        s = s.addingProduct(a.i22, b.i22)
        return s
    }

    /// Re Tr(a · b) = Σ_ij Re(a_ij b_ji).
    @inlinable @inline(__always)
    public static func reTraceMul(_ a: SU3, _ b: SU3) -> Lanes {
        var s = a.r00 * b.r00
        s = s.addingProduct(-a.i00, b.i00)
        s = s.addingProduct(a.r01, b.r10)
        s = s.addingProduct(-a.i01, b.i10)
        s = s.addingProduct(a.r02, b.r20)
        s = s.addingProduct(-a.i02, b.i20)
        s = s.addingProduct(a.r10, b.r01)
        s = s.addingProduct(-a.i10, b.i01)
        s = s.addingProduct(a.r11, b.r11)
        s = s.addingProduct(-a.i11, b.i11)
        s = s.addingProduct(a.r12, b.r21)
        s = s.addingProduct(-a.i12, b.i21)
        s = s.addingProduct(a.r20, b.r02)
        s = s.addingProduct(-a.i20, b.i02)
        s = s.addingProduct(a.r21, b.r12)
        s = s.addingProduct(-a.i21, b.i12)
        s = s.addingProduct(a.r22, b.r22)
        s = s.addingProduct(-a.i22, b.i22)
        return s
    }

    /// Im Tr(a · b) = Σ_ij Im(a_ij b_ji).
    @inlinable @inline(__always)
    public static func imTraceMul(_ a: SU3, _ b: SU3) -> Lanes {
        var s = a.r00 * b.i00
        s = s.addingProduct(a.i00, b.r00)
        s = s.addingProduct(a.r01, b.i10)
        s = s.addingProduct(a.i01, b.r10)
        s = s.addingProduct(a.r02, b.i20)
        s = s.addingProduct(a.i02, b.r20)
        s = s.addingProduct(a.r10, b.i01)
        s = s.addingProduct(a.i10, b.r01)
        s = s.addingProduct(a.r11, b.i11)
        s = s.addingProduct(a.i11, b.r11)
        s = s.addingProduct(a.r12, b.i21)
        s = s.addingProduct(a.i12, b.r21)
        s = s.addingProduct(a.r20, b.i02)
        s = s.addingProduct(a.i20, b.r02)
        s = s.addingProduct(a.r21, b.i12)
        s = s.addingProduct(a.i21, b.r12)
        s = s.addingProduct(a.r22, b.i22)
        s = s.addingProduct(a.i22, b.r22)
        return s
    }
}
