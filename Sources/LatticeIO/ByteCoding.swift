// ByteCoding.swift — bit-exact little-endian packing of [Double] / [UInt64] / [Int] into Data.
//
// Conventions:
//   • Every element is 8 bytes, little-endian, regardless of host byte order. Doubles are packed by
//     IEEE-754 bit pattern, so NaN payloads, −0.0 and subnormals round-trip exactly.
//   • `Int` is stored as a two's-complement Int64.
//   • Unpacking throws `LatticeIOError(.shapeMismatch)` if the byte count is not a multiple of 8;
//     `path` names the caller-supplied context (e.g. "checkpoint section 'rng'").

import Foundation

extension Data {
    /// Little-endian IEEE-754 bit patterns, 8 bytes per value.
    public init(doubles: some Collection<Double>) {
        self.init(uint64s: doubles.lazy.map(\.bitPattern))
    }

    /// Little-endian, 8 bytes per value.
    public init(uint64s: some Collection<UInt64>) {
        var out = Data(count: uint64s.count * 8)
        out.withUnsafeMutableBytes { raw in
            var offset = 0
            for v in uint64s {
                raw.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
        }
        self = out
    }

    /// Little-endian two's-complement Int64, 8 bytes per value.
    public init(ints: some Collection<Int>) {
        self.init(uint64s: ints.lazy.map { UInt64(bitPattern: Int64($0)) })
    }
}

enum ByteCoding {
    static func uint64s(_ data: Data, context: String) throws -> [UInt64] {
        guard data.count % 8 == 0 else {
            throw LatticeIOError(.shapeMismatch, path: context,
                "byte count \(data.count) is not a multiple of 8 (expected packed 64-bit values)")
        }
        let n = data.count / 8
        return data.withUnsafeBytes { raw in
            [UInt64](unsafeUninitializedCapacity: n) { out, initialized in
                for i in 0 ..< n {
                    out[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                }
                initialized = n
            }
        }
    }
}

extension Array where Element == Double {
    /// Unpacks little-endian IEEE-754 bit patterns written by `Data(doubles:)`.
    /// - Parameter context: names the data source in the error message.
    public init(littleEndian data: Data, context: String = "<data>") throws {
        self = try ByteCoding.uint64s(data, context: context).map { Double(bitPattern: $0) }
    }
}

extension Array where Element == UInt64 {
    /// Unpacks little-endian values written by `Data(uint64s:)`.
    public init(littleEndian data: Data, context: String = "<data>") throws {
        self = try ByteCoding.uint64s(data, context: context)
    }
}

extension Array where Element == Int {
    /// Unpacks little-endian Int64 values written by `Data(ints:)`.
    /// Throws if a value does not fit in `Int` (only possible on 32-bit hosts).
    public init(littleEndian data: Data, context: String = "<data>") throws {
        let words = try ByteCoding.uint64s(data, context: context)
        var out: [Int] = []
        out.reserveCapacity(words.count)
        for (i, w) in words.enumerated() {
            guard let v = Int(exactly: Int64(bitPattern: w)) else {
                throw LatticeIOError(.shapeMismatch, path: context, "value \(Int64(bitPattern: w)) at index \(i) does not fit in Int")
            }
            out.append(v)
        }
        self = out
    }
}
