// GaugeBinary.swift — internal helpers shared by the gauge-file formats: packing numbers in a declared
// precision and byte order, the NERSC 32-bit word sum, CRC-32, and the NERSC-style text header.
//
// NERSC checksum convention (used by NERSC.swift and U1Config.swift): the wrapping UInt32 sum of the 32-bit words
// of the data as stored, each word read in the byte order the file declares. For IEEE64 data each number contributes
// its high and low 32-bit halves, for IEEE32 its bit pattern. This is what Grid does (Grid/parallelIO/BinaryIO.h,
// NerscChecksum: on read it sums the uint32 words after converting the buffer to host order with be64toh_v/be32toh_v;
// on write it sums before converting to file order), and what REFERENCE §7 calls "the 32-bit words in host order";
// all three descriptions give the same number, independent of the host and of the file's byte order.

import Foundation

enum GaugeBinary {
    /// Decodes `count` numbers from `raw` (precision, byte order) into doubles and returns the NERSC word sum.
    static func decode(_ raw: UnsafeRawBufferPointer, count: Int, precision: FloatPrecision, order: ByteOrder)
        -> (values: [Double], nerscSum: UInt32)
    {
        var sum: UInt32 = 0
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            switch precision {
            case .double:
                for i in 0 ..< count {
                    let w = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    let bits = order == .big ? UInt64(bigEndian: w) : UInt64(littleEndian: w)
                    sum = sum &+ UInt32(truncatingIfNeeded: bits) &+ UInt32(truncatingIfNeeded: bits >> 32)
                    out[i] = Double(bitPattern: bits)
                }
            case .single:
                for i in 0 ..< count {
                    let w = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    let bits = order == .big ? UInt32(bigEndian: w) : UInt32(littleEndian: w)
                    sum = sum &+ bits
                    out[i] = Double(Float(bitPattern: bits))
                }
            }
            initialized = count
        }
        return (values, sum)
    }

    /// Encodes doubles in the given precision and byte order; returns the bytes and the NERSC word sum.
    /// 32-bit output rounds each value to the nearest Float.
    static func encode(_ values: UnsafeBufferPointer<Double>, precision: FloatPrecision, order: ByteOrder)
        -> (bytes: [UInt8], nerscSum: UInt32)
    {
        var sum: UInt32 = 0
        let n = values.count * precision.bytes
        let bytes = [UInt8](unsafeUninitializedCapacity: n) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            switch precision {
            case .double:
                for (i, v) in values.enumerated() {
                    let bits = v.bitPattern
                    sum = sum &+ UInt32(truncatingIfNeeded: bits) &+ UInt32(truncatingIfNeeded: bits >> 32)
                    raw.storeBytes(of: order == .big ? bits.bigEndian : bits.littleEndian, toByteOffset: i * 8, as: UInt64.self)
                }
            case .single:
                for (i, v) in values.enumerated() {
                    let bits = Float(v).bitPattern
                    sum = sum &+ bits
                    raw.storeBytes(of: order == .big ? bits.bigEndian : bits.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
            initialized = n
        }
        return (bytes, sum)
    }

    // MARK: CRC-32 (ISO-HDLC / zlib: reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF)

    static let crcTable: [UInt32] = (0 ..< 256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0 ..< 8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// zlib's crc32(0, bytes, count).
    static func crc32(_ p: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        crcTable.withUnsafeBufferPointer { t in
            for b in p { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }

    // MARK: Numbers in headers

    /// Shortest text that reads back to the same Double ("0.5937…", "1.0").
    static func number(_ x: Double) -> String { "\(x)" }

    /// Lower-case hex without prefix.
    static func hex(_ x: UInt32) -> String { String(x, radix: 16) }

    /// Parses hex with or without "0x"/"0X" and surrounding blanks.
    static func parseHex(_ s: String) -> UInt32? {
        var t = s.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { t.removeFirst(2) }
        guard !t.isEmpty, t.count <= 8 else { return nil }
        return UInt32(t, radix: 16)
    }

    /// Tolerance for comparing a header value with the recomputed one: relative to max(1, |header|),
    /// 1e-6 for 32-bit data, 1e-9 for 64-bit.
    static func agrees(_ header: Double, _ computed: Double, precision: FloatPrecision) -> Bool {
        let tol = (precision == .single ? 1e-6 : 1e-9) * max(1, abs(header))
        return abs(header - computed) <= tol
    }
}

/// A NERSC-style text header: "BEGIN_HEADER\n", "KEY = value" lines, "END_HEADER\n".
struct NERSCHeader {
    /// Keys in file order, values trimmed.
    var entries: [(key: String, value: String)]
    /// Offset of the first data byte (just after the END_HEADER line's newline).
    var dataOffset: Int

    subscript(key: String) -> String? { entries.last(where: { $0.key == key })?.value }

    var dictionary: [String: String] {
        var d: [String: String] = [:]
        for e in entries { d[e.key] = e.value }
        return d
    }

    /// True if the bytes start (after blanks) with BEGIN_HEADER.
    static func looksLikeHeader(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        let tag = Array("BEGIN_HEADER".utf8)
        guard b.count - i >= tag.count else { return false }
        for k in 0 ..< tag.count where b[i + k] != tag[k] { return false }
        return true
    }

    /// Parses the header; throws `.badMagic` (no BEGIN_HEADER) or `.badHeader` (no END_HEADER within 1 MiB,
    /// or a line that is not KEY = value).
    static func parse(_ b: UnsafeRawBufferPointer, path: String) throws -> NERSCHeader {
        guard looksLikeHeader(b) else {
            let found = b.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw LatticeIOError(.badMagic, path: path,
                "not a NERSC-style file: expected it to start with BEGIN_HEADER, found \(b.isEmpty ? "an empty file" : "bytes " + found)")
        }
        let limit = min(b.count, 1 << 20)
        var lines: [String] = []
        var start = 0
        var end: Int? = nil
        var i = 0
        while i < limit {
            if b[i] == 0x0A {
                let line = String(decoding: UnsafeRawBufferPointer(rebasing: b[start ..< i]), as: UTF8.self)
                lines.append(line)
                start = i + 1
                if line.trimmingCharacters(in: .whitespacesAndNewlines) == "END_HEADER" { end = i + 1; break }
            }
            i += 1
        }
        guard let dataOffset = end else {
            throw LatticeIOError(.badHeader, path: path,
                b.count < (1 << 20) ? "truncated header: no END_HEADER line in the file's \(b.count) bytes"
                                    : "no END_HEADER line in the first 1 MiB")
        }
        var entries: [(String, String)] = []
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line == "BEGIN_HEADER" || line == "END_HEADER" { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw LatticeIOError(.badHeader, path: path, "header line \(number + 1) is not KEY = value: '\(line)'")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            entries.append((key, value))
        }
        return NERSCHeader(entries: entries, dataOffset: dataOffset)
    }

    /// Warnings for BOUNDARY_1…d entries that are not PERIODIC.
    func boundaryWarnings(dimensions d: Int) -> [String] {
        (1 ... d).compactMap { k in
            guard let bc = self["BOUNDARY_\(k)"], bc.uppercased() != "PERIODIC" else { return nil }
            return "BOUNDARY_\(k) = \(bc): the plaquette is recomputed with periodic boundaries"
        }
    }

    /// The data after the header, which must be exactly `expectedBytes` long (truncated or too long is an error).
    /// `kind` names the format in messages ("NERSC", "U(1)"); `what` describes the expected layout and `declared`
    /// what the header declares (e.g. "DIMENSION_1..4 = 8x8x8x8 with 4D_SU3_GAUGE at 64-bit").
    func dataRegion(_ b: UnsafeRawBufferPointer, expectedBytes: Int, kind: String, what: String, declared: String,
                    path: String) throws -> UnsafeRawBufferPointer {
        let available = b.count - dataOffset
        guard available >= expectedBytes else {
            throw LatticeIOError(.truncated, path: path,
                "truncated \(kind) file: \(what) needs \(expectedBytes) data bytes after the \(dataOffset)-byte header (\(dataOffset + expectedBytes) in all), the file has \(available) (\(b.count) in all)")
        }
        guard available == expectedBytes else {
            throw LatticeIOError(.shapeMismatch, path: path,
                "\(kind) file has \(available) data bytes after the header but \(declared) needs exactly \(expectedBytes): wrong dimensions or FLOATING_POINT in the header, or trailing garbage")
        }
        return UnsafeRawBufferPointer(rebasing: b[dataOffset ..< dataOffset + expectedBytes])
    }

    /// The header's CHECKSUM as a 32-bit number.
    func statedChecksum(path: String) throws -> UInt32 {
        let text = try required("CHECKSUM", path: path)
        guard let stated = GaugeBinary.parseHex(text) else {
            throw LatticeIOError(.badHeader, path: path, "header CHECKSUM = '\(text)' is not a 32-bit hexadecimal number")
        }
        return stated
    }

    func required(_ key: String, path: String) throws -> String {
        guard let v = self[key] else {
            throw LatticeIOError(.badHeader, path: path, "header has no \(key) line")
        }
        return v
    }

    func double(_ key: String, path: String) throws -> Double {
        let s = try required(key, path: path)
        guard let v = Double(s), v.isFinite else {
            throw LatticeIOError(.badHeader, path: path, "header \(key) = '\(s)' is not a finite number")
        }
        return v
    }

    /// DIMENSION_1 … DIMENSION_d as positive integers.
    func dimensions(_ d: Int, path: String) throws -> [Int] {
        try (1 ... d).map { k in
            let s = try required("DIMENSION_\(k)", path: path)
            guard let v = Int(s), v >= 1 else {
                throw LatticeIOError(.badHeader, path: path, "header DIMENSION_\(k) = '\(s)' is not a positive integer")
            }
            return v
        }
    }

    /// FLOATING_POINT → precision and byte order. `ambiguous` is true for IEEE32/IEEE64 without a byte order
    /// (read as big-endian; see NERSC.swift).
    static func floatingPoint(_ s: String, path: String) throws -> (FloatPrecision, ByteOrder, ambiguous: Bool) {
        switch s.uppercased() {
        case "IEEE64BIG": return (.double, .big, false)
        case "IEEE64LITTLE": return (.double, .little, false)
        case "IEEE32BIG": return (.single, .big, false)
        case "IEEE32LITTLE": return (.single, .little, false)
        case "IEEE32": return (.single, .big, true)
        case "IEEE64": return (.double, .big, true)
        default:
            throw LatticeIOError(.unsupportedFormat, path: path,
                "unsupported FLOATING_POINT = '\(s)'; expected IEEE64BIG, IEEE64LITTLE, IEEE32BIG, IEEE32LITTLE or IEEE32")
        }
    }

    static func floatingPointName(_ p: FloatPrecision, _ o: ByteOrder) -> String {
        "IEEE\(p.rawValue)\(o == .big ? "BIG" : "LITTLE")"
    }

    /// The header text for `entries`.
    static func encode(_ entries: [(String, String)]) -> [UInt8] {
        var s = "BEGIN_HEADER\n"
        for (k, v) in entries { s += "\(k) = \(v)\n" }
        s += "END_HEADER\n"
        return Array(s.utf8)
    }

    /// Header fields that describe the ensemble; defaults are filled in by the writers.
    static func creationDate() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE MMM d HH:mm:ss yyyy 'UTC'"
        return f.string(from: Date())
    }
}

/// Ensemble fields written into NERSC-style headers (NERSC and U(1) files).
public struct GaugeFileMetadata: Sendable, Equatable {
    public var ensembleID: String
    public var ensembleLabel: String
    public var sequenceNumber: Int
    public var creator: String
    /// nil: the current time, e.g. "Tue Mar 3 14:02:11 2026 UTC".
    public var creationDate: String?

    public init(ensembleID: String = "l2hmc", ensembleLabel: String = "l2hmc", sequenceNumber: Int = 0,
                creator: String = "l2hmc", creationDate: String? = nil) {
        self.ensembleID = ensembleID
        self.ensembleLabel = ensembleLabel
        self.sequenceNumber = sequenceNumber
        self.creator = creator
        self.creationDate = creationDate
    }

    /// Header values must be single-line; newlines become spaces.
    static func clean(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
