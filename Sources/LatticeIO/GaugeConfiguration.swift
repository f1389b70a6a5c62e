// GaugeConfiguration.swift — one gauge field as plain numbers, the common currency of the gauge-file
// readers and writers (NERSC.swift, ILDG.swift, U1Config.swift, GaugeFile.swift).
//
// Layout (REFERENCE §7; the same order as NERSC and ILDG files, so files map onto it without shuffling):
//   • `shape` = [L_0, L_1, …] with x_0 fastest. SU(3): 4 extents [Lx, Ly, Lz, Lt]; U(1): any number (2 in practice).
//   • site n = x_0 + L_0·(x_1 + L_1·(x_2 + …)), the same as LatticeCore.Lattice.
//   • `links` is site-major with the direction μ innermost: link (n, μ) starts at (n·d + μ)·k, where d = shape.count
//     and k = values per link. In 4D this is [t][z][y][x][μ] with x fastest.
//       SU(3): k = 18 — the 3×3 complex matrix row-major, (re, im) interleaved: U_00.re, U_00.im, U_01.re, …, U_22.im.
//       U(1):  k = 1  — the link angle x_μ(n), nominally in [−π, π).
//   • The ensembles (SU3Ensemble.linkValues, U1Ensemble.links) use μ-major order [μ][n]; `init(group:shape:muMajorLinks:)`
//     and `muMajorLinks` convert.
//
// Observables (REFERENCE §1, §2), computed with small scalar code so LatticeIO needs no physics module:
//   • SU(3) plaquette  = mean over the 6V plaquettes of ⅓ Re Tr U_P,
//                         U_P = U_μ(n) U_ν(n+μ̂) U_μ(n+ν̂)† U_ν(n)†, periodic boundaries;
//   • SU(3) link trace = mean over the 4V links of ⅓ Re Tr U;
//   • U(1) plaquette   = mean over the V·d(d−1)/2 plaquettes of cos θ_P, θ_P = x_μ(n) + x_ν(n+μ̂) − x_μ(n+ν̂) − x_ν(n);
//   • U(1) link trace  = mean over the links of cos x_μ(n) (the analogue of ⅓ Re Tr U).

import Foundation

/// The gauge group of a configuration.
public enum GaugeGroup: String, Sendable, Codable, CaseIterable {
    case su3 = "SU3"
    case u1 = "U1"

    /// Real numbers stored per link in `GaugeConfiguration.links` (SU(3): 18, U(1): 1).
    public var valuesPerLink: Int { self == .su3 ? 18 : 1 }
    /// "SU(3)" or "U(1)".
    public var displayName: String { self == .su3 ? "SU(3)" : "U(1)" }
}

/// Floating-point width of the numbers in a file.
public enum FloatPrecision: Int, Sendable, Codable, CaseIterable {
    case single = 32
    case double = 64

    public var bytes: Int { rawValue / 8 }
}

/// Byte order of the numbers in a file.
public enum ByteOrder: String, Sendable, Codable, CaseIterable {
    case big
    case little
}

/// A gauge field as plain numbers; see the layout at the top of this file.
public struct GaugeConfiguration: Sendable, Equatable {
    public var group: GaugeGroup
    /// Extents [L_0, L_1, …], x_0 fastest.
    public var shape: [Int]
    /// Site-major, μ innermost, `group.valuesPerLink` numbers per link.
    public var links: [Double]

    /// Checks that `shape` is valid (SU(3): exactly 4 extents; every extent ≥ 1) and that
    /// `links.count == volume · d · valuesPerLink`; throws `.shapeMismatch` otherwise.
    public init(group: GaugeGroup, shape: [Int], links: [Double]) throws {
        let expected = try Self.linkValueCount(group: group, shape: shape, context: "<gauge configuration>")
        guard links.count == expected else {
            throw LatticeIOError(.shapeMismatch, path: "<gauge configuration>",
                "\(group.displayName) on \(Self.shapeText(shape)) needs \(expected) link values, got \(links.count)")
        }
        self.group = group
        self.shape = shape
        self.links = links
    }

