// SU3Kernels — benchmarks of the 4D SU(3) kernels (ordo-one/benchmark). One block = 8 chains (one SIMD lane per
// chain); every figure is the time of ONE operation on the 8 chains.
//
// Run from /work/main/Benchmarks:
//   swift package -c release -Xswiftc -target-cpu -Xswiftc native benchmark --target SU3Kernels
// Filter with e.g. `--filter 'SU3 Multiply.*'`. See ../BENCHMARKS.md (SU(3) section) for flop counts and GFLOP/s.
//
// Operations (L⁴ lattice, one block of 8 chains, hot start at β = 6, or Iwasaki where named):
//   SU3 Multiply          c[i] = a[i]·b[i] for 32 batched matrices (256 matrix products; 110 KiB: in L2)
//   SU3 Exp               exp of 32 batched su(3) elements of typical MD size (ε·p, ε = 0.1)
//   SU3 Force L⁴          updateMomenta(ε): staple sum, U·A, projection, p update for all 4V links
//   SU3 LinkUpdate L⁴     updateLinks(ε): U ← exp(εP)·U for all 4V links
//   SU3 Plaquette L⁴      plaquetteSum() (6V plaquettes)
//   SU3 Rectangle L⁴      rectangleSum() (12V rectangles)
//   SU3 FlowStep L⁴       one RK3 Wilson-flow step (3 force evaluations and 3 exponentials per link)
//   SU3 Trajectory L⁴     HMCDriver.trajectory(): leapfrog, 10 steps (11 force evaluations), refresh, measure,
//                         Metropolis, 1 thread
import Benchmark
import L2HMC

final class SU3Fixture: @unchecked Sendable {
    let l: Int
    let action: SU3GaugeAction
    private(set) var ensemble: SU3Ensemble!
    private(set) var block: SU3Block!
    private(set) var driver: HMCDriver<SU3Ensemble>?
    private(set) var flow: SU3FlowWorkspace?

    init(l: Int, action: SU3GaugeAction = .wilson) { self.l = l; self.action = action }
    var label: String { "\(l)^4" + (action == .wilson ? "" : " \(action.rawValue)") }

