// SU3L2HMCTests.swift — the learned SU(3) leapfrog (issue 6): links stay in SU(3), exact inverses of every
// sub-update, layer and trajectory with random weights, log|det| against the numerical Jacobian in algebra
// coordinates on 2⁴, gauge covariance, the loss gradient through a trajectory against finite differences,
// thread-count independence, and exactness with random weights (strong coupling; agreement with HMC).
import Analysis
import Autodiff
import Foundation
import HMC
import LatticeCore
import LearnedHMC
import SU3
import Testing

/// A model whose heads are far from zero (random, untrained weights that really move the dynamics).
func randomSU3Model(layers: Int = 2, gain: Double = 0.5, eps: Double = 0.12, seed: UInt64 = 3) throws -> SU3LeapfrogModel {
    try SU3LeapfrogModel(config: SU3ModelConfig(layers: layers, hidden: [8, 8], activation: "tanh", initialStepSize: eps,
                                                headGain: gain, seed: seed))
}

/// Gaussian momenta [1, 4V, 8, 8] from a seeded stream.
func randomMomenta(_ g: SU3LinkGeometry, seed: UInt64) -> Tensor {
    var r = ChainRNG(seed: seed, chain: 0)
    var s = [Double](repeating: 0, count: g.links * 64)
    s.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
    return try! Tensor(shape: g.algebraShape(blocks: 1), scalars: s)
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Double {
    zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func maxUnitarityDeviation(_ t: Tensor) -> Double {
    t.scalars.withUnsafeBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: SU3.self, capacity: buf.count / 144) { u in
            var w = 0.0
            for i in 0..<(buf.count / 144) {
                w = max(w, u[i].unitarityDeviation)
                let d = u[i].determinant
                for l in 0..<8 { w = max(w, abs(d.re[l] - 1), abs(d.im[l])) }
            }
            return w
        }
    }
}

@Suite struct SU3L2HMCDynamicsTests {
    let beta = 5.0

    func setup(shape: [Int] = [2, 2, 2, 2], seed: UInt64 = 21) throws -> (SU3LeapfrogDynamics, Tensor, Tensor) {
        let (g, u, _) = try su3HotField(shape: shape, seed: seed)
        let dyn = try SU3LeapfrogDynamics(model: randomSU3Model(), geometry: g, beta: beta, blocks: 1)
        return (dyn, u, randomMomenta(g, seed: seed))
    }

    @Test func subUpdatesStayInSU3AndInvertExactly() throws {
        let (dyn, u, p) = try setup()
        let tape = Tape()
        defer { tape.reset() }
        let params = try BoundParameters(rebinding: dyn.model.parameters, vars: dyn.model.parameters.tensors.map { tape.constant($0) })
        let uv = tape.constant(u), pv = tape.constant(p)
        for c in 0..<8 {
            let u1 = try dyn.linkUpdate(1, classIndex: c, u: uv, p: pv, params, inverse: false)
            #expect(maxUnitarityDeviation(u1.value) < 1e-13, "class \(c): links left SU(3)")
            #expect(maxDifference(u1.value, u) > 1e-3, "class \(c): the update did nothing")
            let back = try dyn.linkUpdate(1, classIndex: c, u: u1, p: pv, params, inverse: true)
            #expect(maxDifference(back.value, u) < 1e-13, "class \(c): link round trip \(maxDifference(back.value, u))")
            // Only the class moved.
            let r = dyn.geometry.classRange(mu: c / 2, parity: c % 2)
            var outside = 0.0
            for l in 0..<dyn.geometry.links where !r.contains(l) {
                for j in 0..<144 { outside = max(outside, abs(u1.value.scalars[l * 144 + j] - u.scalars[l * 144 + j])) }
            }
            #expect(outside == 0, "class \(c) changed frozen links")
        }
        let l = try dyn.loops(uv)
        let (p1, ld) = try dyn.momentumUpdate(0, u: uv, p: pv, loops: l, params, inverse: false)
        let (p0, ldInv) = try dyn.momentumUpdate(0, u: uv, p: p1, loops: l, params, inverse: true)
        #expect(maxDifference(p0.value, p) < 1e-13)
        #expect(ld.scalars.allSatisfy { abs($0) > 1e-4 }, "log-det of the momentum update is trivially zero: \(ld.scalars)")
        #expect(zip(ld.scalars, ldInv.scalars).allSatisfy { abs($0 + $1) < 1e-12 })
    }