    /// From the ensembles' μ-major order [μ][n] (SU3Ensemble.linkValues, U1Ensemble.links).
    public init(group: GaugeGroup, shape: [Int], muMajorLinks: [Double]) throws {
        let expected = try Self.linkValueCount(group: group, shape: shape, context: "<gauge configuration>")
        guard muMajorLinks.count == expected else {
            throw LatticeIOError(.shapeMismatch, path: "<gauge configuration>",
                "\(group.displayName) on \(Self.shapeText(shape)) needs \(expected) link values, got \(muMajorLinks.count)")
        }
        let d = shape.count, k = group.valuesPerLink, v = expected / (d * k)
        var out = [Double](repeating: 0, count: expected)
        for mu in 0 ..< d {
            for n in 0 ..< v {
                let src = (mu * v + n) * k, dst = (n * d + mu) * k
                for j in 0 ..< k { out[dst + j] = muMajorLinks[src + j] }
            }
        }
        self.group = group
        self.shape = shape
        self.links = out
    }

    /// Unit links (a cold start): identity matrices for SU(3), zero angles for U(1).
    public static func identity(group: GaugeGroup, shape: [Int]) throws -> GaugeConfiguration {
        let count = try linkValueCount(group: group, shape: shape, context: "<gauge configuration>")
        var links = [Double](repeating: 0, count: count)
        if group == .su3 {
            for l in 0 ..< count / 18 { links[l * 18] = 1; links[l * 18 + 8] = 1; links[l * 18 + 16] = 1 }
        }
        return try GaugeConfiguration(group: group, shape: shape, links: links)
    }

    /// The links in the ensembles' μ-major order [μ][n].
    public var muMajorLinks: [Double] {
        let d = dimensions, k = group.valuesPerLink, v = volume
        var out = [Double](repeating: 0, count: links.count)
        for mu in 0 ..< d {
            for n in 0 ..< v {
                let src = (n * d + mu) * k, dst = (mu * v + n) * k
                for j in 0 ..< k { out[dst + j] = links[src + j] }
            }
        }
        return out
    }

    public var dimensions: Int { shape.count }
    public var volume: Int { shape.reduce(1, *) }
    /// Index of the first value of link (n, μ) in `links`.
    public func linkOffset(site n: Int, mu: Int) -> Int { (n * dimensions + mu) * group.valuesPerLink }

    /// SU(3): mean ⅓ Re Tr U_P over the 6V plaquettes. U(1): mean cos θ_P.
    public var plaquette: Double {
        group == .su3 ? GaugeObservables.su3Plaquette(shape: shape, links: links)
                      : GaugeObservables.u1Plaquette(shape: shape, links: links)
    }

    /// SU(3): mean ⅓ Re Tr U over the 4V links. U(1): mean cos x_μ(n).
    public var linkTrace: Double {
        group == .su3 ? GaugeObservables.su3LinkTrace(links: links)
                      : GaugeObservables.u1LinkTrace(links: links)
    }

    /// SU(3): max over links of max_ij |(U U†)_ij − δ_ij| and |det U − 1|. U(1): 0.
    public var unitarityViolation: Double {
        group == .su3 ? GaugeObservables.su3UnitarityViolation(links: links) : 0
    }

    /// SU(3): every third row replaced by conj(row0 × row1), as the two-row NERSC format rebuilds it.
    public func withReconstructedThirdRows() -> GaugeConfiguration {
        guard group == .su3 else { return self }
        var c = self
        c.links.withUnsafeMutableBufferPointer { p in
            for l in 0 ..< p.count / 18 { GaugeObservables.reconstructThirdRow(p.baseAddress! + l * 18) }
        }
        return c
    }

    /// Lx×Ly×… as text.
    public static func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }

    /// Validates the shape and returns volume · d · valuesPerLink.
    static func linkValueCount(group: GaugeGroup, shape: [Int], context: String) throws -> Int {
        guard !shape.isEmpty else {
            throw LatticeIOError(.shapeMismatch, path: context, "lattice shape is empty")
        }
        if group == .su3, shape.count != 4 {
            throw LatticeIOError(.shapeMismatch, path: context,
                "SU(3) configurations are 4-dimensional; got shape \(shapeText(shape)) with \(shape.count) extents")
        }
        var v = 1
        for (mu, l) in shape.enumerated() {
            guard l >= 1 else {
                throw LatticeIOError(.shapeMismatch, path: context, "lattice extent L_\(mu) = \(l) must be ≥ 1")
            }
            let (p, o) = v.multipliedReportingOverflow(by: l)
            guard !o, p <= 1 << 34 else {
                throw LatticeIOError(.shapeMismatch, path: context, "lattice \(shapeText(shape)) is too large")
            }
            v = p
        }
        return v * shape.count * group.valuesPerLink
    }
}

