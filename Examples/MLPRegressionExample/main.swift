// MLPRegressionExample — trains a small MLP on a 1-D regression (y = sin x + ½ cos 2x on [−π, π]) with the
// Autodiff module (issue 4): tape, Dense/MLP layers, Adam with warm-up and cosine decay, global-norm clipping,
// and a checkpoint round trip. Prints the loss falling and ends with `final loss <value>`.
import Autodiff
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func run() throws {
    BLAS.setThreads(1)
    let n = 128
    let xs = (0..<n).map { -Double.pi + 2 * Double.pi * Double($0) / Double(n - 1) }
    let x = try Tensor(shape: [n, 1], scalars: xs)
    let y = try Tensor(shape: [n, 1], scalars: xs.map { sin($0) + 0.5 * cos(2 * $0) })

    var rng = SplitMix64(seed: 2024)
    let model = MLP(name: "mlp", sizes: [1, 32, 32, 1], activation: .tanh)
    var params = ParameterSet()
    try model.initialize(into: &params, using: &rng)
    let steps = 2000
    var optimizer = Adam(schedule: LearningRateSchedule(base: 1e-2, warmupSteps: 50, decay: .cosine(steps: steps, floor: 1e-4)))

    var loss = 0.0
    for step in 0...steps {
        let tape = Tape()
        let p = tape.bind(params)
        let l = try (model(tape.constant(x), p) - tape.constant(y)).square().mean()
        loss = l.scalars[0]
        if step % 200 == 0 { print("step \(step)  loss \(loss)  lr \(optimizer.schedule.rate(at: step))") }
        if step == steps { break }
        var g = try tape.gradient(of: l, wrt: p)
        g.clipGlobalNorm(to: 5)
        try optimizer.update(&params, with: g)
    }
    // Checkpoint round trip (bit-exact).
    let path = "/tmp/mlp-regression-example-\(getpid()).ckpt"
    try Checkpoint.save(parameters: params, optimizer: optimizer.state, to: path)
    let restored = try Checkpoint.load(from: path, matching: params)
    unlink(path)
    print("checkpoint round trip exact: \(restored.parameters == params && restored.optimizer == optimizer.state)")
    print("final loss \(loss)")
}

do { try run() } catch {
    print("error: \(error)")
    exit(1)
}
