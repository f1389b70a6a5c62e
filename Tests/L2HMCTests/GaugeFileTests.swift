// GaugeFileTests.swift — NERSC, ILDG/LIME and l2hmc U(1) gauge files (REFERENCE §7): bit-exact round trips for every
// format, precision and byte order; fixtures written independently of our writers (hand-assembled bytes always, and
// a numpy script when python3 + numpy are available); every kind of corruption rejected with a message naming what
// is wrong; format detection; `l2hmc inspect` / `l2hmc convert` end to end.
import Foundation
import LatticeIO
import Testing

// MARK: - Helpers (prefixed gf to stay clear of other test files' helpers)

/// SplitMix64, for reproducible test data.
private struct GFRandom: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Rows 0 and 1 of a random SU(3) matrix by Gram–Schmidt of random complex rows (12 doubles, (re, im) interleaved).
private func gfRandomTwoRows(_ rng: inout GFRandom) -> [Double] {
    var a = (0 ..< 6).map { _ in Double.random(in: -1 ... 1, using: &rng) }
    var b = (0 ..< 6).map { _ in Double.random(in: -1 ... 1, using: &rng) }
    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    let na = norm(a); a = a.map { $0 / na }
    // b −= (a† b) a
    var dr = 0.0, di = 0.0
    for k in 0 ..< 3 { dr += a[2 * k] * b[2 * k] + a[2 * k + 1] * b[2 * k + 1]; di += a[2 * k] * b[2 * k + 1] - a[2 * k + 1] * b[2 * k] }
    for k in 0 ..< 3 {
        b[2 * k] -= dr * a[2 * k] - di * a[2 * k + 1]
        b[2 * k + 1] -= dr * a[2 * k + 1] + di * a[2 * k]
    }
    let nb = norm(b); b = b.map { $0 / nb }
    return a + b
}

/// A random SU(3) configuration (third rows = conj(row0 × row1)). With `float`, rows 0–1 are first rounded to
/// Float, so that 32-bit two-row files round-trip exactly; with `floatAll`, all 18 numbers are rounded to Float
/// (for 32-bit 3×3 files; the matrices are then unitary only to ~1e-7).
private func gfRandomSU3(_ shape: [Int], seed: UInt64, float: Bool = false, floatAll: Bool = false) throws -> GaugeConfiguration {
    var rng = GFRandom(seed)
    let n = shape.reduce(1, *) * 4
    var links = [Double](repeating: 0, count: n * 18)
    for l in 0 ..< n {
        var rows = gfRandomTwoRows(&rng)
        if float || floatAll { rows = rows.map { Double(Float($0)) } }
        for j in 0 ..< 12 { links[l * 18 + j] = rows[j] }
    }
    var c = try GaugeConfiguration(group: .su3, shape: shape, links: links).withReconstructedThirdRows()
    if floatAll { c.links = c.links.map { Double(Float($0)) } }
    return c
}

private func gfRandomU1(_ shape: [Int], seed: UInt64, float: Bool = false) throws -> GaugeConfiguration {
    var rng = GFRandom(seed)
    let n = shape.reduce(1, *) * shape.count
    let links = (0 ..< n).map { _ -> Double in
        let x = Double.random(in: -Double.pi ..< Double.pi, using: &rng)
        return float ? Double(Float(x) == Float(Double.pi) ? Float(-Double.pi) : Float(x)) : x
    }
    return try GaugeConfiguration(group: .u1, shape: shape, links: links)
}

private func gfBits(_ c: GaugeConfiguration) -> [UInt64] { c.links.map(\.bitPattern) }

