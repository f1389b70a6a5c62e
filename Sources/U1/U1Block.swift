// U1Block.swift — the hot kernels of 2D U(1): one block of 8 chains as an MD system.
//
// Conventions as in U1Ensemble.swift (REFERENCE §1). Loops run row by row (x_0 fastest) with the periodic wrap
// written out, so the neighbour of a site is plain index arithmetic, no table lookup. Every lane operation is a
// SIMD8<Double> operation; FMAs are written explicitly (REFERENCE §8).
import LatticeCore
import HMC

public struct U1Block: HMCBlock {
    @usableFromInline let x: UnsafeMutablePointer<Lanes>       // links [μ][n]
    @usableFromInline let p: UnsafeMutablePointer<Lanes>       // momenta [μ][n]
    @usableFromInline let saved: UnsafeMutablePointer<Lanes>   // saved links [μ][n]
    @usableFromInline let s: UnsafeMutablePointer<Lanes>       // scratch sin θ_P [n]
    @usableFromInline let buffer: UnsafeMutablePointer<Double> // 2V scalars for drawing momenta
    @usableFromInline let rng: UnsafeMutablePointer<ChainRNG>  // the streams of this block's chains
    @usableFromInline let l0: Int
    @usableFromInline let l1: Int
    @usableFromInline let beta: Double
    public let activeLanes: Int

    init(ensemble e: U1Ensemble, block b: Int) {
        x = e.links + b * e.linksPerBlock
        p = e.momenta + b * e.linksPerBlock
        saved = e.saved + b * e.linksPerBlock
        s = e.scratch + b * e.volume
        buffer = e.scalarScratch + b * e.linksPerBlock
        rng = e.rngs + b * ChainLayout.lanes
        l0 = e.lattice.shape[0]
        l1 = e.lattice.shape[1]
        beta = e.beta
        activeLanes = min(ChainLayout.lanes, e.chains - b * ChainLayout.lanes)
    }

    @inlinable var volume: Int { l0 * l1 }

    /// s[n] = sin θ_P(n) for every site.
    @inlinable
    func computePlaquetteSines() {
        U1Kernels.plaquetteSines(x, l0: l0, l1: l1, into: s)
    }

    /// p ← p − ε ∂S/∂x with the analytic force ∂S/∂x = β Dᵀ sin(Dx) (U1Kernels.swift).
    @inlinable
    public mutating func updateMomenta(_ epsilon: Double) {
        computePlaquetteSines()
        U1Kernels.addAdjoint(s, l0: l0, l1: l1, scale: -epsilon * beta, to: p)
    }

    /// x ← x + ε p.
    @inlinable
    public mutating func updateLinks(_ epsilon: Double) {
        for i in 0..<(2 * volume) { x[i] = x[i].addingProduct(epsilon, p[i]) }
    }

    /// The force F = ∂S/∂x written into `out` ([μ][n], 2V lane vectors). Used by tests and benchmarks.
    public func force(into out: UnsafeMutablePointer<Lanes>) {
        computePlaquetteSines()
        U1Kernels.adjoint(s, l0: l0, l1: l1, scale: beta, into: out)
    }

    /// p ← 2V fresh Gaussians per chain (order [μ][n]), drawn lane-parallel: the same numbers and RNG states as
    /// each chain's `fillGaussian` of 2V values; padding lanes get 0.
    public mutating func refreshMomenta() {
        ChainRNG.fillGaussianLanes(rng, activeLanes: activeLanes, count: 2 * volume, into: p)
    }

    public mutating func flipMomenta() {
        for i in 0..<(2 * volume) { p[i] = -p[i] }
    }

    public func kineticEnergy() -> Lanes {
        var a = Lanes(), b = Lanes()
        let m = 2 * volume
        var i = 0
        while i + 1 < m { a = a.addingProduct(p[i], p[i]); b = b.addingProduct(p[i + 1], p[i + 1]); i += 2 }
        if i < m { a = a.addingProduct(p[i], p[i]) }
        return 0.5 * (a + b)
    }

    public mutating func saveLinks() { saved.update(from: x, count: 2 * volume) }

    public mutating func restoreLinks(where mask: LaneMask) {
        for i in 0..<(2 * volume) { x[i] = x[i].replacing(with: saved[i], where: mask) }
    }

    /// Wraps every angle into [−π, π).
    public mutating func normalizeLinks() {
        for i in 0..<(2 * volume) { x[i] = wrapAngle(x[i]) }
    }

    /// Per-lane sums over plaquettes of cos θ_P, sin θ_P and w(θ_P).
    @inlinable
    public func plaquetteSums() -> (cos: Lanes, sin: Lanes, wrapped: Lanes) {
        U1Kernels.plaquetteSums(x, l0: l0, l1: l1)
    }

    /// Action S = β Σ(1 − cos θ_P) per lane; observables: plaquette, Q_int (rounded), Q_sin.
    public mutating func measure(into observables: UnsafeMutablePointer<Lanes>) -> Lanes {
        let (c, sn, w) = plaquetteSums()
        let v = Double(volume)
        let twoPi = 2 * Double.pi
        observables[0] = c / v
        observables[1] = (w / twoPi).rounded(.toNearestOrEven)
        observables[2] = sn / twoPi
        return beta * (Lanes(repeating: v) - c)
    }

    /// The unrounded (1/2π) Σ w(θ_P) per lane (an integer up to round-off on a periodic lattice).
    public func rawCharge() -> Lanes { plaquetteSums().wrapped / (2 * Double.pi) }

    public mutating func uniform(lane: Int) -> Double { rng[lane].uniform() }

    /// ⟨cos(Σ_{∂(R×T)} x)⟩ over sites: the closed R×T Wilson loop in the (0,1) plane, per lane.
    public func wilsonLoop(r: Int, t: Int) -> Lanes {
        let v = volume
        var sum = Lanes()
        @inline(__always) func site(_ i: Int, _ j: Int) -> Int { ((j % l1 + l1) % l1) * l0 + ((i % l0 + l0) % l0) }
        for j0 in 0..<l1 {
            for i0 in 0..<l0 {
                var phase = Lanes()
                for k in 0..<r { phase += x[site(i0 + k, j0)] - x[site(i0 + k, j0 + t)] }
                for k in 0..<t { phase += x[v + site(i0 + r, j0 + k)] - x[v + site(i0, j0 + k)] }
                sum += simdCos(phase)
            }
        }
        return sum / Double(v)
    }
}
