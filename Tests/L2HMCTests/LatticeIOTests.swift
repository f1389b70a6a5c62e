// LatticeIOTests.swift — tests for LatticeIO: .npy appender/reader, atomic files, JSON lines,
// checkpoint archives and output folders. Public API only; every test works in its own uniquely
// named temporary folder that is removed afterwards. The numpy cross-checks run `python3` in a
// subprocess and are skipped (the rest of each test still runs) when numpy is unavailable.

import Foundation
import LatticeIO
import Testing

// MARK: - Helpers

private func withLatticeIOTempDir<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("latticeio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// Runs python3 with `script` and `args`; returns stdout, or nil if python3/numpy is unavailable
/// or the script fails.
private func latticeIORunPython(_ script: String, _ args: [String] = []) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

private let latticeIONumpyAvailable: Bool = latticeIORunPython("import numpy") != nil

/// np.load(path) → (shape, IEEE bit patterns of the values as float64), or nil without numpy.
private func latticeIONumpyLoad(_ url: URL) -> (shape: [Int], bits: [UInt64])? {
    guard latticeIONumpyAvailable else { return nil }
    let script = """
    import sys, numpy as np
    a = np.load(sys.argv[1])
    assert a.dtype == np.dtype('<f8') and a.flags['C_CONTIGUOUS']
    print(','.join(str(d) for d in a.shape))
    print(' '.join(str(int(x)) for x in np.ascontiguousarray(a).view('<u8').ravel()))
    """
    guard let text = latticeIORunPython(script, [url.path]) else { return nil }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let shape = lines[0].split(separator: ",").compactMap { Int($0) }
    let bits = lines.count > 1 ? lines[1].split(separator: " ").compactMap { UInt64($0) } : []
    return (shape, bits)
}

private func latticeIOBytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

/// Builds a .npy file by hand (any descr / order / version) for reader tests.
private func latticeIOCraftNpy(descr: String, fortran: Bool = false, shape: String, payload: [UInt8],
                               major: UInt8 = 1) -> Data {
    var dict = Array("{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }".utf8)
    let pre = major == 1 ? 10 : 12
    let total = (pre + dict.count + 1 + 63) / 64 * 64
    dict += [UInt8](repeating: 0x20, count: total - pre - dict.count - 1) + [0x0A]
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    let len = dict.count
    out += major == 1 ? [UInt8(len & 0xFF), UInt8(len >> 8)] : [UInt8(len & 0xFF), UInt8(len >> 8 & 0xFF), 0, 0]
    return Data(out + dict + payload)
}

private func latticeIOBits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }

/// Values with awkward bit patterns: NaN payloads, signed zeros, subnormals, infinities.
private let latticeIOSpecials: [Double] = [
    Double(bitPattern: 0x7FF8_0000_0000_1234), -Double(bitPattern: 0x7FF8_0000_0000_0001), -0.0, 0.0,
    Double.leastNonzeroMagnitude, Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), .infinity, -.infinity,
    .pi, -1e300, Double.ulpOfOne, 123_456_789.125,
]

private func expectLatticeIOError(_ kind: LatticeIOError.Kind, containing parts: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation,
                                  _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected LatticeIOError(.\(kind)) but nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as LatticeIOError {
        #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        for part in parts {
            #expect(e.description.contains(part), "\"\(e)\" should contain \"\(part)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected LatticeIOError, got \(error)", sourceLocation: sourceLocation)
    }
}

// MARK: - .npy appender

