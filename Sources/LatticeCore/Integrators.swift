// Integrators.swift — symplectic, time-reversible molecular-dynamics integrators, written once and generic
// over the system (U(1) today, SU(3) through the same protocol).
//
// Conventions (REFERENCE §3): H = S(x) + ½ p², ẋ = p (U̇ = P U for groups), ṗ = −∂S/∂x.
//   * `updateMomenta(ε)`:  p ← p − ε F(x), F = ∂S/∂x (the force is evaluated inside).
//   * `updateLinks(ε)`:    x ← x + ε p   (U ← exp(εP) U for groups).
// Both schemes are second order: |ΔH(ε)|/|ΔH(ε/2)| → 4 at fixed trajectory length.
// Omelyan 2MN (Omelyan, Mryglod, Folk, Comput. Phys. Commun. 151 (2003) 272), λ = 0.1931833275037836:
//   P(λε) X(ε/2) P((1−2λ)ε) X(ε/2) P(λε), consecutive P(λε) of adjacent steps merged.

/// A Hamiltonian system that can be advanced by the two elementary flows.
public protocol MolecularDynamicsSystem {
    /// p ← p − ε ∂S/∂x.
    mutating func updateMomenta(_ epsilon: Double)
    /// x ← x + ε p.
    mutating func updateLinks(_ epsilon: Double)
}

/// Which integration scheme a sampler uses.
public enum IntegratorKind: String, Sendable, Codable, CaseIterable {
    case leapfrog
    case omelyan

    /// Force evaluations in one trajectory of `steps` steps.
    public func forceEvaluations(steps: Int) -> Int {
        switch self {
        case .leapfrog: return steps + 1
        case .omelyan: return 2 * steps + 1
        }
    }

    /// Runs `steps` steps of size `stepSize` (trajectory length τ = steps · stepSize).
    @inlinable
    public func integrate<S: MolecularDynamicsSystem>(_ system: inout S, stepSize: Double, steps: Int) {
        switch self {
        case .leapfrog: Leapfrog.integrate(&system, stepSize: stepSize, steps: steps)
        case .omelyan: Omelyan2MN.integrate(&system, stepSize: stepSize, steps: steps)
        }
    }
}

/// Störmer–Verlet leapfrog: P(ε/2) [X(ε) P(ε)]ⁿ⁻¹ X(ε) P(ε/2).
public enum Leapfrog {
    @inlinable
    public static func integrate<S: MolecularDynamicsSystem>(_ s: inout S, stepSize eps: Double, steps: Int) {
        guard steps > 0 else { return }
        s.updateMomenta(0.5 * eps)
        for k in 0..<steps {
            s.updateLinks(eps)
            s.updateMomenta(k == steps - 1 ? 0.5 * eps : eps)
        }
    }
}

/// Omelyan's second-order minimum-norm scheme (2MN).
public enum Omelyan2MN {
    public static let lambda = 0.1931833275037836

    @inlinable
    public static func integrate<S: MolecularDynamicsSystem>(_ s: inout S, stepSize eps: Double, steps: Int) {
        guard steps > 0 else { return }
        let l = lambda
        s.updateMomenta(l * eps)
        for k in 0..<steps {
            s.updateLinks(0.5 * eps)
            s.updateMomenta((1 - 2 * l) * eps)
            s.updateLinks(0.5 * eps)
            s.updateMomenta(k == steps - 1 ? l * eps : 2 * l * eps)
        }
    }
}
