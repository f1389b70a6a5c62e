// SU3AutodiffTests.swift — the differentiable SU(3) operations (Sources/Autodiff/SU3Ops.swift, issue 6): every
// VJP against central finite differences in the 18 real entries per link (the ops are polynomial in the entries,
// so random non-unitary matrices are valid inputs), the Fréchet derivative of exp, and the values against the
// HMC kernels (plaquette loops → force of SU3Block, action of SU3Ensemble) on a 2⁴ lattice with 8 chains.
import Autodiff
import LatticeCore
import SU3
import Testing

/// A random SU(3) link field in the L2HMC link layout, taken from a hot-started ensemble (so values are
/// unitary), plus the ensemble for comparisons.
func su3HotField(shape: [Int], seed: UInt64) throws -> (SU3LinkGeometry, Tensor, SU3Ensemble) {
    let lattice = try Lattice(shape: shape)
    let g = try SU3LinkGeometry(lattice: lattice)
    let e = try SU3Ensemble(lattice: lattice, beta: 5.0, chains: 8, seed: seed)
    e.hotStart()
    var t = Tensor.zeros(g.linkShape(blocks: 1))
    for c in 0..<8 {
        for mu in 0..<4 {
            for n in 0..<lattice.volume {
                let m = e.link(chain: c, mu: mu, site: n)
                let l = g.link(mu: mu, site: n)
                for k in 0..<9 {
                    t.scalars[(l * 18 + 2 * k) * 8 + c] = m[k].re
                    t.scalars[(l * 18 + 2 * k + 1) * 8 + c] = m[k].im
                }
            }
        }
    }
    return (g, t, e)
}

