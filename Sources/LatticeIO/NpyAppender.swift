// NpyAppender.swift — a growable .npy file, one row at a time, that is valid at every moment.
//
// Conventions (REFERENCE §7):
//   • dtype `<f8`, C order, shape (rows, trailingShape...), e.g. (trajectories, chains) or
//     (trajectories, chains, 2). A row is product(trailingShape) doubles (1 if trailingShape is []).
//   • The header has a fixed size for the life of the file: 128 bytes for every realistic trailing
//     shape (the smallest multiple of 64 that holds the dict with a 19-digit row count), padded with
//     spaces and ending in "\n". Rewriting the row count therefore never moves the data.
//   • `append` writes the row's bytes past the end of the current data first and only then rewrites
//     the header with the larger row count; `init(resuming:)` lowers the header count first and then
//     truncates. A reader (numpy included) thus always sees a complete, consistent array; bytes past
//     the declared data (left by a crash between the two writes) are ignored by readers and
//     overwritten or truncated by the next append / resume.
//   • Writes use POSIX pwrite (no user-space buffering); `flush(fsync: true)` makes them durable.
//   • Not thread-safe and not Sendable: use from one task at a time.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Appends rows of doubles to a `<f8` C-order .npy file of shape (rows, trailingShape...).
public final class NpyAppender {
    /// The file being written.
    public let url: URL
    /// Shape of one row (the array's shape without its leading row axis).
    public let trailingShape: [Int]
    /// Number of doubles in one row: the product of `trailingShape`.
    public let rowCount: Int
    /// Number of complete rows in the file (and in its header).
    public private(set) var rows: Int

    private var fd: Int32
    private let headerSize: Int
    private var path: String { url.path }
    private var rowBytes: Int { rowCount * 8 }

    /// Creates (or truncates) `url` as an empty array of shape (0, trailingShape...).
    public init(creating url: URL, trailingShape: [Int]) throws {
        let rowCount = try Self.validate(trailingShape, path: url.path)
        self.url = url
        self.trailingShape = trailingShape
        self.rowCount = rowCount
        self.rows = 0
        self.headerSize = NpyHeader.encode(shape: [Int.max] + trailingShape, minimumTotal: 128).count
        self.fd = try POSIX.openFile(url.path, O_RDWR | O_CREAT | O_TRUNC, mode: 0o644, what: "create .npy file")
        do {
            try writeHeader(rows: 0)
        } catch {
            POSIX.closeFile(fd)
            fd = -1
            throw error
        }
    }

