// U1Ops.swift — the 2D U(1) lattice physics as coarse recorded operations with hand-written VJPs, running the
// project's SIMD kernels (U1/U1Kernels.swift) directly on tensor storage, plus the layout conversions.
//
// Layout of a link field on the tape ("lane-blocked"): shape [blocks, 2, L1, L0, 8] — block b of 8 chains,
// direction μ, then the site n = x_0 + L_0·x_1 (x_0 fastest), then the lane (chain c = 8b + lane, as in
// LatticeCore/Lanes.swift). Each block is exactly the kernels' [μ][n] sequence of SIMD8 lane vectors, so no copy
// is made. Chains that do not fill the last block are padding chosen by the caller (REFERENCE §1 conventions).
// Plaquette fields have shape [blocks, L1, L0, 8]; per-chain results have shape [blocks·8] (chain order).
// The network's batch dimension is the chain: `chainRows()` turns a lane-blocked tensor [blocks, …, 8] into rows
// [blocks·8, features] (features in the field's order μ, x_1, x_0), `laneBlocked(_:)` is its inverse.
//
// Operations (REFERENCE §1; D and Dᵀ as in U1Kernels.swift):
//   u1PlaquetteAngles  θ = D x                            VJP  Dᵀ g
//   u1ChargeSin        Q_sin = Σ_P sin θ_P / 2π            VJP  Dᵀ[cos θ ⊙ g] / 2π
//   u1Action(β)        S = β Σ_P (1 − cos θ_P)             VJP  β Dᵀ[sin θ ⊙ g]
//   u1Force(β)         F = ∂S/∂x = β Dᵀ sin(D x)           VJP  β Dᵀ[cos(D x) ⊙ D u]  (Hessian–vector product)
// β is a constant (not differentiated). Lattice shifts of a field: Var.roll (Ops.swift) on axis 3 (x_0) or 2 (x_1).
import LatticeCore
import U1

/// Shapes of the lane-blocked lattice layout.
public enum U1Layout {
    /// Blocks of 8 chains needed for `chains` chains.
    public static func blocks(chains: Int) -> Int { ChainLayout.blocks(forChains: chains) }
    /// Shape of a link field of `chains` chains (padded to whole blocks) on an L0 × L1 lattice.
    public static func linkShape(l0: Int, l1: Int, chains: Int) -> [Int] { [blocks(chains: chains), 2, l1, l0, 8] }
    /// Flat index of link (μ, x0, x1) of chain c in a link field.
    public static func index(mu: Int, x0: Int, x1: Int, chain c: Int, l0: Int, l1: Int) -> Int {
        ((((c / 8) * 2 + mu) * l1 + x1) * l0 + x0) * 8 + c % 8
    }
}

@inline(__always)
func withLanes<R>(_ a: [Double], _ body: (UnsafePointer<Lanes>) -> R) -> R {
    a.withUnsafeBufferPointer { p in
        p.baseAddress!.withMemoryRebound(to: Lanes.self, capacity: p.count / 8) { body($0) }
    }
}

@inline(__always)
func makeLanes(count n: Int, _ body: (UnsafeMutablePointer<Lanes>) -> Void) -> [Double] {
    [Double](unsafeUninitializedCapacity: n * 8) { p, done in
        p.baseAddress!.withMemoryRebound(to: Lanes.self, capacity: n) { body($0) }
        done = n * 8
    }
}

extension Var {
    func u1Geometry(_ op: String) throws -> (blocks: Int, l0: Int, l1: Int) {
        try tape.check(op, self)
        let s = shape
        guard s.count == 5, s[1] == 2, s[4] == 8, s[2] > 0, s[3] > 0 else {
            throw AutodiffError("\(op): link field must have shape [blocks, 2, L1, L0, 8], got \(Tensor.format(s))")
        }
        return (s[0], s[3], s[2])
    }

