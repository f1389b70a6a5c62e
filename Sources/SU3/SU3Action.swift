// SU3Action.swift — the rectangle-improved gauge actions (Wilson, tree-level Symanzik, Iwasaki, DBW2): the
// rectangle staples of the force and the rectangle sum of the measurement.
//
// Conventions (REFERENCE §2, extended):
//   S = β Σ_x [ c0 Σ_{μ<ν} (1 − ⅓ Re Tr P_μν(x)) + c1 Σ_{μ≠ν} (1 − ⅓ Re Tr R_μν(x)) ],   c0 = 1 − 8 c1,
//   R_μν(x) = U_μ(x) U_μ(x+μ̂) U_ν(x+2μ̂) U_μ(x+μ̂+ν̂)† U_μ(x+ν̂)† U_ν(x)†   (2 long in μ, 1 in ν),
//   so each unoriented 1×2 rectangle is counted once: 12 rectangles per site (6 planes × 2 orientations).
//   The rectangle observable is ⅓ Re Tr R averaged over the 12V rectangles.
//   Force: ∂S/∂ω_a = (β/6)·p_a(U·(c0 A_plaq + c1 A_rect)), where A_rect is the sum of the 18 rectangle staples of
//   the link (per ν ≠ μ: the link first or second on a long side, rectangle on the +ν or −ν side: 4; the link as a
//   short side, rectangle extending 2 along +ν or −ν: 2), so that Re Tr(U A_rect) = the sum of the rectangles
//   containing the link, each once. On an extent-2 direction a rectangle can contain a link twice; the staple sum
//   then still is the exact derivative (one staple per occurrence), which the finite-difference test checks.
//   c1 = 0 (Wilson) never touches the rectangle code in molecular dynamics.
// The Wilson flow (SU3Flow.swift) is the gradient flow of the Wilson action for every choice here.
import LatticeCore

/// The gauge action: plaquette weight c0 = 1 − 8c1 and rectangle weight c1.
public enum SU3GaugeAction: String, Sendable, CaseIterable, Codable {
    case wilson
    /// Tree-level Symanzik (Lüscher–Weisz), c1 = −1/12.
    case symanzik
    /// Iwasaki, c1 = −0.331.
    case iwasaki
    /// DBW2, c1 = −1.4088.
    case dbw2

    public var c1: Double {
        switch self {
        case .wilson: return 0
        case .symanzik: return -1.0 / 12.0
        case .iwasaki: return -0.331
        case .dbw2: return -1.4088
        }
    }
    public var c0: Double { 1 - 8 * c1 }
}

extension SU3Block {
    /// c0·A_plaq + c1·A_rect for link (μ, n) (the improved staple sum; see the file header).
    @inlinable
    public func improvedStaples(mu: Int, site n: Int) -> SU3 {
        let v = volume
        @inline(__always) func U(_ d: Int, _ s: Int32) -> SU3 { u[d * v + Int(s)] }
        @inline(__always) func F(_ d: Int, _ s: Int32) -> Int32 { fwd[d * v + Int(s)] }
        @inline(__always) func B(_ d: Int, _ s: Int32) -> Int32 { bwd[d * v + Int(s)] }
        let x = Int32(n)
        let xpm = F(mu, x), xmm = B(mu, x), xp2m = F(mu, xpm)
        var ap = SU3.zero, ar = SU3.zero
        for nu in 0..<4 where nu != mu {
            let xpn = F(nu, x), xmn = B(nu, x)
            let xpmpn = F(nu, xpm), xpmmn = B(nu, xpm)
            let xmmpn = F(nu, xmm), xmmmn = B(nu, xmm)
            let xp2mmn = B(nu, xp2m)
            let xp2n = F(nu, xpn), xm2n = B(nu, xmn), xpmm2n = B(nu, xpmmn)
            let unXpm = U(nu, xpm)             // U_ν(x+μ)
            let unXmn = U(nu, xmn)             // U_ν(x−ν)
            // E = U_ν(x) U_μ(x+ν); D = U_μ(x−ν) U_ν(x+μ−ν)
            let e = SU3.mul(U(nu, x), U(mu, xpn))
            let d = SU3.mul(U(mu, xmn), U(nu, xpmmn))
            // plaquette: upper U_ν(x+μ) E†, lower D† U_ν(x−ν)
            ap += SU3.mulAdj(unXpm, e)
            ap += SU3.adjMul(d, unXmn)
            // A1up = U_μ(x+μ) U_ν(x+2μ) (E U_μ(x+μ+ν))†
            ar += SU3.mulAdj(SU3.mul(U(mu, xpm), U(nu, xp2m)), SU3.mul(e, U(mu, xpmpn)))
            // A2up = U_ν(x+μ) (U_ν(x−μ) U_μ(x−μ+ν) U_μ(x+ν))† U_μ(x−μ)
            ar += SU3.mul(SU3.mulAdj(unXpm, SU3.mul(SU3.mul(U(nu, xmm), U(mu, xmmpn)), U(mu, xpn))), U(mu, xmm))
            // A3up = U_ν(x+μ) U_ν(x+μ+ν) (U_ν(x) U_ν(x+ν) U_μ(x+2ν))†
            ar += SU3.mulAdj(SU3.mul(unXpm, U(nu, xpmpn)), SU3.mul(SU3.mul(U(nu, x), U(nu, xpn)), U(mu, xp2n)))
            // A1dn = U_μ(x+μ) (U_μ(x−ν) U_μ(x+μ−ν) U_ν(x+2μ−ν))† U_ν(x−ν)
            ar += SU3.mul(SU3.mulAdj(U(mu, xpm), SU3.mul(SU3.mul(U(mu, xmn), U(mu, xpmmn)), U(nu, xp2mmn))), unXmn)
            // A2dn = (U_μ(x−μ−ν) D)† U_ν(x−μ−ν) U_μ(x−μ)
            ar += SU3.adjMul(SU3.mul(U(mu, xmmmn), d), SU3.mul(U(nu, xmmmn), U(mu, xmm)))
            // A3dn = (U_μ(x−2ν) U_ν(x+μ−2ν) U_ν(x+μ−ν))† U_ν(x−2ν) U_ν(x−ν)
            ar += SU3.adjMul(SU3.mul(SU3.mul(U(mu, xm2n), U(nu, xpmm2n)), U(nu, xpmmn)), SU3.mul(U(nu, xm2n), unXmn))
        }
        return SU3.combine(c0, ap, c1, ar)
    }

