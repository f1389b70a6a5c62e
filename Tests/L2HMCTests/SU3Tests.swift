// SU3Tests.swift — physics checks of 4D SU(3) (REFERENCE §2, §3): group algebra to round-off, exponential,
// force = finite-difference derivative along e^{ωT_a}, gauge invariance, reversibility, ΔH ∝ ε², Creutz,
// strong-coupling plaquette, thread-count independence. Seeded and deterministic.
import Foundation
import L2HMC
import Testing

/// A lane vector of Haar-random SU(3) matrices.
func randomSU3(_ rng: inout ChainRNG) -> SU3 {
    var m = SU3.identity
    var g = [Double](repeating: 0, count: 12)
    for l in 0..<8 {
        for k in 0..<12 { g[k] = rng.gaussian() }
        g.withUnsafeBufferPointer { m.setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
    }
    return m.reunitarized
}

func randomAlgebra(_ rng: inout ChainRNG, scale: Double = 1) -> SU3Algebra {
    var a = SU3Algebra.zero
    for k in 1...8 { for l in 0..<8 { a[k][l] = scale * rng.gaussian() } }
    return a
}

func maxAbs(_ m: SU3) -> Double {
    var w = 0.0
    for i in 0..<3 { for j in 0..<3 { let (r, im) = m.entry(i, j); for l in 0..<8 { w = max(w, abs(r[l]), abs(im[l])) } } }
    return w
}

func su3Actions(_ e: SU3Ensemble) -> [Double] {
    var out: [Double] = []
    let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 4)
    defer { obs.deallocate() }
    for b in 0..<e.blockCount {
        var blk = e.block(b)
        let s = blk.measure(into: obs)
        for l in 0..<blk.activeLanes { out.append(s[l]) }
    }
    return out
}

@Suite struct SU3GroupTests {
    @Test func unitarityAndDeterminantSurviveLongProducts() {
        var rng = ChainRNG(seed: 1, chain: 0)
        var m = SU3.identity
        for _ in 0..<1000 { m = SU3.mul(m, randomSU3(&rng)) }
        #expect(m.unitarityDeviation < 1e-13)
        let d = m.determinant
        for l in 0..<8 { #expect(abs(d.re[l] - 1) < 1e-13 && abs(d.im[l]) < 1e-13) }
        let h = randomSU3(&rng)
        #expect(h.unitarityDeviation < 1e-15)
    }

    @Test func exponentialMatchesConvergedSeriesAndInverts() {
        var rng = ChainRNG(seed: 2, chain: 0)
        for scale in [0.01, 0.3, 1.0, 3.0, 10.0] {
            let x = randomAlgebra(&rng, scale: scale).matrix
            let e = SU3.exp(x)
            // Reference: scaled-and-squared Taylor series with 40 terms.
            var k = 0
            var y = x
            while maxAbs(y) > 0.05 { y = 0.5 * y; k += 1 }
            var term = SU3.identity, sum = SU3.identity
            for j in 1...40 { term = (1.0 / Double(j)) * SU3.mul(term, y); sum = sum + term }
            for _ in 0..<k { sum = SU3.mul(sum, sum) }
            #expect(maxAbs(e - sum) < 2e-13 * max(1, scale), "scale \(scale): \(maxAbs(e - sum))")
            let inv = SU3.mul(SU3.exp(-1.0 * x), e)
            #expect(maxAbs(inv - SU3.identity) < 1e-14 * max(1, scale * scale), "scale \(scale)")
            #expect(e.unitarityDeviation < 1e-14 * max(1, scale * scale))
        }
    }

    @Test func algebraCoordinatesRoundTripAndNormalisation() {
        var rng = ChainRNG(seed: 3, chain: 0)
        let a = randomAlgebra(&rng)
        let b = SU3Algebra(projecting: a.matrix)
        for k in 1...8 { for l in 0..<8 { #expect(abs(a[k][l] - b[k][l]) < 1e-15) } }
        // ½ Σ p² = −Tr P²
        let m = a.matrix
        let trP2 = SU3.mul(m, m).traceRe
        for l in 0..<8 { #expect(abs(a.halfNormSquared[l] + trP2[l]) < 1e-13) }
        // Tr(T_a T_b) = −½ δ_ab
        for i in 1...8 {
            for j in 1...8 {
                var ea = SU3Algebra.zero, eb = SU3Algebra.zero
                ea[i] = Lanes(repeating: 1); eb[j] = Lanes(repeating: 1)
                let t = SU3.mul(ea.matrix, eb.matrix)
                #expect(abs(t.traceRe[0] - (i == j ? -0.5 : 0)) < 1e-15 && abs(t.traceIm[0]) < 1e-15)
            }
        }
    }
}

@Suite struct SU3PhysicsTests {
    func hotEnsemble(_ shape: [Int] = [2, 2, 2, 3], beta: Double = 5.5, chains: Int = 8, seed: UInt64 = 5) throws -> SU3Ensemble {
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: chains, seed: seed)
        e.hotStart()
        return e
    }

    @Test func forceEqualsFiniteDifferenceAlongGenerators() throws {
        let e = try hotEnsemble()
        let blk = e.block(0)
        let h = 1e-5
        var worst = 0.0
        for (mu, n) in [(0, 0), (1, 5), (2, 11), (3, 23), (3, 7)] {
            let f = blk.force(mu: mu, site: n)
            let u0 = blk.link(mu, n)
            for a in 1...8 {
                var gen = SU3Algebra.zero
                gen[a] = Lanes(repeating: h)
                blk.setLink(mu, n, SU3.mul(SU3.exp(gen.matrix), u0))
                let sp = su3Actions(e)
                blk.setLink(mu, n, SU3.mul(SU3.exp((-1.0 * gen).matrix), u0))
                let sm = su3Actions(e)
                blk.setLink(mu, n, u0)
                for l in 0..<8 { worst = max(worst, abs((sp[l] - sm[l]) / (2 * h) - f[a][l])) }
            }
        }
        #expect(worst < 1e-6, "max |F − dS/dω| = \(worst)")
    }

    @Test func gaugeInvarianceOfActionPlaquetteAndPolyakov() throws {
        let e = try hotEnsemble(chains: 3)
        let s0 = su3Actions(e)
        let p0 = e.block(0).polyakovLoop()
        var rng = ChainRNG(seed: 44, chain: 0)
        for c in 0..<3 { e.gaugeTransform(chain: c, rng: &rng) }
        let s1 = su3Actions(e)
        let p1 = e.block(0).polyakovLoop()
        for c in 0..<3 {
            #expect(abs(s0[c] - s1[c]) < 1e-10 * abs(s0[c]))
            #expect(abs(p0.re[c] - p1.re[c]) < 1e-13 && abs(p0.im[c] - p1.im[c]) < 1e-13)
        }
    }

    @Test(arguments: IntegratorKind.allCases)
    func reversibility(kind: IntegratorKind) throws {
        let e = try hotEnsemble(beta: 5.7)
        var blk = e.block(0)
        blk.refreshMomenta()
        let start = (0..<4).flatMap { mu in (0..<24).map { blk.link(mu, $0) } }
        kind.integrate(&blk, stepSize: 0.05, steps: 10)
        blk.flipMomenta()
        kind.integrate(&blk, stepSize: 0.05, steps: 10)
        var worst = 0.0
        for mu in 0..<4 { for n in 0..<24 { worst = max(worst, maxAbs(blk.link(mu, n) - start[mu * 24 + n])) } }
        #expect(worst < 1e-11, "reversibility violated by \(worst)")
    }

    @Test(arguments: IntegratorKind.allCases)
    func energyErrorScalesAsEpsilonSquared(kind: IntegratorKind) throws {
        let e = try hotEnsemble([2, 2, 2, 2], beta: 2.0)
        let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .omelyan, stepSize: 0.1, steps: 5))
        for _ in 0..<5 { _ = d.trajectory() }
        var blk = e.block(0)
        blk.refreshMomenta()
        blk.saveLinks()
        let p0 = (0..<64).map { blk.momentum($0 / 16, $0 % 16) }
        let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 4)
        defer { obs.deallocate() }
        let h0 = blk.kineticEnergy() + blk.measure(into: obs)
        var dH: [Double] = []
        for steps in [8, 16, 32] {
            blk.restoreLinks(where: LaneMask(repeating: true))
            for i in 0..<64 { for a in 1...8 { for c in 0..<8 { e.setMomentum(chain: c, mu: i / 16, site: i % 16, a, p0[i][a][c]) } } }
            kind.integrate(&blk, stepSize: 0.5 / Double(steps), steps: steps)
            let dh = blk.kineticEnergy() + blk.measure(into: obs) - h0
            dH.append((0..<8).map { abs(dh[$0]) }.reduce(0, +))
        }
        let r = [dH[0] / dH[1], dH[1] / dH[2]]
        #expect(abs(r[1] - 4) < 0.2, "ratios \(r)")
    }

