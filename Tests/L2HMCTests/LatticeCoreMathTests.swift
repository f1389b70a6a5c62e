// LatticeCoreMathTests.swift — tests of Philox.swift (Philox4x32-10, ChainRNG) and SIMDMath.swift (vector
// sin/cos/log, wrapAngle). Public API only. Statistical tests use fixed seeds, so they are deterministic.
import Foundation
import LatticeCore
import Testing

@Suite struct PhiloxTests {
    /// Random123 known-answer vectors (examples/kat_vectors): philox4x32, 10 rounds.
    @Test func knownAnswerVectors() {
        let cases: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            (SIMD4(repeating: 0xffff_ffff), SIMD2(repeating: 0xffff_ffff),
             SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
            (SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
             SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
        ]
        for (counter, key, expected) in cases {
            #expect(Philox4x32.block(counter: counter, key: key) == expected)
        }
    }

    /// ChainRNG words are the documented Philox blocks: key = seed halves, counter = (block, chain, stream).
    @Test func chainRNGLayout() {
        let seed: UInt64 = 0x0123_4567_89ab_cdef
        var rng = ChainRNG(seed: seed, chain: 5, stream: 3)
        for b: UInt64 in 0..<3 {
            let o = Philox4x32.block(counter: SIMD4(UInt32(b), 0, 5, 3), key: SIMD2(0x89ab_cdef, 0x0123_4567))
            #expect(rng.nextUInt64() == UInt64(o[0]) | UInt64(o[1]) << 32)
            #expect(rng.nextUInt64() == UInt64(o[2]) | UInt64(o[3]) << 32)
        }
        #expect(rng.blockCounter == 3)
    }

    @Test func determinismAndIndependence() {
        func draws(_ r: ChainRNG) -> [UInt64] { var r = r; return (0..<64).map { _ in r.nextUInt64() } }
        let base = draws(ChainRNG(seed: 42, chain: 0))
        #expect(base == draws(ChainRNG(seed: 42, chain: 0)))
        let others = [ChainRNG(seed: 42, chain: 1), ChainRNG(seed: 42, chain: 0, stream: 1),
                      ChainRNG(seed: 43, chain: 0), ChainRNG(seed: 42 | 1 << 40, chain: 0)]
        var all = Set(base)
        for o in others {
            let d = draws(o)
            #expect(d != base)
            all.formUnion(d)
        }
        #expect(all.count == 64 * 5)   // no shared 64-bit words at all
    }

    @Test func bulkFillsMatchScalarCalls() {
        // Every combination of leftover state (pending word, cached Gaussian) and odd lengths.
        for prefix in 0..<4 {
            for n in [0, 1, 15, 16, 17, 33, 100] {
                var a = ChainRNG(seed: 7, chain: 3)
                for _ in 0..<prefix { _ = a.nextUInt64() }
                if prefix >= 2 { _ = a.gaussian() }      // leaves a cached value
                var b = a
                var bulk = [Double](repeating: .nan, count: n)
                bulk.withUnsafeMutableBufferPointer { a.fillGaussian($0) }
                let scalar = (0..<n).map { _ in b.gaussian() }
                #expect(bulk == scalar)
                #expect(a == b)
                bulk.withUnsafeMutableBufferPointer { a.fillUniform($0) }
                #expect(bulk == (0..<n).map { _ in b.uniform() })
                #expect(a == b)
            }
        }
    }

    @Test func checkpointResumesBitIdentically() throws {
        var rng = ChainRNG(seed: 2024, chain: 17, stream: 2)
        for k in 0..<6 {
            switch k % 3 {
            case 0: _ = rng.nextUInt64()   // leaves a pending word
            case 1: _ = rng.gaussian()     // leaves a cached Gaussian
            default: _ = rng.uniform()
            }
            let json = try JSONDecoder().decode(ChainRNG.self, from: JSONEncoder().encode(rng))
            let plist = try PropertyListDecoder().decode(ChainRNG.self, from: PropertyListEncoder().encode(rng))
            #expect(json == rng)
            #expect(plist == rng)
            var a = rng, b = json
            for _ in 0..<37 {
                #expect(a.gaussian().bitPattern == b.gaussian().bitPattern)
                #expect(a.nextUInt64() == b.nextUInt64())
                #expect(a.angle().bitPattern == b.angle().bitPattern)
            }
        }
    }

    @Test func uniformMoments() {
        var rng = ChainRNG(seed: 1, chain: 0)
        let n = 1_000_000
        var x = [Double](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { rng.fillUniform($0) }
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0) { $0 + ($1 - 0.5) * ($1 - 0.5) } / Double(n)
        #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(mean - 0.5) < 5 * (1.0 / 12).squareRoot() / Double(n).squareRoot())
        #expect(abs(variance - 1.0 / 12) < 5 * (1.0 / 180).squareRoot() / Double(n).squareRoot())
    }

    @Test func gaussianMoments() {
        var rng = ChainRNG(seed: 2, chain: 9)
        let n = 1_000_000
        var x = [Double](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
        let m1 = x.reduce(0, +) / Double(n)
        let m2 = x.reduce(0) { $0 + $1 * $1 } / Double(n)
        let m4 = x.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
        let s = Double(n).squareRoot()
        #expect(abs(m1) < 5 / s)                       // Var x = 1
        #expect(abs(m2 - 1) < 5 * 2.0.squareRoot() / s) // Var x² = 2
        #expect(abs(m4 - 3) < 5 * 96.0.squareRoot() / s) // Var x⁴ = 96
        #expect(x.allSatisfy { $0.isFinite && abs($0) < 8.6 })  // r ≤ √(2·53 ln 2)
    }

    @Test func openIntervalAndAngles() {
        var rng = ChainRNG(seed: 3, chain: 1)
        var minOpen = 1.0, maxAngle = -Double.pi, minAngle = Double.pi
        for _ in 0..<200_000 {
            let u = rng.uniformOpen()
            #expect(u > 0 && u <= 1)
            minOpen = min(minOpen, u)
            let a = rng.angle()
            #expect(a >= -.pi && a < .pi)
            maxAngle = max(maxAngle, a); minAngle = min(minAngle, a)
        }
        #expect(minOpen > 0)
        #expect(maxAngle > 3.14 && minAngle < -3.14)
    }

    @Test func randomNumberGeneratorConformance() {
        var a = ChainRNG(seed: 11, chain: 2), b = a
        #expect(a.next() == b.nextUInt64())
        let x = Int.random(in: 0..<10, using: &a)
        #expect((0..<10).contains(x))
    }
}

@Suite struct SIMDMathTests {
    /// Evaluates f on `xs` in blocks of 8 (padding the tail).
    static func eval(_ xs: [Double], _ f: (SIMD8<Double>) -> SIMD8<Double>) -> [Double] {
        var out = [Double](); out.reserveCapacity(xs.count)
        var i = 0
        while i < xs.count {
            var v = SIMD8<Double>(repeating: 0)
            for j in 0..<8 where i + j < xs.count { v[j] = xs[i + j] }
            let r = f(v)
            for j in 0..<8 where i + j < xs.count { out.append(r[j]) }
            i += 8
        }
        return out
    }

    static func points(_ n: Int, _ range: Double, seed: UInt64) -> [Double] {
        var rng = ChainRNG(seed: seed, chain: 0)
        return (0..<n).map { i in
            i % 2 == 0 ? -range + 2 * range * Double(i) / Double(n) : range * (2 * rng.uniform() - 1)
        }
    }

    /// Error in units of the last place of the reference (ulp(ref), with ulp(0) = leastNonzeroMagnitude).
    static func ulps(_ x: Double, _ ref: Double) -> Double { abs(x - ref) / max(ref.ulp, Double.leastNormalMagnitude.ulp) }

    @Test func sinCosAccuracySmallRange() {
        let xs = Self.points(1_000_000, 20, seed: 5)
        let s = Self.eval(xs, simdSin), c = Self.eval(xs, simdCos)
        var maxAbs = 0.0, maxUlp = 0.0, maxPyth = 0.0
        for i in xs.indices {
            maxAbs = max(maxAbs, abs(s[i] - sin(xs[i])), abs(c[i] - cos(xs[i])))
            maxUlp = max(maxUlp, Self.ulps(s[i], sin(xs[i])), Self.ulps(c[i], cos(xs[i])))
            maxPyth = max(maxPyth, abs(s[i] * s[i] + c[i] * c[i] - 1))
        }
        print("simdSin/simdCos |x| ≤ 20: max abs error \(maxAbs), max ulp error \(maxUlp), max |s²+c²−1| \(maxPyth)")
        #expect(maxAbs <= 2e-16)
        #expect(maxUlp <= 2)
        #expect(maxPyth <= 1e-15)
    }

    @Test func sinCosAccuracyLargeRange() {
        for (range, tolerance) in [(1e4, 2e-16), (8e5, 2e-16), (1e9, 2e-16), (1e12, 1e-14), (1e15, 1e-11)] {
            let xs = Self.points(200_000, range, seed: 6)
            let pair = Self.eval(xs) { simdSinCos($0).sin }
            let cpair = Self.eval(xs) { simdSinCos($0).cos }
            var maxAbs = 0.0
            for i in xs.indices {
                maxAbs = max(maxAbs, abs(pair[i] - sin(xs[i])), abs(cpair[i] - cos(xs[i])))
                #expect(abs(pair[i]) <= 1 && abs(cpair[i]) <= 1)
            }
            print("simdSinCos |x| ≤ \(range): max abs error \(maxAbs)")
            #expect(maxAbs <= tolerance)
        }
    }

    @Test func sinCosSpecialPoints() {
        var xs: [Double] = [0, -0.0, .pi / 4, -.pi / 4, .pi / 2, -.pi / 2, 1e-300, -1e-300, 1e-8, .leastNonzeroMagnitude,
                            -.leastNormalMagnitude, 0.3, 0.78125, 0.7853981633974483, 0.7853981633974484]
        for k in -20...20 { xs.append(Double(k) * .pi); xs.append(Double(k) * .pi / 2) }
        xs += [6381956970095103.0 * 0x1p-51, 5.0e5 * .pi, 1e5 + 0.5]   // near multiples of π/2
        let s = Self.eval(xs, simdSin), c = Self.eval(xs, simdCos)
        for i in xs.indices {
            #expect(abs(s[i] - sin(xs[i])) <= 1.2e-16 * max(1, abs(sin(xs[i])).squareRoot()) + 1e-300,
                    "sin(\(xs[i])) = \(s[i]) vs \(sin(xs[i]))")
            #expect(Self.ulps(s[i], sin(xs[i])) <= 1, "sin(\(xs[i])): \(Self.ulps(s[i], sin(xs[i]))) ulp")
            #expect(Self.ulps(c[i], cos(xs[i])) <= 1, "cos(\(xs[i])): \(Self.ulps(c[i], cos(xs[i]))) ulp")
        }
        // Signs and exact values.
        let z = simdSin(SIMD8<Double>(0, -0.0, 1e-300, -1e-300, 0, 0, 0, 0))
        #expect(z[0].bitPattern == (0.0).bitPattern && z[1].bitPattern == (-0.0).bitPattern)
        #expect(z[2] == 1e-300 && z[3] == -1e-300)
        #expect(simdCos(SIMD8<Double>(repeating: 0)) == SIMD8(repeating: 1))
        let bad = simdSinCos(SIMD8<Double>(.infinity, -.infinity, .nan, 0x1p52, -1e300, 0, 0, 0))
        for j in 0..<5 { #expect(bad.sin[j].isNaN && bad.cos[j].isNaN) }
        #expect(bad.sin[5] == 0 && bad.cos[5] == 1)
    }

    @Test func simd4MatchesSimd8() {
        let v = SIMD4<Double>(0.1, -2.5, 17, 1e4)
        let w = SIMD8<Double>(lowHalf: v, highHalf: v)
        #expect(simdSin(v) == simdSin(w).lowHalf)
        #expect(simdCos(v) == simdCos(w).lowHalf)
        #expect(simdSinCos(v).sin == simdSin(w).lowHalf && simdSinCos(v).cos == simdCos(w).lowHalf)
    }

    @Test func logAccuracy() {
        var rng = ChainRNG(seed: 8, chain: 0)
        var xs = (0..<200_000).map { _ in exp(1400 * rng.uniform() - 700) }
        xs += [1, 2, 0.5, .ulpOfOne, 1 - .ulpOfOne / 2, 1 + .ulpOfOne, 0x1p-53, .leastNormalMagnitude,
               .leastNonzeroMagnitude, 0x1p-1030, .greatestFiniteMagnitude]
        let l = Self.eval(xs, simdLog)
        var maxUlp = 0.0
        for i in xs.indices { maxUlp = max(maxUlp, Self.ulps(l[i], log(xs[i]))) }
        print("simdLog max ulp error \(maxUlp)")
        #expect(maxUlp <= 1)
        let sp = simdLog(SIMD8<Double>(0, -0.0, -1, .nan, .infinity, 1, 1, 1))
        #expect(sp[0] == -.infinity && sp[1] == -.infinity && sp[2].isNaN && sp[3].isNaN && sp[4] == .infinity)
        #expect(sp[5].bitPattern == (0.0).bitPattern)
    }

    @Test func wrapAngleRangeAndValues() {
        var xs = Self.points(200_000, 1e3, seed: 9)
        for k in -10...10 {
            let b = Double(k) * .pi
            xs += [b, b.nextUp, b.nextDown, b + 1e-16, b - 1e-16]
        }
        let w = Self.eval(xs, wrapAngle)
        for i in xs.indices {
            #expect(w[i] >= -.pi && w[i] < .pi, "wrapAngle(\(xs[i])) = \(w[i])")
            #expect(w[i].bitPattern == wrapAngle(xs[i]).bitPattern)   // scalar == SIMD
            // w(x) ≡ x mod 2π, and agrees with the definition away from the branch cut.
            let d = remainder(xs[i] - w[i], 2 * .pi)
            #expect(abs(d) < 1e-12)
            let ref = xs[i] - 2 * .pi * ((xs[i] + .pi) / (2 * .pi)).rounded(.down)
            if abs(abs(ref) - .pi) > 1e-9 { #expect(abs(w[i] - ref) < 1e-12) }
        }
        #expect(wrapAngle(.pi) == -.pi && wrapAngle(-.pi) == -.pi && wrapAngle(0) == 0)
        #expect(abs(wrapAngle(3 * .pi / 2) - (-.pi / 2)) < 1e-15)
        #expect(wrapAngle(.nan).isNaN)
    }
}

@Suite struct SIMDExpTests {
    @Test func expMatchesFoundationToAFewUlp() {
        var worst = 0.0
        var r = ChainRNG(seed: 17, chain: 0)
        for _ in 0..<20_000 {
            var x = SIMD8<Double>()
            for l in 0..<8 { x[l] = (r.uniform() - 0.5) * 1400 }   // [−700, 700]
            let y = simdExp(x)
            for l in 0..<8 {
                let e = Foundation.exp(x[l])
                worst = max(worst, abs(y[l] - e) / e)
            }
        }
        #expect(worst < 5e-16, "max relative error \(worst)")
        let special = simdExp(SIMD8(0, 1, -1, 1e-300, 710, -746, .nan, -745))
        #expect(special[0] == 1 && abs(special[1] - Foundation.exp(1)) < 3e-16 && abs(special[2] - Foundation.exp(-1)) < 1e-16)
        #expect(special[3] == 1 && special[4] == .infinity && special[5] == 0 && special[6].isNaN)
        #expect(special[7] > 0 && abs(special[7] - Foundation.exp(-745)) <= 5e-324)
    }
}

@Suite struct SIMDTanhTests {
    @Test func tanhAndSigmoidMatchFoundation() {
        var worst = 0.0, worstSig = 0.0
        var r = ChainRNG(seed: 18, chain: 0)
        for k in 0..<20_000 {
            var x = SIMD8<Double>()
            let scale = [1e-6, 0.05, 1, 8, 40][k % 5]
            for l in 0..<8 { x[l] = (r.uniform() - 0.5) * 2 * scale }
            let y = simdTanh(x), s = simdSigmoid(x)
            for l in 0..<8 {
                let e = Foundation.tanh(x[l])
                worst = max(worst, abs(y[l] - e) / max(abs(e), 1e-300))
                let es = 1 / (1 + Foundation.exp(-x[l]))
                worstSig = max(worstSig, abs(s[l] - es) / es)
            }
        }
        #expect(worst < 2e-15, "tanh max relative error \(worst)")
        #expect(worstSig < 1e-15, "sigmoid max relative error \(worstSig)")
        let special = simdTanh(SIMD8(0, -0.0, 1000, -1000, .nan, 0.0625, -0.0625, 20))
        #expect(special[0] == 0 && special[2] == 1 && special[3] == -1 && special[4].isNaN && special[7] == 1)
    }
}

@Suite struct SIMDAtanTests {
    @Test func atanMatchesFoundation() {
        var worst = 0.0
        var r = ChainRNG(seed: 19, chain: 0)
        for k in 0..<20_000 {
            var x = SIMD8<Double>()
            let scale = [1e-8, 0.5, 1, 3, 1e6][k % 5]
            for l in 0..<8 { x[l] = (r.uniform() - 0.5) * 2 * scale }
            let y = simdAtan(x)
            for l in 0..<8 {
                let e = Foundation.atan(x[l])
                worst = max(worst, abs(y[l] - e) / max(abs(e), 1e-300))
            }
        }
        #expect(worst < 4e-16, "atan max relative error \(worst)")
        let special = simdAtan(SIMD8(0, -0.0, .infinity, -.infinity, .nan, 0.66, 2.41421356237309504880, 1))
        #expect(special[0] == 0 && special[2] == Double.pi / 2 && special[3] == -Double.pi / 2 && special[4].isNaN)
        #expect(abs(special[5] - Foundation.atan(0.66)) < 2e-16 && abs(special[6] - 3 * Double.pi / 8) < 4e-16)
        #expect(abs(special[7] - Double.pi / 4) < 2e-16)
    }
}
