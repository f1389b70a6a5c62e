// U1Kernels — benchmarks of the 2D U(1) HMC kernels (ordo-one/benchmark).
//
// Run from /work/main/Benchmarks:
//   swift package -c release -Xswiftc -target-cpu -Xswiftc native benchmark
// Filter with e.g. `--filter 'LeapfrogStep'`. Every figure is the time of ONE operation on ALL chains of the
// configuration (the 8-chain variants run 1000 operations per sample, scalingFactor .kilo, so the printed
// figures are per operation as well). See ../BENCHMARKS.md for ns/site/step and the fraction of the machine.
//
// Operations (V = sites, B = chains / 8 blocks):
//   Plaquette     U1Block.plaquetteSums() on every block (the measurement pass: sin, cos, wrap per plaquette)
//   Force         U1Block.force(into:) on every block (one sin per plaquette + the staple differences)
//   LeapfrogStep  updateLinks(ε) + updateMomenta(ε) on every block = one force evaluation, one momentum and
//                 one link update: the unit "leapfrog step" of BENCHMARKS.md
//   Refresh       U1Block.refreshMomenta() on every block (2V Gaussian draws per chain, Philox + Box–Muller)
//   Gaussians     ChainRNG.fillGaussian of 2V numbers for every chain: the RNG part of Refresh without the
//                 scatter of each chain's numbers into its lane of the momentum vectors
//   Trajectory    HMCDriver.trajectory(), leapfrog, ε = 0.1, 10 steps (11 force evaluations), threads 1 or 2
import Benchmark
import L2HMC

/// One configuration under test: lattice L×L, `chains` chains, hot start at β = 3.
final class Fixture: @unchecked Sendable {
    let l: Int
    let chains: Int
    private(set) var ensemble: U1Ensemble!
    private(set) var blocks: [U1Block] = []
    private(set) var out: UnsafeMutablePointer<Lanes>?
    private(set) var driver: HMCDriver<U1Ensemble>?

    init(l: Int, chains: Int) { self.l = l; self.chains = chains }

    var sites: Int { l * l }
    var label: String { "\(l)x\(l)x\(chains)" }

    func setUp(trajectoryThreads: Int? = nil) throws {
        let e = try U1Ensemble(lattice: Lattice(shape: [l, l]), beta: 3.0, chains: chains, seed: 2024)
        e.hotStart()
        ensemble = e
        blocks = (0..<e.blockCount).map { e.block($0) }
        for b in blocks.indices { var block = blocks[b]; block.refreshMomenta() }
        let o = UnsafeMutablePointer<Lanes>.allocate(capacity: 2 * sites)
        o.initialize(repeating: Lanes(), count: 2 * sites)
        out = o
        if let t = trajectoryThreads {
            let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10),
                              threads: t)
            _ = d.trajectory()   // fills the measurement cache and thermalises a little
            driver = d
        }
    }

    func tearDown() {
        driver = nil
        blocks = []
        ensemble = nil
        if let o = out { o.deinitialize(count: 2 * sites); o.deallocate() }
        out = nil
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    // (L, chains): 8 chains = one block (fits in L1/L2: the in-cache single-thread speed); 256 chains = 32 blocks
    // (16×16: 32 × 115 KiB ≈ 3.6 MiB, 64×64: 32 × 1.8 MiB ≈ 59 MiB of fields, i.e. DRAM for the whole set).
    let configurations: [(l: Int, chains: Int)] = [(16, 8), (16, 256), (64, 8), (64, 256)]
    let eps = 0.05

    for (l, chains) in configurations {
        let scaling: BenchmarkScalingFactor = chains <= 8 ? .kilo : .one
        func configuration(_ f: Fixture, trajectoryThreads: Int? = nil, scalingFactor: BenchmarkScalingFactor) -> Benchmark.Configuration {
            .init(timeUnits: trajectoryThreads == nil ? .nanoseconds : .microseconds,
                  scalingFactor: scalingFactor,
                  setup: { try f.setUp(trajectoryThreads: trajectoryThreads) },
                  teardown: { f.tearDown() })
        }

        do {
            let f = Fixture(l: l, chains: chains)
            Benchmark("Plaquette \(f.label)", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                let blocks = f.blocks
                var acc = Lanes()
                for _ in benchmark.scaledIterations {
                    for b in blocks.indices {
                        let r = blocks[b].plaquetteSums()
                        acc += r.cos + r.sin + r.wrapped
                    }
                }
                blackHole(acc)
            }
        }

        do {
            let f = Fixture(l: l, chains: chains)
            Benchmark("Force \(f.label)", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                let blocks = f.blocks, out = f.out!
                for _ in benchmark.scaledIterations {
                    for b in blocks.indices { blocks[b].force(into: out) }
                    blackHole(out[0])
                }
            }
        }

        do {
            let f = Fixture(l: l, chains: chains)
            Benchmark("LeapfrogStep \(f.label) threads 1", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                let blocks = f.blocks
                for _ in benchmark.scaledIterations {
                    for b in blocks.indices {
                        var block = blocks[b]   // a view: pointers only, the fields live in the ensemble
                        block.updateLinks(eps)
                        block.updateMomenta(eps)
                    }
                }
                blackHole(blocks[0])
            }
        }

        if chains > 8 {
            let f = Fixture(l: l, chains: chains)
            // Each thread owns a contiguous half of the blocks (as HMCDriver does) — but it forks per step,
            // which the driver never does; compare with "Trajectory … threads 2".
            Benchmark("LeapfrogStep \(f.label) threads 2", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                for _ in benchmark.scaledIterations {
                    BlockParallel.forEach(blocks: f.blocks.count, threads: 2) { b in
                        var block = f.ensemble.block(b)
                        block.updateLinks(eps)
                        block.updateMomenta(eps)
                    }
                }
            }
        }

        do {
            let f = Fixture(l: l, chains: chains)
            Benchmark("Refresh \(f.label)", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                let blocks = f.blocks
                for _ in benchmark.scaledIterations {
                    for b in blocks.indices { var block = blocks[b]; block.refreshMomenta() }
                }
                blackHole(blocks[0])
            }
        }

        do {
            // The RNG part of Refresh alone: each chain's 2V Gaussians into a contiguous buffer (no lane scatter).
            let f = Fixture(l: l, chains: chains)
            Benchmark("Gaussians \(f.label)", configuration: configuration(f, scalingFactor: scaling)) { benchmark in
                let m = 2 * f.sites
                var rngs = (0..<f.chains).map { ChainRNG(seed: 7, chain: $0) }
                let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: m)
                defer { buffer.deallocate() }
                buffer.initialize(repeating: 0)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    for c in rngs.indices { rngs[c].fillGaussian(buffer) }
                    blackHole(buffer[0])
                }
                benchmark.stopMeasurement()
            }
        }

        for threads in chains > 8 ? [1, 2] : [1] {
            let f = Fixture(l: l, chains: chains)
            Benchmark("Trajectory \(f.label) threads \(threads)",
                      configuration: configuration(f, trajectoryThreads: threads, scalingFactor: .one)) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(f.driver!.trajectory().acceptanceRate)
                }
            }
        }
    }
}