@Suite struct NpyAppenderTests {
    @Test func headerIsExactly128BytesAndParses() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("h.npy")
            let a = try NpyAppender(creating: url, trailingShape: [4, 2])
            let bytes = try latticeIOBytes(url)
            #expect(bytes.count == 128)
            #expect(Array(bytes[0 ..< 8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
            #expect(Int(bytes[8]) | Int(bytes[9]) << 8 == 118)
            let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4, 2), }"
            let expected = Array(dict.utf8) + [UInt8](repeating: 0x20, count: 118 - dict.utf8.count - 1) + [0x0A]
            #expect(Array(bytes[10...]) == expected)
            let r = try NpyArray.read(url)
            #expect(r.shape == [0, 4, 2])
            #expect(r.values.isEmpty)
            try a.append([Double](repeating: 1.5, count: 8))
            let after = try latticeIOBytes(url)
            #expect(after.count == 128 + 64)
            #expect(String(decoding: after[10 ..< 128], as: UTF8.self).hasPrefix(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4, 2), }"))
            #expect(after[127] == 0x0A)
            a.close()
        }
    }

    @Test func appendReadsBackBitExactAfterEveryRow() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("a.npy")
            let a = try NpyAppender(creating: url, trailingShape: [3])
            var all: [Double] = []
            for r in 0 ..< 4 {
                let row = Array(latticeIOSpecials[(3 * r) ..< (3 * r + 3)])
                if r % 2 == 0 {
                    try a.append(row)
                } else {
                    try row.withUnsafeBufferPointer { try a.append(contentsOf: $0) }
                }
                all += row
                #expect(a.rows == r + 1)
                let back = try NpyArray.read(url)
                #expect(back.shape == [r + 1, 3])
                #expect(latticeIOBits(back.values) == latticeIOBits(all))
                #expect(try latticeIOBytes(url).count == 128 + (r + 1) * 24)
            }
            try a.flush(fsync: true)
            a.close()
            if let np = latticeIONumpyLoad(url) {
                #expect(np.shape == [4, 3])
                #expect(np.bits == latticeIOBits(all))
            }
        }
    }

    @Test func numpyReadsThreeDimensionalAndOneDimensionalFiles() throws {
        try withLatticeIOTempDir { dir in
            let url3 = dir.appendingPathComponent("three.npy")
            let a = try NpyAppender(creating: url3, trailingShape: [2, 2])
            var all: [Double] = []
            for r in 0 ..< 5 {
                let row = (0 ..< 4).map { Double(r) * 10 + Double($0) + 0.25 }
                try a.append(row)
                all += row
            }
            a.close()
            let url1 = dir.appendingPathComponent("one.npy")
            let b = try NpyAppender(creating: url1, trailingShape: [])
            for v in latticeIOSpecials { try b.append([v]) }
            b.close()
            #expect(try NpyArray.read(url1).shape == [latticeIOSpecials.count])
            #expect(String(decoding: try latticeIOBytes(url1)[10 ..< 80], as: UTF8.self).hasPrefix(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), }"))
            if latticeIONumpyAvailable {
                let n3 = try #require(latticeIONumpyLoad(url3))
                #expect(n3.shape == [5, 2, 2])
                #expect(n3.bits == latticeIOBits(all))
                let n1 = try #require(latticeIONumpyLoad(url1))
                #expect(n1.shape == [12])
                #expect(n1.bits == latticeIOBits(latticeIOSpecials))
            }
        }
    }

    @Test func resumeTruncatesAndContinuesBitIdentically() throws {
        try withLatticeIOTempDir { dir in
            let rows = (0 ..< 8).map { r in (0 ..< 3).map { Double(r) + Double($0) / 8 } }
            let reference = dir.appendingPathComponent("ref.npy")
            let ref = try NpyAppender(creating: reference, trailingShape: [3])
            for r in rows { try ref.append(r) }
            ref.close()

            let url = dir.appendingPathComponent("run.npy")
            let first = try NpyAppender(creating: url, trailingShape: [3])
            for r in rows[0 ..< 6] { try first.append(r) }
            first.close()
            // Checkpoint was taken at 4 rows; rows 5 and 6 are replayed after resuming.
            let resumed = try NpyAppender(resuming: url, trailingShape: [3], rows: 4)
            #expect(resumed.rows == 4)
            let cut = try NpyArray.read(url)
            #expect(cut.shape == [4, 3])
            #expect(cut.values == Array(rows[0 ..< 4].joined()))
            #expect(try latticeIOBytes(url).count == 128 + 4 * 24)
            for r in rows[4...] { try resumed.append(r) }
            resumed.close()
            #expect(try latticeIOBytes(url) == latticeIOBytes(reference))

            // Resuming at exactly the stored count and at zero rows also works.
            let same = try NpyAppender(resuming: url, trailingShape: [3], rows: 8)
            #expect(same.rows == 8)
            same.close()
            let zero = try NpyAppender(resuming: url, trailingShape: [3], rows: 0)
            zero.close()
            #expect(try NpyArray.read(url).shape == [0, 3])
            #expect(try latticeIOBytes(url).count == 128)
        }
    }

    @Test func resumeRejectsWrongShapeTooFewRowsAndWrongDType() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("r.npy")
            let a = try NpyAppender(creating: url, trailingShape: [2])
            for i in 0 ..< 6 { try a.append([Double(i), -Double(i)]) }
            a.close()
            expectLatticeIOError(.shapeMismatch, containing: [url.path, "expected shape (N, 3)", "found (6, 2)"]) {
                _ = try NpyAppender(resuming: url, trailingShape: [3], rows: 2)
            }
            expectLatticeIOError(.shapeMismatch, containing: [url.path, "expected shape (N, 2, 1)", "found (6, 2)"]) {
                _ = try NpyAppender(resuming: url, trailingShape: [2, 1], rows: 2)
            }
            expectLatticeIOError(.truncated, containing: [url.path, "cannot resume at 7 rows", "only 6 rows"]) {
                _ = try NpyAppender(resuming: url, trailingShape: [2], rows: 7)
            }
            // The failed attempts left the file untouched.
            #expect(try NpyArray.read(url).shape == [6, 2])

            let ints = dir.appendingPathComponent("ints.npy")
            try latticeIOCraftNpy(descr: "<i8", shape: "(1, 2)", payload: [UInt8](repeating: 0, count: 16)).write(to: ints)
            expectLatticeIOError(.unsupportedDType, containing: [ints.path, "expected dtype '<f8', found '<i8'"]) {
                _ = try NpyAppender(resuming: ints, trailingShape: [2], rows: 1)
            }
            let missing = dir.appendingPathComponent("missing.npy")
            expectLatticeIOError(.io, containing: [missing.path, "No such file"]) {
                _ = try NpyAppender(resuming: missing, trailingShape: [2], rows: 0)
            }
        }
    }

    @Test func wrongRowSizeAndUseAfterCloseThrow() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("w.npy")
            let a = try NpyAppender(creating: url, trailingShape: [3, 2])
            expectLatticeIOError(.shapeMismatch, containing: [url.path, "row has 5 values, expected 6"]) {
                try a.append([1, 2, 3, 4, 5])
            }
            #expect(a.rows == 0)
            #expect(try latticeIOBytes(url).count == 128)
            a.close()
            a.close()
            expectLatticeIOError(.invalidState, containing: [url.path, "after close"]) {
                try a.append([1, 2, 3, 4, 5, 6])
            }
        }
    }
}

