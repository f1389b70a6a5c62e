// OutputDirectory.swift — create output folders and check they are writable, without trapping.
//
// Conventions:
//   • `create` is `mkdir -p` done one component at a time with POSIX mkdir (mode 0755 minus umask),
//     so the error names the exact component and the system's reason, e.g.
//     "cannot create output folder /a/b/c: Not a directory (at /a/b)".
//   • Writability is tested by really creating and removing a probe file (".write-probe-<pid>-<rand>"),
//     which is correct for root, read-only mounts, ACLs and /proc alike.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Creation and writability checks for output folders.
public enum OutputDirectory {
    /// Creates `url` (with intermediate folders) if needed and checks that files can be created in it.
    /// Throws `LatticeIOError(.notWritable)` whose message starts "cannot create output folder <path>:".
    public static func create(_ url: URL) throws {
        let target = url.standardizedFileURL.path
        func fail(_ reason: String) -> LatticeIOError {
            LatticeIOError(.notWritable, path: target, "cannot create output folder \(target): \(reason)")
        }
        var prefix = target.hasPrefix("/") ? "" : "."
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o755) == 0 { continue }
            let code = errno
            var st = stat()
            if stat(prefix, &st) == 0 {
                if (st.st_mode & S_IFMT) == S_IFDIR { continue }
                throw fail("\(prefix) exists and is not a folder")
            }
            throw fail("\(POSIX.errnoString(code)) (at \(prefix))")
        }
        if let reason = probe(target) {
            throw LatticeIOError(.notWritable, path: target, "output folder \(target) is not writable: \(reason)")
        }
    }

    /// True if `url` is an existing folder in which a file can be created.
    public static func isWritable(_ url: URL) -> Bool {
        probe(url.standardizedFileURL.path) == nil
    }

    /// Creates and removes a probe file; returns the reason on failure.
    private static func probe(_ folder: String) -> String? {
        var st = stat()
        guard stat(folder, &st) == 0 else { return POSIX.errnoString() }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return "not a folder" }
        let probePath = folder + "/.write-probe-\(getpid())-\(UInt64.random(in: 0 ... UInt64.max))"
        let fd = open(probePath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return POSIX.errnoString() }
        close(fd)
        unlink(probePath)
        return nil
    }
}
