// Parallel.swift — runs work over blocks of chains on a fixed number of threads.
//
// Threads own contiguous ranges of chain blocks for a whole task (a whole trajectory), so each block stays
// in its thread's cache (REFERENCE §8: forking per leapfrog step evicts caches). Results never depend on the
// thread count: all randomness is per chain (ChainRNG), never per thread.
import Dispatch

public enum BlockParallel {
    /// Calls `body(b)` once for every block b in 0..<blocks, using up to `threads` threads.
    /// Thread t handles the contiguous range of blocks [t·B/T, (t+1)·B/T).
    public static func forEach(blocks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let t = max(1, min(threads, blocks))
        if t == 1 {
            for b in 0..<blocks { body(b) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: t) { i in
            let lo = i * blocks / t, hi = (i + 1) * blocks / t
            for b in lo..<hi { body(b) }
        }
    }
}