    @Test func threadCountIndependence() throws {
        func run(_ threads: Int) throws -> [TrajectoryRecord] {
            let e = try hotEnsemble([2, 2, 2, 2], beta: 3.0, chains: 20, seed: 8)
            let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 4), threads: threads)
            return (0..<4).map { _ in d.trajectory() }
        }
        let a = try run(1), b = try run(2)
        for (r, s) in zip(a, b) {
            #expect(r.deltaH.map(\.bitPattern) == s.deltaH.map(\.bitPattern))
            #expect(r.observables.flatMap { $0 }.map(\.bitPattern) == s.observables.flatMap { $0 }.map(\.bitPattern))
        }
    }

    /// ⟨P⟩ at strong coupling against the character expansion (REFERENCE §2), and Creutz ⟨e^{−ΔH}⟩ = 1.
    @Test(arguments: [0.5, 1.0])
    func strongCouplingPlaquetteAndCreutz(beta: Double) throws {
        let e = try hotEnsemble([4, 4, 4, 4], beta: beta, chains: 16, seed: 31)
        let d = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .omelyan, stepSize: 0.25, steps: 4), threads: 2)
        for _ in 0..<20 { _ = d.trajectory() }
        let n = 150
        var plaq: [Double] = [], creutz: [Double] = []
        for _ in 0..<n {
            let r = d.trajectory()
            plaq += r.observables[0]
            creutz += r.deltaH.map { exp(-$0) }
        }
        let b = beta
        let series = b / 18 + b * b / 216 - 5 * pow(b, 4) / 93312 - 49 * pow(b, 5) / 15116544
        let g = GammaMethod.analyze(draws: n, chains: 16, values: plaq)
        #expect(abs(g.mean - series) < 3 * g.error, "⟨P⟩ = \(g.mean) ± \(g.error), series \(series)")
        let c = GammaMethod.analyze(draws: n, chains: 16, values: creutz)
        #expect(abs(c.mean - 1) < 3 * c.error, "⟨e^−ΔH⟩ = \(c.mean) ± \(c.error)")
    }
}