    func setUp(trajectory: Bool = false, flow wantFlow: Bool = false) throws {
        let e = try SU3Ensemble(lattice: Lattice(shape: [l, l, l, l]), beta: action == .wilson ? 6.0 : 2.6,
                                chains: 8, seed: 2024, action: action)
        e.hotStart()
        ensemble = e
        var b = e.block(0)
        b.refreshMomenta()
        block = b
        if trajectory {
            let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: 1)
            driver = d
        }
        if wantFlow {
            let w = SU3FlowWorkspace(ensemble: e)
            w.load(block: 0)
            flow = w
        }
    }

    func tearDown() { driver = nil; flow = nil; block = nil; ensemble = nil }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    // In-cache arithmetic: 32 batched matrices (3 × 32 × 1152 B = 110 KiB).
    do {
        let n = 32
        nonisolated(unsafe) var a: UnsafeMutablePointer<SU3>!, b: UnsafeMutablePointer<SU3>!, c: UnsafeMutablePointer<SU3>!
        nonisolated(unsafe) var x: UnsafeMutablePointer<SU3Algebra>!
        let setUp: @Sendable () -> Void = {
            a = .allocate(capacity: n); b = .allocate(capacity: n); c = .allocate(capacity: n); x = .allocate(capacity: n)
            var rng = ChainRNG(seed: 1, chain: 0)
            var g = [Double](repeating: 0, count: 12)
            for i in 0..<n {
                var m = SU3.identity, m2 = SU3.identity
                for l in 0..<8 {
                    for k in 0..<12 { g[k] = rng.gaussian() }
                    g.withUnsafeBufferPointer { m.setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
                    for k in 0..<12 { g[k] = rng.gaussian() }
                    g.withUnsafeBufferPointer { m2.setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
                }
                (a + i).initialize(to: m.reunitarized); (b + i).initialize(to: m2.reunitarized); (c + i).initialize(to: .zero)
                var p = SU3Algebra.zero
                for k in 1...8 { for l in 0..<8 { p[k][l] = 0.1 * rng.gaussian() } }
                (x + i).initialize(to: p)
            }
        }
        let tearDown: @Sendable () -> Void = { a.deallocate(); b.deallocate(); c.deallocate(); x.deallocate() }
        Benchmark("SU3 Multiply 32x8", configuration: .init(scalingFactor: .kilo, setup: setUp, teardown: tearDown)) { benchmark in
            for _ in benchmark.scaledIterations {
                for i in 0..<n { c[i] = SU3.mul(a[i], b[i]) }
                blackHole(c[n - 1].r00)
            }
        }
        Benchmark("SU3 Multiply chained 32x8", configuration: .init(scalingFactor: .kilo, setup: setUp, teardown: tearDown)) { benchmark in
            // a dependent chain: c[i] = c[i−1]·b[i] (latency, as in a staple product)
            for _ in benchmark.scaledIterations {
                var m = a[0]
                for i in 0..<n { m = SU3.mul(m, b[i]) }
                c[0] = m
                blackHole(c[0].r00)
            }
        }
        Benchmark("SU3 Exp 32x8", configuration: .init(scalingFactor: .kilo, setup: setUp, teardown: tearDown)) { benchmark in
            for _ in benchmark.scaledIterations {
                for i in 0..<n { c[i] = SU3.exp(x[i].matrix) }
                blackHole(c[n - 1].r00)
            }
        }
    }

    for (l, actions) in [(4, [SU3GaugeAction.wilson, .iwasaki]), (8, [SU3GaugeAction.wilson, .iwasaki])] {
        for action in actions {
            let f = SU3Fixture(l: l, action: action)
            let cfg = Benchmark.Configuration(timeUnits: .microseconds, setup: { try f.setUp() }, teardown: { f.tearDown() })
            Benchmark("SU3 Force \(f.label)", configuration: cfg) { benchmark in
                var blk = f.block!
                for _ in benchmark.scaledIterations { blk.updateMomenta(1e-9) }
                blackHole(blk.momentum(0, 0).p1)
            }
            if action == .wilson {
                Benchmark("SU3 LinkUpdate \(f.label)", configuration: cfg) { benchmark in
                    var blk = f.block!
                    for _ in benchmark.scaledIterations { blk.updateLinks(1e-9) }
                    blackHole(blk.link(0, 0).r00)
                }
                Benchmark("SU3 Plaquette \(f.label)", configuration: cfg) { benchmark in
                    for _ in benchmark.scaledIterations { blackHole(f.block!.plaquetteSum()) }
                }
                Benchmark("SU3 Rectangle \(f.label)", configuration: cfg) { benchmark in
                    for _ in benchmark.scaledIterations { blackHole(f.block!.rectangleSum()) }
                }
                let g = SU3Fixture(l: l)
                Benchmark("SU3 FlowStep \(g.label)",
                          configuration: .init(timeUnits: .microseconds, setup: { try g.setUp(flow: true) }, teardown: { g.tearDown() })) { benchmark in
                    for _ in benchmark.scaledIterations { g.flow!.step(0.01) }
                    blackHole(g.flow!.link(0, 0).r00)
                }
            }
        }
    }

    for (l, action) in [(8, SU3GaugeAction.wilson), (8, .iwasaki), (16, .wilson)] {
        let f = SU3Fixture(l: l, action: action)
        Benchmark("SU3 Trajectory \(f.label)",
                  configuration: .init(timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(l >= 16 ? 60 : 10),
                                       maxIterations: l >= 16 ? 3 : 20,
                                       setup: { try f.setUp(trajectory: true) }, teardown: { f.tearDown() })) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(f.driver!.trajectory().acceptanceRate) }
        }
    }
}