// MARK: - .npy reader and one-shot writer

@Suite struct NpyReaderTests {
    @Test func writeReadRoundTripAndNumpy() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("x.npy")
            let arr = NpyArray(shape: [3, 2, 2], values: latticeIOSpecials)
            try arr.write(to: url)
            let back = try NpyArray.read(url)
            #expect(back.shape == [3, 2, 2])
            #expect(latticeIOBits(back.values) == latticeIOBits(latticeIOSpecials))
            let bytes = try latticeIOBytes(url)
            #expect(bytes.count == 128 + 96)
            if let np = latticeIONumpyLoad(url) {
                #expect(np.shape == [3, 2, 2])
                #expect(np.bits == latticeIOBits(latticeIOSpecials))
            }
            // Overwrite with a 0-d array.
            try NpyArray(shape: [], values: [2.5]).write(to: url)
            let scalar = try NpyArray.read(url)
            #expect(scalar.shape == [])
            #expect(scalar.values == [2.5])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.npy"])
            expectLatticeIOError(.shapeMismatch, containing: [url.path, "needs 6 values, found 5"]) {
                try NpyArray(shape: [2, 3], values: [1, 2, 3, 4, 5]).write(to: url)
            }
        }
    }

    @Test func readsOtherDTypesAndVersion2() throws {
        try withLatticeIOTempDir { dir in
            func le<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] {
                v.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } }
            }
            let cases: [(String, String, [UInt8], [Int], [Double], UInt8)] = [
                ("<i8", "(2, 2)", le([Int64(-3), 0, 1 << 40, Int64.min + 0]), [2, 2], [-3, 0, 1_099_511_627_776, -9_223_372_036_854_775_808], 1),
                ("<f4", "(3,)", le([Float(1.5).bitPattern, Float(-0.0).bitPattern, Float(0.1).bitPattern]), [3], [1.5, -0.0, Double(Float(0.1))], 1),
                ("|u1", "(4,)", [0, 1, 200, 255], [4], [0, 1, 200, 255], 1),
                (">f8", "(2,)", [1.0, -2.0].flatMap { d in withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) } }, [2], [1, -2], 1),
                ("<f8", "(1, 2)", le([(0.5).bitPattern, (-7.0).bitPattern]), [1, 2], [0.5, -7], 2),
            ]
            for (i, c) in cases.enumerated() {
                let url = dir.appendingPathComponent("t\(i).npy")
                try latticeIOCraftNpy(descr: c.0, shape: c.1, payload: c.2, major: c.5).write(to: url)
                let r = try NpyArray.read(url)
                #expect(r.shape == c.3, "\(c.0)")
                #expect(latticeIOBits(r.values) == latticeIOBits(c.4), "\(c.0)")
            }
        }
    }

    @Test func readsFilesWrittenByNumpy() throws {
        guard latticeIONumpyAvailable else { return }
        try withLatticeIOTempDir { dir in
            let script = """
            import sys, numpy as np
            d = sys.argv[1]
            np.save(d + '/f8.npy', np.arange(6, dtype='<f8').reshape(2, 3) / 4 - 0.5)
            np.save(d + '/i8.npy', np.array([[-1, 2], [3, -4]], dtype='<i8'))
            np.save(d + '/f4.npy', np.array([0.1, -2.5], dtype='<f4'))
            """
            #expect(latticeIORunPython(script, [dir.path]) != nil)
            let f8 = try NpyArray.read(dir.appendingPathComponent("f8.npy"))
            #expect(f8.shape == [2, 3])
            #expect(f8.values == [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
            let i8 = try NpyArray.read(dir.appendingPathComponent("i8.npy"))
            #expect(i8.shape == [2, 2])
            #expect(i8.values == [-1, 2, 3, -4])
            let f4 = try NpyArray.read(dir.appendingPathComponent("f4.npy"))
            #expect(f4.values == [Double(Float(0.1)), -2.5])
        }
    }

    @Test func readerErrors() throws {
        try withLatticeIOTempDir { dir in
            let bad = dir.appendingPathComponent("bad.npy")
            try Data("hello world, not numpy".utf8).write(to: bad)
            expectLatticeIOError(.badMagic, containing: [bad.path, "expected magic", "found 68 65 6c 6c 6f 20"]) {
                _ = try NpyArray.read(bad)
            }
            let empty = dir.appendingPathComponent("empty.npy")
            try Data().write(to: empty)
            expectLatticeIOError(.badMagic, containing: [empty.path, "empty file"]) { _ = try NpyArray.read(empty) }

            let good = dir.appendingPathComponent("good.npy")
            try NpyArray(shape: [10], values: (0 ..< 10).map(Double.init)).write(to: good)
            let full = try latticeIOBytes(good)
            let cut = dir.appendingPathComponent("cut.npy")
            try Data(full.dropLast(5)).write(to: cut)
            expectLatticeIOError(.truncated, containing: [cut.path, "shape (10,)", "needs 80 data bytes, found 75"]) {
                _ = try NpyArray.read(cut)
            }
            try Data(full.prefix(50)).write(to: cut)
            expectLatticeIOError(.truncated, containing: [cut.path, "header declares 128 bytes, file has 50"]) {
                _ = try NpyArray.read(cut)
            }

            let c16 = dir.appendingPathComponent("c16.npy")
            try latticeIOCraftNpy(descr: "<c16", shape: "(1,)", payload: [UInt8](repeating: 0, count: 16)).write(to: c16)
            expectLatticeIOError(.unsupportedDType, containing: [c16.path, "unsupported dtype '<c16'"]) {
                _ = try NpyArray.read(c16)
            }
            let fortran = dir.appendingPathComponent("fortran.npy")
            try latticeIOCraftNpy(descr: "<f8", fortran: true, shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 32)).write(to: fortran)
            expectLatticeIOError(.fortranOrder, containing: [fortran.path, "Fortran order"]) { _ = try NpyArray.read(fortran) }

            var v9 = [UInt8](latticeIOCraftNpy(descr: "<f8", shape: "(0,)", payload: []))
            v9[6] = 9
            let version = dir.appendingPathComponent("v9.npy")
            try Data(v9).write(to: version)
            expectLatticeIOError(.unsupportedVersion, containing: [version.path, "version 9.0"]) { _ = try NpyArray.read(version) }

            let garbled = dir.appendingPathComponent("garbled.npy")
            try latticeIOCraftNpy(descr: "<f8", shape: "(2, x)", payload: []).write(to: garbled)
            expectLatticeIOError(.badHeader, containing: [garbled.path, "cannot parse header"]) { _ = try NpyArray.read(garbled) }

            let missing = dir.appendingPathComponent("missing.npy")
            expectLatticeIOError(.io, containing: [missing.path, "No such file"]) { _ = try NpyArray.read(missing) }
        }
    }
}

