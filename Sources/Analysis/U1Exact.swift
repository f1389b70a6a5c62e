// Exact finite-volume results of 2D U(1) Wilson gauge theory on a periodic lattice of V plaquettes
// (REFERENCE.md §1; Bonati & Rossi, PRD 99 (2019) 054503, arXiv:1901.09830; Kiskis, Narayanan, Sigdel,
// PRD 89 (2014) 085031). After maximal-tree gauge fixing the V wrapped plaquette angles φ_P ∈ (−π, π] are
// independent except for Σ_P φ_P = 2πQ, and, with all integrals over (−π, π],
//
//   I_n = ∫dφ/2π e^{β cos φ} cos nφ,  K_n = ∫dφ/2π φ² e^{β cos φ} cos nφ,  j_n = ∫dφ/2π φ e^{β cos φ} sin nφ,
//   S_n = [I_n − (I_{n−2} + I_{n+2})/2]/2,  Z = Σ_{n∈ℤ} I_n^V,
//   ⟨cos θ_P⟩ = Σ_n ½(I_{n−1} + I_{n+1}) I_n^{V−1} / Z,
//   ⟨Q_int²⟩  = (1/4π²) Σ_n [V K_n I_n^{V−1} − V(V−1) j_n² I_n^{V−2}] / Z,
//   ⟨Q_sin²⟩  = (1/4π²) Σ_n [V S_n I_n^{V−1} − V(V−1) (n I_n/β)² I_n^{V−2}] / Z,
//   ⟨W(A)⟩    = Σ_n I_{n+1}^A I_n^{V−A} / Z   (A = R·T plaquettes),
//   infinite volume: ⟨cos θ_P⟩ = I_1/I_0, χ = K_0/(4π² I_0).
//
// Numerics: every I_n, K_n, j_n is scaled by e^{−β}; powers enter only as ratios r_n = I_n/I_0 ≤ 1 raised to
// V − k (no overflow/underflow problem for any V). The n-sums run over |n| ≤ n_max, the first n with
// r_n^{max(V−2,1)} < 1e-18 (terms decrease super-exponentially in |n|). K_n and j_n: Gauss–Legendre on [0, π]
// (their integrands are even; the periodic extensions of φ and φ² have kinks at ±π, so the trapezoid rule would
// converge only algebraically).
// Small volumes: for V ≤ 2, |Σφ| < 2π almost everywhere, so Q = 0 and ⟨Q_int²⟩ = 0 exactly; the Q_int² sum
// converges to that only like 1/n_max there (K_n ~ 1/n², j_n ~ 1/n), so it is set exactly. For V ≥ 3 the
// factors I_n^{V−2} make every sum converge fast.
import Foundation

/// Invalid parameters for `U1Exact`.
public enum U1ExactError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// β must be finite and > 0.
    case invalidBeta(Double)
    /// The volume (number of plaquettes = sites) must be ≥ 1.
    case invalidVolume(Int)

    public var description: String {
        switch self {
        case .invalidBeta(let b): return "U1Exact: beta must be finite and > 0, got \(b)"
        case .invalidVolume(let v): return "U1Exact: volume (number of plaquettes) must be ≥ 1, got \(v)"
        }
    }

    public var errorDescription: String? { description }
}

/// Exact expectation values of 2D U(1) Wilson gauge theory on a periodic lattice with V = L_0·L_1 plaquettes
/// at coupling β (REFERENCE.md §1). All values are computed in `init`; construction costs well under a
/// millisecond for moderate β.
public struct U1Exact: Sendable, Equatable {
    /// Inverse coupling β.
    public let beta: Double
    /// Number of plaquettes V = L_0·L_1.
    public let volume: Int
    /// ⟨cos θ_P⟩ at finite volume.
    public let plaquette: Double
    /// ⟨Q_int²⟩ at finite volume (Q_int the integer charge, (1/2π) Σ_P w(θ_P)).
    public let qIntSquared: Double
    /// ⟨Q_sin²⟩ at finite volume (Q_sin = (1/2π) Σ_P sin θ_P).
    public let qSinSquared: Double
    /// Topological susceptibility χ_Q = ⟨Q_int²⟩/V at finite volume.
    public var susceptibility: Double { qIntSquared / Double(volume) }
    /// Infinite-volume plaquette I_1(β)/I_0(β).
    public let infiniteVolumePlaquette: Double
    /// Infinite-volume susceptibility K_0/(4π² I_0).
    public let infiniteVolumeSusceptibility: Double
    /// Highest |n| kept in the sums over n.
    public let maxOrder: Int

    /// r_n = I_n/I_0 for n = 0 … maxOrder + 2.
    private let ratios: [Double]
    /// Σ_{|n| ≤ maxOrder} r_n^V = Z / I_0^V.
    private let partition: Double

