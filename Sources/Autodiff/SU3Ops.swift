// SU3Ops.swift — 4D SU(3) lattice operations as coarse recorded operations with hand-written VJPs, running the
// SIMD kernels of the SU3 module (SU3Matrix.swift, SU3Algebra.swift, SU3Staples) directly on tensor storage.
//
// Layout ("L2HMC link layout", built by `SU3LinkGeometry`):
//   * Sites are ordered by parity: the V/2 even sites (Σx_μ even) first, then the odd ones, each in lexicographic
//     order (x_0 fastest). A link is ℓ = μ·V + slot. The links of one class (μ, parity) — the unit the L2HMC link
//     update moves at once — are the contiguous range `SU3LinkGeometry.classRange(mu:parity:)`.
//   * A link field has shape [blocks, 4V, 18, 8]: block b of 8 chains (chain c = 8b + lane), link ℓ, the 18 real
//     entries (re, im of U_00, U_01, …, U_22, row-major), lane. One [18, 8] slice is exactly one `SU3` value.
//     Any tensor of shape [..., 18, 8] is a batch of such matrices (not necessarily unitary).
//   * An algebra field has shape [..., 8, 8]: the coordinates p_1…p_8 of P = Σ p_a T_a, then the lane
//     (exactly one `SU3Algebra` per [8, 8] slice).
// Cotangent convention: for a complex matrix M the cotangent M̄ is the matrix with δf = Re Tr(M̄† δM), i.e. the
// gradient with respect to the 18 real entries, entry by entry. The chain rule below follows from it:
//   C = A·B:        Ā = C̄ B†,  B̄ = A† C̄            (and Ū = V̄† where a path uses V = U†)
//   y = Tr M:       M̄ = (ȳ_re + i ȳ_im)·1
//   p = coords of TA(M) (p_a = −2 Re Tr T_a M):   M̄ = 2 Σ_a p̄_a T_a
//   E = exp(X), X = Σ z_a T_a:   X̄ = L(X†, Ē) = L(−X, Ē),  z̄_a = ½ p_a(X̄)   (L = Fréchet derivative of exp)
// Conventions of the physics: REFERENCE §2 (T_a = iλ_a/2, S = β Σ_P (1 − ⅓ Re Tr U_P), force (β/6)·TA(U A)).
//
// Operations:
//   su3PlaquetteLoops(g, β)  [b,4V,18,8] → [b,4V,60,8]: for each link the six plaquettes W_j = U S_j that contain
//                            it (staple j: ν ≠ μ in increasing order, upper then lower), as Re Tr W_j, Im Tr W_j
//                            (features 0…11, interleaved) and (β/6)·TA-coordinates of W_j (features 12…59, j-major).
//                            Σ_j of the latter is the HMC force ∂S/∂ω of SU3Block.force.
//   su3ClassStaples(g, μ, parity)  → [b,V/2,6,18,8]: the six staples S_j of every link of one class; none of
//                            their links belongs to the class (this is what makes the L2HMC link update invertible).
//   su3WilsonAction(g, β)    → [blocks·8]: S per chain (VJP: −(β/3)·ḡ·A†, A the staple sum).
//   su3CloverCharge(g)       → [blocks·8]: the un-flowed clover Q per chain (SU3Flow.swift's definition).
//   su3GaugeAction(g, β, action), su3Force(g, β, action): any SU3GaugeAction (Wilson, Symanzik, Iwasaki, DBW2):
//                            the action per chain and the force (β/6)·TA(U (c0 A_plaq + c1 A_rect)) per link, with
//                            VJPs along the plaquette and rectangle paths (the force's VJP is a Hessian–vector product).
//   su3Adjoint: M†.
//   su3Mul, su3Exp, su3TraceReIm, su3ProjectTA: batched matrix product (optionally with adjoints), exponential of
//                            an algebra field, trace, traceless anti-Hermitian projection.
//   replacingSlice(range, axis:, with:)  (Ops on any tensor): the field with one range along an axis replaced.
import LatticeCore
import SU3

/// Site ordering and neighbour tables of the L2HMC link layout (see the file header).
public struct SU3LinkGeometry: Sendable, Equatable {
    public let lattice: Lattice
    public let volume: Int
    /// siteOfSlot[slot] = lexicographic site; slotOfSite is its inverse.
    public let siteOfSlot: [Int]
    public let slotOfSite: [Int]
    /// forward[μ·V + slot] = slot of site + μ̂; backward likewise for − μ̂.
    public let forward: [Int32]
    public let backward: [Int32]

    public init(lattice: Lattice) throws {
        guard lattice.dimensions == 4 else {
            throw ConfigurationError("SU(3) L2HMC lattice \(lattice.description) is not allowed; it must be 4-dimensional")
        }
        guard lattice.shape.allSatisfy({ $0 >= 2 && $0 % 2 == 0 }) else {
            throw ConfigurationError("SU(3) L2HMC lattice \(lattice.description) is not allowed; every extent must be even and ≥ 2 (links are updated by site parity)")
        }
        self.lattice = lattice
        let v = lattice.volume
        volume = v
        let parity = (0..<v).map { lattice.coordinates(of: $0).reduce(0, +) % 2 }
        let order = (0..<v).filter { parity[$0] == 0 } + (0..<v).filter { parity[$0] == 1 }
        siteOfSlot = order
        var inv = [Int](repeating: 0, count: v)
        for (s, n) in order.enumerated() { inv[n] = s }
        slotOfSite = inv
        var f = [Int32](repeating: 0, count: 4 * v), b = f
        for mu in 0..<4 {
            for s in 0..<v {
                let n = order[s]
                f[mu * v + s] = Int32(inv[lattice.shift(n, mu, by: 1)])
                b[mu * v + s] = Int32(inv[lattice.shift(n, mu, by: -1)])
            }
        }
        forward = f
        backward = b
    }

    public var links: Int { 4 * volume }
    /// Links of class (μ, parity): a contiguous range of link indices.
    public func classRange(mu: Int, parity: Int) -> Range<Int> {
        let lo = mu * volume + parity * (volume / 2)
        return lo ..< lo + volume / 2
    }
    /// Link index of (μ, lexicographic site n).
    public func link(mu: Int, site n: Int) -> Int { mu * volume + slotOfSite[n] }
    /// Shape of a link field of `blocks` blocks.
    public func linkShape(blocks: Int) -> [Int] { [blocks, links, 18, 8] }
    /// Shape of an algebra (momentum) field of `blocks` blocks.
    public func algebraShape(blocks: Int) -> [Int] { [blocks, links, 8, 8] }
}