/// Plaquette, link trace and unitarity of plain link arrays in the `GaugeConfiguration` layout.
public enum GaugeObservables {
    /// Forward neighbour table: fwd[mu * V + n] = n + μ̂ (periodic), x_0 fastest.
    static func forwardNeighbours(_ shape: [Int]) -> [Int] {
        let d = shape.count, v = shape.reduce(1, *)
        var strides = [Int](repeating: 1, count: d)
        for mu in 1 ..< max(d, 1) { strides[mu] = strides[mu - 1] * shape[mu - 1] }
        var fwd = [Int](repeating: 0, count: d * v)
        for n in 0 ..< v {
            for mu in 0 ..< d {
                let x = (n / strides[mu]) % shape[mu]
                fwd[mu * v + n] = x + 1 == shape[mu] ? n - x * strides[mu] : n + strides[mu]
            }
        }
        return fwd
    }

    /// Mean over the 6V plaquettes of ⅓ Re Tr U_P (links: site-major, μ innermost, 18 per link).
    public static func su3Plaquette(shape: [Int], links: [Double]) -> Double {
        let d = shape.count, v = shape.reduce(1, *)
        precondition(links.count == v * d * 18, "su3Plaquette: links.count does not match shape")
        guard d >= 2 else { return 1 }
        let fwd = forwardNeighbours(shape)
        var total = 0.0
        links.withUnsafeBufferPointer { u in
            let base = u.baseAddress!
            var a = [Double](repeating: 0, count: 18), b = [Double](repeating: 0, count: 18)
            for n in 0 ..< v {
                var siteSum = 0.0
                for mu in 0 ..< d {
                    for nu in (mu + 1) ..< d {
                        let umu = base + (n * d + mu) * 18
                        let unu = base + (n * d + nu) * 18
                        let unuXmu = base + (fwd[mu * v + n] * d + nu) * 18
                        let umuXnu = base + (fwd[nu * v + n] * d + mu) * 18
                        mul(umu, unuXmu, &a)   // A = U_μ(n) U_ν(n+μ̂)
                        mul(unu, umuXnu, &b)   // B = U_ν(n) U_μ(n+ν̂)
                        // Re Tr(A B†) = Σ_ij Re(A_ij conj(B_ij))
                        var s = 0.0
                        for k in 0 ..< 9 { s += a[2 * k] * b[2 * k] + a[2 * k + 1] * b[2 * k + 1] }
                        siteSum += s
                    }
                }
                total += siteSum
            }
        }
        return total / (3.0 * Double(v * d * (d - 1) / 2))
    }

    /// Mean over the links of ⅓ Re Tr U (18 values per link).
    public static func su3LinkTrace(links: [Double]) -> Double {
        let count = links.count / 18
        guard count > 0 else { return 1 }
        var s = 0.0
        for l in 0 ..< count { s += links[l * 18] + links[l * 18 + 8] + links[l * 18 + 16] }
        return s / (3.0 * Double(count))
    }

    /// Max over links of max_ij |(U U†)_ij − δ_ij| and |det U − 1|.
    public static func su3UnitarityViolation(links: [Double]) -> Double {
        var worst = 0.0
        links.withUnsafeBufferPointer { p in
            for l in 0 ..< p.count / 18 {
                let u = p.baseAddress! + l * 18
                for i in 0 ..< 3 {
                    for j in 0 ..< 3 {
                        var re = 0.0, im = 0.0
                        for k in 0 ..< 3 {  // Σ_k U_ik conj(U_jk)
                            let ar = u[2 * (3 * i + k)], ai = u[2 * (3 * i + k) + 1]
                            let br = u[2 * (3 * j + k)], bi = u[2 * (3 * j + k) + 1]
                            re += ar * br + ai * bi
                            im += ai * br - ar * bi
                        }
                        if i == j { re -= 1 }
                        worst = max(worst, (re * re + im * im).squareRoot())
                    }
                }
                // det U = row2 · (row0 × row1)
                var c = [Double](repeating: 0, count: 6)
                cross(u, u + 6, &c)
                var dr = 0.0, di = 0.0
                for k in 0 ..< 3 {
                    let ar = u[12 + 2 * k], ai = u[12 + 2 * k + 1]
                    dr += ar * c[2 * k] - ai * c[2 * k + 1]
                    di += ar * c[2 * k + 1] + ai * c[2 * k]
                }
                worst = max(worst, ((dr - 1) * (dr - 1) + di * di).squareRoot())
            }
        }
        return worst
    }

