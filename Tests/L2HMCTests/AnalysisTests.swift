// Tests of the Analysis module: Γ-method (REFERENCE.md §5), simple statistics and tunneling rate, scaled
// Bessel functions, Gauss–Legendre quadrature and the exact finite-volume 2D U(1) results (REFERENCE.md §1).
// Deterministic: all random numbers come from a seeded SplitMix64 defined here. Public API only.
import Analysis
import Foundation
import Testing

// MARK: - Helpers

/// SplitMix64 (Steele, Lea, Flood 2014) with Box–Muller normals: deterministic test data.
private struct AnalysisTestRNG {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(nextUInt64() >> 11) + 0.5) * 0x1p-53 }

    mutating func normal() -> Double {
        if let s = spare { spare = nil; return s }
        let r = (-2 * log(uniform())).squareRoot()
        let phi = 2 * Double.pi * uniform()
        spare = r * sin(phi)
        return r * cos(phi)
    }
}

/// `replicas` AR(1) chains x_{t+1} = a x_t + √(1−a²) η, stationary start, σ² = 1, τ_int = ½(1+a)/(1−a).
private func analysisAR1Replicas(a: Double, replicas: Int, length: Int, seed: UInt64) -> [[Double]] {
    var rng = AnalysisTestRNG(seed: seed)
    let c = (1 - a * a).squareRoot()
    return (0..<replicas).map { _ in
        var x = rng.normal()
        return (0..<length).map { _ in
            let v = x
            x = a * x + c * rng.normal()
            return v
        }
    }
}

private func analysisRelativeError(_ x: Double, _ y: Double) -> Double { abs(x - y) / abs(y) }

// MARK: - Bessel functions and quadrature

@Suite struct BesselITests {
    @Test func tabulatedUnscaledValues() {
        let table: [(Int, Double, Double)] = [
            (0, 1, 1.2660658777520082), (1, 1, 0.5651591039924851), (2, 1, 0.1357476697670383),
            (0, 5, 27.239871823604442), (1, 2, 1.5906368546373291), (0, 10, 2815.716628466254),
            (5, 10, 777.1882864032599),
        ]
        for (n, x, exact) in table {
            let value = BesselI.scaled(n, x) * exp(x)
            #expect(analysisRelativeError(value, exact) < 1e-13, "I_\(n)(\(x)) = \(value), expected \(exact)")
        }
    }

