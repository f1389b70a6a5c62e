// SU3Ensemble.swift — 4D SU(3) Wilson gauge theory on many chains at once (SIMD lanes across chains).
//
// Conventions (REFERENCE §2):
//   U_μ(n) ∈ SU(3), μ = 0…3 (μ = 3 is "time" for the Polyakov loop), site n = Σ x_μ·stride_μ, x_0 fastest.
//   S = β Σ_P (1 − ⅓ Re Tr U_P), plaquette P = ⟨⅓ Re Tr U_P⟩ over the 6V plaquettes (Wilson); the improved
//   actions add c1 Σ_R (1 − ⅓ Re Tr U_R) over the 12V 1×2 rectangles with plaquette weight c0 = 1 − 8c1.
//   Momenta P = Σ_a p_a T_a, p_a ~ N(0,1); H = S + ½Σ p_a²; MD: U̇ = P U, ṗ_a = −∂S/∂ω_a.
//   A_μ(n): sum of the 6 staples, Re Tr(U_μ(n) A_μ(n)) = sum of the 6 plaquettes containing the link;
//   ∂S/∂ω_a = −(β/3) Re Tr(T_a U A) = (β/6)·p_a(U A) with p_a the TA coordinates (SU3Algebra.init(projecting:)).
// Storage per block of 8 chains: links [μ][n] (SU3), saved links, momenta [μ][n] (SU3Algebra).
// Random numbers: chain c uses ChainRNG(seed, chain: c): hot start draws 12 normals per link (μ-major, then n);
// each trajectory draws 8 normals per link (μ-major) and one Metropolis uniform.
import LatticeCore
import HMC

public final class SU3Ensemble: HMCEnsemble, @unchecked Sendable {
    public let lattice: Lattice
    public let chains: Int
    public let blockCount: Int
    public var beta: Double
    public let seed: UInt64
    public let action: SU3GaugeAction
    /// Whether `measure` also reports the rectangle (observable 3).
    public let measuresRectangle: Bool
    /// plaquette, polyakov_re, polyakov_im, and rectangle when `measuresRectangle`.
    public let observableNames: [String]

    let volume: Int
    let linksPerBlock: Int
    let links: UnsafeMutablePointer<SU3>
    let saved: UnsafeMutablePointer<SU3>
    let momenta: UnsafeMutablePointer<SU3Algebra>
    let scalarScratch: UnsafeMutablePointer<Double>
    let rngs: UnsafeMutablePointer<ChainRNG>
    /// Neighbour tables: forward[μ·V + n] = n + μ̂, backward[μ·V + n] = n − μ̂.
    let forward: UnsafeMutablePointer<Int32>
    let backward: UnsafeMutablePointer<Int32>

    public static func memoryRequirement(lattice: Lattice, chains: Int) -> Int {
        let blocks = ChainLayout.blocks(forChains: chains)
        let links = 4 * lattice.volume
        return blocks * links * (2 * MemoryLayout<SU3>.stride + MemoryLayout<SU3Algebra>.stride + 8 * 8)
            + 8 * links * MemoryLayout<Int32>.stride
    }

    /// Creates `chains` cold (unit) configurations on a 4D lattice. `measureRectangle` (default: only for the
    /// improved actions) adds ⅓ Re Tr R averaged over the 12V rectangles as observable 3.
    public init(lattice: Lattice, beta: Double, chains: Int, seed: UInt64, action: SU3GaugeAction = .wilson,
                measureRectangle: Bool? = nil) throws {
        guard lattice.dimensions == 4 else {
            throw ConfigurationError("SU(3) needs a 4-dimensional lattice such as 8x8x8x8; got \(lattice.description)")
        }
        guard lattice.shape.allSatisfy({ $0 >= 2 }) else {
            throw ConfigurationError("SU(3) lattice \(lattice.description): every extent must be ≥ 2")
        }
        guard beta > 0, beta.isFinite else { throw ConfigurationError("beta = \(beta) is not allowed; β must be a finite number > 0") }
        guard chains >= 1 else { throw ConfigurationError("chains = \(chains) is not allowed; need at least 1 chain") }
        self.lattice = lattice
        self.beta = beta
        self.chains = chains
        self.seed = seed
        self.action = action
        measuresRectangle = measureRectangle ?? (action != .wilson)
        observableNames = ["plaquette", "polyakov_re", "polyakov_im"] + (measuresRectangle ? ["rectangle"] : [])
        blockCount = ChainLayout.blocks(forChains: chains)
        volume = lattice.volume
        linksPerBlock = 4 * volume
        let n = blockCount * linksPerBlock
        links = .allocate(capacity: n); links.initialize(repeating: .identity, count: n)
        saved = .allocate(capacity: n); saved.initialize(repeating: .identity, count: n)
        momenta = .allocate(capacity: n); momenta.initialize(repeating: .zero, count: n)
        scalarScratch = .allocate(capacity: blockCount * linksPerBlock * 12)
        scalarScratch.initialize(repeating: 0, count: blockCount * linksPerBlock * 12)
        rngs = .allocate(capacity: chains)
        for c in 0..<chains { (rngs + c).initialize(to: ChainRNG(seed: seed, chain: c)) }
        forward = .allocate(capacity: linksPerBlock)
        backward = .allocate(capacity: linksPerBlock)
        for mu in 0..<4 {
            for s in 0..<volume {
                forward[mu * volume + s] = Int32(lattice.shift(s, mu, by: 1))
                backward[mu * volume + s] = Int32(lattice.shift(s, mu, by: -1))
            }
        }
    }

