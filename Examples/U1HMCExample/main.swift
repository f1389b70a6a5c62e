// U1HMCExample — the library in a few lines: HMC for 2D U(1) on 8×8 with 32 chains at β = 3, and the measured
// plaquette against the exact finite-volume value (REFERENCE §1). Built and run by the test suite.
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native u1-hmc-example
import L2HMC

let lattice = try Lattice(shape: [8, 8])
let beta = 3.0, chains = 32, thermalization = 100, trajectories = 400
let ensemble = try U1Ensemble(lattice: lattice, beta: beta, chains: chains, seed: 2024)
ensemble.hotStart()
let hmc = HMCDriver(ensemble: ensemble,
                    parameters: MDParameters(integrator: .omelyan, stepSize: 0.2, steps: 5), threads: 2)

for _ in 0..<thermalization { _ = hmc.trajectory() }
var plaquette: [Double] = []      // (trajectory, chain), row-major
var acceptance = 0.0
for _ in 0..<trajectories {
    let record = hmc.trajectory()
    plaquette += record.observables[0]   // observable 0 is the plaquette
    acceptance += record.acceptanceRate / Double(trajectories)
}

let measured = GammaMethod.analyze(draws: trajectories, chains: chains, values: plaquette)
let exact = try U1Exact(beta: beta, volume: lattice.volume)
let pull = (measured.mean - exact.plaquette) / measured.error
print("acceptance \(acceptance)")
print("<P> = \(measured.mean) ± \(measured.error)  (tau_int \(measured.tauInt))")
print("exact finite volume \(exact.plaquette), infinite volume \(exact.infiniteVolumePlaquette)")
print("pull \(pull)")
