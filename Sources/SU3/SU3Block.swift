// SU3Block.swift — the hot kernels of 4D SU(3): one block of 8 chains as an MD system (staples, force,
// exponential link update, plaquette, Polyakov loop). Conventions: SU3Ensemble.swift (REFERENCE §2).
import LatticeCore
import HMC

/// Staple sums on a raw link field [μ][n] with neighbour tables — shared by HMC (SU3Block) and the Wilson flow.
public enum SU3Staples {
    /// Σ over ν ≠ μ of U_ν(n+μ) U_μ(n+ν)† U_ν(n)† + U_ν(n+μ−ν)† U_μ(n−ν)† U_ν(n−ν).
    @inlinable @inline(__always)
    public static func plaquette(_ u: UnsafeMutablePointer<SU3>, fwd: UnsafeMutablePointer<Int32>, bwd: UnsafeMutablePointer<Int32>,
                                 volume v: Int, mu: Int, site n: Int) -> SU3 {
        var a = SU3.zero
        let nPlusMu = Int(fwd[mu * v + n])
        for nu in 0..<4 where nu != mu {
            let nPlusNu = Int(fwd[nu * v + n])
            let nMinusNu = Int(bwd[nu * v + n])
            let nPlusMuMinusNu = Int(bwd[nu * v + nPlusMu])
            // upper: U_ν(n+μ) U_μ(n+ν)† U_ν(n)†
            a += SU3.mulAdj(SU3.mulAdj(u[nu * v + nPlusMu], u[mu * v + nPlusNu]), u[nu * v + n])
            // lower: U_ν(n+μ−ν)† U_μ(n−ν)† U_ν(n−ν) = (U_μ(n−ν) U_ν(n+μ−ν))† U_ν(n−ν)
            a += SU3.adjMul(SU3.mul(u[mu * v + nMinusNu], u[nu * v + nPlusMuMinusNu]), u[nu * v + nMinusNu])
        }
        return a
    }
}

public struct SU3Block: HMCBlock {
    @usableFromInline let u: UnsafeMutablePointer<SU3>
    @usableFromInline let saved: UnsafeMutablePointer<SU3>
    @usableFromInline let p: UnsafeMutablePointer<SU3Algebra>
    @usableFromInline let buffer: UnsafeMutablePointer<Double>
    @usableFromInline let rng: UnsafeMutablePointer<ChainRNG>
    @usableFromInline let fwd: UnsafeMutablePointer<Int32>
    @usableFromInline let bwd: UnsafeMutablePointer<Int32>
    @usableFromInline let volume: Int
    @usableFromInline let beta: Double
    @usableFromInline let shape: [Int]
    /// Action weights (SU3Action.swift): c1 = 0 is the Wilson action and takes the plaquette-only paths.
    @usableFromInline var c0: Double
    @usableFromInline var c1: Double
    @usableFromInline let measuresRectangle: Bool
    public let activeLanes: Int

    init(ensemble e: SU3Ensemble, block b: Int) {
        u = e.links + b * e.linksPerBlock
        saved = e.saved + b * e.linksPerBlock
        p = e.momenta + b * e.linksPerBlock
        buffer = e.scalarScratch + b * e.linksPerBlock * 12
        rng = e.rngs + b * ChainLayout.lanes
        fwd = e.forward
        bwd = e.backward
        volume = e.volume
        beta = e.beta
        shape = e.lattice.shape
        c0 = e.action.c0
        c1 = e.action.c1
        measuresRectangle = e.measuresRectangle
        activeLanes = min(ChainLayout.lanes, e.chains - b * ChainLayout.lanes)
    }

    /// The sum of the 6 staples A_μ(n): Re Tr(U_μ(n) A_μ(n)) = sum of the plaquettes containing U_μ(n).
    @inlinable
    public func staples(mu: Int, site n: Int) -> SU3 {
        SU3Staples.plaquette(u, fwd: fwd, bwd: bwd, volume: volume, mu: mu, site: n)
    }

    /// ∂S/∂ω_a for link (μ, n): (β/6)·p_a(U A), A = the plaquette staples (Wilson) or c0 A + c1 A_rect.
    @inlinable
    public func force(mu: Int, site n: Int) -> SU3Algebra {
        let a = c1 == 0 ? staples(mu: mu, site: n) : improvedStaples(mu: mu, site: n)
        let w = SU3.mul(u[mu * volume + n], a)
        return (beta / 6) * SU3Algebra(projecting: w)
    }

    /// p ← p − ε ∂S/∂ω.
    @inlinable
    public mutating func updateMomenta(_ epsilon: Double) {
        let c = -epsilon * beta / 6
        // Site-major order (all 4 links of a site, then the next site): the staples of the 4 links share most of
        // their links, which stay in cache; a μ-major order streams the whole field 4 times (measured: Force 8⁴ 1.5× slower
        // once the block's links exceed L2). Each link's force is computed independently: the order does not
        // change any result.
        if c1 != 0 {
            for n in 0..<volume {
                for mu in 0..<4 {
                    let w = SU3.mul(u[mu * volume + n], improvedStaples(mu: mu, site: n))
                    p[mu * volume + n].add(c, SU3Algebra(projecting: w))
                }
            }
            return
        }
        for n in 0..<volume {
            for mu in 0..<4 {
                let w = SU3.mul(u[mu * volume + n], staples(mu: mu, site: n))
                p[mu * volume + n].add(c, SU3Algebra(projecting: w))
            }
        }
    }

