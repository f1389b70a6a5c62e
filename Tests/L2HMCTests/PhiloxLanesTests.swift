// PhiloxLanesTests.swift — ChainRNG.fillGaussianLanes (PhiloxLanes.swift) against the scalar per-chain path, and
// the refreshMomenta of U(1) and SU(3) blocks that use it: bit-identical numbers and final ChainRNG states.
import L2HMC
import Testing

@Suite struct PhiloxLanesTests {
    /// Prepares chain `lane`'s stream: `mode` 0 fresh, 1 buffered word, 2 cached Gaussian, 3 both;
    /// `offset` extra whole-block advances, so the lanes' block counters differ too.
    static func stream(seed: UInt64, chain: Int, stream: UInt32 = 0, mode: Int, offset: Int = 0) -> ChainRNG {
        var r = ChainRNG(seed: seed, chain: chain, stream: stream)
        for _ in 0..<(2 * offset) { _ = r.nextUInt64() }
        switch mode {
        case 1: _ = r.uniform()
        case 2: _ = r.gaussian()
        case 3: _ = r.gaussian(); _ = r.uniform()   // a whole block for the pair, then a new one for the uniform
        default: break
        }
        return r
    }

    /// Runs both paths on copies of `rngs` and compares values (bit patterns), padding and final states.
    static func check(_ rngs: [ChainRNG], activeLanes: Int, count n: Int, stride: Int = 1,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        // Scalar reference.
        var ref = rngs
        var expected = [[Double]](repeating: [], count: activeLanes)
        for lane in 0..<activeLanes {
            var buf = [Double](repeating: 0, count: n)
            buf.withUnsafeMutableBufferPointer { ref[lane].fillGaussian($0) }
            expected[lane] = buf
        }
        // Lane-parallel.
        var lanes = rngs
        let sentinel = Lanes(repeating: -12345.5)
        var out = [Lanes](repeating: sentinel, count: max(1, n * stride))
        lanes.withUnsafeMutableBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                ChainRNG.fillGaussianLanes(r.baseAddress!, activeLanes: activeLanes, count: n,
                                           into: o.baseAddress!, stride: stride)
            }
        }
        var mismatches = 0
        for i in 0..<n {
            for lane in 0..<8 {
                let want = lane < activeLanes ? expected[lane][i] : 0
                if out[i * stride][lane].bitPattern != want.bitPattern { mismatches += 1 }
            }
            for j in 1..<stride { if out[i * stride + j] != sentinel { mismatches += 1 } }   // gaps untouched
        }
        #expect(mismatches == 0, "values differ: n \(n), active \(activeLanes)", sourceLocation: sourceLocation)
        #expect(Array(lanes[0..<activeLanes]) == Array(ref[0..<activeLanes]), "final states differ",
                sourceLocation: sourceLocation)
        #expect(Array(lanes[activeLanes...]) == Array(rngs[activeLanes...]), "inactive streams touched",
                sourceLocation: sourceLocation)
    }

    static let counts = [0, 1, 2, 3, 4, 7, 15, 16, 17, 31, 32, 33, 100, 101, 512, 1025]

    @Test func freshStreamsAllLanes() {
        for n in Self.counts {
            let rngs = (0..<8).map { Self.stream(seed: 2024, chain: 40 + $0, mode: 0) }
            Self.check(rngs, activeLanes: 8, count: n)
        }
    }

    @Test func uniformPhasesMidStream() {
        // All lanes in the same phase (fast path), with different block counters, seeds and streams per lane.
        for mode in 0..<4 {
            for n in Self.counts {
                let rngs = (0..<8).map {
                    Self.stream(seed: 0x0123_4567_89ab_cdef &+ UInt64($0 % 3) << 33, chain: 3 * $0 + 1,
                                stream: UInt32($0 % 2), mode: mode, offset: $0 * 5 + mode)
                }
                Self.check(rngs, activeLanes: 8, count: n)
            }
        }
    }

    @Test func mixedPhases() {
        // Buffered word in some lanes only (fast path with per-lane select), cached Gaussian in some lanes only
        // (scalar fallback), and both mixed.
        let patterns: [[Int]] = [
            [0, 1, 0, 1, 1, 0, 0, 1],   // buffered word mixed, no cached Gaussian
            [2, 3, 3, 2, 2, 2, 3, 2],   // buffered word mixed, cached Gaussian everywhere
            [0, 2, 0, 0, 0, 0, 0, 0],   // cached Gaussian in one lane
            [2, 0, 2, 2, 2, 2, 2, 2],   // cached Gaussian missing in one lane
            [0, 1, 2, 3, 0, 1, 2, 3],   // everything mixed
        ]
        for modes in patterns {
            for n in Self.counts {
                let rngs = (0..<8).map { Self.stream(seed: 77, chain: $0, mode: modes[$0], offset: $0) }
                Self.check(rngs, activeLanes: 8, count: n)
            }
        }
    }

    @Test func partialBlocks() {
        for active in 1..<8 {
            for mode in 0..<4 {
                for n in [1, 2, 5, 16, 33, 64] {
                    // Lanes ≥ active are in a different phase: they must neither matter nor be touched.
                    let rngs = (0..<8).map { Self.stream(seed: 5, chain: $0, mode: $0 < active ? mode : (mode + 2) % 4) }
                    Self.check(rngs, activeLanes: active, count: n)
                }
            }
            // Mixed cached status among the active lanes (fallback) with padding.
            let rngs = (0..<8).map { Self.stream(seed: 6, chain: $0, mode: $0 == active - 1 ? 2 : 0) }
            Self.check(rngs, activeLanes: active, count: 9)
        }
    }

    @Test func strided() {
        for mode in [0, 1, 2, 3] {
            for n in [1, 8, 13] {
                let rngs = (0..<8).map { Self.stream(seed: 9, chain: $0, mode: mode) }
                Self.check(rngs, activeLanes: 8, count: n, stride: 3)
                Self.check(rngs, activeLanes: 5, count: n, stride: 2)
            }
        }
        // Fallback path with a stride.
        let rngs = (0..<8).map { Self.stream(seed: 9, chain: $0, mode: $0 % 3) }
        Self.check(rngs, activeLanes: 8, count: 11, stride: 4)
    }

    /// Consecutive calls continue the streams exactly like consecutive scalar calls (state round trip).
    @Test func consecutiveCalls() {
        var lanes = (0..<8).map { Self.stream(seed: 31, chain: $0, mode: 1) }
        var ref = lanes
        var scalar = [[Double]](repeating: [], count: 8)
        var vector = [[Double]](repeating: [], count: 8)
        for n in [3, 1, 4, 1, 5, 9, 2, 6] {
            for lane in 0..<8 {
                var buf = [Double](repeating: 0, count: n)
                buf.withUnsafeMutableBufferPointer { ref[lane].fillGaussian($0) }
                scalar[lane] += buf
            }
            var out = [Lanes](repeating: .zero, count: n)
            lanes.withUnsafeMutableBufferPointer { r in
                out.withUnsafeMutableBufferPointer { ChainRNG.fillGaussianLanes(r.baseAddress!, activeLanes: 8, count: n, into: $0.baseAddress!) }
            }
            for lane in 0..<8 { vector[lane] += out.map { $0[lane] } }
            _ = lanes[2].uniform(); _ = ref[2].uniform()   // desynchronise one lane's buffered word
        }
        #expect(lanes == ref)
        #expect(vector.map { $0.map(\.bitPattern) } == scalar.map { $0.map(\.bitPattern) })
    }

    @Test func u1RefreshMatchesPerChainDraws() throws {
        let l = 4, chains = 13
        let e = try U1Ensemble(lattice: Lattice(shape: [l, l]), beta: 2, chains: chains, seed: 123)
        var before = (0..<chains).map { e.rng(chain: $0) }
        _ = before[3].uniform(); e.setRNG(chain: 3, before[3])   // one chain with a buffered word
        for b in 0..<e.blockCount { var block = e.block(b); block.refreshMomenta() }
        let v = l * l
        var mismatches = 0
        for c in 0..<chains {
            var r = before[c]
            var buf = [Double](repeating: 0, count: 2 * v)
            buf.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
            for mu in 0..<2 {
                for n in 0..<v where e.momentum(chain: c, mu: mu, site: n).bitPattern != buf[mu * v + n].bitPattern {
                    mismatches += 1
                }
            }
            #expect(e.rng(chain: c) == r)
        }
        #expect(mismatches == 0)
    }

    @Test func su3RefreshMatchesPerChainDraws() throws {
        let chains = 11
        let e = try SU3Ensemble(lattice: Lattice(shape: [2, 2, 2, 2]), beta: 5.7, chains: chains, seed: 321)
        let before = (0..<chains).map { e.rng(chain: $0) }
        for b in 0..<e.blockCount { var block = e.block(b); block.refreshMomenta() }
        let v = 16
        var mismatches = 0
        for c in 0..<chains {
            var r = before[c]
            var buf = [Double](repeating: 0, count: 32 * v)
            buf.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
            for mu in 0..<4 {
                for n in 0..<v {
                    for a in 1...8
                    where e.momentum(chain: c, mu: mu, site: n, a).bitPattern != buf[8 * (mu * v + n) + a - 1].bitPattern {
                        mismatches += 1
                    }
                }
            }
            #expect(e.rng(chain: c) == r)
        }
        #expect(mismatches == 0)
    }
}
