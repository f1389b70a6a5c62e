// ILDG.swift — ILDG gauge configuration files in LIME containers (REFERENCE §7), 4D SU(3).
//
// LIME (c-lime, include/lime_binary_header.h): a file is a sequence of records, each a 144-byte big-endian header
//     bytes 0–3    magic 0x456789AB
//           4–5    LIME version (1)
//           6      flags: 0x80 = MB (message begin), 0x40 = ME (message end); byte 7 reserved (0)
//           8–15   payload length in bytes (UInt64)
//           16–143 record type, ASCII, NUL-padded (≤ 127 characters)
//     followed by the payload, zero-padded to a multiple of 8 bytes.
// Records written, as one message (MB on the first, ME on the last):
//     ildg-format       <?xml …?><ildgFormat …><version>1.0</version><field>su3gauge</field>
//                       <precision>32|64</precision><lx>…</lx><ly>…</ly><lz>…</lz><lt>…</lt></ildgFormat>
//     ildg-binary-data  big-endian IEEE floats, [t][z][y][x][μ][row][col][re/im], x fastest (the
//                       GaugeConfiguration layout)
//     scidac-checksum   <?xml …?><scidacChecksum><version>1.0</version><suma>hex</suma><sumb>hex</sumb></scidacChecksum>
// SciDAC checksum (QIO lib/dml/DML_utils.c, DML_checksum_accum; the same in Grid/parallelIO/BinaryIO.h,
// ScidacChecksum): for every site with lexicographic rank r = x + Lx(y + Ly(z + Lz t)), c = crc32(0, site bytes)
// over the site's 4·18 numbers exactly as stored in the file (big-endian), then
//     suma ^= rotl32(c, r mod 29),  sumb ^= rotl32(c, r mod 31).
// crc32 is zlib's (reflected polynomial 0xEDB88320). The C code writes c<<k | c>>(32−k), which for k = 0 is c on
// every compiler that matters; rotl32 is exactly that.
//
// Reading is lenient about what is not essential: records are found by type in any order, unknown records are
// skipped, a missing scidac-checksum record gives a warning (the data are then unverified), a missing final padding
// is accepted. It is strict about ildg-format (field su3gauge, precision 32/64, lx..lt) and the binary-data length.
// A checksum mismatch throws `.checksumMismatch` unless `verify` is false (then it is a warning).

import Foundation

/// ILDG (LIME) 4D SU(3) gauge files.
public enum ILDGFile {
    public static let limeMagic: UInt32 = 0x4567_89AB

    /// One LIME record as found in a file.
    public struct LimeRecord: Sendable, Equatable {
        public var type: String
        public var messageBegin: Bool
        public var messageEnd: Bool
        /// Offset of the record's 144-byte header in the file.
        public var headerOffset: Int
        /// Offset and length of the payload (without padding).
        public var payloadOffset: Int
        public var payloadLength: Int
    }

    /// Lists the LIME records; throws `.badMagic` or `.truncated` naming the record and the byte counts.
    public static func records(in bytes: Data, path: String = "<LIME>") throws -> [LimeRecord] {
        try bytes.withUnsafeBytes { try records($0, path: path).records }
    }

