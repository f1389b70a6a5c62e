// PhiloxLanes.swift — Gaussian draws for the 8 chains of a block at once, one chain per SIMD lane.
//
// `ChainRNG.fillGaussianLanes` gives, bit for bit, the numbers and final states of calling each chain's
// `fillGaussian` in turn (Philox.swift conventions), but evaluates the 8 streams' Philox blocks and Box–Muller
// transforms lane-parallel and stores whole lane vectors: no scalar buffer, no per-lane scatter.
//
// Per chain, `gaussian()` consumes one 64-bit word pair (a, b) per Box–Muller pair. Without a buffered word the
// pair is one block (w0, w1); with one it is (pending, w0) and w1 becomes the new pending word. Either way every
// pair costs exactly one Philox block and the buffered-word status never changes, so lanes with and without a
// buffered word can be mixed (a per-lane select). A cached Gaussian only shifts the output by one: the fast path
// needs all active lanes to agree on it (the normal case, as all chains of a block draw the same counts);
// otherwise each lane goes through the scalar `fillGaussian` (same numbers, only slower).

extension ChainRNG {
    /// Fills `out[i·stride][lane]` for i < `n`, lane < `activeLanes` with the next `n` standard normal deviates of
    /// `rngs[lane]`: exactly the values and final states of `rngs[lane].fillGaussian` of `n` numbers, for each
    /// lane. Lanes `activeLanes ..< 8` of the written vectors are set to 0; `rngs` needs `activeLanes` entries.
    public static func fillGaussianLanes(_ rngs: UnsafeMutablePointer<ChainRNG>, activeLanes: Int, count n: Int,
                                         into out: UnsafeMutablePointer<Lanes>, stride: Int = 1) {
        typealias U = SIMD8<UInt64>
        typealias V = SIMD8<Double>
        precondition(activeLanes >= 1 && activeLanes <= ChainLayout.lanes,
                     "fillGaussianLanes: activeLanes \(activeLanes) not in 1…8")
        precondition(n >= 0, "fillGaussianLanes: negative count")
        if n == 0 { return }
        let cached = rngs[0].cachedGaussian != nil
        for lane in 1..<activeLanes where (rngs[lane].cachedGaussian != nil) != cached {
            fillGaussianLanesScalar(rngs, activeLanes: activeLanes, count: n, into: out, stride: stride)
            return
        }

        // Gather the lane states (inactive lanes: zeros; their values are computed, then masked to 0). Masks are
        // all-ones/all-zeros integer lanes used bitwise: SIMDMask selects in this loop make LLVM scalarise it.
        var counter = U(), c2 = U(), c3 = U(), k0 = U(), k1 = U(), pending = U(), cache = V()
        var pendingMask = U(), activeMask = U()
        for lane in 0..<activeLanes {
            let r = rngs[lane]
            activeMask[lane] = ~0
            counter[lane] = r.nextBlock
            c2[lane] = UInt64(r.chain)
            c3[lane] = UInt64(r.stream)
            k0[lane] = r.seed & 0xFFFF_FFFF
            k1[lane] = r.seed &>> 32
            if let p = r.pendingWord { pending[lane] = p; pendingMask[lane] = ~0 }
            if let g = r.cachedGaussian { cache[lane] = g }
        }
        let freshMask = ~pendingMask

        var o = out
        var i = 0
        if cached {
            o[0] = ChainRNG.masked(cache, activeMask)
            o += stride
            i = 1
        }
        // One Philox block per lane → one Box–Muller pair per lane: (w0, w1), or (pending, w0) with w1 pending.
        while n - i >= 2 {
            let (w0, w1) = ChainRNG.philoxLanes(counter: counter, c2: c2, c3: c3, k0: k0, k1: k1)
            counter &+= 1
            let a = (w0 & freshMask) | (pending & pendingMask)
            let b = (w1 & freshMask) | (w0 & pendingMask)
            pending = w1   // only read where pendingMask is set
            let (g0, g1) = ChainRNG.boxMullerLanes(a, b)
            o[0] = ChainRNG.masked(g0, activeMask)
            o[stride] = ChainRNG.masked(g1, activeMask)
            o += 2 * stride
            i += 2
        }
        var cachedAfter = false
        if i < n {
            let (w0, w1) = ChainRNG.philoxLanes(counter: counter, c2: c2, c3: c3, k0: k0, k1: k1)
            counter &+= 1
            let a = (w0 & freshMask) | (pending & pendingMask)
            let b = (w1 & freshMask) | (w0 & pendingMask)
            pending = w1
            let (g0, g1) = ChainRNG.boxMullerLanes(a, b)
            o[0] = ChainRNG.masked(g0, activeMask)
            cache = g1
            cachedAfter = true
        }

        for lane in 0..<activeLanes {
            rngs[lane].nextBlock = counter[lane]
            rngs[lane].pendingWord = pendingMask[lane] != 0 ? pending[lane] : nil
            rngs[lane].cachedGaussian = cachedAfter ? cache[lane] : nil
        }
    }