// MARK: - Raw helpers on SU3 values

@inline(__always)
func withSU3<R>(_ a: [Double], _ body: (UnsafePointer<SU3>) -> R) -> R {
    a.withUnsafeBufferPointer { p in
        p.baseAddress!.withMemoryRebound(to: SU3.self, capacity: p.count / 144) { body($0) }
    }
}

@inline(__always)
func makeSU3(count n: Int, _ body: (UnsafeMutablePointer<SU3>) -> Void) -> [Double] {
    [Double](unsafeUninitializedCapacity: n * 144) { p, done in
        p.baseAddress!.withMemoryRebound(to: SU3.self, capacity: n) { body($0) }
        done = n * 144
    }
}

@inline(__always)
func withAlgebra<R>(_ a: [Double], _ body: (UnsafePointer<SU3Algebra>) -> R) -> R {
    a.withUnsafeBufferPointer { p in
        p.baseAddress!.withMemoryRebound(to: SU3Algebra.self, capacity: p.count / 64) { body($0) }
    }
}

@inline(__always)
func makeAlgebra(count n: Int, _ body: (UnsafeMutablePointer<SU3Algebra>) -> Void) -> [Double] {
    [Double](unsafeUninitializedCapacity: n * 64) { p, done in
        p.baseAddress!.withMemoryRebound(to: SU3Algebra.self, capacity: n) { body($0) }
        done = n * 64
    }
}

/// Scales the algebra element by 2 and returns its matrix 2 Σ p_a T_a — the cotangent of a TA projection.
@inline(__always)
func projectionCotangent(_ p: SU3Algebra) -> SU3 { (2.0 * p).matrix }

extension SU3 {
    /// The cotangent c·1 of a trace with cotangent (re, im).
    @inline(__always)
    static func traceCotangent(re: Lanes, im: Lanes) -> SU3 {
        var m = SU3.zero
        m.r00 = re; m.r11 = re; m.r22 = re
        m.i00 = im; m.i11 = im; m.i22 = im
        return m
    }

    /// L(A, H) = d/dt exp(A + tH) at t = 0 for any complex A (block-triangular Taylor series after scaling by 2^−s
    /// with ‖A‖_F 2^−s ≤ ½, 20 terms — truncation below 1e-22 — then s squarings (E, L) → (E², EL + LE)).
    static func expFrechet(_ a0: SU3, _ h0: SU3) -> SU3 {
        let n2 = SU3.reTraceMulAdj(a0, a0).max()
        var s = 0
        var norm = n2.squareRoot()
        while norm > 0.5 && s < 60 { norm *= 0.5; s += 1 }
        let scale = Double(sign: .plus, exponent: -s, significand: 1)
        let a = scale * a0, h = scale * h0
        var t = SU3.identity, d = SU3.zero
        var e = SU3.identity, l = SU3.zero
        for k in 1...20 {
            let inv = 1.0 / Double(k)
            let dNew = inv * (SU3.mul(a, d) + SU3.mul(h, t))
            t = inv * SU3.mul(a, t)
            d = dNew
            e += t
            l += d
        }
        for _ in 0..<s {
            l = SU3.mul(e, l) + SU3.mul(l, e)
            e = SU3.mul(e, e)
        }
        return l
    }
}

/// Cotangents of the links of a path product W = V_1 ⋯ V_k (V_i = U_i or U_i† if `dagger[i]`), given W̄:
/// V̄_i = (V_1⋯V_{i−1})† W̄ (V_{i+1}⋯V_k)†, and Ū_i = V̄_i or V̄_i†. Accumulated into `grad` at `index[i]`.
@inline(__always)
func accumulatePathCotangent(_ u: UnsafePointer<SU3>, _ index: [Int], _ dagger: [Bool], _ wbar: SU3,
                             into grad: UnsafeMutablePointer<SU3>) {
    let k = index.count
    var v = [SU3](repeating: .zero, count: k)
    for i in 0..<k { v[i] = dagger[i] ? u[index[i]].adjoint : u[index[i]] }
    // suffix[i] = V_i ⋯ V_{k−1}
    var suffix = [SU3](repeating: .identity, count: k + 1)
    for i in stride(from: k - 1, through: 0, by: -1) { suffix[i] = i == k - 1 ? v[i] : SU3.mul(v[i], suffix[i + 1]) }
    var prefix = SU3.identity
    for i in 0..<k {
        // V̄_i = prefix† W̄ suffix[i+1]†
        var vbar = i == 0 ? wbar : SU3.adjMul(prefix, wbar)
        if i + 1 < k { vbar = SU3.mulAdj(vbar, suffix[i + 1]) }
        grad[index[i]] += dagger[i] ? vbar.adjoint : vbar
        prefix = i == 0 ? v[0] : SU3.mul(prefix, v[i])
    }
}

/// The links of plaquette j of link (μ, slot n) starting with U_μ(n): indices and dagger flags.
@inline(__always)
func plaquettePath(_ g: SU3LinkGeometry, mu: Int, slot n: Int, staple j: Int) -> ([Int], [Bool]) {
    let v = g.volume
    let nus = (0..<4).filter { $0 != mu }
    let nu = nus[j / 2]
    let nPlusMu = Int(g.forward[mu * v + n])
    if j % 2 == 0 {
        let nPlusNu = Int(g.forward[nu * v + n])
        // U_μ(n) U_ν(n+μ) U_μ(n+ν)† U_ν(n)†
        return ([mu * v + n, nu * v + nPlusMu, mu * v + nPlusNu, nu * v + n], [false, false, true, true])
    } else {
        let nMinusNu = Int(g.backward[nu * v + n])
        let nPlusMuMinusNu = Int(g.backward[nu * v + nPlusMu])
        // U_μ(n) U_ν(n+μ−ν)† U_μ(n−ν)† U_ν(n−ν)
        return ([mu * v + n, nu * v + nPlusMuMinusNu, mu * v + nMinusNu, nu * v + nMinusNu], [false, true, true, false])
    }
}