    /// Exact results for coupling `beta` (> 0) on `volume` (≥ 1) plaquettes.
    /// - Throws: `U1ExactError` naming the offending value.
    public init(beta: Double, volume: Int) throws(U1ExactError) {
        guard beta > 0, beta.isFinite else { throw .invalidBeta(beta) }
        guard volume >= 1 else { throw .invalidVolume(volume) }
        self.beta = beta
        self.volume = volume

        // Scaled Bessel functions far enough out for any V; then the truncation order.
        let cap = Int(10 * beta.squareRoot()) + 40
        let bessel = BesselI.scaledSequence(through: cap, beta)
        let i0 = bessel[0]
        let r = bessel.map { $0 / i0 }
        let exponent = Double(max(volume - 2, 1))
        var nMax = cap - 2
        for n in 2...(cap - 2) where pow(r[n], exponent) < 1e-18 {
            nMax = n
            break
        }
        maxOrder = nMax
        ratios = Array(r[0...(nMax + 2)])

        let v = Double(volume)
        func power(_ x: Double, _ k: Int) -> Double { pow(x, v - Double(k)) }   // x^{V−k}
        func rr(_ n: Int) -> Double { r[abs(n)] }

        // Z / I_0^V and ⟨cos θ_P⟩: sum n = 0 once and n ≥ 1 twice (all summands even in n).
        var z = 0.0, cosSum = 0.0
        for n in stride(from: nMax, through: 0, by: -1) {
            let mult = n == 0 ? 1.0 : 2.0
            z += mult * power(rr(n), 0)
            cosSum += mult * 0.5 * (rr(n - 1) + rr(n + 1)) * power(rr(n), 1)
        }
        partition = z
        plaquette = cosSum / z

        // K_n, j_n (scaled) by Gauss–Legendre; K_0 also for the infinite-volume χ.
        let rule = GaussLegendreRule(count: U1Exact.nodeCount(beta: beta, maxOrder: nMax))
        let fourPi2 = 4 * Double.pi * Double.pi
        let k0 = U1Exact.kIntegral(0, beta: beta, rule: rule)
        infiniteVolumePlaquette = r[1]
        infiniteVolumeSusceptibility = k0 / (fourPi2 * i0)

        if volume <= 2 {
            qIntSquared = 0   // Q = 0 almost surely (see the file header)
        } else {
            var s = 0.0
            for n in stride(from: nMax, through: 0, by: -1) {
                let mult = n == 0 ? 1.0 : 2.0
                let kn = (n == 0 ? k0 : U1Exact.kIntegral(n, beta: beta, rule: rule)) / i0
                let jn = U1Exact.jIntegral(n, beta: beta, rule: rule) / i0
                s += mult * (v * kn * power(rr(n), 1) - v * (v - 1) * jn * jn * power(rr(n), 2))
            }
            qIntSquared = max(0, s / (fourPi2 * z))
        }

        var s = 0.0
        for n in stride(from: nMax, through: 0, by: -1) {
            let mult = n == 0 ? 1.0 : 2.0
            let sn = 0.5 * (rr(n) - 0.5 * (rr(n - 2) + rr(n + 2)))
            var term = v * sn * power(rr(n), 1)
            if volume >= 2 {
                let q = Double(n) * rr(n) / beta
                term -= v * (v - 1) * q * q * power(rr(n), 2)
            }
            s += mult * term
        }
        qSinSquared = max(0, s / (fourPi2 * z))
    }

    /// ⟨W⟩ of a closed, contractible Wilson loop enclosing `area` = R·T plaquettes, 0 ≤ area ≤ V:
    /// Σ_n I_{n+1}^A I_n^{V−A} / Z. W(1×1) equals the plaquette.
    public func wilsonLoop(area: Int) -> Double {
        precondition(area >= 0 && area <= volume, "wilsonLoop: area must be in 0…\(volume), got \(area)")
        let a = Double(area), rest = Double(volume - area)
        var s = 0.0
        for n in stride(from: maxOrder, through: -maxOrder - 1, by: -1) {
            s += pow(ratios[abs(n + 1)], a) * pow(ratios[abs(n)], rest)
        }
        return s / partition
    }

    // MARK: - The integrals K_n and j_n

    /// e^{−β} K_n(β) = (1/π) ∫_0^π φ² e^{β(cos φ − 1)} cos(nφ) dφ by Gauss–Legendre with `nodes` points
    /// (default: enough for ~1e-16 absolute accuracy).
    public static func kIntegral(_ n: Int, beta: Double, nodes: Int? = nil) -> Double {
        precondition(beta > 0 && beta.isFinite, "kIntegral: beta must be finite and > 0, got \(beta)")
        let rule = GaussLegendreRule(count: nodes ?? nodeCount(beta: beta, maxOrder: abs(n)))
        return kIntegral(n, beta: beta, rule: rule)
    }

    /// e^{−β} j_n(β) = (1/π) ∫_0^π φ e^{β(cos φ − 1)} sin(nφ) dφ by Gauss–Legendre with `nodes` points
    /// (default: enough for ~1e-16 absolute accuracy). j_{−n} = −j_n.
    public static func jIntegral(_ n: Int, beta: Double, nodes: Int? = nil) -> Double {
        precondition(beta > 0 && beta.isFinite, "jIntegral: beta must be finite and > 0, got \(beta)")
        let rule = GaussLegendreRule(count: nodes ?? nodeCount(beta: beta, maxOrder: abs(n)))
        return jIntegral(n, beta: beta, rule: rule)
    }

    /// Gauss–Legendre points for K_n, j_n with |n| ≤ maxOrder: the integrand e^{β(cos φ−1)} cos nφ is entire;
    /// the count grows with the oscillation n and with the peak sharpness β (checked against doubling in the
    /// tests). Capped at 20000 (β ≲ 10⁴).
    static func nodeCount(beta: Double, maxOrder: Int) -> Int {
        min(64 + 2 * maxOrder + Int(4 * beta.squareRoot()), 20_000)
    }

    static func kIntegral(_ n: Int, beta: Double, rule: GaussLegendreRule) -> Double {
        let nd = Double(n)
        return rule.integrate(0, .pi) { phi in phi * phi * exp(beta * (cos(phi) - 1)) * cos(nd * phi) } / .pi
    }

    static func jIntegral(_ n: Int, beta: Double, rule: GaussLegendreRule) -> Double {
        let nd = Double(n)
        return rule.integrate(0, .pi) { phi in phi * exp(beta * (cos(phi) - 1)) * sin(nd * phi) } / .pi
    }
}
