// Autocorrelation function Γ(t) of a primary observable measured on several replicas (Markov chains):
// an FFTW implementation (r2c/c2r, zero padded, cached plans) and a direct O(N·W) reference.
//
// Conventions (REFERENCE.md §5; Wolff, Comput. Phys. Commun. 156 (2004) 143, hep-lat/0306017, eq. (31)):
//   Γ(t) = Σ_r Σ_{i=0}^{N_r−t−1} (a_i^r − ā)(a_{i+t}^r − ā) / Σ_r max(0, N_r − t),
// with ā the global mean over all replicas and all times. Replicas are independent chains; they may have
// different lengths. Γ(t) for a lag that no replica reaches is 0.
//
// FFTW: planning is not thread-safe, execution with the new-array interface is. Plans are created once per
// padded length with FFTW_ESTIMATE under a lock (the only global mutable state of this module), kept for the
// life of the process, and executed on buffers from fftw_malloc so that their alignment matches the plan's.
import CFFTW
import Foundation

/// A read-only view of R replicas of a scalar series, either as separate arrays or as the strided columns of a
/// row-major (draws, chains) buffer (`values[t * chains + c]` is chain c at time t — the `.npy` layout).
struct ReplicaSet {
    private enum Storage {
        case arrays([[Double]])
        case strided(UnsafeBufferPointer<Double>, draws: Int, chains: Int)
    }
    private let storage: Storage

    init(arrays: [[Double]]) { storage = .arrays(arrays.filter { !$0.isEmpty }) }

    init(strided values: UnsafeBufferPointer<Double>, draws: Int, chains: Int) {
        precondition(draws >= 0 && chains >= 0, "draws (\(draws)) and chains (\(chains)) must be ≥ 0")
        precondition(values.count == draws * chains,
                     "values.count = \(values.count) ≠ draws × chains = \(draws) × \(chains)")
        storage = draws == 0 ? .arrays([]) : .strided(values, draws: draws, chains: chains)
    }

    /// Number of (non-empty) replicas.
    var count: Int {
        switch storage {
        case .arrays(let a): return a.count
        case .strided(_, _, let chains): return chains
        }
    }

    /// Length N_r of replica r.
    func length(_ r: Int) -> Int {
        switch storage {
        case .arrays(let a): return a[r].count
        case .strided(_, let draws, _): return draws
        }
    }

    /// Copies replica r into the start of `buffer`, subtracting `shift` from every element.
    func copy(_ r: Int, into buffer: UnsafeMutablePointer<Double>, subtracting shift: Double) {
        switch storage {
        case .arrays(let a):
            a[r].withUnsafeBufferPointer { src in
                for i in 0..<src.count { buffer[i] = src[i] - shift }
            }
        case .strided(let v, let draws, let chains):
            var j = r
            for i in 0..<draws {
                buffer[i] = v[j] - shift
                j += chains
            }
        }
    }

    /// Element i of replica r.
    @inline(__always)
    func value(_ r: Int, _ i: Int) -> Double {
        switch storage {
        case .arrays(let a): return a[r][i]
        case .strided(let v, _, let chains): return v[i * chains + r]
        }
    }

    /// Total number of samples N = Σ_r N_r.
    var totalCount: Int { (0..<count).reduce(0) { $0 + length($1) } }

    /// Length of the longest replica.
    var maxLength: Int { (0..<count).reduce(0) { max($0, length($1)) } }

    /// Global mean ā (per-replica sums first, then their sum; the same order for both storages).
    /// Returns 0 for an empty set.
    var globalMean: Double {
        var total = 0.0
        for r in 0..<count {
            var s = 0.0
            for i in 0..<length(r) { s += value(r, i) }
            total += s
        }
        let n = totalCount
        return n > 0 ? total / Double(n) : 0
    }
}

/// Lock-protected cache of FFTW plans, one (r2c, c2r) pair per padded length.
final class FFTWPlanCache: @unchecked Sendable {
    /// A forward/backward plan pair for real data of length `length`.
    struct Plans: @unchecked Sendable {
        let length: Int
        let forward: OpaquePointer   // r2c, length → length/2 + 1
        let backward: OpaquePointer  // c2r, length/2 + 1 → length
    }

    static let shared = FFTWPlanCache()

    private let lock = NSLock()
    private var plans: [Int: Plans] = [:]