/// The six staples S_j of link (μ, n) in the order of `plaquettePath` (W_j = U_μ(n) S_j).
@inline(__always)
func sixStaples(_ u: UnsafePointer<SU3>, _ g: SU3LinkGeometry, mu: Int, slot n: Int) -> [SU3] {
    var out = [SU3](repeating: .zero, count: 6)
    let v = g.volume
    let nPlusMu = Int(g.forward[mu * v + n])
    var j = 0
    for nu in 0..<4 where nu != mu {
        let nPlusNu = Int(g.forward[nu * v + n])
        let nMinusNu = Int(g.backward[nu * v + n])
        let nPlusMuMinusNu = Int(g.backward[nu * v + nPlusMu])
        out[j] = SU3.mulAdj(SU3.mulAdj(u[nu * v + nPlusMu], u[mu * v + nPlusNu]), u[nu * v + n])
        out[j + 1] = SU3.adjMul(SU3.mul(u[mu * v + nMinusNu], u[nu * v + nPlusMuMinusNu]), u[nu * v + nMinusNu])
        j += 2
    }
    return out
}

extension Var {
    func su3LinkGeometry(_ op: String, _ g: SU3LinkGeometry) throws -> Int {
        try tape.check(op, self)
        let s = shape
        guard s.count == 4, s[1] == g.links, s[2] == 18, s[3] == 8 else {
            throw AutodiffError("\(op): link field must have shape [blocks, \(g.links), 18, 8], got \(Tensor.format(s))")
        }
        return s[0]
    }

    func su3Batch(_ op: String, inner: Int) throws -> Int {
        try tape.check(op, self)
        let s = shape
        guard s.count >= 2, s[s.count - 1] == 8, s[s.count - 2] == inner else {
            throw AutodiffError("\(op): expected a shape [..., \(inner), 8], got \(Tensor.format(s))")
        }
        return s.dropLast(2).reduce(1, *)
    }

    // MARK: Lattice operations