    /// `ChainRNG.boxMuller` (Philox.swift) step for step, with the integer → Double conversions written per lane.
    /// The generic `SIMD8<Double>(SIMD8<Int64>)` there is inlined within Philox.swift, but from this file the
    /// optimiser calls the standard library's prespecialised entry point (128-bit pieces, spills and vzeroupper
    /// inside the loop: 2× slower). Per-lane conversions of the same Int64 values are the same operation (LLVM
    /// emits one vcvtqq2pd), so the results are bit-identical; PhiloxLanesTests checks this against the scalar path.
    @inline(__always)
    internal static func boxMullerLanes(_ a: SIMD8<UInt64>, _ b: SIMD8<UInt64>) -> (SIMD8<Double>, SIMD8<Double>) {
        typealias V = SIMD8<Double>
        let u = toDouble((a &>> 11) &+ 1) * 0x1p-53
        let theta = Double.pi * (toDouble(b &>> 11) * 0x1p-52 - 1)
        let r = _sqrtMagnitude(-2 * _logPositiveNormal(u))
        let (s, c) = _sinCos(theta)
        return (r * c, r * s)
    }

    /// Lane-wise Double(Int64(bitPattern: x)).
    @inline(__always)
    internal static func toDouble(_ x: SIMD8<UInt64>) -> SIMD8<Double> {
        var d = SIMD8<Double>()
        for i in 0..<8 { d[i] = Double(Int64(bitPattern: x[i])) }
        return d
    }

    /// `x` where `mask` is all ones, +0.0 where it is zero.
    @inline(__always)
    internal static func masked(_ x: SIMD8<Double>, _ mask: SIMD8<UInt64>) -> SIMD8<Double> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & mask, to: SIMD8<Double>.self)
    }

    /// The fallback: each lane's scalar `fillGaussian` (in chunks) scattered into its lane.
    internal static func fillGaussianLanesScalar(_ rngs: UnsafeMutablePointer<ChainRNG>, activeLanes: Int,
                                                 count n: Int, into out: UnsafeMutablePointer<Lanes>, stride: Int) {
        let chunk = 512
        withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk) { buffer in
            for lane in 0..<activeLanes {
                var i = 0
                while i < n {
                    let c = min(chunk, n - i)
                    rngs[lane].fillGaussian(UnsafeMutableBufferPointer(rebasing: buffer[0..<c]))
                    for j in 0..<c { out[(i + j) * stride][lane] = buffer[j] }
                    i += c
                }
            }
        }
        if activeLanes < ChainLayout.lanes {
            for i in 0..<n { for lane in activeLanes..<ChainLayout.lanes { out[i * stride][lane] = 0 } }
        }
    }

    /// Philox4x32-10, one block per lane, for per-lane counters (counter (low, high), c2, c3) and keys (k0, k1),
    /// all zero-extended to 64-bit lanes; returns w0 = out0 | out1 << 32, w1 = out2 | out3 << 32 per lane.
    /// The round keys are bumped with 64-bit adds, so their high halves (and those of x0, x2) carry garbage that
    /// never reaches a result: the multiplies read the low 32 bits only (one vpmuludq) and the outputs are masked.
    @inline(__always)
    internal static func philoxLanes(counter: SIMD8<UInt64>, c2: SIMD8<UInt64>, c3: SIMD8<UInt64>,
                                     k0: SIMD8<UInt64>, k1: SIMD8<UInt64>) -> (w0: SIMD8<UInt64>, w1: SIMD8<UInt64>) {
        typealias U = SIMD8<UInt64>
        let low = U(repeating: 0xFFFF_FFFF)
        var x0 = counter & low, x1 = counter &>> 32, x2 = c2, x3 = c3
        var ka = k0, kb = k1
        @inline(__always) func round() {
            let p0 = (x0 & low) &* U(repeating: 0xD251_1F53)
            let p1 = (x2 & low) &* U(repeating: 0xCD9E_8D57)
            x0 = (p1 &>> 32) ^ x1 ^ ka
            x1 = p1 & low
            x2 = (p0 &>> 32) ^ x3 ^ kb
            x3 = p0 & low
            ka &+= U(repeating: 0x9E37_79B9)
            kb &+= U(repeating: 0xBB67_AE85)
        }
        round(); round(); round(); round(); round(); round(); round(); round(); round(); round()
        return ((x0 & low) | (x1 &<< 32), (x2 & low) | (x3 &<< 32))
    }
}
