// Npy.swift — the NumPy .npy format: header encoding/parsing and the one-shot `NpyArray`.
//
// Conventions (REFERENCE §7: analysis arrays are (draw, chain[, …]) little-endian `<f8`, C order):
//   • Written files are always `<f8`, C order, format version 1.0 (2.0 only if the header would
//     exceed 65 535 bytes). Header = magic "\x93NUMPY", version, little-endian header length, then
//     the dict `{'descr': '<f8', 'fortran_order': False, 'shape': (N, C), }` padded with spaces and
//     ending in "\n" so the total header size is a multiple of 64 (numpy's alignment rule).
//   • The reader accepts versions 1.0, 2.0 and 3.0, C order only, dtypes `<f8`, `>f8`, `<f4`, `>f4`,
//     `<i8`, `>i8`, `<i4`, `>i4`, `|u1`, `|i1`, `|b1`; every value is converted to Double
//     (f8 bit-exactly; i8 beyond ±2^53 rounds). Bytes after the declared data are ignored (numpy does
//     the same), fewer bytes is a `.truncated` error.

import Foundation

/// A dense array read from or written to a .npy file; `values` are in C (row-major) order.
public struct NpyArray: Sendable {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    /// Number of elements implied by `shape` (1 for a 0-d array).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Reads a .npy file. Throws `LatticeIOError` for bad magic, unsupported version or dtype,
    /// Fortran order, an unparsable header or truncated data.
    public static func read(_ url: URL) throws -> NpyArray {
        let path = url.path
        let bytes = try POSIX.readFile(path)
        let header = try NpyHeader.parse(bytes, path: path)
        let count = header.shape.reduce(1, *)
        let need = count * header.dtype.size
        let have = bytes.count - header.dataOffset
        guard have >= need else {
            throw LatticeIOError(.truncated, path: path,
                "truncated data: shape \(NpyHeader.shapeText(header.shape)) of '\(header.dtype.descr)' needs \(need) data bytes, found \(have)")
        }
        let values = bytes.withUnsafeBytes { raw in
            header.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[header.dataOffset ..< header.dataOffset + need]), count: count)
        }
        return NpyArray(shape: header.shape, values: values)
    }

    /// Writes the array as `<f8`, C order, atomically (via `AtomicFile`).
    /// Throws `.shapeMismatch` if `values.count` differs from the product of `shape`.
    public func write(to url: URL) throws {
        guard !shape.contains(where: { $0 < 0 }) else {
            throw LatticeIOError(.shapeMismatch, path: url.path, "negative dimension in shape \(NpyHeader.shapeText(shape))")
        }
        guard values.count == elementCount else {
            throw LatticeIOError(.shapeMismatch, path: url.path,
                "shape \(NpyHeader.shapeText(shape)) needs \(elementCount) values, found \(values.count)")
        }
        var data = Data(NpyHeader.encode(shape: shape, minimumTotal: 0))
        data.append(Data(doubles: values))
        try AtomicFile.write(data, to: url)
    }
}

/// Element types the reader understands.
struct NpyDType: Sendable, Equatable {
    enum Base: Sendable { case float, int, uint, bool }
    let descr: String
    let base: Base
    let size: Int
    let littleEndian: Bool

    static func from(_ descr: String) -> NpyDType? {
        guard descr.count == 3 else { return nil }
        let chars = Array(descr)
        let order = chars[0], kind = chars[1]
        guard let size = Int(String(chars[2])) else { return nil }
        let little: Bool
        switch order {
        case "<": little = true
        case ">": little = false
        case "|", "=": little = true  // single byte ("|"), or native (we only run on little-endian hosts)
        default: return nil
        }
        switch (kind, size) {
        case ("f", 8), ("f", 4): return NpyDType(descr: descr, base: .float, size: size, littleEndian: little)
        case ("i", 8), ("i", 4), ("i", 1): return NpyDType(descr: descr, base: .int, size: size, littleEndian: little)
        case ("u", 1): return NpyDType(descr: descr, base: .uint, size: size, littleEndian: little)
        case ("b", 1): return NpyDType(descr: descr, base: .bool, size: size, littleEndian: little)
        default: return nil
        }
    }