// MARK: - Atomic files

@Suite struct AtomicFileTests {
    @Test func writesAndOverwritesLeavingNoTemporaryFiles() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("config.json")
            try AtomicFile.write(Data("first version, rather long".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("first version, rather long".utf8))
            try AtomicFile.write(Data("second".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("second".utf8))
            try AtomicFile.write(Data(), to: url)
            #expect(try Data(contentsOf: url).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["config.json"])
        }
    }

    @Test func failureNamesPathAndLeavesNothing() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("no-such-folder/out.bin")
            expectLatticeIOError(.io, containing: [url.path, "No such file or directory"]) {
                try AtomicFile.write(Data([1, 2, 3]), to: url)
            }
            // Renaming a file over an existing folder fails; the temporary file is removed.
            let folder = dir.appendingPathComponent("occupied")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
            expectLatticeIOError(.io, containing: [folder.path, "rename"]) {
                try AtomicFile.write(Data([1, 2, 3]), to: folder)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["occupied"])
        }
    }
}

// MARK: - JSON lines

private struct LatticeIOLogRecord: Codable, Equatable {
    var step: Int
    var path: String
    var values: [Double]
    var accepted: Bool
}

@Suite struct JSONLinesTests {
    @Test func appendsCompactSortedLines() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("log.jsonl")
            let log = try JSONLinesAppender(creating: url)
            try log.append(LatticeIOLogRecord(step: 1, path: "a/b", values: [1.5, -2, 0.1], accepted: true))
            try log.append(jsonLine: #"{"raw":true}"#)
            try log.append(jsonLine: "{\"raw\":2}\n")
            #expect(log.lines == 3)
            try log.flush(fsync: true)
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text == """
            {"accepted":true,"path":"a/b","step":1,"values":[1.5,-2,0.1]}
            {"raw":true}
            {"raw":2}

            """)
            let decoded = try JSONDecoder().decode(LatticeIOLogRecord.self, from: Data(text.split(separator: "\n")[0].utf8))
            #expect(decoded == LatticeIOLogRecord(step: 1, path: "a/b", values: [1.5, -2, 0.1], accepted: true))