    deinit {
        links.deallocate(); saved.deallocate(); momenta.deallocate(); scalarScratch.deallocate()
        rngs.deinitialize(count: chains); rngs.deallocate(); forward.deallocate(); backward.deallocate()
    }

    @inline(__always) func index(chain c: Int, mu: Int, site n: Int) -> (Int, Int) {
        ((c / ChainLayout.lanes) * linksPerBlock + mu * volume + n, c % ChainLayout.lanes)
    }

    /// Link U_μ(n) of chain c as 9 complex entries, row-major (re, im).
    public func link(chain c: Int, mu: Int, site n: Int) -> [(re: Double, im: Double)] {
        let (i, l) = index(chain: c, mu: mu, site: n)
        return (0..<9).map { k in let e = links[i].entry(k / 3, k % 3); return (e.re[l], e.im[l]) }
    }

    public func setLink(chain c: Int, mu: Int, site n: Int, _ m: [(re: Double, im: Double)]) {
        precondition(m.count == 9)
        let (i, l) = index(chain: c, mu: mu, site: n)
        for k in 0..<9 {
            var (re, im) = links[i].entry(k / 3, k % 3)
            re[l] = m[k].re; im[l] = m[k].im
            links[i].setEntry(k / 3, k % 3, re: re, im: im)
        }
    }

    /// All links of chain c, μ-major then site, each as 18 Doubles (re, im row-major) — for checkpoints.
    public func linkValues(chain c: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(linksPerBlock * 18)
        for mu in 0..<4 { for n in 0..<volume { for e in link(chain: c, mu: mu, site: n) { out.append(e.re); out.append(e.im) } } }
        return out
    }
    public func setLinkValues(chain c: Int, _ v: [Double]) {
        precondition(v.count == linksPerBlock * 18)
        for mu in 0..<4 { for n in 0..<volume {
            let o = (mu * volume + n) * 18
            setLink(chain: c, mu: mu, site: n, (0..<9).map { (v[o + 2 * $0], v[o + 2 * $0 + 1]) })
        } }
    }

    /// Momentum coordinate p_a (a = 1…8) of link (μ, n) of chain c.
    public func momentum(chain c: Int, mu: Int, site n: Int, _ a: Int) -> Double {
        let (i, l) = index(chain: c, mu: mu, site: n); return momenta[i][a][l]
    }
    public func setMomentum(chain c: Int, mu: Int, site n: Int, _ a: Int, _ value: Double) {
        let (i, l) = index(chain: c, mu: mu, site: n); momenta[i][a][l] = value
    }

    public func rng(chain c: Int) -> ChainRNG { rngs[c] }
    public func setRNG(chain c: Int, _ r: ChainRNG) { rngs[c] = r }

    /// Cold start: U = 1.
    public func coldStart() { links.update(repeating: .identity, count: blockCount * linksPerBlock) }

    /// Hot start: Haar-random links (12 normals per link from the chain's stream).
    public func hotStart() {
        coldStart()
        var g = [Double](repeating: 0, count: 12)
        for c in 0..<chains {
            for mu in 0..<4 {
                for n in 0..<volume {
                    let (i, l) = index(chain: c, mu: mu, site: n)
                    g.withUnsafeMutableBufferPointer { rngs[c].fillGaussian($0) }
                    g.withUnsafeBufferPointer { links[i].setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
                }
            }
        }
        for i in 0..<(blockCount * linksPerBlock) { links[i] = links[i].reunitarized }
    }

    /// Random gauge transformation g(n) ∈ SU(3) per site (from a given stream): U_μ(n) → g(n) U_μ(n) g(n+μ̂)†.
    public func gaugeTransform(chain c: Int, rng: inout ChainRNG) {
        var g = [SU3](repeating: .identity, count: volume)
        var buf = [Double](repeating: 0, count: 12)
        let l = c % ChainLayout.lanes
        for n in 0..<volume {
            buf.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
            buf.withUnsafeBufferPointer { g[n].setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
            g[n] = g[n].reunitarized
        }
        for mu in 0..<4 {
            for n in 0..<volume {
                let (i, lane) = index(chain: c, mu: mu, site: n)
                let u = links[i]
                let t = SU3.mulAdj(SU3.mul(g[n], u), g[lattice.shift(n, mu)])
                var onlyLane = LaneMask(repeating: false); onlyLane[lane] = true
                links[i] = SU3.select(t, u, where: onlyLane)
            }
        }
    }

    public func block(_ b: Int) -> SU3Block { SU3Block(ensemble: self, block: b) }
}
