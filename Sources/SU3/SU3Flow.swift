// SU3Flow.swift — Wilson (gradient) flow with Lüscher's RK3 integrator and the clover field strength:
// energy density E(t), topological charge density q(x). Works on a private copy of one block's links, so
// measuring never changes the Markov chain.
//
// Conventions (REFERENCE §2; Lüscher, JHEP 08 (2010) 071, arXiv:1006.4518):
//   V̇_μ(x) = Z(V) V_μ(x), Z = −TA(V_μ(x) A_μ(x)) (A: sum of the 6 staples), t in units of a².
//   RK3: W1 = exp(¼Z0)W0; W2 = exp(8/9 Z1 − 17/36 Z0)W1; W3 = exp(¾Z2 − 8/9 Z1 + 17/36 Z0)W2, Z_i = ε Z(W_i);
//   the running combination is kept in one buffer (low-storage form).
//   Clover: C_μν(x) = sum of the four plaquette leaves in the μν plane at x, same orientation;
//   F_μν = (C_μν − C_μν†)/(8i) made traceless (Hermitian). Writing G = iF = TA(C)/4 = Σ_a g_a T_a:
//     E(x) = ½ Σ_{μ,ν} Tr F_μν² = ½ Σ_{μ<ν} Σ_a g_a(μν)²
//     q(x) = (1/4π²) Tr[F01F23 + F02F31 + F03F12] = (1/8π²) Σ_a [g(01)g(23) − g(02)g(13) + g(03)g(12)]_a
//   Q = Σ_x q(x); E = (1/V) Σ_x E(x); t0 where t²E(t) = 0.3.
import LatticeCore

/// Flow observables of one block (8 lanes) at one flow time.
public struct FlowMeasurement: Sendable {
    public var t: Double
    /// ⟨E⟩ over sites, per lane.
    public var energy: Lanes
    /// Clover Q per lane.
    public var charge: Lanes
    /// ⟨⅓ Re Tr U_P⟩ of the flowed field per lane (the flow is the gradient flow of the Wilson action, so this
    /// increases monotonically with t for small steps).
    public var plaquette: Lanes
}

/// A Wilson-flow workspace for one block of 8 chains.
public final class SU3FlowWorkspace: @unchecked Sendable {
    let volume: Int
    let shape: [Int]
    let v: UnsafeMutablePointer<SU3>
    let z: UnsafeMutablePointer<SU3Algebra>
    let fwd: UnsafeMutablePointer<Int32>
    let bwd: UnsafeMutablePointer<Int32>
    private let owner: SU3Ensemble

    public init(ensemble: SU3Ensemble) {
        owner = ensemble
        volume = ensemble.volume
        shape = ensemble.lattice.shape
        v = .allocate(capacity: 4 * volume); v.initialize(repeating: .identity, count: 4 * volume)
        z = .allocate(capacity: 4 * volume); z.initialize(repeating: .zero, count: 4 * volume)
        fwd = ensemble.forward
        bwd = ensemble.backward
    }

    deinit { v.deallocate(); z.deallocate() }

    /// Copies block b's current links into the workspace (flow time 0).
    public func load(block b: Int) {
        v.update(from: owner.links + b * owner.linksPerBlock, count: 4 * volume)
    }

    /// The flowed link (μ, n).
    public func link(_ mu: Int, _ n: Int) -> SU3 { v[mu * volume + n] }
    public func setLink(_ mu: Int, _ n: Int, _ m: SU3) { v[mu * volume + n] = m }

    @inline(__always)
    func staples(mu: Int, site n: Int) -> SU3 {
        SU3Staples.plaquette(v, fwd: fwd, bwd: bwd, volume: volume, mu: mu, site: n)
    }

    /// One RK3 step of size ε.
    public func step(_ eps: Double) {
        let n = 4 * volume
        // stage 1: buffer = Z0; W1 = exp(¼ Z0) W0
        for i in 0..<n { z[i] = -eps * SU3Algebra(projecting: SU3.mul(v[i], staples(mu: i / volume, site: i % volume))) }
        for i in 0..<n { v[i] = SU3.mul(SU3.exp((0.25 * z[i]).matrix), v[i]) }
        // stage 2: buffer = 8/9 Z1 − 17/36 Z0; W2 = exp(buffer) W1
        for i in 0..<n {
            let z1 = -eps * SU3Algebra(projecting: SU3.mul(v[i], staples(mu: i / volume, site: i % volume)))
            z[i] = (8.0 / 9.0) * z1 + (-17.0 / 36.0) * z[i]
        }
        for i in 0..<n { v[i] = SU3.mul(SU3.exp(z[i].matrix), v[i]) }
        // stage 3: buffer = ¾ Z2 − buffer; W3 = exp(buffer) W2
        for i in 0..<n {
            let z2 = -eps * SU3Algebra(projecting: SU3.mul(v[i], staples(mu: i / volume, site: i % volume)))
            z[i] = 0.75 * z2 + -z[i]
        }
        for i in 0..<n { v[i] = SU3.mul(SU3.exp(z[i].matrix), v[i]) }
    }