private func gfTempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gaugefile-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Expects `body` to throw a LatticeIOError of `kind` whose description contains every string in `parts`.
private func gfExpectError(_ kind: LatticeIOError.Kind, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation,
                           _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected LatticeIOError.\(kind) containing \(parts), nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as LatticeIOError {
        #expect(e.kind == kind, "kind \(e.kind) (expected \(kind)): \(e.description)", sourceLocation: sourceLocation)
        for p in parts {
            #expect(e.description.contains(p), "'\(p)' missing from: \(e.description)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// Replaces the value of header line `key` in a NERSC-style file.
private func gfEditHeader(_ data: Data, _ key: String, _ value: String) -> Data {
    let bytes = [UInt8](data)
    let end = bytes.indices.first { i in bytes[i...].starts(with: Array("END_HEADER\n".utf8)) }! + 11
    var text = String(decoding: bytes[..<end], as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key { return "\(key) = \(value)" }
        return String(line)
    }
    text = lines.joined(separator: "\n")
    return Data(text.utf8) + Data(bytes[end...])
}

private func gfHeaderValue(_ data: Data, _ key: String) -> String? {
    let text = String(decoding: data.prefix(4096), as: UTF8.self)
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

private func gfDataOffset(_ data: Data) -> Int {
    let bytes = [UInt8](data)
    return bytes.indices.first { i in bytes[i...].starts(with: Array("END_HEADER\n".utf8)) }! + 11
}

private func gfFlip(_ data: Data, at i: Int) -> Data {
    var d = data
    d[d.startIndex + i] ^= 0x10
    return d
}

/// Big-endian bytes of fixed-width integers.
private func gfBE<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
private func gfLE<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// A LIME record assembled by hand from the published layout.
private func gfLimeRecord(_ type: String, _ payload: [UInt8], mb: Bool, me: Bool) -> [UInt8] {
    var h = gfBE(UInt32(0x4567_89AB)) + gfBE(UInt16(1)) + [UInt8((mb ? 0x80 : 0) | (me ? 0x40 : 0)), 0] + gfBE(UInt64(payload.count))
    var type = Array(type.utf8); type += [UInt8](repeating: 0, count: 128 - type.count)
    h += type
    return h + payload + [UInt8](repeating: 0, count: (8 - payload.count % 8) % 8)
}

/// Runs python3 -c script args; nil if python3 or numpy is unavailable or the script fails.
private func gfPython(_ script: String, _ args: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    _ = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

private let gfNumpyAvailable: Bool = gfPython("import numpy", []) != nil

// MARK: - Observables

@Suite struct GaugeFileObservableTests {
    @Test func identityHasUnitPlaquetteAndTrace() throws {
        let c = try GaugeConfiguration.identity(group: .su3, shape: [2, 3, 2, 2])
        #expect(c.plaquette == 1 && c.linkTrace == 1 && c.unitarityViolation < 1e-15)
        let u = try GaugeConfiguration.identity(group: .u1, shape: [3, 5])
        #expect(u.plaquette == 1 && u.linkTrace == 1)
    }

    @Test func su3PlaquetteIsGaugeInvariantAndRandomFieldsAreUnitary() throws {
        let shape = [3, 2, 4, 2]
        let c = try gfRandomSU3(shape, seed: 11)
        #expect(c.unitarityViolation < 1e-13)
        #expect(abs(c.plaquette) < 0.5)  // random links: plaquette near 0
        // U_μ(n) → Ω(n) U_μ(n) Ω(n+μ̂)† with random Ω.
        let gauge = try gfRandomSU3(shape, seed: 12)  // use its μ = 0 links as Ω(n)
        func mat(_ p: [Double], _ o: Int) -> [[(Double, Double)]] { (0 ..< 3).map { i in (0 ..< 3).map { j in (p[o + 6 * i + 2 * j], p[o + 6 * i + 2 * j + 1]) } } }
        func mul(_ a: [[(Double, Double)]], _ b: [[(Double, Double)]], daggerB: Bool) -> [[(Double, Double)]] {
            (0 ..< 3).map { i in (0 ..< 3).map { j in
                var re = 0.0, im = 0.0
                for k in 0 ..< 3 {
                    let x = a[i][k]; var y = daggerB ? b[j][k] : b[k][j]; if daggerB { y.1 = -y.1 }
                    re += x.0 * y.0 - x.1 * y.1; im += x.0 * y.1 + x.1 * y.0
                }
                return (re, im)
            } }
        }
        var t = c
        let v = c.volume
        var strides = [1, 1, 1, 1]; for mu in 1 ..< 4 { strides[mu] = strides[mu - 1] * shape[mu - 1] }
        for n in 0 ..< v { for mu in 0 ..< 4 {
            let x = (n / strides[mu]) % shape[mu]
            let m = x + 1 == shape[mu] ? n - x * strides[mu] : n + strides[mu]
            let omegaN = mat(gauge.links, gauge.linkOffset(site: n, mu: 0)), omegaM = mat(gauge.links, gauge.linkOffset(site: m, mu: 0))
            let r = mul(mul(omegaN, mat(c.links, c.linkOffset(site: n, mu: mu)), daggerB: false), omegaM, daggerB: true)
            for i in 0 ..< 3 { for j in 0 ..< 3 { t.links[t.linkOffset(site: n, mu: mu) + 6 * i + 2 * j] = r[i][j].0; t.links[t.linkOffset(site: n, mu: mu) + 6 * i + 2 * j + 1] = r[i][j].1 } }
        } }
        #expect(abs(t.plaquette - c.plaquette) < 1e-13, "plaquette \(c.plaquette) → \(t.plaquette) under a gauge transformation")
        #expect(abs(t.linkTrace - c.linkTrace) > 1e-6)  // the link trace is not gauge invariant
    }

    @Test func u1PlaquetteMatchesTheReferenceFormula() throws {
        let (l0, l1) = (5, 3)
        let c = try gfRandomU1([l0, l1], seed: 3)
        func x(_ mu: Int, _ a: Int, _ b: Int) -> Double { c.links[((((b % l1) + l1) % l1) * l0 + ((a % l0) + l0) % l0) * 2 + mu] }
        var s = 0.0
        for b in 0 ..< l1 { for a in 0 ..< l0 { s += cos(x(0, a, b) + x(1, a + 1, b) - x(0, a, b + 1) - x(1, a, b)) } }
        #expect(abs(c.plaquette - s / Double(l0 * l1)) < 1e-14)
    }

    @Test func muMajorConversionRoundTrips() throws {
        let c = try gfRandomSU3([2, 3, 1, 2], seed: 5)
        let m = c.muMajorLinks
        // μ-major: link (μ, n) at (μ·V + n)·18.
        #expect(Array(m[(2 * c.volume + 5) * 18 ..< (2 * c.volume + 5) * 18 + 18]) == Array(c.links[c.linkOffset(site: 5, mu: 2) ..< c.linkOffset(site: 5, mu: 2) + 18]))
        #expect(try GaugeConfiguration(group: .su3, shape: c.shape, muMajorLinks: m) == c)
        gfExpectError(.shapeMismatch, ["needs", "got 17"]) { _ = try GaugeConfiguration(group: .su3, shape: [1, 1, 1, 1], links: [Double](repeating: 0, count: 17)) }
        gfExpectError(.shapeMismatch, ["4-dimensional"]) { _ = try GaugeConfiguration.identity(group: .su3, shape: [4, 4]) }
    }
}

// MARK: - NERSC

@Suite struct NERSCTests {
    @Test(arguments: [NERSCFile.Storage.threeByThree, .twoRow])
    func roundTripsBitExactInEveryPrecisionAndByteOrder(storage: NERSCFile.Storage) throws {
        let dir = try gfTempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let shape = [4, 3, 2, 5]
        for precision in FloatPrecision.allCases {
            for order in ByteOrder.allCases {
                let c = try gfRandomSU3(shape, seed: 7, float: precision == .single, floatAll: precision == .single && storage == .threeByThree)
                let url = dir.appendingPathComponent("cfg-\(storage.rawValue)-\(precision.rawValue)-\(order.rawValue)")
                try NERSCFile.write(c, to: url, storage: storage, precision: precision, byteOrder: order,
                                    metadata: GaugeFileMetadata(ensembleID: "test", sequenceNumber: 42))
                let data = try Data(contentsOf: url)
                let (r, info, warnings) = try NERSCFile.read(url)
                #expect(r.shape == shape)
                #expect(gfBits(r) == gfBits(c), "\(storage) \(precision) \(order) not bit-exact")
                #expect(warnings.isEmpty, "\(warnings)")
                #expect(info["checksum"] == "ok")
                #expect(info["precision"] == String(precision.rawValue) && info["byte_order"] == order.rawValue)
                // The header as specified.
                #expect(data.starts(with: Data("BEGIN_HEADER\n".utf8)))
                #expect(gfHeaderValue(data, "HDR_VERSION") == "1.0")
                #expect(gfHeaderValue(data, "DATATYPE") == storage.rawValue)
                #expect(gfHeaderValue(data, "FLOATING_POINT") == "IEEE\(precision.rawValue)\(order == .big ? "BIG" : "LITTLE")")
                for k in 1 ... 4 {
                    #expect(gfHeaderValue(data, "DIMENSION_\(k)") == String(shape[k - 1]))
                    #expect(gfHeaderValue(data, "BOUNDARY_\(k)") == "PERIODIC")
                }
                for key in ["STORAGE_FORMAT", "CHECKSUM", "ENSEMBLE_LABEL", "CREATOR", "CREATION_DATE"] {
                    #expect(gfHeaderValue(data, key) != nil, "no \(key)")
                }
                #expect(gfHeaderValue(data, "ENSEMBLE_ID") == "test" && gfHeaderValue(data, "SEQUENCE_NUMBER") == "42")
                #expect(Double(gfHeaderValue(data, "PLAQUETTE")!) == c.plaquette)
                #expect(Double(gfHeaderValue(data, "LINK_TRACE")!) == c.linkTrace)
                let perLink = storage == .threeByThree ? 18 : 12
                #expect(data.count - gfDataOffset(data) == c.volume * 4 * perLink * precision.bytes)
                // Writing what was read reproduces the file (apart from the creation date).
                let again = try NERSCFile.encode(r, storage: storage, precision: precision, byteOrder: order,
                                                 metadata: GaugeFileMetadata(ensembleID: "test", sequenceNumber: 42,
                                                                             creationDate: gfHeaderValue(data, "CREATION_DATE")))
                #expect(again == data)
            }
        }
    }

    /// Identity links on 2×1×1×1, bytes assembled by hand: each 1.0 contributes the word 0x3FF00000 (IEEE64) or
    /// 0x3F800000 (IEEE32), 3 per link, 8 links.
    @Test func handAssembledFixturesAreRead() throws {
        for (fp, one, order) in [("IEEE64BIG", [UInt8](gfBE(Double(1).bitPattern)), ByteOrder.big),
                                 ("IEEE32LITTLE", gfLE(Float(1).bitPattern), .little),
                                 ("IEEE32", gfBE(Float(1).bitPattern), .big)] {
            let size = one.count
            var data: [UInt8] = []
            for _ in 0 ..< 8 { for k in 0 ..< 18 { data += (k == 0 || k == 8 || k == 16) ? one : [UInt8](repeating: 0, count: size) } }
            let word: UInt32 = size == 8 ? 0x3FF0_0000 : 0x3F80_0000
            let checksum = String(24 &* word, radix: 16)
            let header = """
            BEGIN_HEADER
            HDR_VERSION = 1.0
            DATATYPE = 4D_SU3_GAUGE_3x3
            STORAGE_FORMAT = 1.0
            DIMENSION_1 = 2
            DIMENSION_2 = 1
            DIMENSION_3 = 1
            DIMENSION_4 = 1
            LINK_TRACE = 1.000000000
            PLAQUETTE  = 1.0000000000
            BOUNDARY_1 = PERIODIC
            BOUNDARY_2 = PERIODIC
            BOUNDARY_3 = PERIODIC
            BOUNDARY_4 = PERIODIC
            CHECKSUM =   \(checksum)
            ENSEMBLE_ID = hand
            SEQUENCE_NUMBER = 1
            FLOATING_POINT = \(fp)
            END_HEADER

            """
            let (c, info, warnings) = try GaugeFile.decode(Data(header.utf8) + Data(data), path: "hand-\(fp)")
            #expect(c == (try GaugeConfiguration.identity(group: .su3, shape: [2, 1, 1, 1])))
            #expect(info["format"] == "NERSC" && info["checksum"] == "ok" && info["byte_order"] == order.rawValue)
            #expect(warnings.isEmpty)
        }
    }

    /// A NERSC file whose bare "IEEE64" means little-endian (as Grid reads it) is recognised by its checksum.
    @Test func bareIEEE64LittleEndianIsRecognisedByChecksum() throws {
        let c = try gfRandomSU3([2, 2, 2, 2], seed: 3)
        let data = gfEditHeader(try NERSCFile.encode(c, byteOrder: .little), "FLOATING_POINT", "IEEE64")
        let (r, info, warnings) = try NERSCFile.decode(data)
        #expect(gfBits(r) == gfBits(c) && info["byte_order"] == "little")
        #expect(warnings.count == 1 && warnings[0].contains("little-endian"))
    }

    @Test func corruptFilesAreRejectedNamingTheProblem() throws {
        let c = try gfRandomSU3([2, 3, 2, 2], seed: 9)
        let good = try NERSCFile.encode(c)
        let offset = gfDataOffset(good)
        let checksum = gfHeaderValue(good, "CHECKSUM")!
        // A flipped data byte.
        gfExpectError(.checksumMismatch, ["checksum mismatch", "CHECKSUM = \(checksum)", "computed from the data"]) {
            _ = try NERSCFile.decode(gfFlip(good, at: offset + 1000), path: "flipped.cfg")
        }
        gfExpectError(.checksumMismatch, ["flipped.cfg"]) { _ = try NERSCFile.decode(gfFlip(good, at: offset + 1000), path: "flipped.cfg") }
        // Truncated: expected vs actual byte counts.
        let need = c.volume * 4 * 18 * 8
        gfExpectError(.truncated, ["truncated", "needs \(need) data bytes", "has \(need - 100)"]) {
            _ = try NERSCFile.decode(good.prefix(good.count - 100))
        }
        gfExpectError(.badHeader, ["END_HEADER"]) { _ = try NERSCFile.decode(good.prefix(50)) }
        // Wrong dimensions.
        gfExpectError(.shapeMismatch, ["DIMENSION_1..4 = 2x3x2x1", "wrong dimensions"]) {
            _ = try NERSCFile.decode(gfEditHeader(good, "DIMENSION_4", "1"))
        }
        gfExpectError(.truncated, ["2x3x2x3"]) { _ = try NERSCFile.decode(gfEditHeader(good, "DIMENSION_4", "3")) }
        gfExpectError(.badHeader, ["DIMENSION_2", "x"]) { _ = try NERSCFile.decode(gfEditHeader(good, "DIMENSION_2", "x")) }
        // Wrong checksum in the header.
        gfExpectError(.checksumMismatch, ["CHECKSUM = 12345678"]) { _ = try NERSCFile.decode(gfEditHeader(good, "CHECKSUM", "12345678")) }
        gfExpectError(.badHeader, ["CHECKSUM", "zz"]) { _ = try NERSCFile.decode(gfEditHeader(good, "CHECKSUM", "zz")) }
        // Wrong plaquette / link trace in the header.
        gfExpectError(.headerMismatch, ["PLAQUETTE mismatch", "header says 0.123", "recomputed from the data \(c.plaquette)"]) {
            _ = try NERSCFile.decode(gfEditHeader(good, "PLAQUETTE", "0.123"))
        }
        gfExpectError(.headerMismatch, ["LINK_TRACE mismatch", "0.5"]) { _ = try NERSCFile.decode(gfEditHeader(good, "LINK_TRACE", "0.5")) }
        // Unknown DATATYPE / FLOATING_POINT; missing keys.
        gfExpectError(.unsupportedFormat, ["DATATYPE = '4D_SU2_GAUGE'"]) { _ = try GaugeFile.decode(gfEditHeader(good, "DATATYPE", "4D_SU2_GAUGE")) }
        gfExpectError(.unsupportedFormat, ["FLOATING_POINT = 'IEEE16'"]) { _ = try NERSCFile.decode(gfEditHeader(good, "FLOATING_POINT", "IEEE16")) }
        gfExpectError(.badHeader, ["no PLAQUETTE"]) { _ = try NERSCFile.decode(gfEditHeader(good, "PLAQUETTE", "1").replacingOccurrences("PLAQUETTE = 1\n", "")) }
        // A 32-bit file relabelled as 64-bit.
        let single = try NERSCFile.encode(c, precision: .single)
        gfExpectError(.truncated, ["at 64-bit"]) { _ = try NERSCFile.decode(gfEditHeader(single, "FLOATING_POINT", "IEEE64BIG")) }
        // verify: false turns mismatches into warnings.
        let (r, info, warnings) = try NERSCFile.decode(gfEditHeader(gfFlip(good, at: offset + 7), "PLAQUETTE", "0.25"), verify: false)
        #expect(r.shape == c.shape && info["checksum"] == "mismatch")
        #expect(warnings.count == 2 && warnings.contains { $0.contains("PLAQUETTE mismatch") })
        // SU(3) only.
        gfExpectError(.invalidArgument, ["U(1)"]) { _ = try NERSCFile.encode(try gfRandomU1([4, 4], seed: 1)) }
    }
}

extension Data {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> Data {
        Data(String(decoding: self.prefix(4096), as: UTF8.self).components(separatedBy: "END_HEADER\n")[0]
            .replacingOccurrences(of: a, with: b).utf8) + Data("END_HEADER\n".utf8) + self[(self.startIndex + gfDataOffset(self))...]
    }
}

// MARK: - ILDG

@Suite struct ILDGTests {
    @Test(arguments: FloatPrecision.allCases)
    func roundTripsBitExact(precision: FloatPrecision) throws {
        let dir = try gfTempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let c = try gfRandomSU3([3, 2, 4, 2], seed: 21, floatAll: precision == .single)
        let url = dir.appendingPathComponent("cfg.lime")
        try ILDGFile.write(c, to: url, precision: precision)
        let data = try Data(contentsOf: url)
        let (r, info, warnings) = try ILDGFile.read(url)
        #expect(gfBits(r) == gfBits(c))
        #expect(warnings.isEmpty && info["checksum"] == "ok" && info["precision"] == String(precision.rawValue))
        let records = try ILDGFile.records(in: data)
        #expect(records.map(\.type) == ["ildg-format", "ildg-binary-data", "scidac-checksum"])
        #expect(records.map(\.messageBegin) == [true, false, false] && records.map(\.messageEnd) == [false, false, true])
        #expect(records.allSatisfy { $0.headerOffset % 8 == 0 } && data.count % 8 == 0)
        #expect(records[1].payloadLength == c.volume * 4 * 18 * precision.bytes)
        let format = String(decoding: data[records[0].payloadOffset ..< records[0].payloadOffset + records[0].payloadLength], as: UTF8.self)
        for part in ["<field>su3gauge</field>", "<precision>\(precision.rawValue)</precision>", "<lx>3</lx>", "<ly>2</ly>", "<lz>4</lz>", "<lt>2</lt>"] {
            #expect(format.contains(part), "\(part) missing from \(format)")
        }
        // The binary data are big-endian, x fastest: the first number is U_0(0)_00.re.
        let first = data[records[1].payloadOffset ..< records[1].payloadOffset + precision.bytes]
        #expect(Array(first) == (precision == .double ? gfBE(c.links[0].bitPattern) : gfBE(Float(c.links[0]).bitPattern)))
        #expect(try ILDGFile.encode(r, precision: precision) == data)
    }

    /// crc32("123456789") = 0xCBF43926 (the CRC-32 check value); site r is rotated left by r mod 29 / r mod 31.
    @Test func scidacChecksumKnownAnswers() {
        let one = Array("123456789".utf8)
        let a = one.withUnsafeBytes { ILDGFile.scidacChecksum($0, siteBytes: 9) }
        #expect(a.suma == 0xCBF4_3926 && a.sumb == 0xCBF4_3926)
        let many = [UInt8]((0 ..< 40).flatMap { _ in one })
        let b = many.withUnsafeBytes { ILDGFile.scidacChecksum($0, siteBytes: 9) }
        func rotl(_ x: UInt32, _ k: Int) -> UInt32 { k == 0 ? x : (x << UInt32(k)) | (x >> UInt32(32 - k)) }
        var ea: UInt32 = 0, eb: UInt32 = 0
        for r in 0 ..< 40 { ea ^= rotl(0xCBF4_3926, r % 29); eb ^= rotl(0xCBF4_3926, r % 31) }
        #expect(b.suma == ea && b.sumb == eb)
    }

    /// LIME records assembled by hand (identity links, no checksum record): read, with a warning.
    @Test func handAssembledLimeWithoutChecksumIsReadWithAWarning() throws {
        let shape = [1, 1, 2, 1]
        var payload: [UInt8] = []
        for _ in 0 ..< 8 { for k in 0 ..< 18 { payload += gfBE((k == 0 || k == 8 || k == 16 ? 1.0 : 0.0).bitPattern) } }
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ildgFormat xmlns=\"http://www.lqcd.org/ildg\"><version>1.0</version><field>su3gauge</field><precision>64</precision><lx>1</lx><ly>1</ly><lz>2</lz><lt>1</lt></ildgFormat>"
        let file = gfLimeRecord("scidac-private-file-xml", Array("<?xml version=\"1.0\"?><scidacFile/>".utf8), mb: true, me: true)
            + gfLimeRecord("ildg-format", Array(xml.utf8), mb: true, me: false)
            + gfLimeRecord("ildg-binary-data", payload, mb: false, me: false)
            + gfLimeRecord("ildg-data-lfn", Array("lfn://hand/1".utf8), mb: false, me: true)
        let (c, info, warnings) = try GaugeFile.decode(Data(file), path: "hand.lime")
        #expect(c == (try GaugeConfiguration.identity(group: .su3, shape: shape)))
        #expect(info["format"] == "ILDG" && info["checksum"] == "absent" && info["lfn"] == "lfn://hand/1")
        #expect(warnings.count == 1 && warnings[0].contains("no scidac-checksum"))
        #expect(c.plaquette == 1)
    }

    @Test func corruptFilesAreRejectedNamingTheProblem() throws {
        let c = try gfRandomSU3([2, 2, 3, 2], seed: 4)
        let good = try ILDGFile.encode(c)
        let records = try ILDGFile.records(in: good)
        let bin = records[1]
        gfExpectError(.checksumMismatch, ["SciDAC checksum mismatch", "suma", "sumb", "bad.lime"]) {
            _ = try ILDGFile.decode(gfFlip(good, at: bin.payloadOffset + 333), path: "bad.lime")
        }
        // Truncated inside the binary data: expected vs actual.
        let cut = good.prefix(bin.payloadOffset + 1000)
        gfExpectError(.truncated, ["'ildg-binary-data'", "declares \(bin.payloadLength) payload bytes", "only 1000 remain"]) {
            _ = try ILDGFile.decode(cut)
        }
        gfExpectError(.truncated, ["144-byte header"]) { _ = try ILDGFile.decode(good.prefix(100)) }
        // Wrong dimensions in ildg-format (same text length, so the LIME structure stays valid).
        let fmt = good[records[0].payloadOffset ..< records[0].payloadOffset + records[0].payloadLength]
        func withFormat(_ a: String, _ b: String) -> Data {
            var d = good
            let edited = Data(String(decoding: fmt, as: UTF8.self).replacingOccurrences(of: a, with: b).utf8)
            #expect(edited.count == fmt.count)
            d.replaceSubrange(records[0].payloadOffset ..< records[0].payloadOffset + records[0].payloadLength, with: edited)
            return d
        }
        gfExpectError(.shapeMismatch, ["holds \(bin.payloadLength) bytes", "2x2x3x1", "wrong dimensions"]) {
            _ = try ILDGFile.decode(withFormat("<lt>2</lt>", "<lt>1</lt>"))
        }
        gfExpectError(.truncated, ["2x2x3x3"]) { _ = try ILDGFile.decode(withFormat("<lt>2</lt>", "<lt>3</lt>")) }
        gfExpectError(.unsupportedFormat, ["precision = '48'"]) { _ = try ILDGFile.decode(withFormat("<precision>64<", "<precision>48<")) }
        gfExpectError(.unsupportedFormat, ["field = 'su3gaugX'"]) { _ = try ILDGFile.decode(withFormat("su3gauge", "su3gaugX")) }
        // Wrong checksum in the record.
        let ck = records[2]
        let ckText = String(decoding: good[ck.payloadOffset ..< ck.payloadOffset + ck.payloadLength], as: UTF8.self)
        let suma = ckText.components(separatedBy: "<suma>")[1].components(separatedBy: "</suma>")[0]
        var badSum = good
        let replaced = String(suma.map { $0 == "0" ? "1" : "0" })
        badSum.replaceSubrange(ck.payloadOffset ..< ck.payloadOffset + ck.payloadLength,
                               with: Data(ckText.replacingOccurrences(of: "<suma>\(suma)<", with: "<suma>\(replaced)<").utf8))
        gfExpectError(.checksumMismatch, ["suma = \(UInt32(replaced, radix: 16).map { String($0, radix: 16) }!)"]) { _ = try ILDGFile.decode(badSum) }
        let (_, info, warnings) = try ILDGFile.decode(badSum, verify: false)
        #expect(info["checksum"] == "mismatch" && warnings.count == 1)
        // Bad magic in the second record.
        var badMagic = good
        badMagic[bin.headerOffset] = 0
        gfExpectError(.badMagic, ["record #2", "0x456789ab"]) { _ = try ILDGFile.decode(badMagic) }
        // No ildg-format record.
        let onlyData = Data(gfLimeRecord("ildg-binary-data", [UInt8](repeating: 0, count: 8), mb: true, me: true))
        gfExpectError(.badHeader, ["no ildg-format record"]) { _ = try GaugeFile.decode(onlyData) }
    }
}

// MARK: - U(1)

@Suite struct U1ConfigTests {
    @Test func roundTripsBitExactInEveryPrecisionAndByteOrder() throws {
        let dir = try gfTempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        for precision in FloatPrecision.allCases {
            for order in ByteOrder.allCases {
                let c = try gfRandomU1([6, 4], seed: 31, float: precision == .single)
                let url = dir.appendingPathComponent("u1-\(precision.rawValue)-\(order.rawValue)")
                try U1ConfigFile.write(c, to: url, precision: precision, byteOrder: order)
                let data = try Data(contentsOf: url)
                let (r, info, warnings) = try U1ConfigFile.read(url)
                #expect(gfBits(r) == gfBits(c) && warnings.isEmpty && info["checksum"] == "ok")
                #expect(gfHeaderValue(data, "DATATYPE") == "2D_U1_ANGLES")
                #expect(gfHeaderValue(data, "DIMENSION_1") == "6" && gfHeaderValue(data, "DIMENSION_2") == "4")
                #expect(gfHeaderValue(data, "DIMENSION_3") == nil && gfHeaderValue(data, "BOUNDARY_2") == "PERIODIC")
                #expect(Double(gfHeaderValue(data, "PLAQUETTE")!) == c.plaquette)
                #expect(data.count - gfDataOffset(data) == 48 * precision.bytes)
                // Data: x_0 fastest, μ innermost — the first two numbers are x_0(0), x_1(0), then x_0(1).
                let off = gfDataOffset(data)
                if precision == .double, order == .big {
                    #expect(Array(data[off ..< off + 8]) == gfBE(c.links[0].bitPattern))
                    #expect(Array(data[off + 16 ..< off + 24]) == gfBE(c.links[2].bitPattern))
                }
            }
        }
    }

    @Test func anglesOutsideTheRangeAreWrappedOnWrite() throws {
        var c = try gfRandomU1([3, 3], seed: 2)
        c.links[0] = 3 * Double.pi + 0.5
        c.links[1] = -7.0
        let (r, _, _) = try U1ConfigFile.decode(try U1ConfigFile.encode(c))
        #expect(abs(r.links[0] - (Double.pi + 0.5 - 2 * Double.pi)) < 1e-14)
        #expect(abs(r.links[1] - (-7.0 + 2 * Double.pi)) < 1e-14)
        #expect(r.links.allSatisfy { $0 >= -Double.pi && $0 < Double.pi })
        #expect(Array(r.links[2...]) == Array(c.links[2...]))
        #expect(abs(r.plaquette - c.plaquette) < 1e-12)
    }

    @Test func corruptFilesAreRejectedNamingTheProblem() throws {
        let c = try gfRandomU1([8, 8], seed: 8)
        let good = try U1ConfigFile.encode(c)
        let offset = gfDataOffset(good)
        gfExpectError(.checksumMismatch, ["checksum mismatch", "CHECKSUM = \(gfHeaderValue(good, "CHECKSUM")!)"]) {
            _ = try GaugeFile.decode(gfFlip(good, at: offset + 77))
        }
        gfExpectError(.truncated, ["needs 1024 data bytes", "has 1016"]) { _ = try GaugeFile.decode(good.prefix(good.count - 8)) }
        gfExpectError(.shapeMismatch, ["8x4", "wrong dimensions"]) { _ = try GaugeFile.decode(gfEditHeader(good, "DIMENSION_2", "4")) }
        gfExpectError(.headerMismatch, ["PLAQUETTE mismatch", "header says 0.9"]) { _ = try GaugeFile.decode(gfEditHeader(good, "PLAQUETTE", "0.9")) }
        gfExpectError(.checksumMismatch, ["CHECKSUM = 0"]) { _ = try GaugeFile.decode(gfEditHeader(good, "CHECKSUM", "0")) }
        gfExpectError(.unsupportedFormat, ["DATATYPE = '2D_U2_ANGLES'"]) { _ = try GaugeFile.decode(gfEditHeader(good, "DATATYPE", "2D_U2_ANGLES")) }
        gfExpectError(.truncated, ["3D_U1_ANGLES"]) {
            _ = try GaugeFile.decode(gfEditHeader(good, "DATATYPE", "3D_U1_ANGLES").replacingOccurrences("DIMENSION_2 = 8\n", "DIMENSION_2 = 8\nDIMENSION_3 = 2\n"))
        }
        gfExpectError(.invalidArgument, ["SU(3)"]) { _ = try U1ConfigFile.encode(try gfRandomSU3([1, 1, 1, 1], seed: 1)) }
    }
}

// MARK: - Detection, independent fixtures, CLI

/// Writes NERSC (3×3 IEEE64BIG, two-row IEEE32LITTLE) and ILDG (64-bit) files with numpy and zlib only, following
/// the published layouts, plus the raw links as little-endian float64 in our layout.
private let gfPythonFixtureScript = #"""
import sys, struct, zlib, numpy as np
out = sys.argv[1]
LX, LY, LZ, LT = 4, 3, 2, 3
rng = np.random.default_rng(2024)
def su3():
    a = rng.normal(size=3) + 1j * rng.normal(size=3); a /= np.linalg.norm(a)
    b = rng.normal(size=3) + 1j * rng.normal(size=3); b -= np.vdot(a, b) * a; b /= np.linalg.norm(b)
    return np.array([a, b, np.conj(np.cross(a, b))])
U = np.array([su3() for _ in range(LT * LZ * LY * LX * 4)]).reshape(LT, LZ, LY, LX, 4, 3, 3)
def plaq(U):
    axis = {0: 3, 1: 2, 2: 1, 3: 0}
    s = 0.0
    for mu in range(4):
        for nu in range(mu + 1, 4):
            a = U[..., mu, :, :] @ np.roll(U[..., nu, :, :], -1, axis=axis[mu])
            b = U[..., nu, :, :] @ np.roll(U[..., mu, :, :], -1, axis=axis[nu])
            s += np.einsum('...ij,...ij->...', a, np.conj(b)).real.sum()
    return s / (3 * 6 * LX * LY * LZ * LT)
def trace(U): return np.einsum('...ii->...', U).real.sum() / (3 * 4 * LX * LY * LZ * LT)
def nersc(name, datatype, fp, data, V, plaq_value, trace_value, word):
    csum = int(np.frombuffer(data, dtype=word).astype(np.uint64).sum()) & 0xffffffff
    hdr = ("BEGIN_HEADER\nHDR_VERSION = 1.0\nDATATYPE = %s\nSTORAGE_FORMAT = 1.0\n" % datatype
           + "".join("DIMENSION_%d = %d\n" % (i + 1, L) for i, L in enumerate((LX, LY, LZ, LT)))
           + "LINK_TRACE = %.10g\nPLAQUETTE = %.10g\n" % (trace_value, plaq_value)
           + "".join("BOUNDARY_%d = PERIODIC\n" % (i + 1) for i in range(4))
           + "CHECKSUM = %x\nENSEMBLE_ID = numpy\nENSEMBLE_LABEL = fixture\nSEQUENCE_NUMBER = 7\n" % csum
           + "CREATOR = python\nCREATION_DATE = today\nFLOATING_POINT = %s\nEND_HEADER\n" % fp)
    open(out + "/" + name, "wb").write(hdr.encode() + data)
raw = np.ascontiguousarray(U).view(np.float64)
nersc("a.nersc", "4D_SU3_GAUGE_3x3", "IEEE64BIG", raw.astype('>f8').tobytes(), 0, plaq(U), trace(U), '>u4')
two = np.ascontiguousarray(U[..., :2, :]).astype(np.complex64)
U2 = two.astype(np.complex128)
U2 = np.concatenate([U2, np.conj(np.cross(U2[..., 0, :], U2[..., 1, :]))[..., None, :]], axis=-2)
nersc("b.nersc", "4D_SU3_GAUGE", "IEEE32LITTLE", two.view(np.float32).astype('<f4').tobytes(), 0, plaq(U2), trace(U2), '<u4')
def lime(t, payload, mb, me):
    h = struct.pack('>IHBBQ', 0x456789ab, 1, (0x80 if mb else 0) | (0x40 if me else 0), 0, len(payload)) + t.encode().ljust(128, b'\0')
    return h + payload + b'\0' * ((8 - len(payload) % 8) % 8)
data = raw.astype('>f8').tobytes()
site = 4 * 18 * 8
suma = sumb = 0
for r in range(len(data) // site):
    c = zlib.crc32(data[r * site:(r + 1) * site]) & 0xffffffff
    k, m = r % 29, r % 31
    suma ^= ((c << k) | (c >> (32 - k))) & 0xffffffff
    sumb ^= ((c << m) | (c >> (32 - m))) & 0xffffffff
fmt = ('<?xml version="1.0" encoding="UTF-8"?><ildgFormat><version>1.0</version><field>su3gauge</field>'
       '<precision>64</precision><lx>%d</lx><ly>%d</ly><lz>%d</lz><lt>%d</lt></ildgFormat>' % (LX, LY, LZ, LT))
ck = '<?xml version="1.0" encoding="UTF-8"?><scidacChecksum><version>1.0</version><suma>%x</suma><sumb>%x</sumb></scidacChecksum>' % (suma, sumb)
open(out + "/c.lime", "wb").write(lime("ildg-format", fmt.encode(), True, False) + lime("ildg-binary-data", data, False, False)
                                  + lime("scidac-checksum", ck.encode(), False, True))
open(out + "/links.bin", "wb").write(raw.astype('<f8').tobytes())
open(out + "/links2.bin", "wb").write(np.ascontiguousarray(U2).view(np.float64).astype('<f8').tobytes())
print(repr(float(plaq(U))), repr(float(plaq(U2))))
"""#

@Suite struct GaugeFileTests {
    @Test func numpyWrittenFixturesAreReadCorrectly() throws {
        guard gfNumpyAvailable else { return }  // only this sub-check needs python3 + numpy
        let dir = try gfTempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        guard let out = gfPython(gfPythonFixtureScript, [dir.path]) else {
            Issue.record("the numpy fixture script failed"); return
        }
        let plaqs = out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(plaqs.count == 2)
        func raw(_ name: String) throws -> [Double] { try [Double](littleEndian: Data(contentsOf: dir.appendingPathComponent(name))) }
        let links = try raw("links.bin"), links2 = try raw("links2.bin")
        // NERSC 3×3, IEEE64BIG.
        let (a, ai, aw) = try GaugeFile.read(dir.appendingPathComponent("a.nersc"))
        #expect(a.shape == [4, 3, 2, 3] && a.links == links && aw.isEmpty && ai["checksum"] == "ok")
        #expect(abs(a.plaquette - plaqs[0]) < 1e-13 && ai["header.ENSEMBLE_LABEL"] == "fixture")
        // NERSC two-row, IEEE32LITTLE: rows 0–1 exactly the stored floats, row 2 rebuilt (numpy: conj(cross)).
        let (b, bi, bw) = try GaugeFile.read(dir.appendingPathComponent("b.nersc"))
        #expect(bw.isEmpty && bi["checksum"] == "ok" && bi["precision"] == "32")
        for l in 0 ..< b.links.count / 18 {
            for j in 0 ..< 12 { #expect(b.links[l * 18 + j] == links2[l * 18 + j]) }
            for j in 12 ..< 18 { #expect(abs(b.links[l * 18 + j] - links2[l * 18 + j]) < 1e-15) }
        }
        #expect(abs(b.plaquette - plaqs[1]) < 1e-13)
        // ILDG with a zlib-computed SciDAC checksum.
        let (c, ci, cw) = try GaugeFile.read(dir.appendingPathComponent("c.lime"))
        #expect(c.links == links && cw.isEmpty && ci["checksum"] == "ok" && ci["format"] == "ILDG")
    }

    @Test func formatsAreDetectedFromTheContents() throws {
        let su3 = try gfRandomSU3([2, 2, 2, 2], seed: 1), u1 = try gfRandomU1([4, 4], seed: 1)
        for format in GaugeFileFormat.allCases {
            let c = format == .u1 ? u1 : su3
            let (r, info, _) = try GaugeFile.decode(try GaugeFile.encode(c, format: format))
            #expect(info["format"] == ["nersc": "NERSC", "nersc-2row": "NERSC", "ildg": "ILDG", "u1": "U1"][format.rawValue])
            #expect(r.group == c.group && r.shape == c.shape)
            #expect(gfBits(r) == gfBits(c) || format == .nersc2Row)
            if format == .nersc2Row { #expect(r.links.indices.allSatisfy { abs(r.links[$0] - c.links[$0]) < 1e-15 }) }
        }
        gfExpectError(.badMagic, ["not a gauge configuration file", "89 50 4e 47"]) {
            _ = try GaugeFile.decode(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A]), path: "picture.png")
        }
        gfExpectError(.badMagic, ["empty"]) { _ = try GaugeFile.decode(Data()) }
        gfExpectError(.unsupportedFormat, ["unknown DATATYPE = 'RANLUX48'"]) {
            _ = try GaugeFile.decode(Data("BEGIN_HEADER\nDATATYPE = RANLUX48\nEND_HEADER\n".utf8))
        }
        gfExpectError(.io, ["no-such-file"]) { _ = try GaugeFile.read(URL(fileURLWithPath: "/nonexistent/no-such-file")) }
    }

    @Test func conversionsChainBitExactly() throws {
        let c = try gfRandomSU3([3, 3, 2, 2], seed: 77, float: true)  // rows 0–1 float-exact, third rows rebuilt
        var x = c
        for (format, precision) in [(GaugeFileFormat.ildg, FloatPrecision.double), (.nersc2Row, .single), (.nersc, .single), (.ildg, .single), (.nersc, .double)] {
            x = try GaugeFile.decode(try GaugeFile.encode(x, format: format, precision: precision)).configuration
        }
        // Rows 0–1 survive exactly; rows 2 are rebuilt from them by the same rule, then stored as Float.
        let expected = c.links.map { Double(Float($0)) }
        #expect(gfBits(x).enumerated().allSatisfy { i, b in i % 18 >= 12 || b == expected[i].bitPattern })
        #expect(x.links.indices.allSatisfy { abs(x.links[$0] - c.links[$0]) < 1e-7 })
    }
}

@Suite(.serialized) struct GaugeFileCLITests {
    @Test func inspectAndConvert() throws {
        let dir = try gfTempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let c = try gfRandomSU3([2, 2, 2, 4], seed: 5)
        let nersc = dir.appendingPathComponent("a.nersc"), lime = dir.appendingPathComponent("a.lime")
        try NERSCFile.write(c, to: nersc)

        let ok = try runTool(["inspect", nersc.path])
        #expect(ok.status == 0, "\(ok.stderr)")
        for part in ["NERSC", "4D_SU3_GAUGE_3x3", "SU(3)", "2x2x2x4", "64-bit", "checksum", "ok", "\(c.plaquette)"] {
            #expect(ok.stdout.contains(part), "'\(part)' missing from: \(ok.stdout)")
        }
        let js = try runTool(["inspect", nersc.path, "--json"])
        #expect(js.status == 0)
        let o = try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as! [String: Any]
        #expect(o["dimensions"] as? [Int] == [2, 2, 2, 4] && o["precision"] as? Int == 64 && o["checksum"] as? String == "ok")
        // (Foundation's JSON parser on Linux may lose the last digit, so compare the text and a tolerance.)
        #expect(js.stdout.contains("\"plaquette\" : \(c.plaquette)") && o["group"] as? String == "SU3")
        #expect(abs((o["plaquette"] as? Double ?? 0) - c.plaquette) < 1e-15)

        // Corrupt: exit ≠ 0 and an error naming the checksum; --no-verify reports it as a warning.
        var bytes = try Data(contentsOf: nersc)
        bytes[bytes.count - 5] ^= 1
        let bad = dir.appendingPathComponent("bad.nersc")
        try bytes.write(to: bad)
        let r = try runTool(["inspect", bad.path])
        #expect(r.status != 0 && r.stderr.hasPrefix("error: ") && r.stderr.contains("checksum mismatch") && r.stderr.contains("bad.nersc"))
        let nv = try runTool(["inspect", bad.path, "--no-verify"])
        #expect(nv.status == 0 && nv.stdout.contains("mismatch") && nv.stderr.contains("warning:"))

        // convert NERSC → ILDG (32-bit) → U(1) refused → back to NERSC two-row.
        let cv = try runTool(["convert", nersc.path, lime.path, "--format", "ildg", "--precision", "32"])
        #expect(cv.status == 0, "\(cv.stderr)")
        let (l, li, _) = try GaugeFile.read(lime)
        #expect(li["format"] == "ILDG" && li["precision"] == "32" && l.links == c.links.map { Double(Float($0)) })
        let refuse = try runTool(["convert", lime.path, dir.appendingPathComponent("x").path, "--format", "u1"])
        #expect(refuse.status != 0 && refuse.stderr.contains("error:") && refuse.stderr.contains("SU(3)"))
        let fmt = try runTool(["convert", lime.path, dir.appendingPathComponent("x").path, "--format", "gif"])
        #expect(fmt.status != 0 && fmt.stderr.contains("--format 'gif'"))
        let back = dir.appendingPathComponent("b.nersc")
        #expect(try runTool(["convert", lime.path, back.path, "--format", "nersc-2row", "--byte-order", "little"]).status == 0)
        let (b, bi, _) = try GaugeFile.read(back)
        #expect(bi["datatype"] == "4D_SU3_GAUGE" && bi["byte_order"] == "little" && bi["precision"] == "32" && b.shape == c.shape)
        let cb = try runTool(["convert", bad.path, back.path, "--format", "ildg"])
        #expect(cb.status != 0 && cb.stderr.contains("checksum"))
    }
}