    /// The 18 rectangle staples alone (A_rect; tests).
    public func rectangleStaples(mu: Int, site n: Int) -> SU3 {
        var b = self
        b.c0 = 0; b.c1 = 1
        return b.improvedStaples(mu: mu, site: n)
    }

    /// ⟨⅓ Re Tr R⟩ over the 12V rectangles, per lane.
    public func rectangle() -> Lanes { rectangleSum() / Double(36 * volume) }

    /// Σ over the 12V rectangles R_μν(x) (μ ≠ ν) of Re Tr R, per lane.
    @inlinable
    public func rectangleSum() -> Lanes {
        let v = volume
        @inline(__always) func U(_ d: Int, _ s: Int32) -> SU3 { u[d * v + Int(s)] }
        @inline(__always) func F(_ d: Int, _ s: Int32) -> Int32 { fwd[d * v + Int(s)] }
        var s = Lanes()
        for n in 0..<v {
            let x = Int32(n)
            for mu in 0..<4 {
                let xpm = F(mu, x), xp2m = F(mu, xpm)
                let dx = SU3.mul(U(mu, x), U(mu, xpm))           // U_μ(x) U_μ(x+μ)
                for nu in 0..<4 where nu != mu {
                    let xpn = F(nu, x), xpnpm = F(mu, xpn)
                    // R = [U_μ(x) U_μ(x+μ) U_ν(x+2μ)] [U_ν(x) U_μ(x+ν) U_μ(x+ν+μ)]†
                    let m1 = SU3.mul(dx, U(nu, xp2m))
                    let m2 = SU3.mul(U(nu, x), SU3.mul(U(mu, xpn), U(mu, xpnpm)))
                    s += SU3.reTraceMulAdj(m1, m2)
                }
            }
        }
        return s
    }
}

extension SU3 {
    /// a·x + b·y with scalar a, b.
    @inlinable @inline(__always)
    public static func combine(_ a: Double, _ x: SU3, _ b: Double, _ y: SU3) -> SU3 {
        let av = Lanes(repeating: a), bv = Lanes(repeating: b)
        @inline(__always) func f(_ p: Lanes, _ q: Lanes) -> Lanes { (av * p).addingProduct(bv, q) }
        return SU3(r00: f(x.r00, y.r00), i00: f(x.i00, y.i00), r01: f(x.r01, y.r01), i01: f(x.i01, y.i01),
                   r02: f(x.r02, y.r02), i02: f(x.i02, y.i02), r10: f(x.r10, y.r10), i10: f(x.i10, y.i10),
                   r11: f(x.r11, y.r11), i11: f(x.i11, y.i11), r12: f(x.r12, y.r12), i12: f(x.i12, y.i12),
                   r20: f(x.r20, y.r20), i20: f(x.i20, y.i20), r21: f(x.r21, y.r21), i21: f(x.i21, y.i21),
                   r22: f(x.r22, y.r22), i22: f(x.i22, y.i22))
    }
}
