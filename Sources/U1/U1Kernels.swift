// U1Kernels.swift — the elementary 2D U(1) lattice kernels on SIMD lanes (8 chains per vector), as free-standing
// functions over raw pointers, so that HMC (U1Block) and the autodiff's recorded operations run the same code.
//
// Layout: a link field is 2V lane vectors [μ][n] (n = x_0 + L_0·x_1); a plaquette field is V lane vectors [n].
// Conventions (REFERENCE §1):
//   D x:  θ(n) = x_0(n) + x_1(n+0̂) − x_0(n+1̂) − x_1(n)                       (plaquette angles; linear in x)
//   Dᵀ g: (Dᵀg)_0(n) = g(n) − g(n−1̂),  (Dᵀg)_1(n) = g(n−0̂) − g(n)             (its adjoint)
//   so S = β Σ (1 − cos Dx), ∂S/∂x = β Dᵀ sin(Dx), and the force's vector–Jacobian product (a Hessian–vector
//   product) is  uᵀ ∂F/∂x = β Dᵀ[cos(Dx) ⊙ D u].
import LatticeCore

public enum U1Kernels {
    /// θ = D x  (V lane vectors out).
    @inlinable
    public static func plaquetteAngles(_ x: UnsafePointer<Lanes>, l0: Int, l1: Int, into theta: UnsafeMutablePointer<Lanes>) {
        let v = l0 * l1
        let x0 = x, x1 = x + v
        for y in 0..<l1 {
            let r = y * l0
            let ru = y + 1 == l1 ? 0 : r + l0
            for i in 0..<l0 {
                let n = r + i
                let n0 = i + 1 == l0 ? r : n + 1
                theta[n] = x0[n] + x1[n0] - x0[ru + i] - x1[n]
            }
        }
    }

    /// s = sin(D x).
    @inlinable
    public static func plaquetteSines(_ x: UnsafePointer<Lanes>, l0: Int, l1: Int, into s: UnsafeMutablePointer<Lanes>) {
        let v = l0 * l1
        let x0 = x, x1 = x + v
        for y in 0..<l1 {
            let r = y * l0
            let ru = y + 1 == l1 ? 0 : r + l0
            for i in 0..<l0 {
                let n = r + i
                let n0 = i + 1 == l0 ? r : n + 1
                s[n] = simdSin(x0[n] + x1[n0] - x0[ru + i] - x1[n])
            }
        }
    }

    /// out = scale · Dᵀ g  (2V lane vectors out, overwritten).
    @inlinable
    public static func adjoint(_ g: UnsafePointer<Lanes>, l0: Int, l1: Int, scale: Double, into out: UnsafeMutablePointer<Lanes>) {
        let v = l0 * l1
        for y in 0..<l1 {
            let r = y * l0
            let rd = y == 0 ? (l1 - 1) * l0 : r - l0
            for i in 0..<l0 {
                let n = r + i
                let nm0 = i == 0 ? r + l0 - 1 : n - 1
                let gn = g[n]
                out[n] = scale * (gn - g[rd + i])
                out[v + n] = scale * (g[nm0] - gn)
            }
        }
    }

    /// p ← p + c · Dᵀ g  (fused update; with g = sin Dx and c = −εβ this is the HMC momentum update).
    @inlinable
    public static func addAdjoint(_ g: UnsafePointer<Lanes>, l0: Int, l1: Int, scale c: Double, to p: UnsafeMutablePointer<Lanes>) {
        let v = l0 * l1
        let p0 = p, p1 = p + v
        for y in 0..<l1 {
            let r = y * l0
            let rd = y == 0 ? (l1 - 1) * l0 : r - l0
            for i in 0..<l0 {
                let n = r + i
                let nm0 = i == 0 ? r + l0 - 1 : n - 1
                let gn = g[n]
                p0[n] = p0[n].addingProduct(c, gn - g[rd + i])
                p1[n] = p1[n].addingProduct(c, g[nm0] - gn)
            }
        }
    }

    /// Per-lane sums over plaquettes of cos θ, sin θ and w(θ) (action, Q_sin, Q_int).
    @inlinable
    public static func plaquetteSums(_ x: UnsafePointer<Lanes>, l0: Int, l1: Int) -> (cos: Lanes, sin: Lanes, wrapped: Lanes) {
        let v = l0 * l1
        let x0 = x, x1 = x + v
        var sc = Lanes(), ss = Lanes(), sw = Lanes()
        for y in 0..<l1 {
            let r = y * l0
            let ru = y + 1 == l1 ? 0 : r + l0
            for i in 0..<l0 {
                let n = r + i
                let n0 = i + 1 == l0 ? r : n + 1
                let theta = x0[n] + x1[n0] - x0[ru + i] - x1[n]
                let (sn, cs) = simdSinCos(theta)
                sc += cs; ss += sn; sw += wrapAngle(theta)
            }
        }
        return (sc, ss, sw)
    }
}
