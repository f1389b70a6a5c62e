// Persistence.swift — save/load of parameters and optimiser state in one binary file (the only file access of
// the library).
//
// Format (all integers little-endian; Doubles as their IEEE-754 bit patterns, so the round trip is bit-exact):
//   magic    8 bytes  "L2HMCAD\0"
//   version  UInt32   1
//   length   UInt64   number of payload bytes
//   payload:
//     ParameterSet    UInt32 count, then per tensor: String name, UInt32 rank, rank × Int64 extents,
//                     count × UInt64 element bit patterns      (String = UInt32 byte length + UTF-8)
//     UInt8 hasOptimizer; if 1: String kind, Int64 step, UInt32 slot count, per slot: String name, ParameterSet
//   checksum UInt64   FNV-1a 64 of every preceding byte (magic … payload)
// Writes are atomic: a temporary file next to the target is written, flushed, fsync'ed and renamed over it.
// Every problem (missing, truncated, corrupt, wrong version, mismatched layout) throws an `AutodiffError` naming
// the file and what is wrong.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checkpoint files of parameters and optimiser state.
public enum Checkpoint {
    public static let magic: [UInt8] = Array("L2HMCAD".utf8) + [0]
    public static let version: UInt32 = 1

    /// FNV-1a 64-bit hash.
    public static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The file's bytes for `parameters` and (optionally) an optimiser state.
    public static func encode(parameters: ParameterSet, optimizer: OptimizerState?) -> [UInt8] {
        var w = ByteWriter()
        w.parameterSet(parameters)
        if let o = optimizer {
            w.u8(1)
            w.string(o.kind)
            w.u64(UInt64(bitPattern: Int64(o.step)))
            w.u32(UInt32(o.slots.count))
            for s in o.slots { w.string(s.name); w.parameterSet(s.values) }
        } else {
            w.u8(0)
        }
        var out = ByteWriter()
        out.bytes += magic
        out.u32(version)
        out.u64(UInt64(w.bytes.count))
        out.bytes += w.bytes
        let h = out.bytes.withUnsafeBytes { fnv1a64($0) }
        out.u64(h)
        return out.bytes
    }

