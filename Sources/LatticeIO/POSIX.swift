// POSIX.swift — internal thin wrappers over open/pread/pwrite/ftruncate/fsync/rename.
//
// Conventions:
//   • All wrappers retry on EINTR and loop over short reads/writes.
//   • Failures throw LatticeIOError(.io) naming the path, the operation and strerror(errno).
//   • File descriptors are opened with O_CLOEXEC; callers own and close them.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum POSIX {
    static func errnoString(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    static func ioError(_ path: String, _ what: String, _ code: Int32 = errno) -> LatticeIOError {
        LatticeIOError(.io, path: path, "\(what) failed: \(errnoString(code)) (errno \(code))")
    }

    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o644, what: String = "open") throws -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw ioError(path, what)
        }
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    static func fileSize(_ fd: Int32, path: String) throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError(path, "fstat") }
        return Int(st.st_size)
    }

    /// Writes all `count` bytes at `offset`.
    static func pwriteAll(_ fd: Int32, _ base: UnsafeRawPointer?, _ count: Int, at offset: Int, path: String) throws {
        guard count > 0, let base else { return }
        var done = 0
        while done < count {
            let n = pwrite(fd, base + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "write of \(count) bytes at offset \(offset)")
            }
            if n == 0 { throw LatticeIOError(.io, path: path, "write of \(count) bytes at offset \(offset) made no progress") }
            done += n
        }
    }

    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
        try bytes.withUnsafeBytes { try pwriteAll(fd, $0.baseAddress, $0.count, at: offset, path: path) }
    }

    /// Reads up to `count` bytes at `offset`; returns fewer only at end of file.
    static func preadUpTo(_ fd: Int32, _ count: Int, at offset: Int, path: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError(path, "read of \(count) bytes at offset \(offset)")
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < count { out.removeLast(count - done) }
        return out
    }

    /// Reads the whole file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try openFile(path, O_RDONLY)
        defer { closeFile(fd) }
        let size = try fileSize(fd, path: path)
        var bytes = try preadUpTo(fd, size, at: 0, path: path)
        // The file may have grown since fstat; read any remainder.
        while true {
            let more = try preadUpTo(fd, 1 << 16, at: bytes.count, path: path)
            if more.isEmpty { break }
            bytes += more
        }
        return bytes
    }

    static func truncateFile(_ fd: Int32, _ length: Int, path: String) throws {
        while ftruncate(fd, off_t(length)) != 0 {
            if errno == EINTR { continue }
            throw ioError(path, "truncate to \(length) bytes")
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            // Some file systems do not support fsync on directories; that is not an error for us.
            if errno == EINVAL || errno == ENOTSUP { return }
            throw ioError(path, "fsync")
        }
    }

    static func fsyncDirectory(_ path: String) throws {
        let fd = try openFile(path, O_RDONLY | O_DIRECTORY, what: "open folder for fsync")
        defer { closeFile(fd) }
        try sync(fd, path: path)
    }
}