    @Test(arguments: [SU3GaugeAction.wilson, .dbw2])
    func layerAndTrajectoryRoundTrips(action: SU3GaugeAction) throws {
        let (d0, u, p) = try setup(shape: [2, 2, 4, 2])
        let dyn = try SU3LeapfrogDynamics(model: d0.model, geometry: d0.geometry, beta: beta, action: action, blocks: 1)
        let tape = Tape()
        defer { tape.reset() }
        let params = try BoundParameters(rebinding: dyn.model.parameters, vars: dyn.model.parameters.tensors.map { tape.constant($0) })
        let uv = tape.constant(u), pv = tape.constant(p)
        let l0 = try dyn.loops(uv)
        let fwd = try dyn.layer(1, u: uv, p: pv, loops: l0, params, inverse: false)
        let inv = try dyn.layer(1, u: fwd.u, p: fwd.p, loops: fwd.loops, params, inverse: true)
        #expect(maxDifference(inv.u.value, u) < 1e-12 && maxDifference(inv.p.value, p) < 1e-12,
                "layer round trip: links \(maxDifference(inv.u.value, u)), momenta \(maxDifference(inv.p.value, p))")
        #expect(zip(fwd.logdet.scalars, inv.logdet.scalars).allSatisfy { abs($0 + $1) < 1e-11 })
        // The proposal is an involution: M(M(ξ)) = ξ, with opposite log-determinants.
        let m1 = try dyn.proposal(u: uv, p: pv, params)
        let m2 = try dyn.proposal(u: m1.u, p: m1.p, params)
        let du = maxDifference(m2.u.value, u), dp = maxDifference(m2.p.value, p)
        #expect(du < 1e-11 && dp < 1e-11, "trajectory round trip: links \(du), momenta \(dp)")
        #expect(zip(m1.logdet.scalars, m2.logdet.scalars).allSatisfy { abs($0 + $1) < 1e-10 })
        #expect(maxUnitarityDeviation(m1.u.value) < 1e-12)
    }

    /// log|det ∂F(ξ)/∂ξ| in algebra coordinates — links by U → exp(Σ ω_a T_a) U on both sides, momenta by their
    /// coordinates — from central differences (8 perturbations per evaluation, one per chain lane), against the
    /// accumulated log-det of the forward map.
    @Test(arguments: [SU3GaugeAction.wilson, .iwasaki])
    func logdetMatchesNumericalJacobian(action: SU3GaugeAction) throws {
        let (g, u, _) = try su3HotField(shape: [2, 2, 2, 2], seed: 8)
        let model = try randomSU3Model(layers: 1, gain: 0.8, eps: 0.2)
        let dyn = try SU3LeapfrogDynamics(model: model, geometry: g, beta: 2.0, action: action, blocks: 1)
        // One configuration (lane 0) copied to all lanes.
        var base = u
        for i in stride(from: 0, to: base.count, by: 8) { for l in 1..<8 { base.scalars[i + l] = base.scalars[i] } }
        var pBase = randomMomenta(g, seed: 99)
        for i in stride(from: 0, to: pBase.count, by: 8) { for l in 1..<8 { pBase.scalars[i + l] = pBase.scalars[i] } }
        let nLink = g.links * 8, n = 2 * nLink
        func forward(_ u: Tensor, _ p: Tensor) throws -> (Tensor, Tensor, [Double]) {
            let tape = Tape()
            defer { tape.reset() }
            let params = try BoundParameters(rebinding: model.parameters, vars: model.parameters.tensors.map { tape.constant($0) })
            let r = try dyn.forwardMap(u: tape.constant(u), p: tape.constant(p), params)
            return (r.u.value, r.p.value, r.logdet.scalars)
        }
        let (u0, p0, ld) = try forward(base, pBase)
        // Output coordinates of lane l relative to F(ξ0): links ω = TA-coords(U' U0'†), momenta p' − p0'.
        func coordinates(_ uo: Tensor, _ po: Tensor, lane: Int) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            uo.scalars.withUnsafeBufferPointer { a in u0.scalars.withUnsafeBufferPointer { b in
                a.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { ua in
                    b.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { ub in
                        for l in 0..<g.links {
                            let w = SU3Algebra(projecting: SU3.mulAdj(ua[l], ub[l]))
                            for a in 0..<8 { out[l * 8 + a] = w[a + 1][lane] }
                        }
                    }
                }
            } }
            for i in 0..<nLink { out[nLink + i] = po.scalars[i * 8 + lane] - p0.scalars[i * 8 + lane] }
            return out
        }
        let h = 1e-5
        var jac = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)   // jac[column][row]
        var col = 0
        while col < n {
            var plus = (base, pBase), minus = (base, pBase)
            for lane in 0..<8 where col + lane < n {
                let j = col + lane
                for (sign, state) in [(1.0, 0), (-1.0, 1)] {
                    var st = state == 0 ? plus : minus
                    if j < nLink {
                        // U_ℓ → exp(±h T_a) U_ℓ in this lane.
                        let l = j / 8, a = j % 8
                        var z = SU3Algebra.zero
                        var lanes = Lanes(); lanes[lane] = sign * h
                        z[a + 1] = lanes
                        let e = SU3.exp(z.matrix)
                        st.0.scalars.withUnsafeMutableBufferPointer { buf in
                            buf.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { m in m[l] = SU3.mul(e, m[l]) }
                        }
                    } else {
                        st.1.scalars[(j - nLink) * 8 + lane] += sign * h
                    }
                    if state == 0 { plus = st } else { minus = st }
                }
            }
            let (up, pp, _) = try forward(plus.0, plus.1), (um, pm, _) = try forward(minus.0, minus.1)
            for lane in 0..<8 where col + lane < n {
                let cp = coordinates(up, pp, lane: lane), cm = coordinates(um, pm, lane: lane)
                for r in 0..<n { jac[col + lane][r] = (cp[r] - cm[r]) / (2 * h) }
            }
            col += 8
        }
        // log|det| by Gaussian elimination with partial pivoting.
        var a = jac
        var logdet = 0.0
        for k in 0..<n {
            var piv = k
            for i in (k + 1)..<n where abs(a[i][k]) > abs(a[piv][k]) { piv = i }
            a.swapAt(k, piv)
            let d = a[k][k]
            logdet += Foundation.log(abs(d))
            for i in (k + 1)..<n {
                let f = a[i][k] / d
                if f != 0 { for j in k..<n { a[i][j] -= f * a[k][j] } }
            }
        }
        #expect(abs(ld[0]) > 0.05, "log-det too small to test: \(ld[0])")
        #expect(abs(logdet - ld[0]) < 1e-6, "\(action): numerical log|det J| = \(logdet), accumulated = \(ld[0])")
    }

    /// Gauge covariance: transforming (U, P) by Ω(n) transforms the proposal the same way, log-det unchanged.
    @Test func proposalIsGaugeCovariant() throws {
        let (g, u, ens) = try su3HotField(shape: [2, 2, 2, 2], seed: 31)
        let model = try randomSU3Model(layers: 1, gain: 0.5)
        let dyn = try SU3LeapfrogDynamics(model: model, geometry: g, beta: beta, blocks: 1)
        let p = randomMomenta(g, seed: 5)
        // Ω per site from Haar-random matrices (lane-wise different).
        var omega = [SU3](repeating: .identity, count: g.volume)
        var r = ChainRNG(seed: 77, chain: 0)
        var buf = [Double](repeating: 0, count: 12)
        for n in 0..<g.volume {
            for l in 0..<8 {
                buf.withUnsafeMutableBufferPointer { r.fillGaussian($0) }
                buf.withUnsafeBufferPointer { omega[n].setHaarRandom(lane: l, gaussians: $0.baseAddress!) }
            }
            omega[n] = omega[n].reunitarized
        }
        _ = ens
        func transform(_ u: Tensor, _ p: Tensor) -> (Tensor, Tensor) {
            var ut = u, pt = p
            ut.scalars.withUnsafeMutableBufferPointer { ub in
                pt.scalars.withUnsafeMutableBufferPointer { pb in
                    ub.baseAddress!.withMemoryRebound(to: SU3.self, capacity: g.links) { um in
                        pb.baseAddress!.withMemoryRebound(to: SU3Algebra.self, capacity: g.links) { pm in
                            for mu in 0..<4 {
                                for s in 0..<g.volume {
                                    let l = mu * g.volume + s, f = Int(g.forward[mu * g.volume + s])
                                    um[l] = SU3.mulAdj(SU3.mul(omega[s], um[l]), omega[f])
                                    pm[l] = SU3Algebra(projecting: SU3.mulAdj(SU3.mul(omega[s], pm[l].matrix), omega[s]))
                                }
                            }
                        }
                    }
                }
            }
            return (ut, pt)
        }
        func run(_ u: Tensor, _ p: Tensor) throws -> (Tensor, Tensor, [Double]) {
            let tape = Tape()
            defer { tape.reset() }
            let params = try BoundParameters(rebinding: model.parameters, vars: model.parameters.tensors.map { tape.constant($0) })
            let m = try dyn.proposal(u: tape.constant(u), p: tape.constant(p), params)
            return (m.u.value, m.p.value, m.logdet.scalars)
        }
        let (u1, p1, ld1) = try run(u, p)
        let (ut, pt) = transform(u, p)
        let (u2, p2, ld2) = try run(ut, pt)
        let (u1t, p1t) = transform(u1, p1)
        #expect(maxDifference(u2, u1t) < 1e-11 && maxDifference(p2, p1t) < 1e-11,
                "covariance: links \(maxDifference(u2, u1t)), momenta \(maxDifference(p2, p1t))")
        #expect(zip(ld1, ld2).allSatisfy { abs($0 - $1) < 1e-11 })
    }

    /// The loss gradient with respect to step sizes and network weights through a whole trajectory.
    @Test(arguments: [SU3GaugeAction.wilson, .symanzik])
    func lossGradientMatchesFiniteDifferences(action: SU3GaugeAction) throws {
        let (g, u, _) = try su3HotField(shape: [2, 2, 2, 2], seed: 12)
        let model = try randomSU3Model(layers: 1, gain: 0.3, eps: 0.15)
        let p = randomMomenta(g, seed: 4)
        let uniforms = [Double](repeating: 0.5, count: 8)
        let loss = SU3LossConfig(jumpWeight: 1, plaquetteWeight: 10, chargeWeight: 100)
        let (_, grad) = try SU3L2HMCSampler.lossAndGradient(model: model, geometry: g, beta: 1.5, action: action, u: u, p: p,
                                                            uniforms: uniforms, loss: loss)
        let names = ["layer0.log_eps_x", "layer0.log_eps_v", "layer0.v.trunk.0.weight", "layer0.x.trunk.1.bias",
                     "layer0.v.tau.weight", "layer0.x.q.weight", "layer0.v.s.logScale"]
        for name in names {
            let t = model.parameters[name]!
            for j in [0, t.count / 2] {
                func lossAt(_ d: Double) throws -> Double {
                    var m = model
                    var tt = t
                    tt.scalars[j] += d
                    try m.parameters.update(name, tt)
                    return try SU3L2HMCSampler.lossAndGradient(model: m, geometry: g, beta: 1.5, action: action, u: u, p: p,
                                                               uniforms: uniforms, loss: loss).loss
                }
                let h = 1e-5
                let fd = (try lossAt(h) - lossAt(-h)) / (2 * h)
                let an = grad[name]!.scalars[j]
                #expect(abs(an - fd) <= 1e-6 * max(1, abs(fd)), "\(action) \(name)[\(j)]: analytic \(an), finite difference \(fd)")
            }
        }
    }
}

