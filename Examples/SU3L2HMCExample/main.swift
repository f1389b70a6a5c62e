// SU3L2HMCExample — learned HMC for 4D SU(3) in one page (issue 6): thermalise 4⁴ chains with HMC, train a small
// group-respecting leapfrog-layer model for a few seconds, sample with it next to plain HMC at the same β, and
// check what makes it exact: the proposal keeps links in SU(3), is an involution, and both samplers agree on ⟨P⟩.
// Ends with the line `done` (for the test suite).
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native su3-l2hmc-example
//
// Conventions (README, DocC "Conventions", REFERENCE §2 and §4): a layer is a momentum half-step in the 8 algebra
// coordinates, link updates U′ = exp(εZ)·U of one (direction, parity) class at a time, a momentum half-step; the
// proposal F⁻¹ ∘ Flip ∘ F of N layers costs 2N + 1 force evaluations. τ_int = ½ + Σ_{t≥1} ρ(t) (Γ-method, chains
// as replica). Everything is seeded; about 15 s on one free core.
import Foundation
import L2HMC

func run() throws {
    let lattice = try Lattice(shape: [4, 4, 4, 4])
    let beta = 5.5, chains = 8, seed: UInt64 = 2024
    let thermalization = 100, trainingSteps = 30, trajectories = 60

    // 1. Thermalise with plain HMC (leapfrog, ε = 0.1, τ = 1), as `l2hmc train --group SU3` does before each era.
    let ensemble = try SU3Ensemble(lattice: lattice, beta: beta, chains: chains, seed: seed)
    ensemble.hotStart()
    let warm = HMCDriver(ensemble: ensemble, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
    for _ in 0..<thermalization { _ = warm.trajectory() }
    print("SU(3) \(lattice.description), β = \(beta), \(chains) chains: thermalised with \(thermalization) HMC trajectories")

    // 2. A small model: 2 leapfrog layers, local networks of gauge-invariant traces (hidden 16, 16), ε = 0.1;
    //    Adam (lr 1e-3), clipping at 10; loss −A·J (acceptance-weighted mean squared link jump).
    let model = try SU3LeapfrogModel(config: SU3ModelConfig(layers: 2, hidden: [16, 16], activation: "swish",
                                                            initialStepSize: 0.1, seed: seed))
    let sampler = try SU3L2HMCSampler(ensemble: ensemble, model: model, threads: 1)
    sampler.loss = SU3LossConfig(jumpWeight: 1)
    var optimizer: any Optimizer = Adam(schedule: .constant(1e-3))
    func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) }
    let t0 = Date()
    print("step   loss       accept   jump      (means over 10 steps)")
    var window: [(Double, Double, Double)] = []
    for step in 1...trainingSteps {
        let (record, updated) = try sampler.step(train: optimizer, clip: 10)
        optimizer = updated!
        window.append((record.loss, mean(record.accepted), mean(record.jump)))
        if step % 10 == 0 {
            print(String(format: "%4d   %-9.4g  %.3f    %.4f", step, mean(window.map(\.0)), mean(window.map(\.1)), mean(window.map(\.2))))
            window.removeAll()
        }
    }
    let trainTime = Date().timeIntervalSince(t0)
    print(String(format: "trained %d steps in %.1f s (%.0f ms/step)", trainingSteps, trainTime, 1e3 * trainTime / Double(trainingSteps)))

    // 3. What exactness rests on, checked on one block of 8 chains: links stay in SU(3) and M(M(ξ)) = ξ.
    let geometry = sampler.geometry
    let dynamics = try SU3LeapfrogDynamics(model: sampler.model, geometry: geometry, beta: beta, action: ensemble.action, blocks: 1)
    let tape = Tape()
    let params = try BoundParameters(rebinding: sampler.model.parameters,
                                     vars: sampler.model.parameters.tensors.map { tape.constant($0) })
    var r = ChainRNG(seed: seed, chain: 99)
    var momenta = [Double](repeating: 0, count: geometry.links * 64)
    momenta.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
    let u0 = tape.constant(sampler.linkTensor(block: 0))
    let p0 = tape.constant(try Tensor(shape: geometry.algebraShape(blocks: 1), scalars: momenta))
    let once = try dynamics.proposal(u: u0, p: p0, params)
    let twice = try dynamics.proposal(u: once.u, p: once.p, params)
    let roundTrip = zip(twice.u.scalars, u0.scalars).map { abs($0 - $1) }.max()!
    var unitarity = 0.0
    once.u.scalars.withUnsafeBufferPointer { b in
        b.baseAddress!.withMemoryRebound(to: SU3.self, capacity: geometry.links) { m in
            for l in 0..<geometry.links { unitarity = max(unitarity, m[l].unitarityDeviation) }
        }
    }
    tape.reset()
    print(String(format: "proposal: max |UU† − 1| = %.1e, |M(M(U)) − U| = %.1e, log|J| of chain 0 = %.4f",
                 unitarity, roundTrip, once.logdet.scalars[0]))

    // 4. Sample with the model and with HMC (τ = 1) from the same thermalised start; ⟨P⟩ must agree.
    func measure(_ source: any TrajectorySource) throws -> (GammaResult, Double, Double) {
        var plaquette: [Double] = [], acceptance = 0.0
        let start = Date()
        for _ in 0..<trajectories {
            let rec = try source.nextTrajectory()
            plaquette += rec.observables[0]
            acceptance += rec.acceptanceRate / Double(trajectories)
        }
        return (GammaMethod.analyze(draws: trajectories, chains: chains, values: plaquette), acceptance,
                Date().timeIntervalSince(start) / Double(trajectories))
    }
    var saved: [[Double]] = (0..<chains).map { ensemble.linkValues(chain: $0) }
    let rngs = (0..<chains).map { ensemble.rng(chain: $0) }
    let (gl, al, sl) = try measure(SU3L2HMCDriver(sampler: sampler))
    for c in 0..<chains { ensemble.setLinkValues(chain: c, saved[c]); ensemble.setRNG(chain: c, rngs[c]) }
    saved.removeAll()
    let hmc = HMCDriver(ensemble: ensemble, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
    let (gh, ah, sh) = try measure(hmc)
    print("\n\(chains) chains × \(trajectories) trajectories, β = \(beta)")
    print("sampler  accept   <P>                    tau_int(P)   forces/traj   ms/traj")
    print(String(format: "l2hmc    %.3f    %.5f ± %.5f    %5.2f        %3d           %6.1f", al, gl.mean, gl.error, gl.tauInt,
                 sampler.forceEvaluations, 1e3 * sl))
    print(String(format: "hmc      %.3f    %.5f ± %.5f    %5.2f        %3d           %6.1f", ah, gh.mean, gh.error, gh.tauInt,
                 hmc.forceEvaluations, 1e3 * sh))
    let pull = (gl.mean - gh.mean) / (gl.error * gl.error + gh.error * gh.error).squareRoot()
    print(String(format: "difference of <P>: %.2f σ (both samplers are exact; runs this short give rough errors)", pull))
    print("done")
}

do { try run() } catch {
    print("error: \(error)")
    exit(1)
}
