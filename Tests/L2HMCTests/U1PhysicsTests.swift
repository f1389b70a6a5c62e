// U1PhysicsTests.swift — physics checks of 2D U(1) (REFERENCE §1, §3): force = −finite-difference derivative of
// S, gauge invariance, integer charge, reversibility, ΔH ∝ ε², Creutz, exact finite-volume values, thread-count
// independence. Seeded and deterministic.
import Foundation
import L2HMC
import Testing

/// Action per chain of an ensemble (through the measurement kernel).
func u1Actions(_ e: U1Ensemble) -> [Double] {
    var out: [Double] = []
    let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
    defer { obs.deallocate() }
    for b in 0..<e.blockCount {
        var blk = e.block(b)
        let s = blk.measure(into: obs)
        for l in 0..<blk.activeLanes { out.append(s[l]) }
    }
    return out
}

func u1Observables(_ e: U1Ensemble) -> [[Double]] {
    var out = [[Double]](repeating: [], count: 3)
    let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
    defer { obs.deallocate() }
    for b in 0..<e.blockCount {
        var blk = e.block(b)
        _ = blk.measure(into: obs)
        for k in 0..<3 { for l in 0..<blk.activeLanes { out[k].append(obs[k][l]) } }
    }
    return out
}

/// A thermalised-looking ensemble: hot start plus a few HMC trajectories.
func u1Thermalised(shape: [Int], beta: Double, chains: Int, seed: UInt64, trajectories: Int = 20) throws -> U1Ensemble {
    let e = try U1Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: chains, seed: seed)
    e.hotStart()
    let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
    for _ in 0..<trajectories { _ = d.trajectory() }
    return e
}

@Suite struct U1ForceAndSymmetryTests {
    @Test func forceEqualsFiniteDifferenceOfAction() throws {
        let e = try U1Ensemble(lattice: Lattice(shape: [4, 6]), beta: 2.3, chains: 11, seed: 7)
        e.hotStart()
        let v = e.lattice.volume
        let force = UnsafeMutablePointer<Lanes>.allocate(capacity: 2 * v)
        defer { force.deallocate() }
        let h = 1e-5
        var worst = 0.0
        for b in 0..<e.blockCount {
            e.block(b).force(into: force)
            for lane in 0..<e.block(b).activeLanes {
                let c = b * 8 + lane
                for mu in 0..<2 {
                    for n in 0..<v {
                        let x = e[chain: c, mu: mu, site: n]
                        e[chain: c, mu: mu, site: n] = x + h
                        let sp = u1Actions(e)[c]
                        e[chain: c, mu: mu, site: n] = x - h
                        let sm = u1Actions(e)[c]
                        e[chain: c, mu: mu, site: n] = x
                        let fd = (sp - sm) / (2 * h)
                        worst = max(worst, abs(fd - force[mu * v + n][lane]))
                    }
                }
            }
        }
        #expect(worst < 1e-7, "max |F − dS/dx| = \(worst)")
    }

    @Test func gaugeInvarianceOfActionPlaquetteAndCharge() throws {
        let e = try u1Thermalised(shape: [8, 6], beta: 2.0, chains: 9, seed: 3, trajectories: 5)
        let before = u1Observables(e), sBefore = u1Actions(e)
        var rng = ChainRNG(seed: 99, chain: 0)
        for c in 0..<e.chains {
            e.gaugeTransform(chain: c, alpha: (0..<e.lattice.volume).map { _ in 3 * rng.angle() })
        }
        let after = u1Observables(e), sAfter = u1Actions(e)
        for c in 0..<e.chains {
            #expect(abs(sBefore[c] - sAfter[c]) < 1e-11)
            #expect(abs(before[0][c] - after[0][c]) < 1e-13)
            #expect(before[1][c] == after[1][c])
            #expect(abs(before[2][c] - after[2][c]) < 1e-12)
        }
    }

