// JSONLinesAppender.swift — per-step logs as JSON lines (one compact JSON object per line).
//
// Conventions (REFERENCE §7: readable by pandas `read_json(lines=True)` with no parser):
//   • UTF-8, each record is one line terminated by "\n"; objects are encoded compactly with sorted
//     keys and unescaped slashes. Non-finite floats throw by default (JSON has no NaN); pass a
//     different `nonConformingFloatStrategy` to change that.
//   • A line is "complete" only once its "\n" is written; each record goes out in one pwrite at
//     the current end, so a crash leaves at most one partial last line, which
//     `init(resuming:lines:)` drops.
//   • `lines` counts complete lines; checkpoints record it and resume truncates back to it.
//   • Not thread-safe and not Sendable: use from one task at a time.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Appends one JSON object per line to a file.
public final class JSONLinesAppender {
    /// The file being written.
    public let url: URL
    /// Number of complete lines in the file.
    public private(set) var lines: Int

    private var fd: Int32
    private var endOffset: Int
    private let encoder: JSONEncoder
    private var path: String { url.path }

    /// Creates (or truncates) `url` as an empty log.
    public init(creating url: URL,
                nonConformingFloatStrategy: JSONEncoder.NonConformingFloatEncodingStrategy = .throw) throws {
        self.url = url
        self.lines = 0
        self.endOffset = 0
        self.encoder = Self.makeEncoder(nonConformingFloatStrategy)
        self.fd = try POSIX.openFile(url.path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644, what: "create JSON lines file")
    }

    /// Opens an existing log and truncates it to exactly its first `lines` complete lines
    /// (dropping later lines and any partial last line). Throws `.truncated` if it holds fewer.
    public init(resuming url: URL, lines: Int,
                nonConformingFloatStrategy: JSONEncoder.NonConformingFloatEncodingStrategy = .throw) throws {
        let path = url.path
        guard lines >= 0 else {
            throw LatticeIOError(.invalidArgument, path: path, "cannot resume at a negative line count (\(lines))")
        }
        let fd = try POSIX.openFile(path, O_RDWR, what: "open JSON lines file to resume")
        do {
            // Find the end of the `lines`-th complete line, reading in chunks.
            var offset = 0, found = 0, cut = 0
            let chunk = 1 << 16
            scan: while found < lines {
                let bytes = try POSIX.preadUpTo(fd, chunk, at: offset, path: path)
                if bytes.isEmpty { break }
                for (i, b) in bytes.enumerated() where b == 0x0A {
                    found += 1
                    if found == lines { cut = offset + i + 1; break scan }
                }
                offset += bytes.count
            }
            guard found >= lines else {
                throw LatticeIOError(.truncated, path: path,
                    "cannot resume at \(lines) lines: file holds only \(found) complete lines")
            }
            try POSIX.truncateFile(fd, cut, path: path)
            self.url = url
            self.lines = lines
            self.endOffset = cut
            self.encoder = Self.makeEncoder(nonConformingFloatStrategy)
            self.fd = fd
        } catch {
            POSIX.closeFile(fd)
            throw error
        }
    }

    deinit {
        if fd >= 0 { POSIX.closeFile(fd) }
    }

    /// Encodes `object` compactly with sorted keys and appends it as one line.
    public func append(_ object: some Encodable) throws {
        let data: Data
        do {
            data = try encoder.encode(object)
        } catch {
            throw LatticeIOError(.invalidArgument, path: path, "cannot encode JSON line \(lines + 1): \(error)")
        }
        try appendLine(data)
    }

    /// Appends an already-encoded JSON value as one line. A single trailing "\n" is accepted;
    /// any other newline or carriage return inside the text throws `.invalidArgument`.
    public func append(jsonLine: String) throws {
        var text = Substring(jsonLine)
        if text.hasSuffix("\n") { text = text.dropLast() }
        guard !text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            throw LatticeIOError(.invalidArgument, path: path, "JSON line \(lines + 1) contains a line break inside it")
        }
        try appendLine(Data(text.utf8))
    }

    /// Makes everything written so far visible (always true with pwrite) and, if `fsync` is true,
    /// durable on disk.
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

    private func appendLine(_ body: Data) throws {
        guard fd >= 0 else { throw LatticeIOError(.invalidState, path: path, "append after close()") }
        var line = body
        line.append(0x0A)
        try line.withUnsafeBytes { try POSIX.pwriteAll(fd, $0.baseAddress, $0.count, at: endOffset, path: path) }
        endOffset += line.count
        lines += 1
    }

    private static func makeEncoder(_ floats: JSONEncoder.NonConformingFloatEncodingStrategy) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = floats
        return e
    }
}