    /// The six plaquettes containing each link: traces and (β/6)-scaled TA coordinates (see the file header).
    public func su3PlaquetteLoops(_ g: SU3LinkGeometry, beta: Double) throws -> Var {
        let nb = try su3LinkGeometry("su3PlaquetteLoops", g)
        let m = g.links, x = self, xs = scalars
        let c = beta / 6
        let y = withSU3(xs) { u in
            makeLanes(count: nb * m * 60) { out in
                for b in 0..<nb {
                    let ub = u + b * m
                    for mu in 0..<4 {
                        for n in 0..<g.volume {
                            let l = mu * g.volume + n
                            let st = sixStaples(ub, g, mu: mu, slot: n)
                            let o = out + (b * m + l) * 60
                            for j in 0..<6 {
                                let w = SU3.mul(ub[l], st[j])
                                o[2 * j] = w.traceRe
                                o[2 * j + 1] = w.traceIm
                                UnsafeMutableRawPointer(o + 12 + 8 * j).assumingMemoryBound(to: SU3Algebra.self).pointee =
                                    c * SU3Algebra(projecting: w)
                            }
                        }
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb, m, 60, 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withLanes(gr.scalars) { pg in
                    makeSU3(count: nb * m) { out in
                        out.initialize(repeating: .zero, count: nb * m)
                        for b in 0..<nb {
                            for mu in 0..<4 {
                                for n in 0..<g.volume {
                                    let l = mu * g.volume + n
                                    let o = pg + (b * m + l) * 60
                                    for j in 0..<6 {
                                        let pb = UnsafeRawPointer(o + 12 + 8 * j).assumingMemoryBound(to: SU3Algebra.self).pointee
                                        let wbar = SU3.traceCotangent(re: o[2 * j], im: o[2 * j + 1]) + projectionCotangent(c * pb)
                                        let (idx, dag) = plaquettePath(g, mu: mu, slot: n, staple: j)
                                        accumulatePathCotangent(u + b * m, idx, dag, wbar, into: out + b * m)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// The six staples of every link of class (μ, parity): shape [blocks, V/2, 6, 18, 8].
    public func su3ClassStaples(_ g: SU3LinkGeometry, mu: Int, parity: Int) throws -> Var {
        let nb = try su3LinkGeometry("su3ClassStaples", g)
        guard (0..<4).contains(mu), (0..<2).contains(parity) else {
            throw AutodiffError("su3ClassStaples: class (μ = \(mu), parity = \(parity)) is out of range (μ 0…3, parity 0…1)")
        }
        let m = g.links, x = self, xs = scalars
        let range = g.classRange(mu: mu, parity: parity)
        let h = range.count
        let y = withSU3(xs) { u in
            makeSU3(count: nb * h * 6) { out in
                for b in 0..<nb {
                    for (i, l) in range.enumerated() {
                        let st = sixStaples(u + b * m, g, mu: mu, slot: l - mu * g.volume)
                        for j in 0..<6 { out[(b * h + i) * 6 + j] = st[j] }
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb, h, 6, 18, 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withSU3(gr.scalars) { pg in
                    makeSU3(count: nb * m) { out in
                        out.initialize(repeating: .zero, count: nb * m)
                        for b in 0..<nb {
                            for (i, l) in range.enumerated() {
                                for j in 0..<6 {
                                    let (idx, dag) = plaquettePath(g, mu: mu, slot: l - mu * g.volume, staple: j)
                                    accumulatePathCotangent(u + b * m, Array(idx.dropFirst()), Array(dag.dropFirst()),
                                                            pg[(b * h + i) * 6 + j], into: out + b * m)
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// Wilson action S = β Σ_P (1 − ⅓ Re Tr U_P) per chain, shape [blocks·8].
    public func su3WilsonAction(_ g: SU3LinkGeometry, beta: Double) throws -> Var {
        let nb = try su3LinkGeometry("su3WilsonAction", g)
        let m = g.links, v = g.volume, x = self, xs = scalars
        // Σ_ℓ Re Tr(U_ℓ A_ℓ) counts every plaquette 4 times.
        let y = withSU3(xs) { u in
            g.forward.withUnsafeBufferPointer { f in
                g.backward.withUnsafeBufferPointer { bk in
                    makeLanes(count: nb) { out in
                        let fp = UnsafeMutablePointer(mutating: f.baseAddress!), bp = UnsafeMutablePointer(mutating: bk.baseAddress!)
                        for b in 0..<nb {
                            let ub = UnsafeMutablePointer(mutating: u + b * m)
                            var s = Lanes()
                            for l in 0..<m {
                                let a = SU3Staples.plaquette(ub, fwd: fp, bwd: bp, volume: v, mu: l / v, site: l % v)
                                s += SU3.reTraceMul(ub[l], a)
                            }
                            out[b] = beta * (Lanes(repeating: Double(6 * v)) - s * (1.0 / 12))
                        }
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb * 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withLanes(gr.scalars) { pg in
                    g.forward.withUnsafeBufferPointer { f in
                        g.backward.withUnsafeBufferPointer { bk in
                            makeSU3(count: nb * m) { out in
                                let fp = UnsafeMutablePointer(mutating: f.baseAddress!), bp = UnsafeMutablePointer(mutating: bk.baseAddress!)
                                for b in 0..<nb {
                                    let ub = UnsafeMutablePointer(mutating: u + b * m)
                                    let c = (-beta / 3) * pg[b]
                                    for l in 0..<m {
                                        let a = SU3Staples.plaquette(ub, fwd: fp, bwd: bp, volume: v, mu: l / v, site: l % v)
                                        out[b * m + l] = c * a.adjoint
                                    }
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    // MARK: Matrix operations on [..., 18, 8]

    /// Batched product op(self)·op(other) of two matrix tensors of the same shape [..., 18, 8].
    public func su3Mul(_ other: Var, adjointLeft: Bool = false, adjointRight: Bool = false) throws -> Var {
        let n = try su3Batch("su3Mul", inner: 18)
        try tape.check("su3Mul", self, other)
        guard other.shape == shape else { throw AutodiffError.shapes("su3Mul", shape, other.shape) }
        let a = self, b = other, aS = scalars, bS = other.scalars
        @inline(__always) func op(_ m: SU3, _ adj: Bool) -> SU3 { adj ? m.adjoint : m }
        let y = withSU3(aS) { pa in withSU3(bS) { pb in
            makeSU3(count: n) { out in
                for i in 0..<n { out[i] = SU3.mul(op(pa[i], adjointLeft), op(pb[i], adjointRight)) }
            }
        } }
        return tape.record(Tensor(unchecked: shape, y), [a, b], saved: a.value.bytes + b.value.bytes) { g, acc in
            withSU3(aS) { pa in withSU3(bS) { pb in withSU3(g.scalars) { pg in
                if a.requiresGrad {
                    // Â̄ = C̄ B̂†
                    let d = makeSU3(count: n) { out in
                        for i in 0..<n {
                            let abar = SU3.mulAdj(pg[i], op(pb[i], adjointRight))
                            out[i] = adjointLeft ? abar.adjoint : abar
                        }
                    }
                    acc.add(a, Tensor(unchecked: a.shape, d))
                }
                if b.requiresGrad {
                    // B̂̄ = Â† C̄
                    let d = makeSU3(count: n) { out in
                        for i in 0..<n {
                            let bbar = SU3.adjMul(op(pa[i], adjointLeft), pg[i])
                            out[i] = adjointRight ? bbar.adjoint : bbar
                        }
                    }
                    acc.add(b, Tensor(unchecked: b.shape, d))
                }
            } } }
        }
    }

    /// exp(Σ z_a T_a) of an algebra tensor [..., 8, 8] → matrices [..., 18, 8] (SU3.exp, exact to round-off).
    public func su3Exp() throws -> Var {
        let n = try su3Batch("su3Exp", inner: 8)
        let x = self, xs = scalars
        let y = withAlgebra(xs) { z in makeSU3(count: n) { out in for i in 0..<n { out[i] = SU3.exp(z[i].matrix) } } }
        let outShape = Array(shape.dropLast(2)) + [18, 8]
        return tape.record(Tensor(unchecked: outShape, y), [x], saved: x.value.bytes) { g, acc in
            let d = withAlgebra(xs) { z in withSU3(g.scalars) { pg in
                makeAlgebra(count: n) { out in
                    for i in 0..<n {
                        let xbar = SU3.expFrechet(-1.0 * z[i].matrix, pg[i])
                        out[i] = 0.5 * SU3Algebra(projecting: xbar)
                    }
                }
            } }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// (Re Tr M, Im Tr M) of a matrix tensor [..., 18, 8] → [..., 2, 8].
    public func su3TraceReIm() throws -> Var {
        let n = try su3Batch("su3TraceReIm", inner: 18)
        let x = self
        let y = withSU3(scalars) { m in
            makeLanes(count: 2 * n) { out in for i in 0..<n { out[2 * i] = m[i].traceRe; out[2 * i + 1] = m[i].traceIm } }
        }
        return tape.record(Tensor(unchecked: Array(shape.dropLast(2)) + [2, 8], y), [x], saved: 0) { g, acc in
            let d = withLanes(g.scalars) { pg in
                makeSU3(count: n) { out in for i in 0..<n { out[i] = SU3.traceCotangent(re: pg[2 * i], im: pg[2 * i + 1]) } }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// Coordinates p_a = −2 Re Tr(T_a M) of TA(M) for a matrix tensor [..., 18, 8] → [..., 8, 8].
    public func su3ProjectTA() throws -> Var {
        let n = try su3Batch("su3ProjectTA", inner: 18)
        let x = self
        let y = withSU3(scalars) { m in makeAlgebra(count: n) { out in for i in 0..<n { out[i] = SU3Algebra(projecting: m[i]) } } }
        return tape.record(Tensor(unchecked: Array(shape.dropLast(2)) + [8, 8], y), [x], saved: 0) { g, acc in
            let d = withAlgebra(g.scalars) { pg in makeSU3(count: n) { out in for i in 0..<n { out[i] = projectionCotangent(pg[i]) } } }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// The tensor with elements `range` along `axis` replaced by `part` (same shape as that slice).
    public func replacingSlice(_ range: Range<Int>, axis: Int, with part: Var) throws -> Var {
        try tape.check("replacingSlice", self, part)
        let shape = self.shape
        let a = try normaliseAxis("replacingSlice", axis, rank: shape.count, shape: shape)
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw AutodiffError("replacingSlice: range \(range) is out of bounds for axis \(a) of shape \(Tensor.format(shape))")
        }
        var partShape = shape
        partShape[a] = range.count
        guard part.shape == partShape else { throw AutodiffError.shapes("replacingSlice", part.shape, partShape) }
        let (outer, n, inner) = splitShape(shape, a)
        let m = range.count, lo = range.lowerBound
        var y = scalars
        let ps = part.scalars
        y.withUnsafeMutableBufferPointer { o in
            for i in 0..<outer { for j in 0..<(m * inner) { o[(i * n + lo) * inner + j] = ps[i * m * inner + j] } }
        }
        let base = self
        return tape.record(Tensor(unchecked: shape, y), [base, part], saved: 0) { g, acc in
            let gs = g.scalars
            if base.requiresGrad {
                var d = gs
                d.withUnsafeMutableBufferPointer { o in
                    for i in 0..<outer { for j in 0..<(m * inner) { o[(i * n + lo) * inner + j] = 0 } }
                }
                acc.add(base, Tensor(unchecked: shape, d))
            }
            if part.requiresGrad {
                var d = [Double](repeating: 0, count: outer * m * inner)
                d.withUnsafeMutableBufferPointer { o in
                    for i in 0..<outer { for j in 0..<(m * inner) { o[i * m * inner + j] = gs[(i * n + lo) * inner + j] } }
                }
                acc.add(part, Tensor(unchecked: partShape, d))
            }
        }
    }
}

// MARK: - Clover topological charge (un-flowed, differentiable)

/// The four leaves of the clover C_μν(x) in SU3Flow.swift's order and orientation, as paths (link, dagger).
func cloverLeaves(_ g: SU3LinkGeometry, _ mu: Int, _ nu: Int, slot x: Int) -> [([Int], [Bool])] {
    let v = g.volume
    @inline(__always) func f(_ d: Int, _ s: Int) -> Int { Int(g.forward[d * v + s]) }
    @inline(__always) func b(_ d: Int, _ s: Int) -> Int { Int(g.backward[d * v + s]) }
    let xpm = f(mu, x), xpn = f(nu, x), xmm = b(mu, x), xmn = b(nu, x)
    let xmmpn = f(nu, xmm), xmmmn = b(nu, xmm), xmnpm = f(mu, xmn)
    return [
        ([mu * v + x, nu * v + xpm, mu * v + xpn, nu * v + x], [false, false, true, true]),
        ([nu * v + x, mu * v + xmmpn, nu * v + xmm, mu * v + xmm], [false, true, true, false]),
        ([mu * v + xmm, nu * v + xmmmn, mu * v + xmmmn, nu * v + xmn], [true, true, false, false]),
        ([nu * v + xmn, mu * v + xmn, nu * v + xmnpm, mu * v + x], [true, false, false, true]),
    ]
}

@inline(__always)
func pathProduct(_ u: UnsafePointer<SU3>, _ index: [Int], _ dagger: [Bool]) -> SU3 {
    var m = dagger[0] ? u[index[0]].adjoint : u[index[0]]
    for i in 1..<index.count { m = dagger[i] ? SU3.mulAdj(m, u[index[i]]) : SU3.mul(m, u[index[i]]) }
    return m
}

@inline(__always)
func algebraDot(_ a: SU3Algebra, _ b: SU3Algebra) -> Lanes {
    var s = a.p1 * b.p1
    s = s.addingProduct(a.p2, b.p2); s = s.addingProduct(a.p3, b.p3); s = s.addingProduct(a.p4, b.p4)
    s = s.addingProduct(a.p5, b.p5); s = s.addingProduct(a.p6, b.p6); s = s.addingProduct(a.p7, b.p7)
    return s.addingProduct(a.p8, b.p8)
}

extension Var {
    /// Un-flowed clover topological charge Q per chain, shape [blocks·8] (SU3Flow.swift's definition:
    /// q(x) = (1/8π²) Σ_a [g(01)g(23) − g(02)g(13) + g(03)g(12)]_a with g(μν) = ¼·TA-coordinates of C_μν(x)).
    public func su3CloverCharge(_ g: SU3LinkGeometry) throws -> Var {
        let nb = try su3LinkGeometry("su3CloverCharge", g)
        let m = g.links, v = g.volume, x = self, xs = scalars
        let planes = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        let norm = 1 / (8 * Double.pi * Double.pi)
        func fieldStrengths(_ u: UnsafePointer<SU3>, _ site: Int) -> [SU3Algebra] {
            planes.map { (mu, nu) in
                var c = SU3.zero
                for (idx, dag) in cloverLeaves(g, mu, nu, slot: site) { c += pathProduct(u, idx, dag) }
                return 0.25 * SU3Algebra(projecting: c)
            }
        }
        let y = withSU3(xs) { u in
            makeLanes(count: nb) { out in
                for b in 0..<nb {
                    var q = Lanes()
                    for s in 0..<v {
                        let f = fieldStrengths(u + b * m, s)
                        q += algebraDot(f[0], f[5]) - algebraDot(f[1], f[4]) + algebraDot(f[2], f[3])
                    }
                    out[b] = norm * q
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb * 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withLanes(gr.scalars) { pg in
                    makeSU3(count: nb * m) { out in
                        out.initialize(repeating: .zero, count: nb * m)
                        for b in 0..<nb {
                            let c = norm * pg[b]
                            let ub = u + b * m
                            for s in 0..<v {
                                let f = fieldStrengths(ub, s)
                                // ∂q/∂g: partners (01↔23, +), (02↔13, −), (03↔12, +)
                                let partner = [5, 4, 3, 2, 1, 0], sign: [Double] = [1, -1, 1, 1, -1, 1]
                                for (k, (mu, nu)) in planes.enumerated() {
                                    var gbar = f[partner[k]]
                                    let scale = c * sign[k]
                                    gbar = SU3Algebra(scale * gbar.p1, scale * gbar.p2, scale * gbar.p3, scale * gbar.p4,
                                                      scale * gbar.p5, scale * gbar.p6, scale * gbar.p7, scale * gbar.p8)
                                    let cbar = projectionCotangent(0.25 * gbar)
                                    for (idx, dag) in cloverLeaves(g, mu, nu, slot: s) {
                                        accumulatePathCotangent(ub, idx, dag, cbar, into: out + b * m)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }
}

// MARK: - Rectangle-improved actions (Symanzik, Iwasaki, DBW2) and the improved force, differentiable

/// The 18 rectangle staples of link (μ, slot x) as paths after U_μ(x) (SU3Action.swift's A1up…A3dn per ν ≠ μ), so
/// that U_μ(x)·(path product) runs around one 1×2 rectangle containing the link; Re Tr(U A_rect) = Σ of those.
func rectangleStaplePaths(_ g: SU3LinkGeometry, mu: Int, slot x: Int) -> [([Int], [Bool])] {
    let v = g.volume
    @inline(__always) func f(_ d: Int, _ s: Int) -> Int { Int(g.forward[d * v + s]) }
    @inline(__always) func b(_ d: Int, _ s: Int) -> Int { Int(g.backward[d * v + s]) }
    @inline(__always) func l(_ d: Int, _ s: Int) -> Int { d * v + s }
    let xpm = f(mu, x), xmm = b(mu, x), xp2m = f(mu, xpm)
    var out: [([Int], [Bool])] = []
    for nu in 0..<4 where nu != mu {
        let xpn = f(nu, x), xmn = b(nu, x)
        let xpmpn = f(nu, xpm), xpmmn = b(nu, xpm)
        let xmmpn = f(nu, xmm), xmmmn = b(nu, xmm)
        let xp2mmn = b(nu, xp2m), xp2n = f(nu, xpn), xm2n = b(nu, xmn), xpmm2n = b(nu, xpmmn)
        // A1up = U_μ(x+μ) U_ν(x+2μ) U_μ(x+μ+ν)† U_μ(x+ν)† U_ν(x)†
        out.append(([l(mu, xpm), l(nu, xp2m), l(mu, xpmpn), l(mu, xpn), l(nu, x)], [false, false, true, true, true]))
        // A2up = U_ν(x+μ) U_μ(x+ν)† U_μ(x−μ+ν)† U_ν(x−μ)† U_μ(x−μ)
        out.append(([l(nu, xpm), l(mu, xpn), l(mu, xmmpn), l(nu, xmm), l(mu, xmm)], [false, true, true, true, false]))
        // A3up = U_ν(x+μ) U_ν(x+μ+ν) U_μ(x+2ν)† U_ν(x+ν)† U_ν(x)†
        out.append(([l(nu, xpm), l(nu, xpmpn), l(mu, xp2n), l(nu, xpn), l(nu, x)], [false, false, true, true, true]))
        // A1dn = U_μ(x+μ) U_ν(x+2μ−ν)† U_μ(x+μ−ν)† U_μ(x−ν)† U_ν(x−ν)
        out.append(([l(mu, xpm), l(nu, xp2mmn), l(mu, xpmmn), l(mu, xmn), l(nu, xmn)], [false, true, true, true, false]))
        // A2dn = U_ν(x+μ−ν)† U_μ(x−ν)† U_μ(x−μ−ν)† U_ν(x−μ−ν) U_μ(x−μ)
        out.append(([l(nu, xpmmn), l(mu, xmn), l(mu, xmmmn), l(nu, xmmmn), l(mu, xmm)], [true, true, true, false, false]))
        // A3dn = U_ν(x+μ−ν)† U_ν(x+μ−2ν)† U_μ(x−2ν)† U_ν(x−2ν) U_ν(x−ν)
        out.append(([l(nu, xpmmn), l(nu, xpmm2n), l(mu, xm2n), l(nu, xm2n), l(nu, xmn)], [true, true, true, false, false]))
    }
    return out
}

/// The six plaquette staples of link (μ, slot x) as paths after U_μ(x) (same order as `plaquettePath`).
func plaquetteStaplePaths(_ g: SU3LinkGeometry, mu: Int, slot x: Int) -> [([Int], [Bool])] {
    (0..<6).map { j in
        let (idx, dag) = plaquettePath(g, mu: mu, slot: x, staple: j)
        return (Array(idx.dropFirst()), Array(dag.dropFirst()))
    }
}

/// c0·A_plaq + c1·A_rect of link (μ, slot x) from the paths (equals SU3Block.improvedStaples up to rounding).
func improvedStapleSum(_ u: UnsafePointer<SU3>, _ g: SU3LinkGeometry, mu: Int, slot x: Int, c0: Double, c1: Double) -> SU3 {
    var ap = SU3.zero, ar = SU3.zero
    for (idx, dag) in plaquetteStaplePaths(g, mu: mu, slot: x) { ap += pathProduct(u, idx, dag) }
    if c1 != 0 { for (idx, dag) in rectangleStaplePaths(g, mu: mu, slot: x) { ar += pathProduct(u, idx, dag) } }
    return SU3.combine(c0, ap, c1, ar)
}

extension Var {
    /// Gauge action S = β[c0 Σ_P (1 − ⅓ Re Tr P) + c1 Σ_R (1 − ⅓ Re Tr R)] per chain (SU3Action.swift), shape
    /// [blocks·8]; VJP −(β/3)·ḡ·(c0 A_plaq + c1 A_rect)†. For the Wilson action this is `su3WilsonAction`.
    public func su3GaugeAction(_ g: SU3LinkGeometry, beta: Double, action: SU3GaugeAction) throws -> Var {
        if action == .wilson { return try su3WilsonAction(g, beta: beta) }
        let nb = try su3LinkGeometry("su3GaugeAction", g)
        let m = g.links, v = g.volume, x = self, xs = scalars
        let c0 = action.c0, c1 = action.c1
        let y = withSU3(xs) { u in
            makeLanes(count: nb) { out in
                for b in 0..<nb {
                    var sp = Lanes(), sr = Lanes()
                    let ub = u + b * m
                    for l in 0..<m {
                        let mu = l / v, s = l % v
                        sp += SU3.reTraceMul(ub[l], improvedStapleSum(ub, g, mu: mu, slot: s, c0: 1, c1: 0))
                        sr += SU3.reTraceMul(ub[l], improvedStapleSum(ub, g, mu: mu, slot: s, c0: 0, c1: 1))
                    }
                    // Σ_ℓ Re Tr(U A_plaq) = 4 Σ_P, Σ_ℓ Re Tr(U A_rect) = 6 Σ_R.
                    let plaq = Lanes(repeating: Double(6 * v)) - sp * (1.0 / 12)
                    let rect = Lanes(repeating: Double(12 * v)) - sr * (1.0 / 18)
                    out[b] = beta * (c0 * plaq + c1 * rect)
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb * 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withLanes(gr.scalars) { pg in
                    makeSU3(count: nb * m) { out in
                        for b in 0..<nb {
                            let ub = u + b * m
                            let c = (-beta / 3) * pg[b]
                            for l in 0..<m {
                                out[b * m + l] = c * improvedStapleSum(ub, g, mu: l / v, slot: l % v, c0: c0, c1: c1).adjoint
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// The force ∂S/∂ω_a = (β/6)·p_a(U·(c0 A_plaq + c1 A_rect)) of every link, shape [blocks, 4V, 8, 8] (for the
    /// Wilson action it equals Σ_j of the force components of `su3PlaquetteLoops`). The VJP differentiates every
    /// loop U·staple along its path (a Hessian–vector product).
    public func su3Force(_ g: SU3LinkGeometry, beta: Double, action: SU3GaugeAction) throws -> Var {
        let nb = try su3LinkGeometry("su3Force", g)
        let m = g.links, v = g.volume, x = self, xs = scalars
        let c0 = action.c0, c1 = action.c1, c = beta / 6
        let y = withSU3(xs) { u in
            makeAlgebra(count: nb * m) { out in
                for b in 0..<nb {
                    let ub = u + b * m
                    for l in 0..<m {
                        let a = improvedStapleSum(ub, g, mu: l / v, slot: l % v, c0: c0, c1: c1)
                        out[b * m + l] = c * SU3Algebra(projecting: SU3.mul(ub[l], a))
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb, m, 8, 8], y), [x], saved: x.value.bytes) { gr, acc in
            let d = withSU3(xs) { u in
                withAlgebra(gr.scalars) { pg in
                    makeSU3(count: nb * m) { out in
                        out.initialize(repeating: .zero, count: nb * m)
                        for b in 0..<nb {
                            let ub = u + b * m
                            for l in 0..<m {
                                let mu = l / v, s = l % v
                                let wbar = projectionCotangent(c * pg[b * m + l])
                                for (idx, dag) in plaquetteStaplePaths(g, mu: mu, slot: s) {
                                    accumulatePathCotangent(ub, [l] + idx, [false] + dag, c0 * wbar, into: out + b * m)
                                }
                                if c1 != 0 {
                                    for (idx, dag) in rectangleStaplePaths(g, mu: mu, slot: s) {
                                        accumulatePathCotangent(ub, [l] + idx, [false] + dag, c1 * wbar, into: out + b * m)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// The adjoint M† of a matrix tensor [..., 18, 8] (VJP: the adjoint of the cotangent).
    public func su3Adjoint() throws -> Var {
        let n = try su3Batch("su3Adjoint", inner: 18)
        let x = self
        let y = withSU3(scalars) { a in makeSU3(count: n) { out in for i in 0..<n { out[i] = a[i].adjoint } } }
        return tape.record(Tensor(unchecked: shape, y), [x], saved: 0) { gr, acc in
            let d = withSU3(gr.scalars) { a in makeSU3(count: n) { out in for i in 0..<n { out[i] = a[i].adjoint } } }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }
}

// MARK: - Fused L2HMC momentum update

extension Var {
    /// The SU(3) L2HMC momentum half-step in one pass (LearnedHMC/SU3LeapfrogModel.swift), on the momentum field
    /// `self` [b, m, 8, 8]:  with h = ε/2, shift = h·(F·e^{εq} + Σ_j τ_j G_j),
    ///   forward  P′ = P·e^{h s} − shift,      inverse  P = (P′ + shift)·e^{−h s}.
    /// `loops` [b, m, 60, 8] (su3PlaquetteLoops: G_j at features 12 + 8j + a), `force` [b, m, 8, 8] or nil (then
    /// F = Σ_j G_j, the Wilson force), s and q [b, m, 1, 8], τ [b, m, 6, 8], ε [1]. The log-det (h·8·Σ s) is not
    /// part of this op. Replaces about a dozen element-wise tape operations; its VJP is checked against finite
    /// differences (SU3AutodiffTests) and through whole trajectories (SU3L2HMCDynamicsTests).
    public func su3MomentumUpdate(loops: Var, force: Var?, s: Var, q: Var, tau: Var, eps: Var, inverse: Bool) throws -> Var {
        try tape.check("su3MomentumUpdate", self, loops, s, q, tau, eps)
        if let force { try tape.check("su3MomentumUpdate", force) }
        let sh = shape
        guard sh.count == 4, sh[2] == 8, sh[3] == 8 else {
            throw AutodiffError("su3MomentumUpdate: momenta must have shape [blocks, links, 8, 8], got \(Tensor.format(sh))")
        }
        let nb = sh[0], m = sh[1], n = nb * m
        for (name, v, want) in [("loops", loops, [nb, m, 60, 8]), ("s", s, [nb, m, 1, 8]), ("q", q, [nb, m, 1, 8]),
                                ("tau", tau, [nb, m, 6, 8]), ("eps", eps, [1])] + (force.map { [("force", $0, [nb, m, 8, 8])] } ?? []) {
            guard v.shape == want else { throw AutodiffError.shapes("su3MomentumUpdate \(name)", v.shape, want) }
        }
        let pS = scalars, lS = loops.scalars, sS = s.scalars, qS = q.scalars, tS = tau.scalars, fS = force?.scalars
        let e = eps.scalars[0], h = 0.5 * e
        // Per link: F (from `force` or Σ_j G_j) and t = Σ_j τ_j G_j, lane vectors per coordinate.
        @inline(__always) func forceAndShift(_ i: Int, _ pl: UnsafePointer<Lanes>, _ pf: UnsafePointer<Lanes>?,
                                             _ pt: UnsafePointer<Lanes>, _ f: inout [Lanes], _ t: inout [Lanes]) {
            let gBase = pl + i * 60 + 12
            for a in 0..<8 {
                var tv = Lanes(), fv = Lanes()
                for j in 0..<6 {
                    let g = gBase[8 * j + a]
                    tv = tv.addingProduct(pt[i * 6 + j], g)
                    fv += g
                }
                t[a] = tv
                f[a] = pf.map { $0[i * 8 + a] } ?? fv
            }
        }
        let y = withLanes(pS) { pp in withLanes(lS) { pl in withLanes(sS) { ps in withLanes(qS) { pq in withLanes(tS) { pt in
            makeLanes(count: n * 8) { out in
                var f = [Lanes](repeating: Lanes(), count: 8), t = f
                let run = { (pf: UnsafePointer<Lanes>?) in
                    for i in 0..<n {
                        forceAndShift(i, pl, pf, pt, &f, &t)
                        let eq = simdExp(e * pq[i])
                        if !inverse {
                            let es = simdExp(h * ps[i])
                            for a in 0..<8 { out[i * 8 + a] = pp[i * 8 + a] * es - h * (f[a] * eq + t[a]) }
                        } else {
                            let ei = simdExp(-h * ps[i])
                            for a in 0..<8 { out[i * 8 + a] = (pp[i * 8 + a] + h * (f[a] * eq + t[a])) * ei }
                        }
                    }
                }
                if let fS { withLanes(fS) { run($0) } } else { run(nil) }
            }
        } } } } }
        let inputs = [self, loops, s, q, tau, eps] + (force.map { [$0] } ?? [])
        let mom = self
        return tape.record(Tensor(unchecked: sh, y), inputs, saved: (pS.count + lS.count + 2 * sS.count + tS.count) * 8) { g, acc in
            var gp = [Double](repeating: 0, count: pS.count), gl = [Double](repeating: 0, count: lS.count)
            var gs = [Double](repeating: 0, count: sS.count), gq = gs, gt = [Double](repeating: 0, count: tS.count)
            var gf = [Double](repeating: 0, count: fS?.count ?? 0)
            var geps = Lanes()
            withLanes(g.scalars) { pg in withLanes(pS) { pp in withLanes(lS) { pl in withLanes(sS) { ps in withLanes(qS) { pq in withLanes(tS) { pt in
                gp.withUnsafeMutableBufferPointer { bp in gl.withUnsafeMutableBufferPointer { bl in
                gs.withUnsafeMutableBufferPointer { bs in gq.withUnsafeMutableBufferPointer { bq in
                gt.withUnsafeMutableBufferPointer { bt in gf.withUnsafeMutableBufferPointer { bf in
                    let op = UnsafeMutableRawPointer(bp.baseAddress!).assumingMemoryBound(to: Lanes.self)
                    let ol = UnsafeMutableRawPointer(bl.baseAddress!).assumingMemoryBound(to: Lanes.self)
                    let os = UnsafeMutableRawPointer(bs.baseAddress!).assumingMemoryBound(to: Lanes.self)
                    let oq = UnsafeMutableRawPointer(bq.baseAddress!).assumingMemoryBound(to: Lanes.self)
                    let ot = UnsafeMutableRawPointer(bt.baseAddress!).assumingMemoryBound(to: Lanes.self)
                    // (an empty array's buffer may still have a base address: decide by whether a force was given)
                    let of = fS == nil ? nil : bf.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Lanes.self) }
                    var f = [Lanes](repeating: Lanes(), count: 8), t = f
                    let run = { (pf: UnsafePointer<Lanes>?) in
                        for i in 0..<n {
                            forceAndShift(i, pl, pf, pt, &f, &t)
                            let eq = simdExp(e * pq[i])
                            let scale = simdExp((inverse ? -h : h) * ps[i])
                            // shiftBar_a: cotangent of shift_a (−ḡ forward, +ḡ·e^{−hs} inverse).
                            var sBar = Lanes(), qBar = Lanes()
                            for a in 0..<8 {
                                let ga = pg[i * 8 + a]
                                let shift = h * (f[a] * eq + t[a])
                                let shiftBar: Lanes
                                if !inverse {
                                    op[i * 8 + a] = ga * scale
                                    sBar = sBar.addingProduct(ga * pp[i * 8 + a] * scale, h)
                                    geps = geps.addingProduct(ga * pp[i * 8 + a] * scale, 0.5 * ps[i])
                                    shiftBar = -ga
                                } else {
                                    op[i * 8 + a] = ga * scale
                                    let base = (pp[i * 8 + a] + shift) * scale * ga
                                    sBar = sBar.addingProduct(base, -h)
                                    geps = geps.addingProduct(base, -0.5 * ps[i])
                                    shiftBar = ga * scale
                                }
                                // shift = h (F eq + t): ∂/∂F = h eq, ∂/∂q = h F eq ε, ∂/∂t = h, ∂/∂ε = ½(F eq + t) + h F eq q
                                let fBar = shiftBar * h * eq
                                if let of { of[i * 8 + a] = fBar } else {
                                    for j in 0..<6 { ol[i * 60 + 12 + 8 * j + a] += fBar }
                                }
                                qBar = qBar.addingProduct(shiftBar * f[a] * eq, h * e)
                                geps += shiftBar * (0.5 * (f[a] * eq + t[a]) + h * f[a] * eq * pq[i])
                                let tBar = shiftBar * h
                                for j in 0..<6 {
                                    ot[i * 6 + j] = ot[i * 6 + j].addingProduct(tBar, pl[i * 60 + 12 + 8 * j + a])
                                    ol[i * 60 + 12 + 8 * j + a] = ol[i * 60 + 12 + 8 * j + a].addingProduct(tBar, pt[i * 6 + j])
                                }
                            }
                            os[i] = sBar
                            oq[i] = qBar
                        }
                    }
                    if let fS { withLanes(fS) { run($0) } } else { run(nil) }
                } } } } } }
            } } } } } }
            acc.add(mom, Tensor(unchecked: sh, gp))
            acc.add(loops, Tensor(unchecked: loops.shape, gl))
            acc.add(s, Tensor(unchecked: s.shape, gs))
            acc.add(q, Tensor(unchecked: q.shape, gq))
            acc.add(tau, Tensor(unchecked: tau.shape, gt))
            acc.add(eps, Tensor(unchecked: [1], [geps.sum()]))
            if let force { acc.add(force, Tensor(unchecked: force.shape, gf)) }
        }
    }
}
