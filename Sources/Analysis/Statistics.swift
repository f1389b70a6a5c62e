// Simple statistics: mean with the naive (uncorrelated) error, pulls against exact values, and the
// topological tunneling rate of REFERENCE.md §5.
//
// Conventions: naive error = s/√N with the unbiased sample variance s² (N − 1 in the denominator) — valid only
// for uncorrelated data; use `GammaMethod` for Markov-chain output. Tunneling rate (REFERENCE.md §5): the mean
// over chains and transitions of |Q_int(x_{t+1}) − Q_int(x_t)| per trajectory, Q_int rounded as in §1.
import Foundation

/// Mean and naive standard error s/√N (unbiased s², N − 1). Error 0 for fewer than two values;
/// mean 0 for no values.
public func meanAndNaiveError<C: Collection>(_ values: C) -> (mean: Double, error: Double)
where C.Element == Double {
    let n = values.count
    guard n > 0 else { return (0, 0) }
    var sum = 0.0
    for v in values { sum += v }
    let mean = sum / Double(n)
    guard n > 1 else { return (mean, 0) }
    var ss = 0.0
    for v in values { let d = v - mean; ss += d * d }
    return (mean, (ss / Double(n - 1) / Double(n)).squareRoot())
}

/// Pull (measured − exact)/error, in units of the error. With `error == 0` it is 0 if the values agree
/// exactly and ±∞ otherwise (never NaN unless an input is NaN).
public func pull(measured: Double, error: Double, exact: Double) -> Double {
    let diff = measured - exact
    if error == 0 { return diff == 0 ? 0 : (diff > 0 ? .infinity : -.infinity) }
    return diff / error
}

/// Topological tunneling rate (REFERENCE.md §5).
///
/// From Q_int stored row-major as (draws, chains) — `qInt[t * chains + c]` is chain c after trajectory t —
/// form the per-chain series d_c(t) = |Q_c(t+1) − Q_c(t)|, t = 0 … draws − 2. The rate is the mean of d over all
/// chains and transitions (charge units per trajectory). Its error comes from the Γ-method applied to d with
/// the chains as independent replicas, so autocorrelations of the tunneling events along each chain are
/// accounted for. The Q_int values are used as given (they are integers: rounded, not truncated, §1).
public enum TunnelingRate {
    /// Γ-method result for the tunneling rate; `samples` counts transitions (draws − 1) × chains.
    /// Fewer than two draws give `samples == 0` (no transition).
    public static func analyze(draws: Int, chains: Int, qInt: UnsafeBufferPointer<Double>,
                               S: Double = GammaMethod.defaultS) -> GammaResult {
        precondition(draws >= 0 && chains >= 0, "draws (\(draws)) and chains (\(chains)) must be ≥ 0")
        precondition(qInt.count == draws * chains,
                     "qInt.count = \(qInt.count) ≠ draws × chains = \(draws) × \(chains)")
        guard draws >= 2 else { return GammaMethod.analyze(replicas: [], S: S) }
        var jumps = [Double](repeating: 0, count: (draws - 1) * chains)
        for t in 0..<(draws - 1) {
            for c in 0..<chains {
                jumps[t * chains + c] = abs(qInt[(t + 1) * chains + c] - qInt[t * chains + c])
            }
        }
        return GammaMethod.analyze(draws: draws - 1, chains: chains, values: jumps, S: S)
    }

    /// As `analyze(draws:chains:qInt:S:)` for an array.
    public static func analyze(draws: Int, chains: Int, qInt: [Double],
                               S: Double = GammaMethod.defaultS) -> GammaResult {
        qInt.withUnsafeBufferPointer { analyze(draws: draws, chains: chains, qInt: $0, S: S) }
    }
}
