// SU3ActionTests.swift — the rectangle-improved SU(3) actions (SU3Action.swift): force against central finite
// differences along e^{ωT_a} for every action, the rectangle staples against the rectangle sum, gauge invariance,
// rectangle = 1 on pure gauge and the exact value on a constant Abelian field, reversibility and ΔH ∝ ε² with an
// improved action, and `l2hmc run --group SU3 --action iwasaki` end to end.
import Foundation
import L2HMC
import Testing

@Suite struct SU3ActionTests {
    func hot(_ shape: [Int], action: SU3GaugeAction, beta: Double = 5.5, chains: Int = 8, seed: UInt64 = 5) throws -> SU3Ensemble {
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: chains, seed: seed, action: action)
        e.hotStart()
        return e
    }

    @Test func coefficients() {
        #expect(SU3GaugeAction.wilson.c1 == 0 && SU3GaugeAction.wilson.c0 == 1)
        #expect(abs(SU3GaugeAction.symanzik.c0 - 5.0 / 3.0) < 1e-15)
        #expect(abs(SU3GaugeAction.iwasaki.c0 - 3.648) < 1e-13)
        #expect(abs(SU3GaugeAction.dbw2.c0 - 12.2704) < 1e-12)
    }

    /// ∂S/∂ω_a = (β/6) p_a(U (c0 A + c1 A_rect)) against (S(e^{hT_a}U) − S(e^{−hT_a}U)) / 2h, on a lattice with
    /// extent-2 directions (rectangles that wrap and contain a link twice) and on one without.
    @Test(arguments: SU3GaugeAction.allCases, [[2, 2, 2, 3], [3, 4, 3, 3]])
    func forceEqualsFiniteDifference(action: SU3GaugeAction, shape: [Int]) throws {
        let e = try hot(shape, action: action)
        let blk = e.block(0)
        let v = e.lattice.volume
        let h = 1e-5
        var worst = 0.0, scale = 0.0
        for (mu, n) in [(0, 0), (1, 5 % v), (2, 11 % v), (3, 23 % v), (3, 7)] {
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
                for l in 0..<8 {
                    worst = max(worst, abs((sp[l] - sm[l]) / (2 * h) - f[a][l]))
                    scale = max(scale, abs(f[a][l]))
                }
            }
        }
        #expect(scale > 0.1)
        #expect(worst < 2e-6 * max(1, action.c0), "\(action) \(shape): max |F − dS/dω| = \(worst), max |F| = \(scale)")
    }

    /// Σ over links of Re Tr(U A_rect) = 6 × Σ Re Tr R (every rectangle has 6 links, each counted once).
    @Test func rectangleStaplesSumToSixTimesTheRectangles() throws {
        let e = try hot([3, 3, 4, 3], action: .iwasaki)
        let blk = e.block(0)
        var s = Lanes()
        for mu in 0..<4 { for n in 0..<e.lattice.volume {
            s += SU3.reTraceMul(blk.link(mu, n), blk.rectangleStaples(mu: mu, site: n))
        } }
        let r = blk.rectangleSum()
        for l in 0..<8 {
            let lhs: Double = s[l], rhs: Double = 6 * r[l]
            let tol: Double = 1e-10 * abs(rhs) + 1e-10
            #expect(abs(lhs - rhs) < tol, "lane \(l): \(lhs) vs \(rhs)")
        }
    }

    @Test(arguments: [SU3GaugeAction.symanzik, .dbw2])
    func gaugeInvarianceOfImprovedActionAndRectangle(action: SU3GaugeAction) throws {
        let e = try hot([3, 2, 3, 4], action: action, chains: 3)
        let s0 = su3Actions(e), r0 = e.block(0).rectangle()
        var rng = ChainRNG(seed: 45, chain: 0)
        for c in 0..<3 { e.gaugeTransform(chain: c, rng: &rng) }
        let s1 = su3Actions(e), r1 = e.block(0).rectangle()
        for c in 0..<3 {
            #expect(abs(s0[c] - s1[c]) < 1e-10 * abs(s0[c]), "\(s0[c]) vs \(s1[c])")
            #expect(abs(r0[c] - r1[c]) < 1e-13)
        }
    }

    @Test func pureGaugeHasUnitRectangleAndZeroAction() throws {
        let e = try SU3Ensemble(lattice: Lattice(shape: [3, 2, 3, 4]), beta: 6, chains: 5, seed: 1, action: .iwasaki)
        var rng = ChainRNG(seed: 9, chain: 0)
        for c in 0..<5 { e.gaugeTransform(chain: c, rng: &rng) }
        let r = e.block(0).rectangle()
        let s = su3Actions(e)
        for c in 0..<5 {
            #expect(abs(r[c] - 1) < 1e-13)
            #expect(abs(s[c]) < 1e-9)
        }
    }

    /// Constant Abelian flux f per plaquette: a 1×2 rectangle in that plane has phase 2f, so
    /// ⅓ Re Tr R = (1 + 2 cos 2f)/3; the 8 rectangles per site in the other planes are 1.
    @Test func constantAbelianFluxGivesTheExactRectangle() throws {
        let shape = [6, 6, 4, 4]
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: 6, chains: 4, seed: 1, action: .symanzik)
        let fluxes = [(1, 1), (1, -1), (2, 1), (0, 3)]
        for (c, f) in fluxes.enumerated() { setAbelianFlux(e, chain: c, n01: f.0, n23: f.1) }
        let obs = UnsafeMutablePointer<Lanes>.allocate(capacity: 4); defer { obs.deallocate() }
        var blk = e.block(0)
        _ = blk.measure(into: obs)
        let r = blk.rectangle()
        for (c, f) in fluxes.enumerated() {
            let f01 = 2 * Double.pi * Double(f.0) / 36, f23 = 2 * Double.pi * Double(f.1) / 16
            let exact = (2 * (1 + 2 * cos(2 * f01)) / 3 + 2 * (1 + 2 * cos(2 * f23)) / 3 + 8) / 12
            #expect(abs(r[c] - exact) < 1e-13, "chain \(c): R = \(r[c]), exact \(exact)")
            #expect(abs(obs[3][c] - exact) < 1e-13)
            let plaq = ((1 + 2 * cos(f01)) / 3 + (1 + 2 * cos(f23)) / 3 + 4) / 6
            #expect(abs(obs[0][c] - plaq) < 1e-13)
        }
    }

    @Test(arguments: [SU3GaugeAction.iwasaki, .dbw2])
    func reversibility(action: SU3GaugeAction) throws {
        let e = try hot([2, 2, 2, 3], action: action, beta: action == .dbw2 ? 0.9 : 2.5)
        var blk = e.block(0)
        blk.refreshMomenta()
        let start = (0..<4).flatMap { mu in (0..<24).map { blk.link(mu, $0) } }
        IntegratorKind.omelyan.integrate(&blk, stepSize: 0.04, steps: 10)
        blk.flipMomenta()
        IntegratorKind.omelyan.integrate(&blk, stepSize: 0.04, steps: 10)
        var worst = 0.0
        for mu in 0..<4 { for n in 0..<24 { worst = max(worst, maxAbs(blk.link(mu, n) - start[mu * 24 + n])) } }
        #expect(worst < 1e-11, "reversibility violated by \(worst)")
    }

    @Test(arguments: IntegratorKind.allCases)
    func energyErrorScalesAsEpsilonSquaredWithIwasaki(kind: IntegratorKind) throws {
        let e = try hot([2, 2, 2, 2], action: .iwasaki, beta: 0.8)
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
        #expect(abs(r[1] - 4) < 0.2, "ratios \(r), |ΔH| \(dH)")
    }

    @Test func su3RunWithIwasakiWritesTheRectangle() throws {
        let tmp = temporaryFolder("su3-iwasaki"); defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("run")
        let r = try runTool(["run", "--group", "SU3", "--action", "iwasaki", "--shape", "2x2x2x4", "--chains", "10",
                             "--beta", "2.0", "--thermalization", "3", "--trajectories", "6", "--steps", "6",
                             "--measure-every", "3", "--flow-time", "0.2", "--flow-step", "0.1", "--seed", "4",
                             "--out", out.path, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rect = try NpyArray.read(out.appendingPathComponent("data/rectangle.npy"))
        let plaq = try NpyArray.read(out.appendingPathComponent("data/plaquette.npy"))
        #expect(rect.shape == [6, 10] && plaq.shape == [6, 10])
        #expect(rect.values.allSatisfy { $0 > -1 && $0 < 1 })
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["action"] as? String == "iwasaki")
        let obs = summary["observables"] as? [String: Any]
        let rs = obs?["rectangle"] as? [String: Any]
        let mean = rect.values.reduce(0, +) / Double(rect.values.count)
        #expect(abs(((rs?["mean"] as? Double) ?? .nan) - mean) < 1e-12, "observables: \(obs?.keys.sorted() ?? [])")
    }
}

/// The SU(3) example (Examples/SU3HMCExample, product `su3-hmc-example`), run when the root package builds it.
@Suite struct SU3ExampleProgramTests {
    static var built: Bool {
        FileManager.default.isExecutableFile(atPath: productsFolder().appendingPathComponent("su3-hmc-example").path)
    }

    @Test(.enabled(if: SU3ExampleProgramTests.built, "su3-hmc-example is not a product of the package yet"))
    func su3HMCExampleRuns() throws {
        let r = try runTool([], tool: "su3-hmc-example")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.last == "done", "example output: \(r.stdout)")
        let p = lines.first { $0.hasPrefix("<P> = ") }.flatMap { Double($0.dropFirst(6).split(separator: " ")[0]) }
        #expect(p != nil && p! > 0.5 && p! < 0.6, "example output: \(r.stdout)")
    }
}