    func decode(_ raw: UnsafeRawBufferPointer, count: Int) -> [Double] {
        func words<T: FixedWidthInteger>(_: T.Type, _ convert: (T) -> Double) -> [Double] {
            let little = littleEndian
            return [Double](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0 ..< count {
                    let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                    out[i] = convert(little ? T(littleEndian: v) : T(bigEndian: v))
                }
                initialized = count
            }
        }
        switch (base, size) {
        case (.float, 8): return words(UInt64.self) { Double(bitPattern: $0) }
        case (.float, 4): return words(UInt32.self) { Double(Float(bitPattern: $0)) }
        case (.int, 8): return words(Int64.self) { Double($0) }
        case (.int, 4): return words(Int32.self) { Double($0) }
        case (.int, 1): return words(Int8.self) { Double($0) }
        case (.uint, 1): return words(UInt8.self) { Double($0) }
        case (.bool, 1): return words(UInt8.self) { $0 == 0 ? 0 : 1 }
        default: return [Double](repeating: .nan, count: count)
        }
    }
}

/// A parsed .npy header.
struct NpyHeader: Sendable {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    var major: UInt8
    var dtype: NpyDType
    var fortranOrder: Bool
    var shape: [Int]
    /// Total header size in bytes = offset of the first data byte.
    var dataOffset: Int

    static func shapeText(_ shape: [Int]) -> String { shapeText(shape.map(String.init)) }

    static func shapeText(_ shape: [String]) -> String {
        switch shape.count {
        case 0: return "()"
        case 1: return "(\(shape[0]),)"
        default: return "(" + shape.joined(separator: ", ") + ")"
        }
    }

    /// Encodes a `<f8` C-order header whose total size is a multiple of 64 and at least
    /// `minimumTotal` bytes. Returns nil-free bytes; callers check the size they need.
    static func encode(shape: [Int], minimumTotal: Int) -> [UInt8] {
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
        let dictBytes = Array(dict.utf8)
        // Version 1.0: 10-byte preamble; 2.0: 12-byte preamble (only for huge headers).
        var preamble = 10
        var total = max(minimumTotal, roundUp64(preamble + dictBytes.count + 1))
        if total - preamble > Int(UInt16.max) {
            preamble = 12
            total = max(minimumTotal, roundUp64(preamble + dictBytes.count + 1))
        }
        let headerLen = total - preamble
        var out = magic
        if preamble == 10 {
            out += [1, 0, UInt8(headerLen & 0xFF), UInt8(headerLen >> 8)]
        } else {
            out += [2, 0] + (0 ..< 4).map { UInt8((headerLen >> (8 * $0)) & 0xFF) }
        }
        out += dictBytes
        out += [UInt8](repeating: 0x20, count: total - out.count - 1)
        out.append(0x0A)
        return out
    }

    static func roundUp64(_ n: Int) -> Int { (n + 63) / 64 * 64 }