    /// Opens an existing `<f8` .npy file of shape (N, trailingShape...) with N ≥ `rows`, and cuts it
    /// back to exactly `rows` rows (header and file length) so that appending continues bit-identically
    /// from a checkpoint taken when the file held `rows` rows.
    public init(resuming url: URL, trailingShape: [Int], rows: Int) throws {
        let path = url.path
        let rowCount = try Self.validate(trailingShape, path: path)
        guard rows >= 0 else {
            throw LatticeIOError(.invalidArgument, path: path, "cannot resume at a negative row count (\(rows))")
        }
        let fd = try POSIX.openFile(path, O_RDWR, what: "open .npy file to resume")
        do {
            let size = try POSIX.fileSize(fd, path: path)
            var prefix = try POSIX.preadUpTo(fd, min(size, 4096), at: 0, path: path)
            if let total = Self.declaredHeaderSize(prefix), total > prefix.count, total <= size {
                prefix = try POSIX.preadUpTo(fd, total, at: 0, path: path)
            }
            let header = try NpyHeader.parse(prefix, path: path)
            guard header.dtype.descr == "<f8" else {
                throw LatticeIOError(.unsupportedDType, path: path,
                    "cannot append: expected dtype '<f8', found '\(header.dtype.descr)'")
            }
            guard header.shape.count == trailingShape.count + 1, Array(header.shape.dropFirst()) == trailingShape else {
                throw LatticeIOError(.shapeMismatch, path: path,
                    "cannot resume: expected shape \(NpyHeader.shapeText(["N"] + trailingShape.map(String.init))) (trailing shape \(NpyHeader.shapeText(trailingShape))), found \(NpyHeader.shapeText(header.shape))")
            }
            guard header.shape[0] >= rows else {
                throw LatticeIOError(.truncated, path: path,
                    "cannot resume at \(rows) rows: header declares only \(header.shape[0]) rows")
            }
            let needBytes = header.dataOffset + rows * rowCount * 8
            guard size >= needBytes else {
                throw LatticeIOError(.truncated, path: path,
                    "cannot resume at \(rows) rows: need \(needBytes) bytes, file has \(size)")
            }
            self.url = url
            self.trailingShape = trailingShape
            self.rowCount = rowCount
            self.rows = rows
            self.headerSize = header.dataOffset
            self.fd = fd
        } catch {
            POSIX.closeFile(fd)
            throw error
        }
        do {
            // Lower the header count first, then cut the data: valid at every moment.
            try writeHeader(rows: rows)
            try POSIX.truncateFile(fd, headerSize + rows * rowBytes, path: path)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        if fd >= 0 { POSIX.closeFile(fd) }
    }

    /// Appends one row. `row.count` must equal `rowCount`.
    public func append(_ row: [Double]) throws {
        try row.withUnsafeBufferPointer { try append(contentsOf: $0) }
    }

    /// Appends one row. `buffer.count` must equal `rowCount`.
    public func append(contentsOf buffer: UnsafeBufferPointer<Double>) throws {
        guard fd >= 0 else { throw LatticeIOError(.invalidState, path: path, "append after close()") }
        guard buffer.count == rowCount else {
            throw LatticeIOError(.shapeMismatch, path: path,
                "row has \(buffer.count) values, expected \(rowCount) (trailing shape \(NpyHeader.shapeText(trailingShape)))")
        }
        let offset = headerSize + rows * rowBytes
        #if _endian(little)
        try POSIX.pwriteAll(fd, UnsafeRawPointer(buffer.baseAddress), rowBytes, at: offset, path: path)
        #else
        let data = Data(doubles: buffer)
        try data.withUnsafeBytes { try POSIX.pwriteAll(fd, $0.baseAddress, $0.count, at: offset, path: path) }
        #endif
        try writeHeader(rows: rows + 1)
        rows += 1
    }

    /// Makes everything written so far visible to other processes (always true with pwrite) and,
    /// if `fsync` is true, durable on disk.
    public func flush(fsync durable: Bool = false) throws {
        guard fd >= 0 else { throw LatticeIOError(.invalidState, path: path, "flush after close()") }
        if durable { try POSIX.sync(fd, path: path) }
    }

    /// Closes the file. Further appends throw; closing twice is harmless.
    public func close() {
        if fd >= 0 {
            POSIX.closeFile(fd)
            fd = -1
        }
    }

    // MARK: - Internals

    private func writeHeader(rows: Int) throws {
        let header = NpyHeader.encode(shape: [rows] + trailingShape, minimumTotal: headerSize)
        guard header.count == headerSize else {
            throw LatticeIOError(.badHeader, path: path,
                "header for shape \(NpyHeader.shapeText([rows] + trailingShape)) needs \(header.count) bytes but the file's header has a fixed \(headerSize) bytes")
        }
        try POSIX.pwriteAll(fd, header, at: 0, path: path)
    }

    private static func validate(_ trailingShape: [Int], path: String) throws -> Int {
        guard !trailingShape.contains(where: { $0 < 0 }) else {
            throw LatticeIOError(.shapeMismatch, path: path, "negative dimension in trailing shape \(NpyHeader.shapeText(trailingShape))")
        }
        return trailingShape.reduce(1, *)
    }

    /// Total header size declared by a header prefix, or nil if it cannot be determined.
    private static func declaredHeaderSize(_ b: [UInt8]) -> Int? {
        guard b.count >= 12, Array(b[0 ..< 6]) == NpyHeader.magic else { return nil }
        switch b[6] {
        case 1: return 10 + (Int(b[8]) | Int(b[9]) << 8)
        case 2, 3: return 12 + (0 ..< 4).reduce(0) { $0 | Int(b[8 + $1]) << (8 * $1) }
        default: return nil
        }
    }
}