    /// e^{−x} I_n(x) from mpmath (40 digits) over 0.001 ≤ x ≤ 50, 0 ≤ n ≤ 60.
    @Test func mpmathGrid() {
        let table: [(n: Int, x: Double, value: Double)] = [
            (0, 0.001, 9.9900074958351556e-1), (1, 0.001, 4.9950031235422134e-4), (2, 0.001, 1.2487507288542741e-7), (5, 0.001, 2.6015639100479077e-19), (10, 0.001, 2.6884547172369633e-40), (20, 0.001, 3.915986451193073e-85), (40, 0.001, 1.1135784386711439e-180), (60, 0.001, 1.0413365645178812e-280),
            (0, 0.1, 9.071009257823011e-1), (1, 0.1, 4.5298446808809325e-2), (2, 0.1, 1.1319896061145963e-3), (5, 0.1, 2.3573294295782135e-9), (10, 0.1, 2.4356016783441039e-20), (20, 0.1, 3.5472984018130205e-45), (40, 0.1, 1.0086770472667976e-100), (60, 0.1, 9.4322165186502753e-161),
            (0, 1, 4.6575960759364044e-1), (1, 1, 2.0791041534970845e-1), (2, 1, 4.9938776894223539e-2), (5, 1, 9.9865714112086907e-5), (10, 1, 1.0127529864692066e-10), (20, 1, 1.4593174056818686e-25), (40, 1, 4.1258037690935588e-61), (60, 1, 3.8504435919146489e-101),
            (0, 2.5, 2.7004644161220274e-1), (1, 2.5, 2.0658464953126655e-1), (2, 2.5, 1.047787219871895e-1), (5, 2.5, 2.6959566142995797e-3), (10, 2.5, 2.4262221023891066e-7), (20, 2.5, 3.1520899881449955e-18), (40, 2.5, 7.862535224735836e-46), (60, 2.5, 6.6040716430126393e-78),
            (0, 10, 1.2783333716342861e-1), (1, 10, 1.2126268138445552e-1), (2, 10, 1.035808008865375e-1), (5, 10, 3.5284293614933963e-2), (10, 10, 9.9388192221399772e-4), (20, 10, 5.6786220145215239e-9), (40, 10, 9.2712253205384546e-25), (60, 10, 7.1201131774593692e-45),
            (0, 30, 7.3145946482237294e-2), (1, 30, 7.1916330598647555e-2), (2, 30, 6.8351524442327457e-2), (5, 30, 4.7925203168721224e-2), (10, 30, 1.3646390946186457e-2), (20, 30, 1.0545901698926877e-4), (40, 30, 2.2510414876317662e-12), (60, 30, 1.4930811028383652e-23),
            (0, 50, 5.6561626647454193e-2), (1, 50, 5.59931238928954e-2), (2, 50, 5.4321901691738377e-2), (5, 50, 4.3947497024623271e-2), (10, 50, 2.0668428584210586e-2), (20, 50, 1.0496272879428207e-3), (40, 50, 1.1586345533413894e-8), (60, 50, 2.4291433251384157e-16),
        ]
        for (n, x, exact) in table {
            let value = BesselI.scaled(n, x)
            #expect(analysisRelativeError(value, exact) < 1e-14, "e^-x I_\(n)(\(x)) = \(value), expected \(exact)")
        }
    }

    @Test func symmetryAndEdgeCases() {
        #expect(BesselI.scaled(-3, 2.5) == BesselI.scaled(3, 2.5))
        #expect(BesselI.scaled(0, 0) == 1)
        #expect(BesselI.scaled(4, 0) == 0)
        let sequence = BesselI.scaledSequence(through: 12, 7.25)
        for n in 0...12 { #expect(sequence[n] == BesselI.scaled(n, 7.25)) }
        // Sum rule e^{x} = I_0 + 2 Σ I_k and large arguments stay finite.
        let big = BesselI.scaledSequence(through: 3000, 1000)
        let sum = big[0] + 2 * big.dropFirst().reduce(0, +)
        #expect(abs(sum - 1) < 1e-13)
        #expect(analysisRelativeError(big[0], 1 / (2 * Double.pi * 1000).squareRoot() * (1 + 1 / 8000.0 + 9 / 128e6)) < 1e-9)
    }
}

@Suite struct GaussLegendreRuleTests {
    @Test func exactForPolynomials() {
        let rule = GaussLegendreRule(count: 7)
        #expect(abs(rule.weights.reduce(0, +) - 2) < 1e-14)
        for degree in 0...13 {
            let exact = degree % 2 == 1 ? 0 : 2 / Double(degree + 1)
            let value = rule.integrate(-1, 1) { pow($0, Double(degree)) }
            #expect(abs(value - exact) < 1e-14, "degree \(degree)")
        }
        let one = GaussLegendreRule(count: 1)
        #expect(one.nodes == [0] && one.weights == [2])
    }