/// Directional check of a VJP: for random directions d, ⟨∇_x Σ r⊙f(x), d⟩ against the central difference of
/// Σ r⊙f(x ± h d) (a cheap alternative to the entry-by-entry check for expensive operations).
func directionalGradientError(_ x: Tensor, directions: Int = 4, seed: UInt64 = 3, h: Double = 1e-5,
                              _ f: (Var) throws -> Var) throws -> Double {
    var rng = SplitMix64(seed: seed)
    let tape = Tape()
    let xv = tape.variable(x)
    let y = try f(xv)
    let r = randomTensor(y.shape, &rng)
    let grad = try tape.gradient(of: (y * tape.constant(r)).sum(), wrt: [xv])[0]
    func loss(_ t: Tensor) throws -> Double {
        let tp = Tape()
        defer { tp.reset() }
        return zip(try f(tp.constant(t)).scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    }
    var worst = 0.0
    for _ in 0..<directions {
        let d = randomTensor(x.shape, &rng)
        let plus = try Tensor(shape: x.shape, scalars: zip(x.scalars, d.scalars).map { $0 + h * $1 })
        let minus = try Tensor(shape: x.shape, scalars: zip(x.scalars, d.scalars).map { $0 - h * $1 })
        let fd = (try loss(plus) - loss(minus)) / (2 * h)
        let an = zip(grad.scalars, d.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        worst = max(worst, abs(an - fd) / max(abs(fd), 1e-12))
    }
    return worst
}

@Suite struct SU3AutodiffTests {
    @Test func matrixOpsVJPs() throws {
        var rng = SplitMix64(seed: 11)
        let a = randomTensor([3, 18, 8], &rng), b = randomTensor([3, 18, 8], &rng)
        for (l, r) in [(false, false), (true, false), (false, true), (true, true)] {
            try expectGradient([a, b], "su3Mul(adjL: \(l), adjR: \(r))") { try $0[0].su3Mul($0[1], adjointLeft: l, adjointRight: r) }
        }
        try expectGradient([a], "su3TraceReIm") { try $0[0].su3TraceReIm() }
        try expectGradient([a], "su3ProjectTA") { try $0[0].su3ProjectTA() }
        // exp: small (MD-sized) and large (scaling and squaring) arguments.
        try expectGradient([randomTensor([2, 8, 8], &rng, in: -0.3 ... 0.3)], tolerance: 1e-7, "su3Exp small") { try $0[0].su3Exp() }
        try expectGradient([randomTensor([2, 8, 8], &rng, in: -3 ... 3)], tolerance: 1e-6, "su3Exp large") { try $0[0].su3Exp() }
        let part = randomTensor([2, 2, 18, 8], &rng), whole = randomTensor([2, 5, 18, 8], &rng)
        try expectGradient([whole, part], "replacingSlice") { try $0[0].replacingSlice(1 ..< 3, axis: 1, with: $0[1]) }
    }

    /// The fused momentum update against its definition by element-wise operations, and its VJP (all inputs).
    @Test func fusedMomentumUpdate() throws {
        var rng = SplitMix64(seed: 21)
        let m = 3
        let p = randomTensor([1, m, 8, 8], &rng), l = randomTensor([1, m, 60, 8], &rng)
        let s = randomTensor([1, m, 1, 8], &rng), q = randomTensor([1, m, 1, 8], &rng), tau = randomTensor([1, m, 6, 8], &rng)
        let eps = Tensor([0.3]), f = randomTensor([1, m, 8, 8], &rng)
        for inverse in [false, true] {
            for withForce in [false, true] {
                // Reference: the element-wise composition.
                let t = Tape()
                let pv = t.constant(p), lv = t.constant(l), sv = t.constant(s), qv = t.constant(q), tv = t.constant(tau), ev = t.constant(eps)
                let g = try lv.slice(12..<60, axis: 2).reshaped([1, m, 6, 8, 8])
                let force = withForce ? t.constant(f) : try g.sum(axis: 2)
                let tr = try (tv.reshaped([1, m, 6, 1, 8]) * g).sum(axis: 2)
                let half = try ev * 0.5
                let shift = try half * (force * (ev * qv).exp() + tr)
                let ref = inverse ? try (pv + shift) * (-(half * sv)).exp() : try pv * (half * sv).exp() - shift
                let fused = try pv.su3MomentumUpdate(loops: lv, force: withForce ? t.constant(f) : nil, s: sv, q: qv, tau: tv,
                                                     eps: ev, inverse: inverse)
                let diff = zip(ref.scalars, fused.scalars).map { abs($0 - $1) }.max()!
                #expect(diff < 1e-14, "inverse \(inverse), force \(withForce): fused differs by \(diff)")
                t.reset()
                var inputs = [p, l, s, q, tau, eps]
                if withForce { inputs.append(f) }
                try expectGradient(inputs, tolerance: 1e-7, "su3MomentumUpdate(inverse: \(inverse), force: \(withForce))") {
                    try $0[0].su3MomentumUpdate(loops: $0[1], force: withForce ? $0[6] : nil, s: $0[2], q: $0[3], tau: $0[4],
                                                eps: $0[5], inverse: inverse)
                }
            }
        }
    }

    @Test func expMatchesKernelAndIsUnitary() throws {
        var rng = SplitMix64(seed: 5)
        let z = randomTensor([4, 8, 8], &rng, in: -2 ... 2)
        let t = Tape()
        let e = try t.constant(z).su3Exp()
        let back = try t.constant(Tensor(shape: z.shape, scalars: z.scalars.map { -$0 })).su3Exp().su3Mul(e)   // exp(−X) exp(X) = 1
        var worst = 0.0
        for i in 0..<4 {
            for k in 0..<9 {
                for lane in 0..<8 {
                    let re = back.scalars[(i * 18 + 2 * k) * 8 + lane], im = back.scalars[(i * 18 + 2 * k + 1) * 8 + lane]
                    worst = max(worst, abs(re - (k % 4 == 0 ? 1 : 0)), abs(im))
                }
            }
        }
        #expect(worst < 1e-14, "exp(−X)exp(X) − 1 = \(worst)")
    }

    @Test func latticeOpsVJPs() throws {
        let (g, u, _) = try su3HotField(shape: [2, 2, 2, 2], seed: 3)
        // Perturb away from unitarity too: the VJPs hold for any complex entries.
        var rng = SplitMix64(seed: 9)
        let noise = randomTensor(u.shape, &rng, in: -0.2 ... 0.2)
        let x = try Tensor(shape: u.shape, scalars: zip(u.scalars, noise.scalars).map { $0 + $1 })
        try expectGradient([x], tolerance: 1e-6, "su3PlaquetteLoops") { try $0[0].su3PlaquetteLoops(g, beta: 5.5) }
        try expectGradient([x], tolerance: 1e-6, "su3ClassStaples(2, 1)") { try $0[0].su3ClassStaples(g, mu: 2, parity: 1) }
        try expectGradient([x], tolerance: 1e-6, "su3WilsonAction") { try $0[0].su3WilsonAction(g, beta: 5.5) }
        try expectGradient([x], tolerance: 1e-6, "su3CloverCharge") { try $0[0].su3CloverCharge(g) }
        try expectGradient([x], tolerance: 1e-6, "su3Adjoint") { try $0[0].su3Adjoint() }
        let ea = try directionalGradientError(x) { try $0.su3GaugeAction(g, beta: 5.5, action: .symanzik) }
        #expect(ea < 1e-6, "su3GaugeAction(symanzik) directional VJP error \(ea)")
        for action in [SU3GaugeAction.wilson, .iwasaki] {
            let e = try directionalGradientError(x) { try $0.su3Force(g, beta: 5.5, action: action) }
            #expect(e < 1e-6, "su3Force(\(action)) directional VJP error \(e)")
        }
    }

    @Test func valuesMatchTheHMCKernels() throws {
        let shape = [2, 4, 2, 4]
        let (g, u, e) = try su3HotField(shape: shape, seed: 4)
        let beta = 5.0
        let t = Tape()
        let uv = t.constant(u)
        // Action per chain against the ensemble's measurement.
        let s = try uv.su3WilsonAction(g, beta: beta).scalars
        var block = e.block(0)
        var obs = [Lanes](repeating: Lanes(), count: 4)
        let s0 = block.measure(into: &obs)
        for c in 0..<8 { #expect(abs(s[c] - s0[c]) < 1e-10 * abs(s0[c]), "action chain \(c): \(s[c]) vs \(s0[c])") }
        // Σ_j of the projected plaquettes = the HMC force; the traces sum to Re Tr(U A).
        let loops = try uv.su3PlaquetteLoops(g, beta: beta).scalars
        var worst = 0.0
        for mu in 0..<4 {
            for n in 0..<g.volume {
                let f = block.force(mu: mu, site: n)
                let l = g.link(mu: mu, site: n)
                for a in 0..<8 {
                    for c in 0..<8 {
                        var sum = 0.0
                        for j in 0..<6 { sum += loops[((l * 60) + 12 + 8 * j + a) * 8 + c] }
                        worst = max(worst, abs(sum - f[a + 1][c]))
                    }
                }
            }
        }
        #expect(worst < 1e-12, "force mismatch \(worst)")
        // The improved action and force equal the HMC kernels of an ensemble with the same links.
        for action in [SU3GaugeAction.wilson, .symanzik, .dbw2] {
            let ei = try SU3Ensemble(lattice: Lattice(shape: shape), beta: beta, chains: 8, seed: 4, action: action)
            ei.hotStart()
            var bi = ei.block(0)
            var o = [Lanes](repeating: Lanes(), count: 4)
            let si = bi.measure(into: &o)
            let sa = try uv.su3GaugeAction(g, beta: beta, action: action).scalars
            for c in 0..<8 { #expect(abs(sa[c] - si[c]) < 1e-10 * abs(si[c]), "\(action) action chain \(c): \(sa[c]) vs \(si[c])") }
            let fa = try uv.su3Force(g, beta: beta, action: action).scalars
            var worstF = 0.0
            for mu in 0..<4 {
                for n in 0..<g.volume {
                    let f = bi.force(mu: mu, site: n), l = g.link(mu: mu, site: n)
                    for a in 0..<8 { for c in 0..<8 { worstF = max(worstF, abs(fa[(l * 8 + a) * 8 + c] - f[a + 1][c])) } }
                }
            }
            #expect(worstF < 1e-12, "\(action) force mismatch \(worstF)")
        }
        // The differentiable clover Q equals the flow module's un-flowed measurement.
        let q = try uv.su3CloverCharge(g).scalars
        let q0 = e.cloverMeasurement(block: 0).charge
        for c in 0..<8 { #expect(abs(q[c] - q0[c]) < 1e-12, "clover Q chain \(c): \(q[c]) vs \(q0[c])") }
        // Class staples: each class's staples are those of the loops op (W_j = U S_j).
        let st = try uv.su3ClassStaples(g, mu: 1, parity: 0)
        let w = try uv.slice(g.classRange(mu: 1, parity: 0), axis: 1).reshaped([1, g.volume / 2, 1, 18, 8])
        let rep = try (w * t.constant(Tensor(repeating: 1, shape: [1, 1, 6, 1, 1]))).su3Mul(st).su3TraceReIm()
        var worstTrace = 0.0
        for (i, l) in g.classRange(mu: 1, parity: 0).enumerated() {
            for j in 0..<6 {
                for part in 0..<2 {
                    for c in 0..<8 {
                        let a = rep.scalars[(((i * 6) + j) * 2 + part) * 8 + c]
                        let b = loops[(l * 60 + 2 * j + part) * 8 + c]
                        worstTrace = max(worstTrace, abs(a - b))
                    }
                }
            }
        }
        #expect(worstTrace < 1e-13, "class staples disagree with the loops: \(worstTrace)")
    }
}
