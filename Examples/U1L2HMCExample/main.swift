// U1L2HMCExample — learned HMC (L2HMC) for 2D U(1) in one page (issue 5): thermalise 8×8 chains with HMC, train
// a small leapfrog-layer model for a few seconds, then compare it with plain HMC at the same β by the cost of an
// independent configuration. Ends with the line `done` (for the test suite).
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native u1-l2hmc-example
//
// Conventions (README, DocC "Conventions"): Q_int = round((1/2π) Σ_P w(θ_P)); τ_int = ½ + Σ_{t≥1} ρ(t) (Γ-method,
// chains as replica); cost of an independent configuration = 2 τ_int(Q_int) × force evaluations per trajectory;
// an L2HMC trajectory (N layers forward, flip, N inverse layers) costs 2N + 1 force evaluations, a leapfrog HMC
// trajectory of n steps n + 1 (network cost not counted). Everything is seeded and runs on one thread, so the
// numbers are the same on every run (timings aside) unless a slow machine hits the 20 s cap on training, which
// then stops early and says so. About 10 s in all on one free core.
import Foundation
import L2HMC

func run() throws {
    let lattice = try Lattice(shape: [8, 8])
    let beta = 4.0, chains = 32, seed: UInt64 = 2024
    let thermalization = 200, trainingSteps = 400, trainingSeconds = 20.0, trajectories = 600

    // 1. Thermalise with plain HMC (leapfrog, ε = 0.1, τ = 1), as `l2hmc train` does before each era.
    let ensemble = try U1Ensemble(lattice: lattice, beta: beta, chains: chains, seed: seed)
    ensemble.hotStart()
    let warm = HMCDriver(ensemble: ensemble, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
    for _ in 0..<thermalization { _ = warm.trajectory() }
    print("U(1) \(lattice.description), β = \(beta), \(chains) chains: thermalised with \(thermalization) HMC trajectories")

    // 2. A small model: 2 leapfrog layers (a proposal is F⁻¹ ∘ Flip ∘ F, 4 layer applications), hidden 16×16,
    //    compact (NCP) x-updates with exact inverses; Adam, lr 1e-3, global-norm clipping at 10; mixed charge loss.
    let config = U1ModelConfig(l0: 8, l1: 8, layers: 2, hidden: [16, 16], activation: "swish", xUpdate: .ncp,
                               initialStepSize: 0.2, seed: seed)
    let sampler = try U1L2HMCSampler(ensemble: ensemble, model: try U1LeapfrogModel(config: config), threads: 1)
    var optimizer: any Optimizer = Adam(schedule: .constant(1e-3))
    let t0 = Date()
    var steps = 0
    var window: [(loss: Double, accept: Double, dQ: Double)] = []
    func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) }
    print("step   loss        accept   dQ_sin    (means over the last 50 steps)")
    while steps < trainingSteps && Date().timeIntervalSince(t0) < trainingSeconds {
        let (record, updated) = try sampler.step(train: optimizer, clip: 10)
        optimizer = updated!
        window.append((record.loss, mean(record.accepted), mean(record.dQsin)))
        steps += 1
        if steps % 50 == 0 {
            print(String(format: "%4d   %-10.4g  %.3f    %.4f", steps, mean(window.map(\.loss)), mean(window.map(\.accept)),
                         mean(window.map(\.dQ))))
            window.removeAll()
        }
    }
    let trainTime = Date().timeIntervalSince(t0)
    if steps < trainingSteps { print("stopped training at the \(Int(trainingSeconds)) s cap after \(steps) of \(trainingSteps) steps") }
    let eps = sampler.model.stepSizes().map { String(format: "(%.3f, %.3f)", $0.x, $0.v) }.joined(separator: " ")
    print(String(format: "trained %d steps in %.1f s (%.0f ms/step); (ε_x, ε_v) per layer: ", steps, trainTime,
                 1e3 * trainTime / Double(max(steps, 1))) + eps)

    // 3. Measure Q_int along `trajectories` trajectories of a sampler (observable 1 is Q_int).
    struct Row { var name: String; var settings: String; var acceptance: Double; var tau: GammaResult; var forces: Int
                 var seconds: Double }
    func measure(_ name: String, _ settings: String, _ source: any TrajectorySource) throws -> Row {
        var q: [Double] = [], acceptance = 0.0
        let start = Date()
        for _ in 0..<trajectories {
            let r = try source.nextTrajectory()
            q += r.observables[1]
            acceptance += r.acceptanceRate / Double(trajectories)
        }
        let seconds = Date().timeIntervalSince(start) / Double(trajectories)
        return Row(name: name, settings: settings, acceptance: acceptance,
                   tau: GammaMethod.analyze(draws: trajectories, chains: chains, values: q),
                   forces: source.forceEvaluations, seconds: seconds)
    }
    var rows = [try measure("l2hmc", "\(config.layers) layers, ncp", U1L2HMCDriver(sampler: sampler))]

    // 4. Plain HMC at the same β from freshly thermalised chains (another seed): the trajectory length of 1 and
    //    two step sizes; `l2hmc compare` scans a wider grid and keeps the cheapest.
    for (stepSize, mdSteps) in [(0.1, 10), (0.2, 5)] {
        let e = try U1Ensemble(lattice: lattice, beta: beta, chains: chains, seed: seed + 1)
        e.hotStart()
        let hmc = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: stepSize, steps: mdSteps))
        for _ in 0..<thermalization { _ = hmc.trajectory() }
        rows.append(try measure("hmc", "leapfrog \(mdSteps) × ε = \(stepSize)", hmc))
    }

    // 5. The table: cost = 2 τ_int(Q_int) × forces per trajectory (with the error of τ_int propagated).
    print("\n\(chains) chains × \(trajectories) trajectories per sampler, β = \(beta)")
    print("sampler  settings                  accept   tau_int(Q_int)   forces/traj   cost (forces)   ms/traj")
    for r in rows {
        let cost = 2 * r.tau.tauInt * Double(r.forces), costError = 2 * r.tau.tauIntError * Double(r.forces)
        print(r.name.padding(toLength: 9, withPad: " ", startingAt: 0)
              + r.settings.padding(toLength: 26, withPad: " ", startingAt: 0)
              + String(format: "%.3f    %6.2f ± %-6.2f  %5d         %7.1f ± %-6.1f %7.2f", r.acceptance, r.tau.tauInt,
                       r.tau.tauIntError, r.forces, cost, costError, 1e3 * r.seconds))
    }
    let best = rows.dropFirst().map { 2 * $0.tau.tauInt * Double($0.forces) }.min()!
    let l2 = 2 * rows[0].tau.tauInt * Double(rows[0].forces)
    print(String(format: "best HMC cost / L2HMC cost (force evaluations): %.2f", best / l2))
    print("(A short training and runs only a few τ_int long: τ_int and its error are then lower bounds and the")
    print(" ratio is noisy. `l2hmc train` and `l2hmc compare` (tuned HMC) give the real comparison.)")
    print("done")
}

do { try run() } catch {
    print("error: \(error)")
    exit(1)
}