    /// The clover C_μν(x) (sum of four leaves, same orientation).
    func clover(_ mu: Int, _ nu: Int, _ x: Int) -> SU3 {
        let vol = volume
        let xpm = Int(fwd[mu * vol + x]), xpn = Int(fwd[nu * vol + x])
        let xmm = Int(bwd[mu * vol + x]), xmn = Int(bwd[nu * vol + x])
        let xmmpn = Int(fwd[nu * vol + xmm]), xmmmn = Int(bwd[nu * vol + xmm]), xmnpm = Int(fwd[mu * vol + xmn])
        @inline(__always) func U(_ d: Int, _ s: Int) -> SU3 { v[d * vol + s] }
        // Q1 = U_μ(x) U_ν(x+μ) U_μ(x+ν)† U_ν(x)†
        let q1 = SU3.mulAdj(SU3.mulAdj(SU3.mul(U(mu, x), U(nu, xpm)), U(mu, xpn)), U(nu, x))
        // Q2 = U_ν(x) U_μ(x−μ+ν)† U_ν(x−μ)† U_μ(x−μ)
        let q2 = SU3.mul(SU3.mulAdj(SU3.mulAdj(U(nu, x), U(mu, xmmpn)), U(nu, xmm)), U(mu, xmm))
        // Q3 = U_μ(x−μ)† U_ν(x−μ−ν)† U_μ(x−μ−ν) U_ν(x−ν)
        let q3 = SU3.mul(SU3.adjMul(SU3.mul(U(nu, xmmmn), U(mu, xmm)), U(mu, xmmmn)), U(nu, xmn))
        // Q4 = U_ν(x−ν)† U_μ(x−ν) U_ν(x−ν+μ) U_μ(x)†
        let q4 = SU3.mulAdj(SU3.mul(SU3.adjMul(U(nu, xmn), U(mu, xmn)), U(nu, xmnpm)), U(mu, x))
        return q1 + q2 + q3 + q4
    }

    /// E (site average) and Q of the flowed field, per lane.
    public func measure(t: Double) -> FlowMeasurement {
        var e = Lanes(), q = Lanes()
        for x in 0..<volume {
            var g = [SU3Algebra](repeating: .zero, count: 6)  // planes 01 02 03 12 13 23
            var k = 0
            for mu in 0..<3 { for nu in (mu + 1)..<4 { g[k] = 0.25 * SU3Algebra(projecting: clover(mu, nu, x)); k += 1 } }
            for p in g { e += p.halfNormSquared }
            q += dot(g[0], g[5]) - dot(g[1], g[4]) + dot(g[2], g[3])
        }
        return FlowMeasurement(t: t, energy: e / Double(volume), charge: q * (1 / (8 * Double.pi * Double.pi)),
                               plaquette: plaquetteSum() / Double(18 * volume))
    }

    /// Σ over the 6V plaquettes of Re Tr U_P.
    func plaquetteSum() -> Lanes {
        let vol = volume
        var s = Lanes()
        for n in 0..<vol {
            for mu in 0..<3 {
                let nPlusMu = Int(fwd[mu * vol + n])
                for nu in (mu + 1)..<4 {
                    let m1 = SU3.mul(v[mu * vol + n], v[nu * vol + nPlusMu])
                    let m2 = SU3.mul(v[nu * vol + n], v[mu * vol + Int(fwd[nu * vol + n])])
                    s += SU3.reTraceMulAdj(m1, m2)
                }
            }
        }
        return s
    }

    @inline(__always) func dot(_ a: SU3Algebra, _ b: SU3Algebra) -> Lanes {
        var s = a.p1 * b.p1
        s = s.addingProduct(a.p2, b.p2); s = s.addingProduct(a.p3, b.p3); s = s.addingProduct(a.p4, b.p4)
        s = s.addingProduct(a.p5, b.p5); s = s.addingProduct(a.p6, b.p6); s = s.addingProduct(a.p7, b.p7)
        return s.addingProduct(a.p8, b.p8)
    }

    /// Flows block b from t = 0 to `time` in steps of `step` (last step shortened to land on `time`) and measures
    /// at t = 0 and after every step. Returns the measurements in order of t.
    public func flow(block b: Int, time: Double, step: Double) -> [FlowMeasurement] {
        load(block: b)
        var out = [measure(t: 0)]
        var t = 0.0
        while t < time - 1e-12 {
            let eps = min(step, time - t)
            self.step(eps)
            t += eps
            out.append(measure(t: t))
        }
        return out
    }
}

extension SU3Ensemble {
    /// Clover Q and E of block b at flow time 0 (un-flowed), per lane.
    public func cloverMeasurement(block b: Int) -> FlowMeasurement {
        let w = SU3FlowWorkspace(ensemble: self)
        w.load(block: b)
        return w.measure(t: 0)
    }
}