    static func records(_ b: UnsafeRawBufferPointer, path: String) throws -> (records: [LimeRecord], warnings: [String]) {
        var out: [LimeRecord] = []
        var warnings: [String] = []
        var at = 0
        while at < b.count {
            let remaining = b.count - at
            if remaining < 144 {
                if out.isEmpty || b[at...].contains(where: { $0 != 0 }) {
                    throw LatticeIOError(.truncated, path: path,
                        "truncated LIME file: record #\(out.count + 1) at offset \(at) needs a 144-byte header, only \(remaining) bytes remain (file is \(b.count) bytes)")
                }
                warnings.append("\(remaining) zero bytes after the last LIME record ignored")
                break
            }
            let magic = UInt32(bigEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
            guard magic == limeMagic else {
                let found = String(magic, radix: 16)
                throw LatticeIOError(.badMagic, path: path,
                    out.isEmpty ? "not a LIME file: expected magic 0x456789ab at offset 0, found 0x\(found)"
                                : "corrupt LIME file: record #\(out.count + 1) at offset \(at) has magic 0x\(found), expected 0x456789ab (after record '\(out.last!.type)')")
            }
            let version = UInt16(bigEndian: b.loadUnaligned(fromByteOffset: at + 4, as: UInt16.self))
            let flags = b[at + 6]
            let length64 = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            var typeBytes: [UInt8] = []
            for k in 16 ..< 144 { let c = b[at + k]; if c == 0 { break }; typeBytes.append(c) }
            let type = String(decoding: typeBytes, as: UTF8.self)
            if version != 1 { warnings.append("LIME record '\(type)' has version \(version), expected 1") }
            let payloadOffset = at + 144
            guard length64 <= UInt64(b.count - payloadOffset) else {
                throw LatticeIOError(.truncated, path: path,
                    "truncated LIME file: record #\(out.count + 1) '\(type)' at offset \(at) declares \(length64) payload bytes, only \(b.count - payloadOffset) remain (file is \(b.count) bytes, expected at least \(UInt64(payloadOffset) + length64))")
            }
            let length = Int(length64)
            out.append(LimeRecord(type: type, messageBegin: flags & 0x80 != 0, messageEnd: flags & 0x40 != 0,
                                  headerOffset: at, payloadOffset: payloadOffset, payloadLength: length))
            at = payloadOffset + (length + 7) / 8 * 8
        }
        if out.isEmpty {
            throw LatticeIOError(.badMagic, path: path, "not a LIME file: it is empty")
        }
        return (out, warnings)
    }

    /// The file contents for `configuration` (which must be SU(3)).
    public static func encode(_ configuration: GaugeConfiguration, precision: FloatPrecision = .double) throws -> Data {
        guard configuration.group == .su3 else {
            throw LatticeIOError(.invalidArgument, path: "<ILDG>",
                "ILDG files hold 4D SU(3) configurations; this one is \(configuration.group.displayName) on \(GaugeConfiguration.shapeText(configuration.shape)) (use the U(1) format)")
        }
        _ = try GaugeConfiguration(group: .su3, shape: configuration.shape, links: configuration.links)
        let s = configuration.shape
        let format = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ildgFormat xmlns=\"http://www.lqcd.org/ildg\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.lqcd.org/ildg http://www.lqcd.org/ildg/ildg-format.xsd\"><version>1.0</version><field>su3gauge</field><precision>\(precision.rawValue)</precision><lx>\(s[0])</lx><ly>\(s[1])</ly><lz>\(s[2])</lz><lt>\(s[3])</lt></ildgFormat>"
        let data = configuration.links.withUnsafeBufferPointer { GaugeBinary.encode($0, precision: precision, order: .big).bytes }
        let (a, b) = data.withUnsafeBytes { scidacChecksum($0, siteBytes: 4 * 18 * precision.bytes) }
        let checksum = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><scidacChecksum><version>1.0</version><suma>\(GaugeBinary.hex(a))</suma><sumb>\(GaugeBinary.hex(b))</sumb></scidacChecksum>"
        var out = Data()
        appendRecord(&out, type: "ildg-format", payload: Array(format.utf8), mb: true, me: false)
        appendRecord(&out, type: "ildg-binary-data", payload: data, mb: false, me: false)
        appendRecord(&out, type: "scidac-checksum", payload: Array(checksum.utf8), mb: false, me: true)
        return out
    }

    /// Writes `configuration` atomically.
    public static func write(_ configuration: GaugeConfiguration, to url: URL, precision: FloatPrecision = .double) throws {
        let data: Data
        do {
            data = try encode(configuration, precision: precision)
        } catch let e as LatticeIOError {
            throw LatticeIOError(e.kind, path: url.path, e.message)
        }
        try AtomicFile.write(data, to: url)
    }

    /// Reads and (unless `verify` is false) verifies an ILDG file.
    public static func read(_ url: URL, verify: Bool = true) throws -> GaugeFileContents {
        try decode(Data(POSIX.readFile(url.path)), path: url.path, verify: verify)
    }

    /// Decodes ILDG file bytes; `path` names the source in errors.
    public static func decode(_ bytes: Data, path: String = "<ILDG>", verify: Bool = true) throws -> GaugeFileContents {
        try bytes.withUnsafeBytes { b in try decode(b, path: path, verify: verify) }
    }

    static func decode(_ b: UnsafeRawBufferPointer, path: String, verify: Bool) throws -> GaugeFileContents {
        let listing = try Self.records(b, path: path)
        let records = listing.records
        var warnings = listing.warnings
        func payload(_ r: LimeRecord) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: b[r.payloadOffset ..< r.payloadOffset + r.payloadLength])
        }
        func text(_ r: LimeRecord) -> String {
            String(decoding: payload(r), as: UTF8.self).replacingOccurrences(of: "\0", with: "")
        }
        let types = records.map(\.type)
        guard let formatRecord = records.first(where: { $0.type == "ildg-format" }) else {
            throw LatticeIOError(.badHeader, path: path,
                "LIME file has no ildg-format record (records: \(types.joined(separator: ", "))); not an ILDG gauge configuration")
        }
        let xml = text(formatRecord)
        func tag(_ name: String) throws -> String {
            guard let v = xmlValue(xml, name) else {
                throw LatticeIOError(.badHeader, path: path, "ildg-format record has no <\(name)> element: \(xml.prefix(400))")
            }
            return v
        }
        let field = try tag("field")
        guard field == "su3gauge" else {
            throw LatticeIOError(.unsupportedFormat, path: path, "ildg-format field = '\(field)'; this reader handles su3gauge only")
        }
        let precisionText = try tag("precision")
        guard let bits = Int(precisionText), let precision = FloatPrecision(rawValue: bits) else {
            throw LatticeIOError(.unsupportedFormat, path: path, "ildg-format precision = '\(precisionText)'; expected 32 or 64")
        }
        let shape = try ["lx", "ly", "lz", "lt"].map { name -> Int in
            let s = try tag(name)
            guard let v = Int(s), v >= 1 else {
                throw LatticeIOError(.badHeader, path: path, "ildg-format <\(name)> = '\(s)' is not a positive integer")
            }
            return v
        }
        let binaries = records.filter { $0.type == "ildg-binary-data" }
        guard let binary = binaries.first else {
            throw LatticeIOError(.badHeader, path: path,
                "LIME file has no ildg-binary-data record (records: \(types.joined(separator: ", ")))")
        }
        if binaries.count > 1 { warnings.append("\(binaries.count) ildg-binary-data records; the first is read") }
        let count = try GaugeConfiguration.linkValueCount(group: .su3, shape: shape, context: path)
        let expected = count * precision.bytes
        guard binary.payloadLength == expected else {
            throw LatticeIOError(binary.payloadLength < expected ? .truncated : .shapeMismatch, path: path,
                "ildg-binary-data record holds \(binary.payloadLength) bytes, but lx ly lz lt = \(GaugeConfiguration.shapeText(shape)) at precision \(precision.rawValue) needs \(expected): wrong dimensions or precision in ildg-format, or a damaged record")
        }
        let raw = payload(binary)
        let (values, _) = GaugeBinary.decode(raw, count: count, precision: precision, order: .big)

