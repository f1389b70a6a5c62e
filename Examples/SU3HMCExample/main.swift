// SU3HMCExample — 4D SU(3) in a few lines: HMC on 4⁴ with 8 chains at β = 5.7 (Wilson action; pass
// `iwasaki`, `symanzik` or `dbw2` as the first argument for an improved action), the plaquette with its Γ-method
// error, then a short Wilson flow and the clover topological charge of the final configurations. A few seconds.
// Built and run by the test suite.
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native su3-hmc-example [wilson|symanzik|iwasaki|dbw2]
import Foundation
import L2HMC

let action = CommandLine.arguments.count > 1 ? SU3GaugeAction(rawValue: CommandLine.arguments[1]) ?? .wilson : .wilson
let lattice = try Lattice(shape: [4, 4, 4, 4])
let beta = action == .wilson ? 5.7 : 2.0, chains = 8, thermalization = 30, trajectories = 100
let ensemble = try SU3Ensemble(lattice: lattice, beta: beta, chains: chains, seed: 2024, action: action)
ensemble.hotStart()
let hmc = HMCDriver(ensemble: ensemble,
                    parameters: MDParameters(integrator: .omelyan, stepSize: 1.0 / 6, steps: 6), threads: 2)

for _ in 0..<thermalization { _ = hmc.trajectory() }
var plaquette: [Double] = []      // (trajectory, chain), row-major
var acceptance = 0.0
for _ in 0..<trajectories {
    let record = hmc.trajectory()
    plaquette += record.observables[0]   // observable 0 is the plaquette
    acceptance += record.acceptanceRate / Double(trajectories)
}
let measured = GammaMethod.analyze(draws: trajectories, chains: chains, values: plaquette)
print("SU(3) 4^4, \(action.rawValue) action, beta = \(beta), \(chains) chains x \(trajectories) trajectories")
print("acceptance \(acceptance)")
print("<P> = \(measured.mean) ± \(measured.error)  (tau_int \(measured.tauInt))")

// Wilson flow (RK3, ε = 0.05) to t = 1 on a copy of the links, then E(t), t²E(t) and the clover Q per chain.
let flow = SU3FlowWorkspace(ensemble: ensemble)
let history = flow.flow(block: 0, time: 1.0, step: 0.05)
for m in history where [0.0, 0.5, 1.0].contains(where: { abs($0 - m.t) < 1e-9 }) {
    let e = (0..<chains).map { m.energy[$0] }.reduce(0, +) / Double(chains)
    print(String(format: "t = %.2f: <E> = %.5f, t^2 <E> = %.5f", m.t, e, m.t * m.t * e))
}
let q = (0..<chains).map { history.last!.charge[$0] }
print("clover Q at t = 1: \(q.map { String(format: "%.3f", $0) }.joined(separator: " "))")
print("done")
