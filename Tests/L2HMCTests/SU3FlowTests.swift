// SU3FlowTests.swift — Wilson flow and clover charge (REFERENCE §2): Q = 0 and E = 0 on pure gauge; the exact
// clover value Q = V sin f01 sin f23 / 2π² on a constant Abelian field with quantised flux (close to the integer
// 2·n01·n23); gauge invariance; Q odd under reflection; E(t) decreasing along the flow.
import Foundation
import L2HMC
import Testing

/// Lane-constant diagonal SU(3) matrix diag(e^{iα}, e^{−iα}, 1).
func abelianLink(_ alpha: Double) -> [(re: Double, im: Double)] {
    [(cos(alpha), sin(alpha)), (0, 0), (0, 0), (0, 0), (cos(alpha), -sin(alpha)), (0, 0), (0, 0), (0, 0), (1, 0)]
}

/// Constant field strength f01 in the 01 plane and f23 in the 23 plane (periodic, twisted at the last slice).
func setAbelianFlux(_ e: SU3Ensemble, chain c: Int, n01: Int, n23: Int) {
    let s = e.lattice.shape
    let f01 = 2 * Double.pi * Double(n01) / Double(s[0] * s[1])
    let f23 = 2 * Double.pi * Double(n23) / Double(s[2] * s[3])
    for n in 0..<e.lattice.volume {
        let x = e.lattice.coordinates(of: n)
        e.setLink(chain: c, mu: 0, site: n, abelianLink(x[0] == s[0] - 1 ? -f01 * Double(s[0] * x[1]) : 0))
        e.setLink(chain: c, mu: 1, site: n, abelianLink(f01 * Double(x[0])))
        e.setLink(chain: c, mu: 2, site: n, abelianLink(x[2] == s[2] - 1 ? -f23 * Double(s[2] * x[3]) : 0))
        e.setLink(chain: c, mu: 3, site: n, abelianLink(f23 * Double(x[2])))
    }
}

@Suite struct SU3FlowAndChargeTests {
    @Test func pureGaugeHasZeroChargeAndEnergy() throws {
        let e = try SU3Ensemble(lattice: Lattice(shape: [3, 3, 3, 3]), beta: 6, chains: 4, seed: 1)
        var rng = ChainRNG(seed: 9, chain: 0)
        for c in 0..<4 { e.gaugeTransform(chain: c, rng: &rng) }
        let m = e.cloverMeasurement(block: 0)
        for c in 0..<4 {
            #expect(abs(m.charge[c]) < 1e-12)
            #expect(abs(m.energy[c]) < 1e-12)
        }
        // The plaquette of a pure gauge is exactly 1.
        let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 3); defer { obs.deallocate() }
        var blk = e.block(0)
        _ = blk.measure(into: obs)
        for c in 0..<4 { #expect(abs(obs[0][c] - 1) < 1e-13) }
    }

    @Test func constantAbelianFluxGivesTheExactCloverCharge() throws {
        let shape = [6, 6, 4, 4]
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: 6, chains: 4, seed: 1)
        let fluxes = [(1, 1), (1, -1), (2, 1), (0, 3)]
        for (c, f) in fluxes.enumerated() { setAbelianFlux(e, chain: c, n01: f.0, n23: f.1) }
        let m = e.cloverMeasurement(block: 0)
        let v = Double(e.lattice.volume)
        for (c, f) in fluxes.enumerated() {
            let f01 = 2 * Double.pi * Double(f.0) / 36, f23 = 2 * Double.pi * Double(f.1) / 16
            let exact = v * sin(f01) * sin(f23) / (2 * Double.pi * Double.pi)
            #expect(abs(m.charge[c] - exact) < 1e-12, "chain \(c): Q = \(m.charge[c]), exact \(exact)")
            #expect(abs(m.charge[c] - Double(2 * f.0 * f.1)) < 0.25 * max(1, abs(Double(2 * f.0 * f.1))))
        }
        // Gauge invariance of this Q and E.
        var rng = ChainRNG(seed: 5, chain: 1)
        for c in 0..<4 { e.gaugeTransform(chain: c, rng: &rng) }
        let g = e.cloverMeasurement(block: 0)
        for c in 0..<4 {
            #expect(abs(g.charge[c] - m.charge[c]) < 1e-11)
            #expect(abs(g.energy[c] - m.energy[c]) < 1e-12)
        }
    }

    @Test func chargeIsOddUnderReflectionAndFlowLowersTheEnergy() throws {
        let shape = [4, 4, 4, 4]
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: 5.7, chains: 2, seed: 3)
        e.hotStart()
        let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .omelyan, stepSize: 0.2, steps: 5))
        for _ in 0..<3 { _ = d.trajectory() }
        // Reflected copy in chain 1: x0 → −x0, U'_0(x) = U_0(Rx − 0̂)†, U'_ν(x) = U_ν(Rx).
        let lat = e.lattice
        func reflect(_ n: Int) -> Int { var x = lat.coordinates(of: n); x[0] = -x[0]; return lat.site(x) }
        for n in 0..<lat.volume {
            let rn = reflect(n)
            let m0 = e.link(chain: 0, mu: 0, site: lat.shift(rn, 0, by: -1))
            e.setLink(chain: 1, mu: 0, site: n, (0..<9).map { k in let t = m0[(k % 3) * 3 + k / 3]; return (t.re, -t.im) })
            for nu in 1..<4 { e.setLink(chain: 1, mu: nu, site: n, e.link(chain: 0, mu: nu, site: rn)) }
        }
        let w = SU3FlowWorkspace(ensemble: e)
        let history = w.flow(block: 0, time: 0.6, step: 0.05)
        #expect(history.count == 13)
        let q0 = history[0].charge, qt = history.last!.charge
        #expect(abs(q0[0] + q0[1]) < 1e-11 && abs(q0[0]) > 1e-6, "Q = \(q0[0]), reflected \(q0[1])")
        #expect(abs(qt[0] + qt[1]) < 1e-10, "flowed Q = \(qt[0]), reflected \(qt[1])")
        // The flow is the gradient flow of the Wilson action: the plaquette rises at every step. The clover E can
        // rise briefly on a rough field; past t = 0.25 it falls monotonically.
        for k in 1..<history.count {
            for c in 0..<2 { #expect(history[k].plaquette[c] > history[k - 1].plaquette[c]) }
            if history[k].t > 0.25 { #expect(history[k].energy[0] < history[k - 1].energy[0], "E(t): \(history.map { $0.energy[0] })") }
        }
        #expect(abs(history.last!.plaquette[0] - history.last!.plaquette[1]) < 1e-12)
        // Flowed links stay in SU(3).
        #expect(w.link(2, 17).unitarityDeviation < 1e-13)
    }
}