    @Test func analyticIntegrand() {
        let rule = GaussLegendreRule(count: 400)
        #expect(abs(rule.integrate(0, 1) { exp($0) } - (exp(1) - 1)) < 1e-14)
        #expect(abs(rule.integrate(0, .pi) { cos(50 * $0) * cos(50 * $0) } - .pi / 2) < 1e-13)
    }
}

// MARK: - Exact 2D U(1)

/// Brute-force expectation values on V = 3 plaquettes: the angles φ1, φ2 ∈ (−π, π] and φ3 = 2πQ − φ1 − φ2,
/// required to lie in (−π, π], summed over Q. The φ2 range is an interval whose ends are linear in φ1, smooth on
/// each half φ1 < 0, φ1 > 0, so nested Gauss–Legendre converges exponentially.
private func analysisBruteForceV3(beta: Double) -> (cos: Double, q2: Double, qsin2: Double, w2: Double) {
    let rule = GaussLegendreRule(count: 96)
    var z = 0.0, c = 0.0, q2 = 0.0, qs = 0.0, w2 = 0.0
    for q in -1...1 {
        let shift = 2 * Double.pi * Double(q)
        for (a, b) in [(-Double.pi, 0.0), (0.0, Double.pi)] {
            func inner(_ phi1: Double, _ f: (Double, Double, Double) -> Double) -> Double {
                let lo = max(-Double.pi, shift - phi1 - .pi), hi = min(Double.pi, shift - phi1 + .pi)
                guard hi > lo else { return 0 }
                return rule.integrate(lo, hi) { phi2 in
                    let phi3 = shift - phi1 - phi2
                    return exp(beta * (cos(phi1) + cos(phi2) + cos(phi3) - 3)) * f(phi1, phi2, phi3)
                }
            }
            z += rule.integrate(a, b) { inner($0) { _, _, _ in 1 } }
            c += rule.integrate(a, b) { inner($0) { p1, _, _ in cos(p1) } }
            q2 += rule.integrate(a, b) { inner($0) { _, _, _ in Double(q * q) } }
            qs += rule.integrate(a, b) {
                inner($0) { p1, p2, p3 in
                    let s = (sin(p1) + sin(p2) + sin(p3)) / (2 * Double.pi)
                    return s * s
                }
            }
            w2 += rule.integrate(a, b) { inner($0) { p1, p2, _ in cos(p1 + p2) } }
        }
    }
    return (c / z, q2 / z, qs / z, w2 / z)
}

@Suite struct U1ExactTests {
    @Test(arguments: [(8, 1.0, 0.44638997, 2.600719), (8, 3.0, 0.80998555, 0.707843),
                      (16, 4.0, 0.86352261, 1.933879), (16, 6.0, 0.91235930, 1.194701)])
    func referenceTable(l: Int, beta: Double, plaquette: Double, q2: Double) throws {
        let exact = try U1Exact(beta: beta, volume: l * l)
        #expect(abs(exact.plaquette - plaquette) <= 5e-9, "⟨cos⟩ = \(exact.plaquette)")
        #expect(abs(exact.qIntSquared - q2) <= 5e-7, "⟨Q²⟩ = \(exact.qIntSquared)")
        #expect(abs(exact.susceptibility - exact.qIntSquared / Double(l * l)) < 1e-15)
    }

    @Test(arguments: [0.7, 1.3, 2.5])
    func bruteForceThreePlaquettes(beta: Double) throws {
        let exact = try U1Exact(beta: beta, volume: 3)
        let brute = analysisBruteForceV3(beta: beta)
        #expect(abs(exact.plaquette - brute.cos) < 1e-12, "\(exact.plaquette) vs \(brute.cos)")
        #expect(abs(exact.qIntSquared - brute.q2) < 1e-12, "\(exact.qIntSquared) vs \(brute.q2)")
        #expect(abs(exact.qSinSquared - brute.qsin2) < 1e-12, "\(exact.qSinSquared) vs \(brute.qsin2)")
        #expect(abs(exact.wilsonLoop(area: 2) - brute.w2) < 1e-12, "\(exact.wilsonLoop(area: 2)) vs \(brute.w2)")
        #expect(exact.qIntSquared > 1e-4)   // the check is not vacuous
    }

    /// V = 2: φ2 = −φ1 (Q = 0), so ⟨cos⟩ = I_1(2β)/I_0(2β), Q_int = Q_sin = 0. V = 1: φ = 0.
    @Test func oneAndTwoPlaquettes() throws {
        for beta in [0.3, 1.0, 4.0] {
            let two = try U1Exact(beta: beta, volume: 2)
            let expected = BesselI.scaled(1, 2 * beta) / BesselI.scaled(0, 2 * beta)
            #expect(abs(two.plaquette - expected) < 1e-14)
            #expect(two.qIntSquared == 0)
            #expect(abs(two.qSinSquared) < 1e-15)
            let one = try U1Exact(beta: beta, volume: 1)
            #expect(abs(one.plaquette - 1) < 1e-14)
            #expect(one.qIntSquared == 0)
            #expect(abs(one.qSinSquared) < 1e-15)
        }
    }