            expectLatticeIOError(.invalidArgument, containing: [url.path, "line 4", "line break"]) {
                try log.append(jsonLine: "{\"a\":1}\n{\"b\":2}")
            }
            expectLatticeIOError(.invalidArgument, containing: [url.path, "cannot encode JSON line 4"]) {
                try log.append(LatticeIOLogRecord(step: 2, path: "", values: [.nan], accepted: false))
            }
            #expect(log.lines == 3)
            log.close()
            expectLatticeIOError(.invalidState, containing: [url.path]) { try log.append(jsonLine: "{}") }
            #expect(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count == 3)
        }
    }

    @Test func resumeTruncatesToCompleteLinesAndDropsPartialLine() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("steps.jsonl")
            let log = try JSONLinesAppender(creating: url)
            for i in 1 ... 5 { try log.append(["step": i]) }
            log.close()
            let resumed = try JSONLinesAppender(resuming: url, lines: 3)
            #expect(resumed.lines == 3)
            #expect(try String(contentsOf: url, encoding: .utf8) == "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n")
            try resumed.append(["step": 4])
            resumed.close()
            #expect(try String(contentsOf: url, encoding: .utf8) == "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n{\"step\":4}\n")

            // Simulate a crash in the middle of writing line 5.
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"step\":5,\"x".utf8))
            try handle.close()
            expectLatticeIOError(.truncated, containing: [url.path, "cannot resume at 5 lines", "only 4 complete lines"]) {
                _ = try JSONLinesAppender(resuming: url, lines: 5)
            }
            let again = try JSONLinesAppender(resuming: url, lines: 4)
            #expect(try String(contentsOf: url, encoding: .utf8).hasSuffix("{\"step\":4}\n"))
            try again.append(["step": 5])
            again.close()
            #expect(try String(contentsOf: url, encoding: .utf8)
                == (1 ... 5).map { "{\"step\":\($0)}\n" }.joined())

            let empty = try JSONLinesAppender(resuming: url, lines: 0)
            empty.close()
            #expect(try Data(contentsOf: url).isEmpty)
        }
    }
}

