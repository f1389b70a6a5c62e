// Console.swift — the only place that prints: results on stdout, progress and errors on stderr.
import ArgumentParser
import Foundation
import L2HMC

final class Console: @unchecked Sendable {
    let quiet: Bool
    let stderrIsTerminal: Bool
    private var lastProgress = Date.distantPast
    private var progressShown = false

    init(quiet: Bool) {
        self.quiet = quiet
        self.stderrIsTerminal = isatty(STDERR_FILENO) == 1
    }

    var progressEnabled: Bool { !quiet && stderrIsTerminal }

    func out(_ s: String) { FileHandle.standardOutput.write((s + "\n").data(using: .utf8)!) }
    func info(_ s: String) { if !quiet { clearProgress(); out(s) } }
    func error(_ s: String) {
        clearProgress()
        FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    }

    /// A one-line progress display, redrawn at most 10 times per second (forced at the end).
    func progress(_ s: String, force: Bool = false) {
        guard progressEnabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastProgress) > 0.1 else { return }
        lastProgress = now
        FileHandle.standardError.write(("\r\u{1B}[K" + s).data(using: .utf8)!)
        progressShown = true
    }

    /// Runs a command body, turning the errors a user can cause into one `error: …` line on stderr and an exit code:
    /// 2 for invalid configuration (ConfigurationError), 1 for files and numerics (LatticeIOError, AutodiffError).
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ConfigurationError {
            error("error: \(e.description)")
            throw ExitCode(2)
        } catch let e as LatticeIOError {
            error("error: \(e.description)")
            throw ExitCode(1)
        } catch let e as AutodiffError {
            error("error: \(e.description)")
            throw ExitCode(1)
        }
    }

    func clearProgress() {
        if progressShown {
            FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
            progressShown = false
        }
    }
}
