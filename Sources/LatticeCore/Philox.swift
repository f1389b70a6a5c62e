// Philox.swift — counter-based random numbers: Philox4x32-10 and one checkpointable stream per Markov chain.
//
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11; Random123)
// maps a 128-bit counter and a 64-bit key to 128 random bits; checked against Random123's known-answer vectors.
//
// ChainRNG conventions (every draw is a pure function of (seed, chain, stream, draw index)):
//   * key     = (seed low 32 bits, seed high 32 bits);
//   * counter = (block low, block high, chain, stream); stream 0 = sampling, other ids for other purposes;
//   * block b yields two 64-bit words, in order: w0 = out0 | out1 << 32, then w1 = out2 | out3 << 32;
//   * uniform()     = (w >> 11)·2⁻⁵³ ∈ [0, 1)        uniformOpen() = ((w >> 11) + 1)·2⁻⁵³ ∈ (0, 1]
//     angle()       = π·((w >> 11)·2⁻⁵² − 1) ∈ [−π, π)  (one word each);
//   * gaussian(): Box–Muller on two consecutive words (a, b): r = √(−2 log uniformOpen(a)),
//     θ = angle(b); returns r·cos θ and caches r·sin θ for the next call. log/sin/cos are the lane-wise
//     kernels of SIMDMath.swift, so results do not depend on the platform libm.
//   * fillUniform / fillGaussian produce exactly the values of the same number of uniform()/gaussian() calls
//     and leave the same state; they are only faster (8 Philox blocks and 8 Box–Muller pairs per step).
// State = (seed, chain, stream, next block index, one buffered word, one cached Gaussian): Codable and Equatable,
// so a checkpoint resumes bit-identically.

/// The Philox4x32-10 block function.
public struct Philox4x32: Sendable {
    /// Multipliers and Weyl key increments (Random123 defaults).
    public static let multipliers: (UInt32, UInt32) = (0xD251_1F53, 0xCD9E_8D57)
    public static let weyl: (UInt32, UInt32) = (0x9E37_79B9, 0xBB67_AE85)
    /// Number of rounds.
    public static let rounds = 10

    /// Philox4x32-10 of `counter` under `key`.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3]
        // Straight-line rounds (a loop with the key bump inside defeats LLVM's scheduling).
        @inline(__always) func round(_ r: UInt32) {
            let k0 = key[0] &+ r &* 0x9E37_79B9, k1 = key[1] &+ r &* 0xBB67_AE85
            let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
            x0 = UInt32(truncatingIfNeeded: p1 &>> 32) ^ x1 ^ k0
            x1 = UInt32(truncatingIfNeeded: p1)
            x2 = UInt32(truncatingIfNeeded: p0 &>> 32) ^ x3 ^ k1
            x3 = UInt32(truncatingIfNeeded: p0)
        }
        round(0); round(1); round(2); round(3); round(4); round(5); round(6); round(7); round(8); round(9)
        return SIMD4(x0, x1, x2, x3)
    }

    /// Eight blocks at once for the counters (index + i (64-bit, low word first), c2, c3), i = 0 … 7; returns each
    /// block as two 64-bit words (w0 = out0 | out1 << 32, w1 = out2 | out3 << 32). All four words are kept
    /// zero-extended in 64-bit lanes, so each 32×32→64 multiply is one vpmuludq.
    @inlinable @inline(__always)
    internal static func block8(index: UInt64, c2: UInt32, c3: UInt32,
                                key: SIMD2<UInt32>) -> (w0: SIMD8<UInt64>, w1: SIMD8<UInt64>) {
        typealias U = SIMD8<UInt64>
        let low = U(repeating: 0xFFFF_FFFF)
        let idx = U(repeating: index) &+ U(0, 1, 2, 3, 4, 5, 6, 7)
        var x0 = idx & low, x1 = idx &>> 32
        var x2 = U(repeating: UInt64(c2)), x3 = U(repeating: UInt64(c3))
        @inline(__always) func round(_ r: UInt32) {
            let k0 = U(repeating: UInt64(key[0] &+ r &* 0x9E37_79B9))
            let k1 = U(repeating: UInt64(key[1] &+ r &* 0xBB67_AE85))
            let p0 = x0 &* U(repeating: 0xD251_1F53)
            let p1 = x2 &* U(repeating: 0xCD9E_8D57)
            x0 = (p1 &>> 32) ^ x1 ^ k0
            x1 = p1 & low
            x2 = (p0 &>> 32) ^ x3 ^ k1
            x3 = p0 & low
        }
        round(0); round(1); round(2); round(3); round(4); round(5); round(6); round(7); round(8); round(9)
        return (x0 | (x1 &<< 32), x2 | (x3 &<< 32))
    }
}