    /// Plaquette angles θ = D x, shape [blocks, L1, L0, 8].
    public func u1PlaquetteAngles() throws -> Var {
        let (nb, l0, l1) = try u1Geometry("u1PlaquetteAngles")
        let v = l0 * l1, x = self
        let y = withLanes(scalars) { px in
            makeLanes(count: nb * v) { out in
                for b in 0..<nb { U1Kernels.plaquetteAngles(px + 2 * v * b, l0: l0, l1: l1, into: out + v * b) }
            }
        }
        return tape.record(Tensor(unchecked: [nb, l1, l0, 8], y), [x], saved: 0) { g, acc in
            let d = withLanes(g.scalars) { pg in
                makeLanes(count: 2 * nb * v) { out in
                    for b in 0..<nb { U1Kernels.adjoint(pg + v * b, l0: l0, l1: l1, scale: 1, into: out + 2 * v * b) }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// Per-chain sums f(θ) → [blocks·8], with the VJP c·Dᵀ[f'(θ) ⊙ g].
    func u1PlaquetteSum(_ op: String, scale c: Double, offset: Double,
                        _ f: @escaping (Lanes) -> Lanes, _ df: @escaping (Lanes) -> Lanes) throws -> Var {
        let (nb, l0, l1) = try u1Geometry(op)
        let v = l0 * l1, x = self, xs = scalars
        var theta = [Lanes](repeating: .zero, count: v)
        let y = withLanes(xs) { px in
            makeLanes(count: nb) { out in
                theta.withUnsafeMutableBufferPointer { t in
                    for b in 0..<nb {
                        U1Kernels.plaquetteAngles(px + 2 * v * b, l0: l0, l1: l1, into: t.baseAddress!)
                        var s = Lanes()
                        for n in 0..<v { s += f(t[n]) }
                        out[b] = c * (s + Lanes(repeating: offset))
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: [nb * 8], y), [x], saved: x.value.bytes) { g, acc in
            var w = [Lanes](repeating: .zero, count: v)
            let d = withLanes(xs) { px in
                withLanes(g.scalars) { pg in
                    makeLanes(count: 2 * nb * v) { out in
                        w.withUnsafeMutableBufferPointer { t in
                            for b in 0..<nb {
                                U1Kernels.plaquetteAngles(px + 2 * v * b, l0: l0, l1: l1, into: t.baseAddress!)
                                let gb = pg[b]
                                for n in 0..<v { t[n] = df(t[n]) * gb }
                                U1Kernels.adjoint(t.baseAddress!, l0: l0, l1: l1, scale: c, into: out + 2 * v * b)
                            }
                        }
                    }
                }
            }
            acc.add(x, Tensor(unchecked: x.shape, d))
        }
    }

    /// Q_sin = Σ_P sin θ_P / 2π per chain, shape [blocks·8].
    public func u1ChargeSin() throws -> Var {
        try u1PlaquetteSum("u1ChargeSin", scale: 1 / (2 * Double.pi), offset: 0, simdSin, simdCos)
    }

    /// Wilson action S = β Σ_P (1 − cos θ_P) per chain, shape [blocks·8].
    public func u1Action(beta: Double) throws -> Var {
        let (_, l0, l1) = try u1Geometry("u1Action")
        return try u1PlaquetteSum("u1Action", scale: -beta, offset: -Double(l0 * l1), simdCos, { -simdSin($0) })
    }

    /// Force F = ∂S/∂x = β Dᵀ sin(D x), same shape as the field. Its VJP is the Hessian–vector product.
    public func u1Force(beta: Double) throws -> Var {
        let (nb, l0, l1) = try u1Geometry("u1Force")
        let v = l0 * l1, x = self, xs = scalars
        var s = [Lanes](repeating: .zero, count: v)
        let y = withLanes(xs) { px in
            makeLanes(count: 2 * nb * v) { out in
                s.withUnsafeMutableBufferPointer { t in
                    for b in 0..<nb {
                        U1Kernels.plaquetteSines(px + 2 * v * b, l0: l0, l1: l1, into: t.baseAddress!)
                        U1Kernels.adjoint(t.baseAddress!, l0: l0, l1: l1, scale: beta, into: out + 2 * v * b)
                    }
                }
            }
        }
        return tape.record(Tensor(unchecked: x.shape, y), [x], saved: x.value.bytes) { g, acc in
            var th = [Lanes](repeating: .zero, count: v), du = [Lanes](repeating: .zero, count: v)
            // out = β Dᵀ[cos(Dx) ⊙ D u] (fresh) or out += … (fused into an existing cotangent).
            func hvp(_ out: UnsafeMutablePointer<Lanes>, accumulate: Bool) {
                withLanes(xs) { px in
                    withLanes(g.scalars) { pu in
                        th.withUnsafeMutableBufferPointer { t in
                            du.withUnsafeMutableBufferPointer { w in
                                for b in 0..<nb {
                                    U1Kernels.plaquetteAngles(px + 2 * v * b, l0: l0, l1: l1, into: t.baseAddress!)
                                    U1Kernels.plaquetteAngles(pu + 2 * v * b, l0: l0, l1: l1, into: w.baseAddress!)
                                    for n in 0..<v { w[n] = simdCos(t[n]) * w[n] }
                                    if accumulate {
                                        U1Kernels.addAdjoint(w.baseAddress!, l0: l0, l1: l1, scale: beta, to: out + 2 * v * b)
                                    } else {
                                        U1Kernels.adjoint(w.baseAddress!, l0: l0, l1: l1, scale: beta, into: out + 2 * v * b)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            acc.add(x, fresh: {
                Tensor(unchecked: x.shape, makeLanes(count: 2 * nb * v) { hvp($0, accumulate: false) })
            }) { d in
                d.baseAddress!.withMemoryRebound(to: Lanes.self, capacity: 2 * nb * v) { hvp($0, accumulate: true) }
            }
        }
    }

    /// Lane-blocked [blocks, d1, …, 8] → chain rows [blocks·8, d1·…] (one row per chain).
    public func chainRows() throws -> Var {
        try tape.check("chainRows", self)
        let s = shape
        guard s.count >= 2, s.last == 8 else {
            throw AutodiffError("chainRows: expected a lane-blocked shape [blocks, …, 8], got \(Tensor.format(s))")
        }
        let f = s.dropFirst().dropLast().reduce(1, *)
        return try reshaped([s[0], f, 8]).transposed([0, 2, 1]).reshaped([s[0] * 8, f])
    }

    /// Chain rows [chains, features] → the lane-blocked shape `shape` ([blocks, …, 8], blocks·8 = chains).
    public func laneBlocked(_ shape: [Int]) throws -> Var {
        try tape.check("laneBlocked", self)
        let s = self.shape
        guard shape.count >= 2, shape.last == 8, s.count == 2, s[0] == shape[0] * 8,
              s[1] == shape.dropFirst().dropLast().reduce(1, *) else {
            throw AutodiffError.shapes("laneBlocked", s, shape, detail: "rows must be blocks·8 chains and columns the field's features")
        }
        return try reshaped([shape[0], 8, s[1]]).transposed([0, 2, 1]).reshaped(shape)
    }
}
