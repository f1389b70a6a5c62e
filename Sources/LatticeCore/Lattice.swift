// Lattice.swift — periodic hypercubic lattices of any dimension.
//
// Conventions (REFERENCE §1, §7):
//   * extents L_0 … L_{d−1}; a site is n = Σ_μ x_μ · stride_μ with x_0 fastest (stride_0 = 1),
//     the same ordering as NERSC/ILDG files ("x fastest");
//   * periodic boundaries in every direction;
//   * links are addressed (μ, n): the link from n to n + μ̂.
// Pure value type; no I/O.

/// A validation error raised when a lattice or sampler is configured with values outside the allowed range.
/// The message names the bad value and what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A periodic hypercubic lattice.
public struct Lattice: Sendable, Hashable, Codable {
    /// Extents L_μ, μ = 0 … d−1.
    public let shape: [Int]
    /// Number of sites V = Π L_μ.
    public let volume: Int
    /// stride_μ = Π_{ν<μ} L_ν (x_0 fastest).
    public let strides: [Int]

    public var dimensions: Int { shape.count }

    /// Largest number of sites accepted (keeps every index well inside Int32).
    public static let maximumVolume = 1 << 30

    public init(shape: [Int]) throws {
        guard !shape.isEmpty else { throw ConfigurationError("lattice shape is empty; give at least one extent, e.g. 16x16") }
        for (mu, l) in shape.enumerated() where l < 1 {
            throw ConfigurationError("lattice extent L_\(mu) = \(l) is not allowed; every extent must be ≥ 1")
        }
        var v = 1
        var strides: [Int] = []
        for l in shape {
            strides.append(v)
            let (p, overflow) = v.multipliedReportingOverflow(by: l)
            guard !overflow, p <= Lattice.maximumVolume else {
                throw ConfigurationError("lattice \(Lattice.format(shape)) has more than \(Lattice.maximumVolume) sites")
            }
            v = p
        }
        self.shape = shape
        self.volume = v
        self.strides = strides
    }

    /// Parses "16x16" or "8x8x8x8".
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        var shape: [Int] = []
        for p in parts {
            guard let l = Int(p.filter { $0 != " " }) else {
                throw ConfigurationError("lattice shape '\(text)' is not of the form L0xL1[x…] with integer extents, e.g. 16x16")
            }
            shape.append(l)
        }
        try self.init(shape: shape)
    }

    public static func format(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }
    public var description: String { Lattice.format(shape) }

    /// Coordinates of site n.
    public func coordinates(of n: Int) -> [Int] {
        var rest = n
        return shape.map { l in defer { rest /= l }; return rest % l }
    }

    /// Site index of coordinates (taken modulo the extents).
    public func site(_ x: [Int]) -> Int {
        var n = 0
        for mu in 0..<dimensions {
            let l = shape[mu]
            n += (((x[mu] % l) + l) % l) * strides[mu]
        }
        return n
    }

    /// n + k·μ̂ with periodic wrap.
    public func shift(_ n: Int, _ mu: Int, by k: Int = 1) -> Int {
        let l = shape[mu]
        let x = (n / strides[mu]) % l
        let y = ((x + k) % l + l) % l
        return n + (y - x) * strides[mu]
    }
}