    @Test func largeVolumeLimit() throws {
        for beta in [0.5, 2.0, 6.0] {
            let exact = try U1Exact(beta: beta, volume: 65536)
            let i1i0 = BesselI.scaled(1, beta) / BesselI.scaled(0, beta)
            #expect(analysisRelativeError(exact.infiniteVolumePlaquette, i1i0) < 1e-15)
            #expect(analysisRelativeError(exact.plaquette, i1i0) < 1e-12)
            #expect(analysisRelativeError(exact.susceptibility, exact.infiniteVolumeSusceptibility) < 1e-9)
            #expect(exact.plaquette.isFinite && exact.qSinSquared.isFinite)
        }
        // Finite-volume corrections shrink with V (β = 6, where they are large on small lattices).
        let gaps = try [16, 64, 256, 1024].map { v in
            let e = try U1Exact(beta: 6, volume: v)
            return abs(e.plaquette - e.infiniteVolumePlaquette)
        }
        #expect(gaps[0] > gaps[1] && gaps[1] > gaps[2] && gaps[2] > gaps[3])
        #expect(gaps[0] > 1e-3)
    }

    @Test func wilsonLoops() throws {
        let exact = try U1Exact(beta: 2.2, volume: 36)
        #expect(abs(exact.wilsonLoop(area: 1) - exact.plaquette) < 1e-15)
        #expect(abs(exact.wilsonLoop(area: 0) - 1) < 1e-15)
        #expect(abs(exact.wilsonLoop(area: 36) - 1) < 1e-14)
        // Deep in the bulk W(A) ≈ (I1/I0)^A (area law), exact on an infinite lattice.
        let big = try U1Exact(beta: 2.2, volume: 4096)
        #expect(analysisRelativeError(big.wilsonLoop(area: 4), pow(big.infiniteVolumePlaquette, 4)) < 1e-12)
    }

    /// K_n, j_n against mpmath quadrature (scaled by e^{−β}) and against their Bessel-series forms
    /// K_n = π²/3 I_n + 2 Σ_{k≥1} (−1)^k/k² (I_{k−n} + I_{k+n}),  j_n = Σ_{k≥1} (−1)^{k+1}/k (I_{k−n} − I_{k+n}).
    @Test func integralsKandJ() {
        let table: [(beta: Double, k0: Double, k3: Double, j2: Double)] = [
            (0.5, 1.5150610000152381, -0.080664646913311053, -0.1200456567964059),
            (1, 0.74719685270128465, -0.052151688438845492, 0.025642748458586792),
            (3, 0.10610923183165068, -0.034554731971274542, 0.079421065430387244),
            (6, 0.030704628796211897, -0.0085560892885492417, 0.041427462927649557),
            (20, 0.0046078709683095012, 0.0019371885146156155, 0.0083017206589047369),
            (100, 0.0004014630056161631, 0.00034883673046727829, 0.00078689418464278572),
        ]
        for row in table {
            #expect(analysisRelativeError(U1Exact.kIntegral(0, beta: row.beta), row.k0) < 1e-13)
            #expect(analysisRelativeError(U1Exact.kIntegral(3, beta: row.beta), row.k3) < 1e-13)
            #expect(analysisRelativeError(U1Exact.jIntegral(2, beta: row.beta), row.j2) < 1e-13)
            #expect(analysisRelativeError(U1Exact.jIntegral(-2, beta: row.beta), -row.j2) < 1e-13)
        }
        let beta = 2.0
        let bessel = BesselI.scaledSequence(through: 200, beta)
        func i(_ n: Int) -> Double { bessel[abs(n)] }
        for n in 0...8 {
            var k = Double.pi * Double.pi / 3 * i(n), j = 0.0
            for m in 1...150 {
                let sign = m % 2 == 0 ? 1.0 : -1.0
                k += 2 * sign / Double(m * m) * (i(m - n) + i(m + n))
                j -= sign / Double(m) * (i(m - n) - i(m + n))
            }
            #expect(abs(U1Exact.kIntegral(n, beta: beta) - k) < 1e-14, "K_\(n)")
            #expect(abs(U1Exact.jIntegral(n, beta: beta) - j) < 1e-14, "j_\(n)")
        }
        // Default node counts are converged: doubling them changes nothing at 1e-15.
        for (n, b) in [(0, 100.0), (60, 100.0), (60, 1.0), (30, 1000.0)] {
            let k = U1Exact.kIntegral(n, beta: b), k2 = U1Exact.kIntegral(n, beta: b, nodes: 1200)
            let j = U1Exact.jIntegral(n, beta: b), j2 = U1Exact.jIntegral(n, beta: b, nodes: 1200)
            #expect(abs(k - k2) < 1e-15 && abs(j - j2) < 1e-15, "n = \(n), β = \(b)")
        }
    }

