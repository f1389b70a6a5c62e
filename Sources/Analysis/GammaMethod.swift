// The Γ-method of Wolff (Comput. Phys. Commun. 156 (2004) 143, hep-lat/0306017) for the mean of a primary
// observable measured on one or more independent replicas (Markov chains), with automatic windowing and
// the bias correction of the autocorrelation function.
//
// Conventions (REFERENCE.md §5):
//   ρ(t) = Γ(t)/Γ(0),  τ_int(W) = ½ + Σ_{t=1}^{W} ρ(t)   (so τ_int = ½ for uncorrelated data; NOT 1 + 2Σρ),
//   σ(ā) = √(2 τ_int Γ(0) / N),  δτ_int = τ_int √(2(2W+1)/N)   (Madras–Sokal), N = Σ_r N_r.
// Γ(t) is defined in Autocorrelation.swift (global mean, summed over replicas, Wolff eq. (31)).
// Data layout: `values[t * chains + c]` is chain c at draw t — the row-major (draw, chain) `.npy` layout of
// REFERENCE.md §7.
import Foundation

/// Result of a Γ-method analysis of the mean of a primary observable.
public struct GammaResult: Sendable, Codable, Equatable {
    /// Global mean ā over all replicas and draws.
    public var mean: Double
    /// Statistical error of `mean`, √(2 τ_int Γ(0) / N) (0 for constant or single-sample data).
    public var error: Double
    /// Integrated autocorrelation time in the convention τ_int = ½ + Σ_{t=1}^{W} ρ(t) (½ if uncorrelated).
    public var tauInt: Double
    /// Error of `tauInt`, |τ_int| √(2(2W+1)/N).
    public var tauIntError: Double
    /// Summation window W chosen by Wolff's automatic criterion (0 if no lag was summed).
    public var window: Int
    /// Total number of samples N = Σ_r N_r.
    public var samples: Int
    /// Number of non-empty replicas.
    public var replicas: Int
    /// Γ(0) after the bias correction: the variance of one sample.
    public var variance: Double

    public init(mean: Double, error: Double, tauInt: Double, tauIntError: Double, window: Int,
                samples: Int, replicas: Int, variance: Double) {
        self.mean = mean
        self.error = error
        self.tauInt = tauInt
        self.tauIntError = tauIntError
        self.window = window
        self.samples = samples
        self.replicas = replicas
        self.variance = variance
    }
}

/// Wolff's Γ-method. All entry points are thread-safe.
///
/// Algorithm (hep-lat/0306017 §3 and its UWerr code):
/// 1. Γ(t) from FFTW for t ≤ W_max = ⌊N_max/2⌋ (N_max: the longest replica).
/// 2. Window: the smallest W ≥ 1 with g(W) = exp(−W/τ̃) − τ̃/√(W·N) < 0, where
///    τ̃ = S / ln((2τ_int(W)+1)/(2τ_int(W)−1)) and τ̃ = ε (machine epsilon) when τ_int(W) ≤ ½.
///    If no W ≤ W_max qualifies, W = W_max (the series is too short for its autocorrelation; the error is then
///    an underestimate).
/// 3. Bias correction: C_F = Γ(0) + 2Σ_{t=1}^{W} Γ(t); Γ(t) += C_F/N for all t; C_F recomputed.
/// 4. σ² = C_F/N (clamped at 0), τ_int = C_F/(2Γ(0)), δτ_int = |τ_int| √(2(2W+1)/N).
///
/// Degenerate input never produces NaN: Γ(0) = 0 (a constant series, or a single sample) gives error 0,
/// τ_int = ½, W = 0; no data at all gives `samples == 0` and every other field 0 (mean included — check
/// `samples`). Non-finite input values propagate.
public enum GammaMethod {
    /// Wolff's default S = 1.5 for the automatic window.
    public static let defaultS = 1.5

    /// Γ-method for a row-major (draws, chains) buffer: `values[t * chains + c]` is chain c at draw t.
    /// Chains are independent replicas of equal length `draws`.
    public static func analyze(draws: Int, chains: Int, values: UnsafeBufferPointer<Double>,
                               S: Double = defaultS) -> GammaResult {
        analyze(ReplicaSet(strided: values, draws: draws, chains: chains), S: S)
    }