    @Test func chargeIsIntegerAndCountsFlux() throws {
        // A configuration with k units of flux: x_1(n) = 2πk·x_0/V on every site, plus a correction on the
        // last column so that every plaquette carries 2πk/V.
        let l = 8
        let e = try U1Ensemble(lattice: Lattice(shape: [l, l]), beta: 1, chains: 3, seed: 1)
        for (c, k) in [(0, 0), (1, 1), (2, -2)] {
            let phi = 2 * Double.pi * Double(k) / Double(l * l)
            for y in 0..<l {
                for x in 0..<l {
                    let n = x + l * y
                    e[chain: c, mu: 1, site: n] = phi * Double(x)             // x_1(x, y)
                    e[chain: c, mu: 0, site: n] = x == l - 1 ? -phi * Double(l * y) : 0
                }
            }
        }
        let obs = u1Observables(e)
        #expect(obs[1] == [0, 1, -2])
        let raw = e.block(0).rawCharge()
        #expect(abs(raw[1] - 1) < 1e-12 && abs(raw[2] + 2) < 1e-12)
        // Every plaquette angle is 2πk/V: P = cos(2πk/V).
        #expect(abs(obs[0][1] - cos(2 * Double.pi / 64)) < 1e-14)
        // Q_sin = V sin(2πk/V)/2π.
        #expect(abs(obs[2][2] - 64 * sin(-4 * Double.pi / 64) / (2 * Double.pi)) < 1e-12)
    }

    @Test func wilsonLoopsAreGaugeInvariantAndReduceToThePlaquette() throws {
        let e = try u1Thermalised(shape: [6, 8], beta: 1.5, chains: 8, seed: 5, trajectories: 3)
        let plaq = u1Observables(e)[0]
        let w11 = e.block(0).wilsonLoop(r: 1, t: 1)
        let w23 = e.block(0).wilsonLoop(r: 2, t: 3)
        for c in 0..<8 { #expect(abs(w11[c] - plaq[c]) < 1e-14) }
        var rng = ChainRNG(seed: 4, chain: 1)
        for c in 0..<8 { e.gaugeTransform(chain: c, alpha: (0..<48).map { _ in rng.angle() }) }
        let w23b = e.block(0).wilsonLoop(r: 2, t: 3)
        for c in 0..<8 { #expect(abs(w23[c] - w23b[c]) < 1e-13) }
    }
}

@Suite struct U1IntegratorTests {
    /// Integrate forward, flip p, integrate again: back to the start (REFERENCE §3.1).
    @Test(arguments: IntegratorKind.allCases)
    func reversibility(kind: IntegratorKind) throws {
        let e = try u1Thermalised(shape: [8, 8], beta: 3.0, chains: 8, seed: 11, trajectories: 3)
        var blk = e.block(0)
        blk.refreshMomenta()
        let x0 = e.links(chain: 5)
        kind.integrate(&blk, stepSize: 0.05, steps: 40)
        blk.flipMomenta()
        kind.integrate(&blk, stepSize: 0.05, steps: 40)
        let x1 = e.links(chain: 5)
        let maxDiff = zip(x0, x1).map { abs($0 - $1) }.max()!
        #expect(maxDiff <= 1e-12, "reversibility violated by \(maxDiff)")
    }

    /// |ΔH(ε)| / |ΔH(ε/2)| → 4 at fixed trajectory length τ = 1 (REFERENCE §3.2).
    @Test(arguments: IntegratorKind.allCases)
    func energyErrorScalesAsEpsilonSquared(kind: IntegratorKind) throws {
        let e = try u1Thermalised(shape: [8, 8], beta: 3.0, chains: 8, seed: 12, trajectories: 10)
        var blk = e.block(0)
        blk.refreshMomenta()
        blk.saveLinks()
        let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 3)
        defer { obs.deallocate() }
        let h0 = blk.kineticEnergy() + blk.measure(into: obs)
        let p0 = (0..<8).map { c in (0..<128).map { e.momentum(chain: c, mu: $0 / 64, site: $0 % 64) } }
        var dH: [Double] = []   // Σ over the 8 chains of |ΔH|
        for steps in [32, 64, 128, 256] {
            blk.restoreLinks(where: LaneMask(repeating: true))
            for c in 0..<8 { for i in 0..<128 { e.setMomentum(chain: c, mu: i / 64, site: i % 64, p0[c][i]) } }
            kind.integrate(&blk, stepSize: 1.0 / Double(steps), steps: steps)
            let d = blk.kineticEnergy() + blk.measure(into: obs) - h0
            dH.append((0..<8).map { abs(d[$0]) }.reduce(0, +))
        }
        let ratios = (0..<3).map { dH[$0] / dH[$0 + 1] }
        #expect(abs(ratios[2] - 4) < 0.1, "ratios \(ratios)")
        #expect(abs(ratios[1] - 4) < 0.3, "ratios \(ratios)")
    }

    /// Results do not depend on the number of threads (REFERENCE §3.5).
    @Test func threadCountIndependence() throws {
        func run(threads: Int) throws -> [TrajectoryRecord] {
            let e = try U1Ensemble(lattice: Lattice(shape: [8, 4]), beta: 2.0, chains: 21, seed: 77)
            e.hotStart()
            let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .omelyan, stepSize: 0.2, steps: 5),
                              threads: threads)
            return (0..<15).map { _ in d.trajectory() }
        }
        let a = try run(threads: 1), b = try run(threads: 2), c = try run(threads: 3)
        for (x, y) in [(a, b), (a, c)] {
            for (r, s) in zip(x, y) {
                #expect(r.accepted == s.accepted)
                #expect(r.deltaH.map(\.bitPattern) == s.deltaH.map(\.bitPattern))
                #expect(r.observables.flatMap { $0 }.map(\.bitPattern) == s.observables.flatMap { $0 }.map(\.bitPattern))
            }
        }
    }

    /// A chain's history depends only on the seed and its index, not on how many chains run beside it.
    @Test func chainStreamsAreIndependentOfTheChainCount() throws {
        func run(chains: Int) throws -> [Double] {
            let e = try U1Ensemble(lattice: Lattice(shape: [4, 4]), beta: 1.0, chains: chains, seed: 5)
            e.hotStart()
            let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
            return (0..<10).map { _ in d.trajectory().observables[0][2] }
        }
        #expect(try run(chains: 3) == run(chains: 17))
    }
}