    /// U ← exp(ε P) U.
    @inlinable
    public mutating func updateLinks(_ epsilon: Double) {
        for i in 0..<(4 * volume) {
            u[i] = SU3.mul(SU3.exp((epsilon * p[i]).matrix), u[i])
        }
    }

    /// P ← 8 fresh Gaussians per link and chain, drawn lane-parallel in the per-chain order (link i, then
    /// a = 1…8): the same numbers and RNG states as each chain's `fillGaussian` of 32V values; padding lanes get 0.
    /// SU3Algebra is p1…p8 stored contiguously, so the momenta are 32V consecutive lane vectors.
    public mutating func refreshMomenta() {
        let m = 4 * volume
        precondition(MemoryLayout<SU3Algebra>.stride == 8 * MemoryLayout<Lanes>.stride
                     && MemoryLayout<SU3Algebra>.offset(of: \.p2) == MemoryLayout<Lanes>.stride
                     && MemoryLayout<SU3Algebra>.offset(of: \.p8) == 7 * MemoryLayout<Lanes>.stride,
                     "SU3Algebra is not 8 contiguous Lanes")
        p.withMemoryRebound(to: Lanes.self, capacity: 8 * m) { lanes in
            ChainRNG.fillGaussianLanes(rng, activeLanes: activeLanes, count: 8 * m, into: lanes)
        }
    }

    public mutating func flipMomenta() {
        for i in 0..<(4 * volume) { p[i] = -p[i] }
    }

    public func kineticEnergy() -> Lanes {
        var s = Lanes()
        for i in 0..<(4 * volume) { s += p[i].halfNormSquared }
        return s
    }

    public mutating func saveLinks() { saved.update(from: u, count: 4 * volume) }

    public mutating func restoreLinks(where mask: LaneMask) {
        for i in 0..<(4 * volume) { u[i] = SU3.select(saved[i], u[i], where: mask) }
    }

    /// Re-unitarisation (between trajectories only).
    public mutating func normalizeLinks() {
        for i in 0..<(4 * volume) { u[i] = u[i].reunitarized }
    }

    /// Σ over the 6V plaquettes of Re Tr U_P (per lane).
    @inlinable
    public func plaquetteSum() -> Lanes {
        let v = volume
        var s = Lanes()
        for n in 0..<v {
            for mu in 0..<3 {
                let nPlusMu = Int(fwd[mu * v + n])
                for nu in (mu + 1)..<4 {
                    let nPlusNu = Int(fwd[nu * v + n])
                    let m1 = SU3.mul(u[mu * v + n], u[nu * v + nPlusMu])
                    let m2 = SU3.mul(u[nu * v + n], u[mu * v + nPlusNu])
                    s += SU3.reTraceMulAdj(m1, m2)
                }
            }
        }
        return s
    }

    /// Polyakov loop (1/V_3) Σ_x ⅓ Tr Π_t U_3(x, t) per lane (re, im).
    public func polyakovLoop() -> (re: Lanes, im: Lanes) {
        let v = volume
        let lt = shape[3]
        let spatial = v / lt
        var re = Lanes(), im = Lanes()
        for x in 0..<spatial {
            var m = SU3.identity
            var n = x
            for _ in 0..<lt { m = SU3.mul(m, u[3 * v + n]); n = Int(fwd[3 * v + n]) }
            re += m.traceRe; im += m.traceIm
        }
        let norm = 1.0 / (3.0 * Double(spatial))
        return (re * norm, im * norm)
    }

    /// Action S = β Σ(1 − ⅓ Re Tr U_P) (Wilson) or β[c0 Σ_P(1 − ⅓ Re Tr U_P) + c1 Σ_R(1 − ⅓ Re Tr U_R)];
    /// observables: plaquette, Re and Im of the Polyakov loop, and (if measured) the rectangle ⟨⅓ Re Tr U_R⟩.
    public mutating func measure(into observables: UnsafeMutablePointer<Lanes>) -> Lanes {
        let sum = plaquetteSum()
        let np = Double(6 * volume)
        observables[0] = sum / (3 * np)
        let (pr, pi) = polyakovLoop()
        observables[1] = pr
        observables[2] = pi
        guard c1 != 0 || measuresRectangle else { return beta * (Lanes(repeating: np) - sum / 3) }
        let rsum = rectangleSum()
        let nr = Double(12 * volume)
        if measuresRectangle { observables[3] = rsum / (3 * nr) }
        if c1 == 0 { return beta * (Lanes(repeating: np) - sum / 3) }
        return beta * (c0 * (Lanes(repeating: np) - sum / 3) + c1 * (Lanes(repeating: nr) - rsum / 3))
    }

    public mutating func uniform(lane: Int) -> Double { rng[lane].uniform() }

    // Access for tests and the flow.
    public func link(_ mu: Int, _ n: Int) -> SU3 { u[mu * volume + n] }
    public func setLink(_ mu: Int, _ n: Int, _ m: SU3) { u[mu * volume + n] = m }
    public func momentum(_ mu: Int, _ n: Int) -> SU3Algebra { p[mu * volume + n] }
}