    /// Decodes file bytes; `path` is only used in messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> (parameters: ParameterSet, optimizer: OptimizerState?) {
        func fail(_ what: String) -> AutodiffError { AutodiffError("checkpoint '\(path)': \(what)") }
        let header = magic.count + 4 + 8
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw fail("not an autodiff checkpoint (bad magic)")
        }
        guard bytes.count >= header + 8 else { throw fail("truncated: \(bytes.count) bytes, header needs \(header + 8)") }
        var r = ByteReader(bytes: bytes, offset: magic.count, path: path)
        let v = try r.u32()
        guard v == version else { throw fail("unsupported version \(v) (this library reads version \(version))") }
        let length = try r.u64()
        guard length <= UInt64(bytes.count), UInt64(header) + length + 8 == UInt64(bytes.count) else {
            throw fail("truncated or extended: header announces \(length) payload bytes, file has \(bytes.count) bytes in total (expected \(UInt64(header) + length + 8))")
        }
        let end = header + Int(length)
        let stored = bytes[end ..< end + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let actual = bytes.withUnsafeBytes { fnv1a64(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard stored == actual else {
            throw fail("checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(actual, radix: 16))): the file is corrupt")
        }
        r.limit = end
        let params = try r.parameterSet()
        let has = try r.u8()
        var opt: OptimizerState? = nil
        if has == 1 {
            let kind = try r.string()
            let step = Int(Int64(bitPattern: try r.u64()))
            let n = try r.u32()
            var slots: [(name: String, values: ParameterSet)] = []
            for _ in 0..<n { let name = try r.string(); slots.append((name, try r.parameterSet())) }
            opt = OptimizerState(kind: kind, step: step, slots: slots)
        } else if has != 0 {
            throw fail("bad optimizer flag \(has)")
        }
        guard r.offset == end else { throw fail("\(end - r.offset) unexpected bytes after the payload") }
        return (params, opt)
    }

    /// Writes atomically (temporary file + rename).
    public static func save(parameters: ParameterSet, optimizer: OptimizerState? = nil, to path: String) throws {
        let bytes = encode(parameters: parameters, optimizer: optimizer)
        let tmp = path + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "wb") else {
            throw AutodiffError("checkpoint '\(path)': cannot create temporary file '\(tmp)': \(String(cString: strerror(errno)))")
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let ok = written == bytes.count && fflush(f) == 0 && fsync(fileno(f)) == 0
        let err = errno
        fclose(f)
        guard ok else {
            unlink(tmp)
            throw AutodiffError("checkpoint '\(path)': writing failed: \(String(cString: strerror(err)))")
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw AutodiffError("checkpoint '\(path)': rename from '\(tmp)' failed: \(String(cString: strerror(e)))")
        }
    }

    /// Reads a checkpoint.
    public static func load(from path: String) throws -> (parameters: ParameterSet, optimizer: OptimizerState?) {
        guard let f = fopen(path, "rb") else {
            throw AutodiffError("checkpoint '\(path)': cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count {
                if ferror(f) != 0 { throw AutodiffError("checkpoint '\(path)': read error") }
                break
            }
        }
        return try decode(bytes, path: path)
    }

    /// Reads a checkpoint and checks that its parameters have the layout of `template` (names, order, shapes).
    public static func load(from path: String, matching template: ParameterSet) throws -> (parameters: ParameterSet, optimizer: OptimizerState?) {
        let r = try load(from: path)
        do { try template.checkLayout(r.parameters, "checkpoint '\(path)' does not match the model") } catch let e as AutodiffError {
            throw e
        }
        if let o = r.optimizer {
            for s in o.slots { try template.checkLayout(s.values, "checkpoint '\(path)' optimiser slot '\(s.name)'") }
        }
        return r
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) { let u = Array(s.utf8); u32(UInt32(u.count)); bytes += u }
    mutating func parameterSet(_ p: ParameterSet) {
        u32(UInt32(p.count))
        for i in 0..<p.count {
            let t = p.tensor(at: i)
            string(p.names[i])
            u32(UInt32(t.rank))
            for d in t.shape { u64(UInt64(d)) }
            bytes.reserveCapacity(bytes.count + 8 * t.count)
            for x in t.scalars { u64(x.bitPattern) }
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let path: String
    var limit: Int

    init(bytes: [UInt8], offset: Int, path: String) {
        self.bytes = bytes; self.offset = offset; self.path = path; self.limit = bytes.count
    }

    mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, limit - offset >= n else {
            throw AutodiffError("checkpoint '\(path)': truncated while reading \(what) at byte \(offset) (need \(n), have \(limit - offset))")
        }
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }
    mutating func u8() throws -> UInt8 { try take(1, "a flag").first! }
    mutating func u32() throws -> UInt32 {
        try take(4, "an integer").enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
    mutating func u64() throws -> UInt64 {
        try take(8, "an integer").enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    mutating func string() throws -> String {
        let n = Int(try u32())
        let s = try take(n, "a name")
        guard let str = String(validating: s, as: UTF8.self) else {
            throw AutodiffError("checkpoint '\(path)': a name at byte \(offset - n) is not valid UTF-8")
        }
        return str
    }
    mutating func parameterSet() throws -> ParameterSet {
        let n = try u32()
        var p = ParameterSet()
        for _ in 0..<n {
            let name = try string()
            let rank = Int(try u32())
            guard rank <= 32 else { throw AutodiffError("checkpoint '\(path)': tensor '\(name)' has implausible rank \(rank)") }
            var shape: [Int] = []
            var count = 1
            for _ in 0..<rank {
                let d = try u64()
                guard d <= UInt64(limit) else { throw AutodiffError("checkpoint '\(path)': tensor '\(name)' has implausible extent \(d)") }
                shape.append(Int(d))
                let (c, o) = count.multipliedReportingOverflow(by: Int(d))
                guard !o, c <= limit else { throw AutodiffError("checkpoint '\(path)': tensor '\(name)' is larger than the file") }
                count = c
            }
            let raw = try take(8 * count, "tensor '\(name)'")
            var values = [Double](repeating: 0, count: count)
            var k = raw.startIndex
            for j in 0..<count {
                var b: UInt64 = 0
                for i in 0..<8 { b |= UInt64(raw[k + i]) << (8 * UInt64(i)) }
                values[j] = Double(bitPattern: b)
                k += 8
            }
            do { try p.insert(name, Tensor(unchecked: shape, values)) } catch {
                throw AutodiffError("checkpoint '\(path)': duplicate parameter name '\(name)'")
            }
        }
        return p
    }
}
