// U1Ensemble.swift — 2D U(1) Wilson gauge theory on many chains at once (SIMD lanes across chains).
//
// Conventions (REFERENCE §1):
//   links x_μ(n) ∈ ℝ (angles; wrapped to [−π, π) between trajectories), μ ∈ {0, 1}, site n = x_0 + L_0·x_1;
//   θ_P(n) = x_0(n) + x_1(n+0̂) − x_0(n+1̂) − x_1(n)           (not wrapped)
//   S = β Σ_P (1 − cos θ_P),  H = S + ½ Σ p²
//   ∂S/∂x_0(n) = β[sin θ_P(n) − sin θ_P(n−1̂)],  ∂S/∂x_1(n) = β[sin θ_P(n−0̂) − sin θ_P(n)]
//   plaquette P = (1/V) Σ cos θ_P;  Q_int = round((1/2π) Σ w(θ_P));  Q_sin = (1/2π) Σ sin θ_P
// Storage per block of 8 chains: links [μ][n], momenta [μ][n], saved links [μ][n], scratch sin θ_P [n].
// Random numbers: chain c uses ChainRNG(seed, chain: c), in the order hot start (2V angles, μ-major),
// then per trajectory 2V Gaussian momenta (μ-major) and one Metropolis uniform.
// Physics code: no printing, no files.
import LatticeCore
import HMC

/// An ensemble of 2D U(1) gauge fields, one per chain.
public final class U1Ensemble: HMCEnsemble, @unchecked Sendable {
    public let lattice: Lattice
    public let chains: Int
    public let blockCount: Int
    /// Inverse coupling β of the Wilson action (may be changed between trajectories, e.g. β annealing in training).
    public var beta: Double
    public let seed: UInt64

    public let observableNames = ["plaquette", "charge", "charge_sin"]

    let volume: Int
    let linksPerBlock: Int
    let links: UnsafeMutablePointer<Lanes>
    let momenta: UnsafeMutablePointer<Lanes>
    let saved: UnsafeMutablePointer<Lanes>
    let scratch: UnsafeMutablePointer<Lanes>
    let scalarScratch: UnsafeMutablePointer<Double>
    let rngs: UnsafeMutablePointer<ChainRNG>

    /// Bytes of memory an ensemble of this size needs.
    public static func memoryRequirement(lattice: Lattice, chains: Int) -> Int {
        let blocks = ChainLayout.blocks(forChains: chains)
        let perBlock = (3 * 2 + 1) * lattice.volume * MemoryLayout<Lanes>.stride + 2 * lattice.volume * 8
        return blocks * perBlock + chains * MemoryLayout<ChainRNG>.stride
    }

    /// Creates `chains` cold (x = 0) configurations. Chain c draws from `ChainRNG(seed: seed, chain: c)`.
    public init(lattice: Lattice, beta: Double, chains: Int, seed: UInt64) throws {
        guard lattice.dimensions == 2 else {
            throw ConfigurationError("U(1) needs a 2-dimensional lattice; got \(lattice.dimensions) dimensions (\(lattice.description))")
        }
        guard lattice.shape.allSatisfy({ $0 >= 2 }) else {
            throw ConfigurationError("U(1) lattice \(lattice.description): every extent must be ≥ 2")
        }
        guard beta > 0, beta.isFinite else { throw ConfigurationError("beta = \(beta) is not allowed; β must be a finite number > 0") }
        guard chains >= 1 else { throw ConfigurationError("chains = \(chains) is not allowed; need at least 1 chain") }
        self.lattice = lattice
        self.beta = beta
        self.chains = chains
        self.seed = seed
        self.blockCount = ChainLayout.blocks(forChains: chains)
        self.volume = lattice.volume
        self.linksPerBlock = 2 * lattice.volume
        let n = blockCount * linksPerBlock
        links = .allocate(capacity: n); links.initialize(repeating: Lanes(), count: n)
        momenta = .allocate(capacity: n); momenta.initialize(repeating: Lanes(), count: n)
        saved = .allocate(capacity: n); saved.initialize(repeating: Lanes(), count: n)
        scratch = .allocate(capacity: blockCount * volume); scratch.initialize(repeating: Lanes(), count: blockCount * volume)
        scalarScratch = .allocate(capacity: blockCount * linksPerBlock)
        scalarScratch.initialize(repeating: 0, count: blockCount * linksPerBlock)
        rngs = .allocate(capacity: chains)
        for c in 0..<chains { (rngs + c).initialize(to: ChainRNG(seed: seed, chain: c)) }
    }