    /// Returns the plans for `length` (even, ≥ 2), creating them under the lock if needed.
    func plans(length: Int) -> Plans {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[length] { return p }
        let real = fftw_alloc_real(length)!
        let complex = fftw_alloc_complex(length / 2 + 1)!
        defer { fftw_free(real); fftw_free(complex) }
        let flags = UInt32(FFTW_ESTIMATE)
        guard let f = fftw_plan_dft_r2c_1d(Int32(length), real, complex, flags),
              let b = fftw_plan_dft_c2r_1d(Int32(length), complex, real, flags)
        else { preconditionFailure("FFTW could not create plans of length \(length)") }
        let p = Plans(length: length, forward: f, backward: b)
        plans[length] = p
        return p
    }

    /// Smallest even length of the form 2^a·3^b·5^c (a ≥ 1) that is ≥ n: fast FFT sizes, few distinct plans.
    static func goodLength(atLeast n: Int) -> Int {
        var best = Int.max
        var p2 = 2
        while true {
            var p3 = p2
            while true {
                var p5 = p3
                while p5 < n { p5 *= 5 }
                best = min(best, p5)
                if p3 >= n { break }
                p3 *= 3
            }
            if p2 >= n { break }
            p2 *= 2
        }
        return best
    }
}

extension GammaMethod {
    /// Γ(t) for t = 0 … maxLag by FFT (see the file header for the definition). `maxLag` is clamped to
    /// the longest replica length − 1.
    static func autocorrelationFFT(_ set: ReplicaSet, mean: Double, maxLag: Int) -> [Double] {
        let nMax = set.maxLength
        guard nMax > 0, maxLag >= 0 else { return [] }
        let lagCount = min(maxLag, nMax - 1) + 1
        var sums = [Double](repeating: 0, count: lagCount)

        // Group the replicas by length: one plan and one buffer set per distinct length.
        var byLength: [Int: [Int]] = [:]
        for r in 0..<set.count { byLength[set.length(r), default: []].append(r) }

        for (n, members) in byLength.sorted(by: { $0.key < $1.key }) {
            if n == 1 {   // lag 0 only; no transform needed
                for r in members { let d = set.value(r, 0) - mean; sums[0] += d * d }
                continue
            }
            let length = FFTWPlanCache.goodLength(atLeast: 2 * n)
            let plans = FFTWPlanCache.shared.plans(length: length)
            let half = length / 2 + 1
            let real = fftw_alloc_real(length)!
            let spectrum = fftw_alloc_complex(half)!
            defer { fftw_free(real); fftw_free(spectrum) }
            let lags = min(lagCount, n)
            let scale = 1.0 / Double(length)
            for r in members {
                set.copy(r, into: real, subtracting: mean)
                for i in n..<length { real[i] = 0 }
                fftw_execute_dft_r2c(plans.forward, real, spectrum)
                for k in 0..<half {
                    let (re, im) = spectrum[k]
                    spectrum[k] = (re * re + im * im, 0)
                }
                fftw_execute_dft_c2r(plans.backward, spectrum, real)
                for t in 0..<lags { sums[t] += real[t] * scale }
            }
        }
        return normalise(sums, set)
    }

    /// Γ(t) for t = 0 … maxLag by direct summation, O(N·maxLag). Reference for the FFT version.
    static func autocorrelationDirect(_ set: ReplicaSet, mean: Double, maxLag: Int) -> [Double] {
        let nMax = set.maxLength
        guard nMax > 0, maxLag >= 0 else { return [] }
        let lagCount = min(maxLag, nMax - 1) + 1
        var sums = [Double](repeating: 0, count: lagCount)
        for r in 0..<set.count {
            let n = set.length(r)
            let d = (0..<n).map { set.value(r, $0) - mean }
            for t in 0..<min(lagCount, n) {
                var s = 0.0
                for i in 0..<(n - t) { s += d[i] * d[i + t] }
                sums[t] += s
            }
        }
        return normalise(sums, set)
    }

    /// Divides the lag-t sums by Σ_r max(0, N_r − t).
    private static func normalise(_ sums: [Double], _ set: ReplicaSet) -> [Double] {
        var out = sums
        for t in 0..<out.count {
            var pairs = 0
            for r in 0..<set.count { pairs += max(0, set.length(r) - t) }
            out[t] = pairs > 0 ? out[t] / Double(pairs) : 0
        }
        return out
    }
}
