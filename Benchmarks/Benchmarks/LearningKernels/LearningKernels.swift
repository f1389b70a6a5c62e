// LearningKernels — benchmarks of the autodiff/MLP layer (issue 4) and of L2HMC training and evaluation steps
// (issue 5), with ordo-one/benchmark.
//
// Run from /work/main/Benchmarks:
//   swift package -c release -Xswiftc -target-cpu -Xswiftc native benchmark --target LearningKernels
//
//   Dense w=<W>            forward + backward of one dense layer (tanh activation off: y = xW + b, loss Σy²)
//                          at batch 2048, width W → W: 3 GEMMs of 2·2048·W² flop = 12·2048·W² flop per iteration
//   U1ForceGradient        gradient of Σ Q_sin(x_16)² w.r.t. (x_0, p_0) through 16 leapfrog steps of the U(1)
//                          force on the tape (17 force evaluations and their Hessian–vector products),
//                          16×16 × 256 chains
//   L2HMCTrainStep L×L h   one training step (proposal of 8 leapfrog layers forward and inverse, loss, gradient,
//                          Adam update, Metropolis) with 64 chains, hidden widths h, 1 thread
//   L2HMCEvalStep L×L h    one evaluation step (the same without gradient and update)
import Benchmark
import L2HMC

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 1000
    )
    BLAS.setThreads(1)

    for w in [32, 128, 256] {
        Benchmark("Dense w=\(w) batch 2048 fwd+bwd") { benchmark in
            var rng = SplitMix64(seed: 1)
            var p = ParameterSet()
            let layer = Dense(name: "d", inputs: w, outputs: w)
            try layer.initialize(into: &p, using: &rng)
            let x = try Tensor(shape: [2048, w], scalars: (0..<(2048 * w)).map { _ in Double(rng.next() % 1000) / 1000 - 0.5 })
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let tape = Tape()
                let bound = tape.bind(p)
                let input = tape.variable(x)
                let y = try layer(input, bound)
                let loss = try y.square().sum()
                blackHole(try tape.gradient(of: loss, wrt: [input] + bound.vars))
            }
        }
    }

    Benchmark("U1ForceGradient 16x16x256 16 steps") { benchmark in
        let e = try U1Ensemble(lattice: Lattice(shape: [16, 16]), beta: 3, chains: 256, seed: 1)
        e.hotStart()
        var xs = [Double](); e.withLinkStorage { xs = Array($0) }
        let shape = U1Layout.linkShape(l0: 16, l1: 16, chains: 256)
        var rng = SplitMix64(seed: 2)
        let ps = (0..<xs.count).map { _ in Double(rng.next() % 1000) / 500 - 1 }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let tape = Tape()
            let x0 = tape.variable(try Tensor(shape: shape, scalars: xs)), p0 = tape.variable(try Tensor(shape: shape, scalars: ps))
            var x = x0, p = p0
            let eps = 0.05
            p = try p - 0.5 * eps * x.u1Force(beta: 3)
            for k in 0..<16 {
                x = try x + eps * p
                p = try p - (k == 15 ? 0.5 : 1.0) * eps * x.u1Force(beta: 3)
            }
            let loss = try x.u1ChargeSin().square().sum()
            blackHole(try tape.gradient(of: loss, wrt: [x0, p0]))
        }
    }

    for l in [8, 16] {
        for hidden in [[16, 16, 16, 16], [256]] {
            let label = "\(l)x\(l) hidden \(hidden.map(String.init).joined(separator: ","))"
            func make() throws -> U1L2HMCSampler {
                let e = try U1Ensemble(lattice: Lattice(shape: [l, l]), beta: 3, chains: 64, seed: 3)
                e.hotStart()
                let m = try U1LeapfrogModel(config: U1ModelConfig(l0: l, l1: l, layers: 8, hidden: hidden, activation: "swish",
                                                                  xUpdate: .ncp, initialStepSize: 0.05, headGain: 1e-3, seed: 4))
                return try U1L2HMCSampler(ensemble: e, model: m, threads: 1, unitChains: 64)
            }
            Benchmark("L2HMCTrainStep \(label)") { benchmark in
                let s = try make()
                var opt: any Optimizer = Adam(schedule: .constant(1e-3))
                _ = try s.step(train: opt)   // warm-up step outside the measurement
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let (r, o) = try s.step(train: opt)
                    opt = o!
                    blackHole(r.loss)
                }
            }
            Benchmark("L2HMCEvalStep \(label)") { benchmark in
                let s = try make()
                _ = try s.step()
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { blackHole(try s.step().0.accepted) }
            }
        }
    }

    // SU(3) L2HMC (issue 6): the peer's SU(3) defaults — 8 chains (one SIMD block), 4 leapfrog layers — on 4⁴ and 8⁴.
    for l in [4, 8] {
        let label = "\(l)^4 8 chains 4 layers hidden 16,16"
        func make() throws -> SU3L2HMCSampler {
            let e = try SU3Ensemble(lattice: Lattice(shape: [l, l, l, l]), beta: 6, chains: 8, seed: 3)
            e.hotStart()
            let m = try SU3LeapfrogModel(config: SU3ModelConfig(layers: 4, hidden: [16, 16], activation: "swish",
                                                                initialStepSize: 0.1, headGain: 1e-3, seed: 4))
            return try SU3L2HMCSampler(ensemble: e, model: m, threads: 1)
        }
        Benchmark("SU3L2HMCTrainStep \(label)") { benchmark in
            let s = try make()
            var opt: any Optimizer = Adam(schedule: .constant(1e-3))
            _ = try s.step(train: opt)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let (r, o) = try s.step(train: opt)
                opt = o!
                blackHole(r.loss)
            }
        }
        Benchmark("SU3L2HMCEvalStep \(label)") { benchmark in
            let s = try make()
            _ = try s.step()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try s.step().0.accepted) }
        }
    }
}