        var info: [String: String] = [:]
        info["records"] = types.joined(separator: ",")
        if let c = records.first(where: { $0.type == "scidac-checksum" }) {
            let cx = text(c)
            guard let sa = xmlValue(cx, "suma").flatMap(GaugeBinary.parseHex),
                  let sb = xmlValue(cx, "sumb").flatMap(GaugeBinary.parseHex) else {
                throw LatticeIOError(.badHeader, path: path, "scidac-checksum record has no readable <suma>/<sumb>: \(cx.prefix(400))")
            }
            let (ca, cb) = scidacChecksum(raw, siteBytes: 4 * 18 * precision.bytes)
            info["checksum_header"] = "\(GaugeBinary.hex(sa)) \(GaugeBinary.hex(sb))"
            info["checksum_computed"] = "\(GaugeBinary.hex(ca)) \(GaugeBinary.hex(cb))"
            if ca != sa || cb != sb {
                let message = "SciDAC checksum mismatch: record says suma = \(GaugeBinary.hex(sa)), sumb = \(GaugeBinary.hex(sb)); computed from ildg-binary-data suma = \(GaugeBinary.hex(ca)), sumb = \(GaugeBinary.hex(cb)) — the data or the checksum record is corrupt"
                if verify { throw LatticeIOError(.checksumMismatch, path: path, message) }
                warnings.append(message)
                info["checksum"] = "mismatch"
            } else {
                info["checksum"] = "ok"
            }
        } else {
            warnings.append("no scidac-checksum record: the binary data could not be verified")
            info["checksum"] = "absent"
        }
        let configuration = try GaugeConfiguration(group: .su3, shape: shape, links: values)
        info["format"] = "ILDG"
        info["datatype"] = field
        info["group"] = GaugeGroup.su3.rawValue
        info["dimensions"] = GaugeConfiguration.shapeText(shape)
        info["precision"] = String(precision.rawValue)
        info["byte_order"] = ByteOrder.big.rawValue
        info["plaquette"] = GaugeBinary.number(configuration.plaquette)
        info["link_trace"] = GaugeBinary.number(configuration.linkTrace)
        info["unitarity"] = String(format: "%.3g", configuration.unitarityViolation)
        if let lfn = records.first(where: { $0.type == "ildg-data-lfn" }) { info["lfn"] = text(lfn) }
        return (configuration, info, warnings)
    }

    /// SciDAC (suma, sumb) of site-ordered data, `siteBytes` bytes per site (see the file header).
    public static func scidacChecksum(_ data: UnsafeRawBufferPointer, siteBytes: Int) -> (suma: UInt32, sumb: UInt32) {
        precondition(siteBytes > 0 && data.count % siteBytes == 0)
        var a: UInt32 = 0, b: UInt32 = 0
        for site in 0 ..< data.count / siteBytes {
            let c = GaugeBinary.crc32(UnsafeRawBufferPointer(rebasing: data[site * siteBytes ..< (site + 1) * siteBytes]))
            a ^= rotl(c, UInt32(site % 29))
            b ^= rotl(c, UInt32(site % 31))
        }
        return (a, b)
    }

    @inline(__always) static func rotl(_ x: UInt32, _ k: UInt32) -> UInt32 { k == 0 ? x : (x << k) | (x >> (32 - k)) }

    static func appendRecord(_ out: inout Data, type: String, payload: [UInt8], mb: Bool, me: Bool) {
        var h = [UInt8](repeating: 0, count: 144)
        withUnsafeBytes(of: limeMagic.bigEndian) { for k in 0 ..< 4 { h[k] = $0[k] } }
        withUnsafeBytes(of: UInt16(1).bigEndian) { for k in 0 ..< 2 { h[4 + k] = $0[k] } }
        h[6] = (mb ? 0x80 : 0) | (me ? 0x40 : 0)
        withUnsafeBytes(of: UInt64(payload.count).bigEndian) { for k in 0 ..< 8 { h[8 + k] = $0[k] } }
        for (k, c) in type.utf8.prefix(127).enumerated() { h[16 + k] = c }
        out.append(contentsOf: h)
        out.append(contentsOf: payload)
        let pad = (8 - payload.count % 8) % 8
        if pad > 0 { out.append(contentsOf: [UInt8](repeating: 0, count: pad)) }
    }

    /// Text of the first <name …>…</name> element (namespace prefixes allowed), trimmed.
    static func xmlValue(_ xml: String, _ name: String) -> String? {
        var search = xml.startIndex
        while let open = xml.range(of: "<", range: search ..< xml.endIndex) {
            guard let close = xml.range(of: ">", range: open.upperBound ..< xml.endIndex) else { return nil }
            var tagName = xml[open.upperBound ..< close.lowerBound]
            search = close.upperBound
            if let space = tagName.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) { tagName = tagName[..<space] }
            if let colon = tagName.lastIndex(of: ":") { tagName = tagName[tagName.index(after: colon)...] }
            guard tagName == name else { continue }
            // Find the matching end tag </name> or </prefix:name>.
            var endSearch = close.upperBound
            while let end = xml.range(of: "</", range: endSearch ..< xml.endIndex) {
                guard let endClose = xml.range(of: ">", range: end.upperBound ..< xml.endIndex) else { return nil }
                var endName = xml[end.upperBound ..< endClose.lowerBound]
                if let colon = endName.lastIndex(of: ":") { endName = endName[endName.index(after: colon)...] }
                if endName.trimmingCharacters(in: .whitespaces) == name {
                    return String(xml[close.upperBound ..< end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
                }
                endSearch = endClose.upperBound
            }
            return nil
        }
        return nil
    }
}