    /// Mean over the V·d(d−1)/2 plaquettes of cos θ_P (1 angle per link).
    public static func u1Plaquette(shape: [Int], links: [Double]) -> Double {
        let d = shape.count, v = shape.reduce(1, *)
        precondition(links.count == v * d, "u1Plaquette: links.count does not match shape")
        guard d >= 2 else { return 1 }
        let fwd = forwardNeighbours(shape)
        var s = 0.0
        for n in 0 ..< v {
            for mu in 0 ..< d {
                for nu in (mu + 1) ..< d {
                    let theta = links[n * d + mu] + links[fwd[mu * v + n] * d + nu]
                              - links[fwd[nu * v + n] * d + mu] - links[n * d + nu]
                    s += cos(theta)
                }
            }
        }
        return s / Double(v * d * (d - 1) / 2)
    }

    /// Mean of cos x over the link angles.
    public static func u1LinkTrace(links: [Double]) -> Double {
        guard !links.isEmpty else { return 1 }
        return links.reduce(0) { $0 + cos($1) } / Double(links.count)
    }

    /// 3×3 complex product c = a·b, (re, im) interleaved row-major.
    @inline(__always)
    static func mul(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: inout [Double]) {
        for i in 0 ..< 3 {
            for j in 0 ..< 3 {
                var re = 0.0, im = 0.0
                for k in 0 ..< 3 {
                    let ar = a[2 * (3 * i + k)], ai = a[2 * (3 * i + k) + 1]
                    let br = b[2 * (3 * k + j)], bi = b[2 * (3 * k + j) + 1]
                    re += ar * br - ai * bi
                    im += ar * bi + ai * br
                }
                c[2 * (3 * i + j)] = re
                c[2 * (3 * i + j) + 1] = im
            }
        }
    }

    /// c = a × b for complex 3-vectors (interleaved), no conjugation.
    @inline(__always)
    static func cross(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: inout [Double]) {
        for k in 0 ..< 3 {
            let i = (k + 1) % 3, j = (k + 2) % 3
            // a_i b_j − a_j b_i
            let re = (a[2 * i] * b[2 * j] - a[2 * i + 1] * b[2 * j + 1]) - (a[2 * j] * b[2 * i] - a[2 * j + 1] * b[2 * i + 1])
            let im = (a[2 * i] * b[2 * j + 1] + a[2 * i + 1] * b[2 * j]) - (a[2 * j] * b[2 * i + 1] + a[2 * j + 1] * b[2 * i])
            c[2 * k] = re
            c[2 * k + 1] = im
        }
    }

    /// Sets row 2 of the matrix at `u` (18 doubles) to conj(row0 × row1) — the two-row NERSC rule
    /// (Grid MetaData.h reconstruct3: U_2j = conj(U_0(j+1) U_1(j+2) − U_0(j+2) U_1(j+1))).
    @inline(__always)
    static func reconstructThirdRow(_ u: UnsafeMutablePointer<Double>) {
        for k in 0 ..< 3 {
            let i = (k + 1) % 3, j = (k + 2) % 3
            let re = (u[2 * i] * u[6 + 2 * j] - u[2 * i + 1] * u[6 + 2 * j + 1])
                   - (u[2 * j] * u[6 + 2 * i] - u[2 * j + 1] * u[6 + 2 * i + 1])
            let im = (u[2 * i] * u[6 + 2 * j + 1] + u[2 * i + 1] * u[6 + 2 * j])
                   - (u[2 * j] * u[6 + 2 * i + 1] + u[2 * j + 1] * u[6 + 2 * i])
            u[12 + 2 * k] = re
            u[12 + 2 * k + 1] = -im
        }
    }
}