/// Long-run statistics: Γ-method errors, seeded, deterministic (REFERENCE §1, §3.3–3.4).
@Suite struct U1EquilibriumTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var l: Int, beta: Double, chains: Int, trajectories: Int
        var testDescription: String { "\(l)x\(l) β=\(beta)" }
    }

    static let cases = [
        Case(l: 4, beta: 1.0, chains: 128, trajectories: 600),
        Case(l: 4, beta: 4.0, chains: 256, trajectories: 600),
        Case(l: 8, beta: 1.0, chains: 64, trajectories: 800),
        Case(l: 8, beta: 3.0, chains: 128, trajectories: 1500),
    ]

    @Test(arguments: cases)
    func plaquetteChargeAndCreutzAgreeWithExactValues(c: Case) throws {
        let e = try U1Ensemble(lattice: Lattice(shape: [c.l, c.l]), beta: c.beta, chains: c.chains, seed: 2026)
        e.hotStart()
        let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .omelyan, stepSize: 1.0 / 6, steps: 6),
                          threads: 2)
        for _ in 0..<100 { _ = d.trajectory() }
        var plaq: [Double] = [], q2: [Double] = [], qs2: [Double] = [], creutz: [Double] = [], acc = 0.0
        for _ in 0..<c.trajectories {
            let r = d.trajectory()
            plaq += r.observables[0]
            q2 += r.observables[1].map { $0 * $0 }
            qs2 += r.observables[2].map { $0 * $0 }
            creutz += r.deltaH.map { exp(-$0) }
            acc += r.acceptanceRate / Double(c.trajectories)
        }
        let exact = try U1Exact(beta: c.beta, volume: c.l * c.l)
        let n = c.trajectories
        for (name, values, x) in [("plaquette", plaq, exact.plaquette), ("Q_int²", q2, exact.qIntSquared),
                                  ("Q_sin²", qs2, exact.qSinSquared), ("<exp(-ΔH)>", creutz, 1.0)] {
            let g = GammaMethod.analyze(draws: n, chains: c.chains, values: values)
            let pull = (g.mean - x) / g.error
            #expect(abs(pull) < 3, "\(name): \(g.mean) ± \(g.error) vs exact \(x), pull \(pull), τ_int \(g.tauInt)")
        }
        #expect(acc > 0.6)
    }
}
