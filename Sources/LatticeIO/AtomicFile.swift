// AtomicFile.swift — crash-safe whole-file replacement.
//
// Conventions:
//   • The bytes go to a uniquely named temporary file in the *same* folder as the target
//     (".<name>.tmp-<pid>-<random>"), which is fsynced, renamed over the target, and then the
//     folder is fsynced so the rename itself is durable.
//   • Readers therefore see either the complete old file or the complete new one, never a mix;
//     on any failure the temporary file is removed and the target is untouched.
//   • New files get mode 0644 (minus the umask).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Atomic, durable replacement of a whole file.
public enum AtomicFile {
    /// Writes `data` to `url` atomically: temp file in the same folder → fsync → rename → fsync folder.
    public static func write(_ data: Data, to url: URL) throws {
        let target = url.standardizedFileURL
        let path = target.path
        let folder = target.deletingLastPathComponent().path
        let name = target.lastPathComponent
        guard !name.isEmpty, name != "/" else {
            throw LatticeIOError(.invalidArgument, path: path, "not a file path (no file name)")
        }
        let tmpPath = (folder as NSString).appendingPathComponent(
            ".\(name).tmp-\(getpid())-\(UInt64.random(in: 0 ... UInt64.max))")

        let fd = try POSIX.openFile(tmpPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644,
                                    what: "create temporary file for atomic write of \(path)")
        var renamed = false
        defer { if !renamed { unlink(tmpPath) } }
        do {
            try data.withUnsafeBytes { try POSIX.pwriteAll(fd, $0.baseAddress, $0.count, at: 0, path: tmpPath) }
            try POSIX.sync(fd, path: tmpPath)
        } catch {
            POSIX.closeFile(fd)
            throw error
        }
        POSIX.closeFile(fd)
        guard rename(tmpPath, path) == 0 else {
            throw POSIX.ioError(path, "rename of temporary file \(tmpPath) over target")
        }
        renamed = true
        try POSIX.fsyncDirectory(folder)
    }
}