    /// Γ-method for a row-major (draws, chains) array: `values[t * chains + c]` is chain c at draw t.
    public static func analyze(draws: Int, chains: Int, values: [Double], S: Double = defaultS) -> GammaResult {
        values.withUnsafeBufferPointer { analyze(draws: draws, chains: chains, values: $0, S: S) }
    }

    /// Γ-method for replicas given as separate series, possibly of different lengths (empty ones are ignored).
    public static func analyze(replicas: [[Double]], S: Double = defaultS) -> GammaResult {
        analyze(ReplicaSet(arrays: replicas), S: S)
    }

    /// Γ(t), t = 0 … maxLag (default: longest replica − 1), computed with FFTW. Definition in the header of
    /// Autocorrelation.swift: global mean, sums over replicas divided by Σ_r max(0, N_r − t). Not bias corrected.
    public static func autocorrelation(replicas: [[Double]], maxLag: Int? = nil) -> [Double] {
        let set = ReplicaSet(arrays: replicas)
        return autocorrelationFFT(set, mean: set.globalMean, maxLag: maxLag ?? set.maxLength - 1)
    }

    /// Γ(t) as `autocorrelation(replicas:maxLag:)` for a row-major (draws, chains) buffer.
    public static func autocorrelation(draws: Int, chains: Int, values: UnsafeBufferPointer<Double>,
                                       maxLag: Int? = nil) -> [Double] {
        let set = ReplicaSet(strided: values, draws: draws, chains: chains)
        return autocorrelationFFT(set, mean: set.globalMean, maxLag: maxLag ?? draws - 1)
    }

    /// The same Γ(t) by direct O(N·maxLag) summation: the reference the FFT version is tested against.
    public static func autocorrelationDirect(replicas: [[Double]], maxLag: Int? = nil) -> [Double] {
        let set = ReplicaSet(arrays: replicas)
        return autocorrelationDirect(set, mean: set.globalMean, maxLag: maxLag ?? set.maxLength - 1)
    }

    // MARK: - Core

    static func analyze(_ set: ReplicaSet, S: Double) -> GammaResult {
        precondition(S > 0 && S.isFinite, "S must be positive and finite, got \(S)")
        let n = set.totalCount
        let replicas = set.count
        guard n > 0 else {
            return GammaResult(mean: 0, error: 0, tauInt: 0, tauIntError: 0, window: 0,
                               samples: 0, replicas: 0, variance: 0)
        }
        let mean = set.globalMean
        let nd = Double(n)
        let wMax = set.maxLength / 2
        var gamma = autocorrelationFFT(set, mean: mean, maxLag: wMax)
        let gamma0 = gamma[0]
        guard gamma0 > 0 else {
            // Constant series or a single sample: no fluctuation to analyse.
            return GammaResult(mean: mean, error: 0, tauInt: 0.5, tauIntError: 0.5 * (2 / nd).squareRoot(),
                               window: 0, samples: n, replicas: replicas, variance: 0)
        }

        // Automatic window (Wolff eq. (52)).
        var window = wMax
        var tau = 0.5
        if wMax >= 1 {
            for w in 1...wMax {
                tau += gamma[w] / gamma0
                let tauTilde: Double
                if tau <= 0.5 {
                    tauTilde = Double.ulpOfOne
                } else {
                    tauTilde = S / log((2 * tau + 1) / (2 * tau - 1))
                }
                let g = exp(-Double(w) / tauTilde) - tauTilde / (Double(w) * nd).squareRoot()
                if g < 0 { window = w; break }
            }
        }

        // Bias correction (Wolff eq. (49)): Γ(t) → Γ(t) + C_F/N.
        func cF() -> Double {
            var c = gamma[0]
            if window >= 1 { for t in 1...window { c += 2 * gamma[t] } }
            return c
        }
        let shift = cF() / nd
        for t in 0..<gamma.count { gamma[t] += shift }
        let c = cF()
        let variance = gamma[0]
        let tauInt = variance > 0 ? c / (2 * variance) : 0.5
        let error = (max(c, 0) / nd).squareRoot()
        let tauIntError = abs(tauInt) * (2 * Double(2 * window + 1) / nd).squareRoot()
        return GammaResult(mean: mean, error: error, tauInt: tauInt, tauIntError: tauIntError, window: window,
                           samples: n, replicas: replicas, variance: variance)
    }
}