/// The random stream of one Markov chain (see the file header for the exact conventions).
public struct ChainRNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The 64-bit user seed (the Philox key).
    public let seed: UInt64
    /// The chain index (counter word 2).
    public let chain: UInt32
    /// The stream id (counter word 3): 0 = sampling; other values for independent purposes.
    public let stream: UInt32
    /// Index of the next Philox block to be generated (counter words 0 and 1).
    @usableFromInline internal var nextBlock: UInt64
    /// Second word of the last block, not yet consumed.
    @usableFromInline internal var pendingWord: UInt64?
    /// Second value of the last Box–Muller pair, not yet returned.
    @usableFromInline internal var cachedGaussian: Double?

    /// The stream of chain `chain` (0 ..< 2³²) for `seed`, purpose `stream`.
    public init(seed: UInt64, chain: Int, stream: UInt32 = 0) {
        precondition(chain >= 0 && chain <= Int(UInt32.max), "ChainRNG: chain index \(chain) out of 0..<2^32")
        self.seed = seed
        self.chain = UInt32(chain)
        self.stream = stream
        self.nextBlock = 0
        self.pendingWord = nil
        self.cachedGaussian = nil
    }

    /// Index of the next Philox block to be generated (counter words 0 and 1): 2 words per block.
    public var blockCounter: UInt64 { nextBlock }

    @inlinable internal var key: SIMD2<UInt32> {
        SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed &>> 32))
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func nextUInt64() -> UInt64 {
        if let w = pendingWord {
            pendingWord = nil
            return w
        }
        let o = Philox4x32.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: nextBlock), UInt32(truncatingIfNeeded: nextBlock &>> 32),
                           chain, stream),
            key: key)
        nextBlock &+= 1
        pendingWord = UInt64(o[2]) | (UInt64(o[3]) &<< 32)
        return UInt64(o[0]) | (UInt64(o[1]) &<< 32)
    }

    /// `RandomNumberGenerator` conformance: the same as `nextUInt64()`.
    @inlinable
    public mutating func next() -> UInt64 { nextUInt64() }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double { Double(nextUInt64() &>> 11) * 0x1p-53 }

    /// Uniform in (0, 1] with 53 random bits (safe for log).
    @inlinable
    public mutating func uniformOpen() -> Double { Double((nextUInt64() &>> 11) &+ 1) * 0x1p-53 }

    /// Uniform angle in [−π, π) (Double.pi·(2u − 1), never +π).
    @inlinable
    public mutating func angle() -> Double { Double.pi * (Double(nextUInt64() &>> 11) * 0x1p-52 - 1) }

    /// Standard normal deviate (Box–Muller; every second call returns the cached partner).
    @inlinable
    public mutating func gaussian() -> Double {
        if let g = cachedGaussian {
            cachedGaussian = nil
            return g
        }
        let a = nextUInt64(), b = nextUInt64()
        let (g0, g1) = ChainRNG.boxMuller(SIMD8(repeating: a), SIMD8(repeating: b))
        cachedGaussian = g1[0]
        return g0[0]
    }

    /// Fills `buffer` with uniforms in [0, 1): the same values and final state as `buffer.count` calls of
    /// `uniform()`.
    @inlinable
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>) {
        let n = buffer.count
        var i = 0
        if i < n, pendingWord != nil { buffer[i] = uniform(); i += 1 }
        while n - i >= 16 {
            let (w0, w1) = nextBlocks8()
            let u0 = SIMD8<Double>(SIMD8<Int64>(truncatingIfNeeded: w0 &>> 11)) * 0x1p-53
            let u1 = SIMD8<Double>(SIMD8<Int64>(truncatingIfNeeded: w1 &>> 11)) * 0x1p-53
            ChainRNG.storeInterleaved(u0, u1, to: buffer.baseAddress! + i)
            i += 16
        }
        while i < n { buffer[i] = uniform(); i += 1 }
    }

    /// Fills `buffer` with standard normal deviates: the same values and final state as `buffer.count` calls of
    /// `gaussian()`.
    @inlinable
    public mutating func fillGaussian(_ buffer: UnsafeMutableBufferPointer<Double>) {
        let n = buffer.count
        var i = 0
        if i < n, cachedGaussian != nil { buffer[i] = gaussian(); i += 1 }
        while n - i >= 16 {
            let (w0, w1) = nextBlocks8()
            let a: SIMD8<UInt64>, b: SIMD8<UInt64>
            if let p = pendingWord {
                // Pairs straddle blocks: (p, w0[0]), (w1[0], w0[1]), …; w1[7] stays pending.
                a = SIMD8(p, w1[0], w1[1], w1[2], w1[3], w1[4], w1[5], w1[6])
                b = w0
                pendingWord = w1[7]
            } else {
                a = w0
                b = w1
            }
            let (g0, g1) = ChainRNG.boxMuller(a, b)
            ChainRNG.storeInterleaved(g0, g1, to: buffer.baseAddress! + i)
            i += 16
        }
        while i < n { buffer[i] = gaussian(); i += 1 }
    }

    /// The next 8 blocks (does not touch `pendingWord`).
    @inlinable @inline(__always)
    internal mutating func nextBlocks8() -> (w0: SIMD8<UInt64>, w1: SIMD8<UInt64>) {
        let words = Philox4x32.block8(index: nextBlock, c2: chain, c3: stream, key: key)
        nextBlock &+= 8
        return words
    }

    /// Stores a0, b0, a1, b1, … a7, b7 (one shuffle and one unaligned 128-byte store; per-lane stores would
    /// make LLVM scalarise the whole kernel that feeds them).
    @inlinable @inline(__always)
    internal static func storeInterleaved(_ a: SIMD8<Double>, _ b: SIMD8<Double>, to p: UnsafeMutablePointer<Double>) {
        var v = SIMD16<Double>()
        v.evenHalf = a
        v.oddHalf = b
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Double>.self)
    }

    /// Box–Muller on word pairs (a, b): (r cos θ, r sin θ), r = √(−2 log uniformOpen(a)), θ = angle(b).
    @inlinable @inline(__always)
    internal static func boxMuller(_ a: SIMD8<UInt64>, _ b: SIMD8<UInt64>) -> (SIMD8<Double>, SIMD8<Double>) {
        typealias V = SIMD8<Double>
        let u = V(SIMD8<Int64>(truncatingIfNeeded: (a &>> 11) &+ 1)) * 0x1p-53
        let theta = Double.pi * (V(SIMD8<Int64>(truncatingIfNeeded: b &>> 11)) * 0x1p-52 - 1)
        let r = _sqrtMagnitude(-2 * _logPositiveNormal(u))
        let (s, c) = _sinCos(theta)
        return (r * c, r * s)
    }
}