// MARK: - Checkpoint archives

@Suite struct CheckpointArchiveTests {
    private static func sample() throws -> CheckpointArchive {
        try CheckpointArchive(sections: [
            (name: "links", data: Data(doubles: latticeIOSpecials)),
            (name: "rng", data: Data(uint64s: [0, 1, UInt64.max, 0xDEAD_BEEF_0123_4567])),
            (name: "counters", data: Data(ints: [0, -1, Int.min, Int.max, 42])),
            (name: "empty", data: Data()),
            (name: "β-schedule ✓", data: Data("{\"beta\":[1,2]}".utf8)),
        ])
    }

    @Test func roundTripIsBitExact() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("state.ckpt")
            let archive = try Self.sample()
            try archive.write(to: url)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["state.ckpt"])
            let back = try CheckpointArchive.read(from: url)
            #expect(back.names == ["links", "rng", "counters", "empty", "β-schedule ✓"])
            for (a, b) in zip(archive.sections, back.sections) {
                #expect(a.name == b.name)
                #expect(a.data == b.data)
            }
            #expect(latticeIOBits(try [Double](littleEndian: try #require(back["links"]))) == latticeIOBits(latticeIOSpecials))
            #expect(try [UInt64](littleEndian: try #require(back["rng"])) == [0, 1, UInt64.max, 0xDEAD_BEEF_0123_4567])
            #expect(try [Int](littleEndian: try back.section("counters")) == [0, -1, Int.min, Int.max, 42])
            #expect(back["empty"] == Data())
            #expect(back["absent"] == nil)
            expectLatticeIOError(.badHeader, containing: [url.path, "missing checkpoint section 'absent'", "'rng'"]) {
                _ = try back.section("absent", in: url)
            }

            // Layout: magic, version 1, 5 sections, …, FNV-1a 64 of everything before the last 8 bytes.
            let bytes = try latticeIOBytes(url)
            #expect(Array(bytes[0 ..< 8]) == Array("L2HMCCKP".utf8))
            #expect(Array(bytes[8 ..< 16]) == [1, 0, 0, 0, 5, 0, 0, 0])
            #expect(Array(bytes[16 ..< 25]) == [5, 0, 0, 0] + Array("links".utf8))
            #expect(Array(bytes[25 ..< 33]) == [96, 0, 0, 0, 0, 0, 0, 0])
            let stored = bytes.suffix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(stored == CheckpointArchive.fnv1a64(bytes.dropLast(8)))
            #expect(archive.encoded() == Data(bytes))
        }
    }

    @Test func fnvTestVectorsAndByteHelpers() throws {
        #expect(CheckpointArchive.fnv1a64([UInt8]()) == 0xCBF2_9CE4_8422_2325)
        #expect(CheckpointArchive.fnv1a64(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C)
        #expect(CheckpointArchive.fnv1a64(Array("foobar".utf8)) == 0x8594_4171_F739_67E8)
        #expect([UInt8](Data(doubles: [1.0])) == [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect([UInt8](Data(ints: [-2])) == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect([UInt8](Data(uint64s: [0x0102_0304_0506_0708])) == [8, 7, 6, 5, 4, 3, 2, 1])
        expectLatticeIOError(.shapeMismatch, containing: ["section 'x'", "byte count 9 is not a multiple of 8"]) {
            _ = try [Double](littleEndian: Data(count: 9), context: "section 'x'")
        }
    }

    @Test func subscriptEditsAndDuplicateNames() throws {
        var a = try CheckpointArchive()
        a["one"] = Data([1])
        a["two"] = Data([2])
        a["one"] = Data([3])
        #expect(a.names == ["one", "two"])
        #expect(a["one"] == Data([3]))
        a["one"] = nil
        #expect(a.names == ["two"])
        expectLatticeIOError(.invalidArgument, containing: ["duplicate section name 'x'"]) {
            _ = try CheckpointArchive(sections: [(name: "x", data: Data()), (name: "x", data: Data([1]))])
        }
    }

    @Test func corruptionIsDetected() throws {
        try withLatticeIOTempDir { dir in
            let url = dir.appendingPathComponent("c.ckpt")
            try Self.sample().write(to: url)
            let good = try latticeIOBytes(url)
            let bad = dir.appendingPathComponent("bad.ckpt")

            var flipped = good
            flipped[40] ^= 0x01  // inside the "links" payload
            try Data(flipped).write(to: bad)
            expectLatticeIOError(.checksumMismatch, containing: [bad.path, "checksum mismatch (FNV-1a 64)", "file stores 0x", "contents hash to 0x"]) {
                _ = try CheckpointArchive.read(from: bad)
            }

            try Data(good.dropLast(3)).write(to: bad)
            expectLatticeIOError(.truncated, containing: [bad.path, "truncated"]) { _ = try CheckpointArchive.read(from: bad) }
            try Data(good.prefix(60)).write(to: bad)
            expectLatticeIOError(.truncated, containing: [bad.path, "truncated", "data of section 'links'"]) {
                _ = try CheckpointArchive.read(from: bad)
            }
            try Data(good.prefix(10)).write(to: bad)
            expectLatticeIOError(.truncated, containing: [bad.path, "10 bytes"]) { _ = try CheckpointArchive.read(from: bad) }

            var magic = good
            magic[0] = UInt8(ascii: "X")
            try Data(magic).write(to: bad)
            expectLatticeIOError(.badMagic, containing: [bad.path, "expected magic \"L2HMCCKP\""]) {
                _ = try CheckpointArchive.read(from: bad)
            }

            var version = good
            version[8] = 2
            try Data(version).write(to: bad)
            expectLatticeIOError(.unsupportedVersion, containing: [bad.path, "unknown checkpoint format version 2: expected 1"]) {
                _ = try CheckpointArchive.read(from: bad)
            }
        }
    }
}