@Suite struct SU3L2HMCSamplerTests {
    func sampler(shape: [Int], beta: Double, chains: Int, threads: Int, model: SU3LeapfrogModel, seed: UInt64 = 5,
                 action: SU3GaugeAction = .wilson) throws -> SU3L2HMCSampler {
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: chains, seed: seed, action: action)
        e.hotStart()
        // Thermalise with plain HMC (as training and evaluation do), so the tests measure exactness, not burn-in.
        let hmc = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: threads)
        for _ in 0..<20 { _ = hmc.trajectory() }
        return try SU3L2HMCSampler(ensemble: e, model: model, threads: threads)
    }

    @Test func threadCountDoesNotChangeAnything() throws {
        let model = try randomSU3Model(layers: 1)
        let a = try sampler(shape: [2, 2, 2, 2], beta: 3, chains: 16, threads: 1, model: model)
        let b = try sampler(shape: [2, 2, 2, 2], beta: 3, chains: 16, threads: 2, model: model)
        var optA: (any Optimizer)? = Adam(schedule: LearningRateSchedule(base: 1e-3)), optB: (any Optimizer)? = Adam(schedule: LearningRateSchedule(base: 1e-3))
        for _ in 0..<3 {
            let (ra, oa) = try a.step(train: optA), (rb, ob) = try b.step(train: optB)
            optA = oa; optB = ob
            #expect(ra.accepted == rb.accepted && ra.deltaH == rb.deltaH && ra.observables == rb.observables && ra.loss == rb.loss)
        }
        #expect(a.model.parameters.tensors.map(\.scalars) == b.model.parameters.tensors.map(\.scalars))
        for c in 0..<16 { #expect(a.ensemble.linkValues(chain: c) == b.ensemble.linkValues(chain: c)) }
    }

    /// Random, untrained weights: ⟨P⟩ at β = 1 against the strong-coupling series (REFERENCE §2), within 3σ.
    @Test func randomWeightsReproduceStrongCoupling() throws {
        let beta = 1.0
        let s = try sampler(shape: [2, 2, 2, 2], beta: beta, chains: 32, threads: 2,
                            model: randomSU3Model(layers: 2, gain: 0.15, eps: 0.25), seed: 17)
        var plaq: [Double] = []
        var acc = 0.0
        let n = 120
        for t in 0..<(n + 10) {
            let (r, _) = try s.step()
            if t >= 10 { plaq += r.observables[0]; acc += r.accepted.reduce(0, +) }
        }
        let g = GammaMethod.analyze(draws: n, chains: 32, values: plaq)
        let exact = beta / 18 + beta * beta / 216 - 5 * pow(beta, 4) / 93312 - 49 * pow(beta, 5) / 15_116_544
        let rate = acc / Double(n * 32)
        #expect(rate > 0.3, "acceptance \(rate)")
        #expect(abs(g.mean - exact) < 3 * g.error, "⟨P⟩ = \(g.mean) ± \(g.error), strong coupling \(exact)")
    }

    /// Random weights against plain HMC at β = 4 on 2⁴ (same lattice, independent chains), within 3σ, for the
    /// Wilson and the tree-level Symanzik action.
    @Test(arguments: [SU3GaugeAction.wilson, .symanzik])
    func randomWeightsAgreeWithHMC(action: SU3GaugeAction) throws {
        let beta = 4.0, shape = [2, 2, 2, 2]
        let s = try sampler(shape: shape, beta: beta, chains: 32, threads: 2,
                            model: randomSU3Model(layers: 2, gain: 0.15, eps: 0.15), seed: 23, action: action)
        let e = try SU3Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: 32, seed: 24, action: action)
        e.hotStart()
        let hmc = HMCDriver(ensemble: e, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10), threads: 2)
        let n = 120
        var a: [Double] = [], b: [Double] = []
        for t in 0..<(n + 30) {
            let (r, _) = try s.step()
            let h = hmc.trajectory()
            if t >= 30 { a += r.observables[0]; b += h.observables[0] }
        }
        let ga = GammaMethod.analyze(draws: n, chains: 32, values: a), gb = GammaMethod.analyze(draws: n, chains: 32, values: b)
        let sigma = (ga.error * ga.error + gb.error * gb.error).squareRoot()
        #expect(abs(ga.mean - gb.mean) < 3 * sigma, "\(action): L2HMC ⟨P⟩ = \(ga.mean) ± \(ga.error), HMC \(gb.mean) ± \(gb.error)")
    }
}