    @Test func invalidParametersThrow() {
        #expect(throws: U1ExactError.invalidBeta(0)) { try U1Exact(beta: 0, volume: 16) }
        #expect(throws: U1ExactError.invalidBeta(-1)) { try U1Exact(beta: -1, volume: 16) }
        #expect(throws: U1ExactError.invalidVolume(0)) { try U1Exact(beta: 1, volume: 0) }
        do {
            _ = try U1Exact(beta: .nan, volume: 4)
            Issue.record("NaN beta accepted")
        } catch {
            #expect("\(error)".contains("beta"))
        }
        #expect(U1ExactError.invalidVolume(-3).description.contains("-3"))
    }
}

// MARK: - Γ-method

@Suite struct GammaMethodTests {
    @Test(arguments: [(0.5, UInt64(11)), (0.9, UInt64(12))])
    func ar1AutocorrelationTime(a: Double, seed: UInt64) {
        let replicas = 16, length = 8000
        let data = analysisAR1Replicas(a: a, replicas: replicas, length: length, seed: seed)
        let result = GammaMethod.analyze(replicas: data)
        let tauExact = 0.5 * (1 + a) / (1 - a)
        let n = Double(replicas * length)
        #expect(result.samples == replicas * length && result.replicas == replicas)
        #expect(abs(result.tauInt - tauExact) < 3 * result.tauIntError,
                "τ_int = \(result.tauInt) ± \(result.tauIntError), exact \(tauExact)")
        #expect(result.tauIntError < 0.1 * tauExact)
        let trueError = (2 * tauExact / n).squareRoot()   // σ² = 1
        #expect(abs(result.error / trueError - 1) < 0.1, "error \(result.error) vs \(trueError)")
        #expect(abs(result.mean) < 4 * trueError)
        #expect(abs(result.variance - 1) < 0.05)
        #expect(abs(result.error - (2 * result.tauInt * result.variance / n).squareRoot()) < 1e-15)
        #expect(result.window > Int(tauExact) && result.window < 20 * Int(tauExact.rounded(.up)))
    }

    @Test func uncorrelatedData() {
        let data = analysisAR1Replicas(a: 0, replicas: 8, length: 5000, seed: 3)
        let result = GammaMethod.analyze(replicas: data)
        #expect(abs(result.tauInt - 0.5) < 3 * result.tauIntError, "τ_int = \(result.tauInt)")
        #expect(result.window <= 5)
        let naive = meanAndNaiveError(data.flatMap { $0 })
        #expect(abs(result.error / naive.error - 1) < 0.1)
        #expect(result.mean == naive.mean || abs(result.mean - naive.mean) < 1e-15)
    }