// MARK: - Output folders

@Suite struct OutputDirectoryTests {
    @Test func createsNestedFoldersIdempotently() throws {
        try withLatticeIOTempDir { dir in
            let nested = dir.appendingPathComponent("runs/beta-2.0/seed-7")
            #expect(!OutputDirectory.isWritable(nested))
            try OutputDirectory.create(nested)
            try OutputDirectory.create(nested)
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDir) && isDir.boolValue)
            #expect(OutputDirectory.isWritable(nested))
            #expect(try FileManager.default.contentsOfDirectory(atPath: nested.path).isEmpty)
        }
    }

    @Test func unusableLocationsThrowWithThePath() throws {
        try withLatticeIOTempDir { dir in
            let file = dir.appendingPathComponent("plain-file")
            try Data("x".utf8).write(to: file)
            let under = file.appendingPathComponent("sub")
            expectLatticeIOError(.notWritable, containing: ["cannot create output folder \(under.path)", "\(file.path) exists and is not a folder"]) {
                try OutputDirectory.create(under)
            }
            expectLatticeIOError(.notWritable, containing: ["cannot create output folder \(file.path)", "not a folder"]) {
                try OutputDirectory.create(file)
            }
            #expect(!OutputDirectory.isWritable(file))
        }
        let proc = URL(fileURLWithPath: "/proc/latticeio-test-\(UUID().uuidString)/out")
        expectLatticeIOError(.notWritable, containing: ["cannot create output folder \(proc.path):"]) {
            try OutputDirectory.create(proc)
        }
        #expect(!OutputDirectory.isWritable(URL(fileURLWithPath: "/proc")))
    }
}