    deinit {
        links.deallocate(); momenta.deallocate(); saved.deallocate(); scratch.deallocate()
        scalarScratch.deallocate(); rngs.deinitialize(count: chains); rngs.deallocate()
    }

    // MARK: per-chain access

    @inline(__always) func index(chain c: Int, mu: Int, site n: Int) -> (Int, Int) {
        ((c / ChainLayout.lanes) * linksPerBlock + mu * volume + n, c % ChainLayout.lanes)
    }

    /// The link angle x_μ(n) of chain c.
    public subscript(chain c: Int, mu mu: Int, site n: Int) -> Double {
        get { let (i, l) = index(chain: c, mu: mu, site: n); return links[i][l] }
        set { let (i, l) = index(chain: c, mu: mu, site: n); links[i][l] = newValue }
    }

    /// The momentum conjugate to x_μ(n) of chain c (as left by the last trajectory, or set by hand).
    public func momentum(chain c: Int, mu: Int, site n: Int) -> Double {
        let (i, l) = index(chain: c, mu: mu, site: n); return momenta[i][l]
    }
    public func setMomentum(chain c: Int, mu: Int, site n: Int, _ value: Double) {
        let (i, l) = index(chain: c, mu: mu, site: n); momenta[i][l] = value
    }

    /// All 2V link angles of chain c, μ-major ([μ][n]).
    public func links(chain c: Int) -> [Double] {
        (0..<2).flatMap { mu in (0..<volume).map { self[chain: c, mu: mu, site: $0] } }
    }
    public func setLinks(chain c: Int, _ values: [Double]) {
        precondition(values.count == linksPerBlock)
        for mu in 0..<2 { for n in 0..<volume { self[chain: c, mu: mu, site: n] = values[mu * volume + n] } }
    }

    /// The raw link storage: blocks × [μ][n] × 8 lanes (the lane-blocked layout, chain c = 8·block + lane).
    public func withLinkStorage<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try links.withMemoryRebound(to: Double.self, capacity: blockCount * linksPerBlock * 8) {
            try body(UnsafeMutableBufferPointer(start: $0, count: blockCount * linksPerBlock * 8))
        }
    }

    /// The random stream of chain c (its state can be checkpointed and restored).
    public func rng(chain c: Int) -> ChainRNG { rngs[c] }
    public func setRNG(chain c: Int, _ r: ChainRNG) { rngs[c] = r }

    // MARK: starts

    /// Cold start: all links 0.
    public func coldStart() {
        links.update(repeating: Lanes(), count: blockCount * linksPerBlock)
    }

    /// Hot start: every link uniform in [−π, π), drawn from its chain's stream (2V draws, μ-major).
    public func hotStart() {
        for c in 0..<chains {
            for mu in 0..<2 { for n in 0..<volume { self[chain: c, mu: mu, site: n] = rngs[c].angle() } }
        }
    }

    public func block(_ b: Int) -> U1Block {
        U1Block(ensemble: self, block: b)
    }

    /// Applies the gauge transformation x_μ(n) → x_μ(n) + α(n) − α(n+μ̂) to chain c (α per site).
    public func gaugeTransform(chain c: Int, alpha: [Double]) {
        precondition(alpha.count == volume)
        for mu in 0..<2 {
            for n in 0..<volume {
                self[chain: c, mu: mu, site: n] += alpha[n] - alpha[lattice.shift(n, mu)]
            }
        }
    }
}
