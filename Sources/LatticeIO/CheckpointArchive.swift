// CheckpointArchive.swift — a self-checking binary container of named byte sections.
//
// Format (all integers little-endian), version 1:
//     offset 0   8 bytes   magic "L2HMCCKP" (ASCII)
//            8   UInt32    format version (= 1)
//           12   UInt32    section count S
//     then S times:
//                UInt32    name length L (bytes)
//                L bytes   name, UTF-8
//                UInt64    data length D (bytes)
//                D bytes   data
//     last 8 bytes: UInt64  FNV-1a 64-bit hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
//                           of every byte before it.
// Conventions:
//   • Section names are unique; order is preserved. Payload bytes are opaque; use `Data(doubles:)`,
//     `[Double](littleEndian:)` etc. (ByteCoding.swift) for bit-exact numeric arrays.
//   • `write(to:)` is atomic (AtomicFile); `read(from:)` checks magic, version, every length and the
//     checksum, and throws `LatticeIOError` (.badMagic, .unsupportedVersion, .truncated,
//     .checksumMismatch, .badHeader) naming the file and expected vs found values.

import Foundation

/// Named binary sections with a trailing FNV-1a 64 checksum, written atomically.
public struct CheckpointArchive: Sendable {
    public static let magic: [UInt8] = Array("L2HMCCKP".utf8)
    public static let formatVersion: UInt32 = 1

    /// Sections in file order; names are unique.
    public private(set) var sections: [(name: String, data: Data)]

    /// Creates an archive; throws `.invalidArgument` on duplicate section names.
    public init(sections: [(name: String, data: Data)] = []) throws {
        var seen = Set<String>()
        for s in sections where !seen.insert(s.name).inserted {
            throw LatticeIOError(.invalidArgument, path: "<checkpoint>", "duplicate section name '\(s.name)'")
        }
        self.sections = sections
    }

    /// Names of the sections in order.
    public var names: [String] { sections.map(\.name) }

    /// Gets a section's bytes; setting replaces it in place, appends a new one, or (nil) removes it.
    public subscript(name: String) -> Data? {
        get { sections.first(where: { $0.name == name })?.data }
        set {
            let index = sections.firstIndex(where: { $0.name == name })
            switch (index, newValue) {
            case (let i?, let d?): sections[i].data = d
            case (let i?, nil): sections.remove(at: i)
            case (nil, let d?): sections.append((name, d))
            case (nil, nil): break
            }
        }
    }

    /// Returns the section or throws `.badHeader` naming the missing section and what is present.
    public func section(_ name: String, in url: URL? = nil) throws -> Data {
        guard let d = self[name] else {
            throw LatticeIOError(.badHeader, path: url?.path ?? "<checkpoint>",
                "missing checkpoint section '\(name)'; present: \(names.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return d
    }

    /// The complete file contents, checksum included.
    public func encoded() -> Data {
        var out = Data(Self.magic)
        Self.put(&out, Self.formatVersion)
        Self.put(&out, UInt32(sections.count))
        for (name, data) in sections {
            let nameBytes = Data(name.utf8)
            Self.put(&out, UInt32(nameBytes.count))
            out.append(nameBytes)
            Self.put(&out, UInt64(data.count))
            out.append(data)
        }
        Self.put(&out, Self.fnv1a64(out))
        return out
    }

    /// Writes the archive atomically (temp file, fsync, rename, fsync folder).
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    /// Reads and verifies an archive written by `write(to:)`.
    public static func read(from url: URL) throws -> CheckpointArchive {
        let path = url.path
        return try decode(Data(POSIX.readFile(path)), path: path)
    }

    /// Verifies and decodes archive bytes; `path` names the source in errors.
    public static func decode(_ bytes: Data, path: String = "<checkpoint>") throws -> CheckpointArchive {
        let b = [UInt8](bytes)
        let n = b.count
        guard n >= 8, Array(b[0 ..< 8]) == magic else {
            let found = b.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw LatticeIOError(.badMagic, path: path,
                "not a checkpoint: expected magic \"L2HMCCKP\", found \(found.isEmpty ? "an empty file" : "bytes " + found)")
        }
        let minimum = 8 + 4 + 4 + 8
        guard n >= 12 else {
            throw LatticeIOError(.truncated, path: path, "truncated checkpoint: \(n) bytes, a valid one has at least \(minimum)")
        }
        let version = get(b, 8, UInt32.self)
        guard version == formatVersion else {
            throw LatticeIOError(.unsupportedVersion, path: path,
                "unknown checkpoint format version \(version): expected \(formatVersion)")
        }
        guard n >= minimum else {
            throw LatticeIOError(.truncated, path: path, "truncated checkpoint: \(n) bytes, a valid one has at least \(minimum)")
        }
        let end = n - 8  // the checksum starts here
        let count = Int(get(b, 12, UInt32.self))
        var at = 16
        var sections: [(name: String, data: Data)] = []
        func need(_ k: Int, _ what: String) throws {
            guard k <= end - at else {
                throw LatticeIOError(.truncated, path: path,
                    "truncated or corrupt checkpoint: \(what) needs \(k) bytes at offset \(at), only \(max(0, end - at)) remain before the checksum (file is \(n) bytes)")
            }
        }
        for index in 0 ..< count {
            try need(4, "name length of section \(index + 1) of \(count)")
            let nameLength = Int(get(b, at, UInt32.self)); at += 4
            try need(nameLength, "name of section \(index + 1) of \(count)")
            guard let name = String(bytes: b[at ..< at + nameLength], encoding: .utf8) else {
                throw LatticeIOError(.badHeader, path: path, "section \(index + 1) name is not valid UTF-8")
            }
            at += nameLength
            try need(8, "data length of section '\(name)'")
            let dataLength = get(b, at, UInt64.self); at += 8
            guard dataLength <= UInt64(Int.max) else {
                throw LatticeIOError(.truncated, path: path, "truncated or corrupt checkpoint: section '\(name)' declares \(dataLength) bytes")
            }
            try need(Int(dataLength), "data of section '\(name)'")
            sections.append((name, Data(b[at ..< at + Int(dataLength)])))
            at += Int(dataLength)
        }
        guard at == end else {
            throw LatticeIOError(.badHeader, path: path,
                "corrupt checkpoint: \(count) sections end at offset \(at), but the checksum is at offset \(end) (\(end - at) unexpected bytes)")
        }
        let stored = get(b, end, UInt64.self)
        let computed = b.withUnsafeBufferPointer { fnv1a64(UnsafeBufferPointer(rebasing: $0[0 ..< end])) }
        guard stored == computed else {
            throw LatticeIOError(.checksumMismatch, path: path,
                "checkpoint checksum mismatch (FNV-1a 64): file stores \(hex(stored)), contents hash to \(hex(computed))")
        }
        do {
            return try CheckpointArchive(sections: sections)
        } catch {
            throw LatticeIOError(.badHeader, path: path, "corrupt checkpoint: \((error as? LatticeIOError)?.message ?? "\(error)")")
        }
    }

    /// FNV-1a 64-bit hash.
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        return h
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - s.count) + s
    }

    private static func put<T: FixedWidthInteger>(_ out: inout Data, _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func get<T: FixedWidthInteger>(_ b: [UInt8], _ at: Int, _: T.Type) -> T {
        var v: T = 0
        for i in 0 ..< MemoryLayout<T>.size { v |= T(b[at + i]) << (8 * i) }
        return v
    }
}