    /// Parses the header at the start of `bytes` (which may be just the header prefix).
    static func parse(_ bytes: [UInt8], path: String) throws -> NpyHeader {
        guard bytes.count >= 6, Array(bytes[0 ..< 6]) == magic else {
            let found = bytes.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw LatticeIOError(.badMagic, path: path,
                "not a .npy file: expected magic bytes 93 4e 55 4d 50 59 (\"\\x93NUMPY\"), found \(found.isEmpty ? "an empty file" : found)")
        }
        guard bytes.count >= 10 else {
            throw LatticeIOError(.truncated, path: path, "truncated .npy header: need at least 10 bytes, found \(bytes.count)")
        }
        let major = bytes[6], minor = bytes[7]
        let preamble: Int
        let headerLen: Int
        switch major {
        case 1:
            preamble = 10
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else {
                throw LatticeIOError(.truncated, path: path, "truncated .npy header: need at least 12 bytes, found \(bytes.count)")
            }
            preamble = 12
            headerLen = (0 ..< 4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw LatticeIOError(.unsupportedVersion, path: path,
                "unsupported .npy format version \(major).\(minor): expected 1.0, 2.0 or 3.0")
        }
        let total = preamble + headerLen
        guard bytes.count >= total else {
            throw LatticeIOError(.truncated, path: path,
                "truncated .npy header: header declares \(total) bytes, file has \(bytes.count)")
        }
        guard let text = String(bytes: bytes[preamble ..< total], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw LatticeIOError(.badHeader, path: path, "header is not valid text")
        }
        var parser = PyLiteralParser(text: text)
        let dict: [String: PyLiteral]
        do {
            guard case .dict(let d) = try parser.parseValue() else {
                throw PyLiteralParser.Failure(message: "expected a dict literal")
            }
            dict = d
        } catch let e as PyLiteralParser.Failure {
            throw LatticeIOError(.badHeader, path: path, "cannot parse header dict \(text.debugDescription): \(e.message)")
        }
        guard case .string(let descr)? = dict["descr"] else {
            throw LatticeIOError(.badHeader, path: path, "header has no string 'descr' key: \(text.debugDescription)")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw LatticeIOError(.badHeader, path: path, "header has no boolean 'fortran_order' key: \(text.debugDescription)")
        }
        guard case .tuple(let dims)? = dict["shape"] else {
            throw LatticeIOError(.badHeader, path: path, "header has no tuple 'shape' key: \(text.debugDescription)")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d, n >= 0 else {
                throw LatticeIOError(.badHeader, path: path, "shape must be a tuple of non-negative integers: \(text.debugDescription)")
            }
            shape.append(n)
        }
        guard let dtype = NpyDType.from(descr) else {
            throw LatticeIOError(.unsupportedDType, path: path,
                "unsupported dtype '\(descr)': expected one of '<f8', '<f4', '<i8', '<i4', '|u1', '|i1', '|b1' (or big-endian variants)")
        }
        if fortran {
            throw LatticeIOError(.fortranOrder, path: path, "array is stored in Fortran order: expected 'fortran_order': False (C order)")
        }
        return NpyHeader(major: major, dtype: dtype, fortranOrder: fortran, shape: shape, dataOffset: total)
    }
}

/// The subset of Python literals found in .npy headers.
enum PyLiteral: Sendable {
    case string(String), int(Int), bool(Bool), none, tuple([PyLiteral]), dict([String: PyLiteral])
}

/// A small recursive-descent parser for Python dict/tuple/list/str/int/bool/None literals.
struct PyLiteralParser {
    struct Failure: Error { let message: String }
    private let chars: [Character]
    private var i = 0

    init(text: String) { chars = Array(text) }

    private mutating func skipSpace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else {
            throw Failure(message: "expected '\(c)' at offset \(i)")
        }
        i += 1
    }

    private mutating func peek() -> Character? {
        skipSpace()
        return i < chars.count ? chars[i] : nil
    }

    mutating func parseValue() throws -> PyLiteral {
        guard let c = peek() else { throw Failure(message: "unexpected end of header") }
        switch c {
        case "{":
            i += 1
            var d: [String: PyLiteral] = [:]
            while peek() != "}" {
                guard case .string(let key) = try parseValue() else { throw Failure(message: "dict keys must be strings") }
                try expect(":")
                d[key] = try parseValue()
                if peek() == "," { i += 1 } else { break }
            }
            try expect("}")
            return .dict(d)
        case "(", "[":
            let close: Character = c == "(" ? ")" : "]"
            i += 1
            var items: [PyLiteral] = []
            while peek() != close {
                items.append(try parseValue())
                if peek() == "," { i += 1 } else { break }
            }
            try expect(close)
            return .tuple(items)
        case "'", "\"":
            i += 1
            var s = ""
            while i < chars.count, chars[i] != c {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw Failure(message: "unterminated string") }
            i += 1
            return .string(s)
        default:
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
                word.append(chars[i])
                i += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let n = Int(digits) else { throw Failure(message: "unexpected token '\(word.isEmpty ? String(c) : word)' at offset \(i)") }
                return .int(n)
            }
        }
    }
}