    @Test func fftMatchesDirectSummation() {
        var rng = AnalysisTestRNG(seed: 99)
        var data = analysisAR1Replicas(a: 0.8, replicas: 3, length: 700, seed: 5)
        data.append((0..<333).map { _ in 2 + rng.normal() })   // unequal lengths, shifted mean
        data.append([1.5])
        data.append([])
        let fft = GammaMethod.autocorrelation(replicas: data)
        let direct = GammaMethod.autocorrelationDirect(replicas: data)
        #expect(fft.count == 700 && direct.count == 700)
        let gamma0 = direct[0]
        var worst = 0.0
        for t in 0..<direct.count { worst = max(worst, abs(fft[t] - direct[t])) }
        #expect(worst <= 1e-12 * gamma0, "max |Γ_fft − Γ_direct| = \(worst), Γ(0) = \(gamma0)")
        let short = GammaMethod.autocorrelation(replicas: data, maxLag: 10)
        #expect(short.count == 11 && zip(short, fft).allSatisfy { $0 == $1 })
        // Hand-computed case: one replica [1, 2, 3], mean 2: Γ(0) = 2/3, Γ(1) = 0, Γ(2) = −1.
        let tiny = GammaMethod.autocorrelation(replicas: [[1, 2, 3]])
        for (x, y) in zip(tiny, [2.0 / 3, 0, -1]) { #expect(abs(x - y) < 1e-15) }
    }

    @Test func drawsChainsLayoutEqualsReplicaArrays() {
        let draws = 600, chains = 7
        let columns = analysisAR1Replicas(a: 0.7, replicas: chains, length: draws, seed: 21)
        var rowMajor = [Double](repeating: 0, count: draws * chains)
        for t in 0..<draws { for c in 0..<chains { rowMajor[t * chains + c] = columns[c][t] } }
        let a = GammaMethod.analyze(draws: draws, chains: chains, values: rowMajor)
        let b = GammaMethod.analyze(replicas: columns)
        #expect(a == b)
        let gammaA = rowMajor.withUnsafeBufferPointer {
            GammaMethod.autocorrelation(draws: draws, chains: chains, values: $0)
        }
        #expect(gammaA == GammaMethod.autocorrelation(replicas: columns))
        // Codable round trip.
        let decoded = try? JSONDecoder().decode(GammaResult.self, from: JSONEncoder().encode(a))
        #expect(decoded == a)
    }

    @Test func degenerateInputsAreFinite() {
        func finite(_ r: GammaResult) -> Bool {
            [r.mean, r.error, r.tauInt, r.tauIntError, r.variance].allSatisfy(\.isFinite)
        }
        let constant = GammaMethod.analyze(replicas: [[Double](repeating: 3.25, count: 100), [3.25, 3.25]])
        #expect(finite(constant) && constant.mean == 3.25 && constant.error == 0 && constant.tauInt == 0.5)
        let single = GammaMethod.analyze(replicas: [[7]])
        #expect(finite(single) && single.mean == 7 && single.error == 0 && single.samples == 1)
        let empty = GammaMethod.analyze(replicas: [[], []])
        #expect(finite(empty) && empty.samples == 0 && empty.replicas == 0)
        let emptyLayout = GammaMethod.analyze(draws: 0, chains: 4, values: [])
        #expect(finite(emptyLayout) && emptyLayout.samples == 0)
        // One draw per chain: the chains are independent samples, τ_int = ½.
        let oneDraw = GammaMethod.analyze(draws: 1, chains: 4, values: [1, 2, 3, 4])
        #expect(finite(oneDraw) && oneDraw.tauInt == 0.5 && oneDraw.window == 0)
        // Γ(0) = 1.25; bias correction Γ(0) += C_F/N = 1.25/4, σ = √(C_F/N).
        #expect(abs(oneDraw.variance - 1.5625) < 1e-15 && abs(oneDraw.error - 0.625) < 1e-15)
        let two = GammaMethod.analyze(replicas: [[1, 2]])
        #expect(finite(two))
        // A ramp never decorrelates.
        let ramp = GammaMethod.analyze(replicas: [(0..<200).map(Double.init)])
        #expect(finite(ramp) && ramp.window >= 1 && ramp.window <= 100)
        // Many short chains with τ_int ≈ 9.5 ≫ length/2: the window is capped at ⌊length/2⌋ = 5.
        let short = GammaMethod.analyze(replicas: analysisAR1Replicas(a: 0.9, replicas: 1000, length: 10, seed: 8))
        #expect(finite(short) && short.window == 5 && short.tauInt > 2)
        // Perfect anticorrelation: C_F < 0 is clamped, no NaN.
        let alternating = GammaMethod.analyze(replicas: [(0..<101).map { $0 % 2 == 0 ? 1.0 : -1.0 }])
        #expect(finite(alternating) && alternating.error >= 0)
    }

    /// Concurrent analyses (plan creation under the lock, execution in parallel) equal the serial results.
    @Test func concurrentAnalysesAreConsistent() async {
        let inputs = (0..<8).map { k in analysisAR1Replicas(a: 0.6, replicas: 3, length: 300 + 37 * k, seed: UInt64(40 + k)) }
        let serial = inputs.map { GammaMethod.analyze(replicas: $0) }
        let parallel = await withTaskGroup(of: (Int, GammaResult).self) { group in
            for (k, input) in inputs.enumerated() { group.addTask { (k, GammaMethod.analyze(replicas: input)) } }
            var out = [GammaResult?](repeating: nil, count: inputs.count)
            for await (k, r) in group { out[k] = r }
            return out
        }
        #expect(parallel == serial.map { Optional($0) })
    }

    @Test func largeInputIsFast() {
        let draws = 10_000, chains = 256
        var rng = AnalysisTestRNG(seed: 7)
        var values = [Double](repeating: 0, count: draws * chains)
        for c in 0..<chains {
            var x = rng.normal()
            for t in 0..<draws { values[t * chains + c] = x; x = 0.5 * x + 0.75.squareRoot() * rng.normal() }
        }
        let start = ContinuousClock.now
        let result = GammaMethod.analyze(draws: draws, chains: chains, values: values)
        let elapsed = ContinuousClock.now - start
        #expect(abs(result.tauInt - 1.5) < 3 * result.tauIntError)
        #expect(elapsed < .seconds(5), "analysis of 10⁴ × 256 took \(elapsed)")
    }
}

// MARK: - Simple statistics

@Suite struct AnalysisStatisticsTests {
    @Test func naiveErrorAndPull() {
        let (mean, error) = meanAndNaiveError([1.0, 2, 3, 4])
        #expect(mean == 2.5)
        #expect(abs(error - (5.0 / 3 / 4).squareRoot()) < 1e-15)   // s² = 5/3, N = 4
        #expect(meanAndNaiveError([5.0]) == (5, 0))
        #expect(meanAndNaiveError([Double]()) == (0, 0))
        #expect(pull(measured: 1.3, error: 0.1, exact: 1.0) > 2.999 && pull(measured: 1.3, error: 0.1, exact: 1.0) < 3.001)
        #expect(pull(measured: 1, error: 0, exact: 1) == 0)
        #expect(pull(measured: 0, error: 0, exact: 1) == -.infinity)
    }

    @Test func tunnelingRate() {
        // chain 0: 0, 1, 1, 0 → |ΔQ| = 1, 0, 1;  chain 1: 0, 0, 0, −2 → 0, 0, 2;  mean 4/6.
        let q: [Double] = [0, 0,
                           1, 0,
                           1, 0,
                           0, -2]
        let rate = TunnelingRate.analyze(draws: 4, chains: 2, qInt: q)
        #expect(abs(rate.mean - 4.0 / 6) < 1e-15)
        #expect(rate.samples == 6 && rate.replicas == 2)
        #expect(rate.error.isFinite && rate.error > 0)
        let frozen = TunnelingRate.analyze(draws: 50, chains: 3, qInt: [Double](repeating: 1, count: 150))
        #expect(frozen.mean == 0 && frozen.error == 0)
        #expect(TunnelingRate.analyze(draws: 1, chains: 3, qInt: [0, 1, 2]).samples == 0)
    }
}
