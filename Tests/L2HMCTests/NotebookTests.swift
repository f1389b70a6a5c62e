// NotebookTests.swift — re-executes the notebooks of notebooks-export/ on their tiny configuration
// (notebooks-export/run-notebooks, L2HMC_NB_TINY=1) with the l2hmc tool of this build. The script exits 0 with
// "skipped: …" when jupyter/matplotlib are not installed; Swift Testing has no runtime skip, so the test then
// records nothing else. Takes about 10 s when the packages are present.
import Foundation
import Testing

@Suite struct NotebookTests {
    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("notebooks-export/run-notebooks")
    }

    @Test func notebooksRunOnTinyConfiguration() throws {
        let tool = productsFolder().appendingPathComponent("l2hmc")
        #expect(FileManager.default.isExecutableFile(atPath: tool.path), "l2hmc not built at \(tool.path)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [NotebookTests.script.path]
        p.environment = ProcessInfo.processInfo.environment.merging(["L2HMC_TOOL": tool.path]) { $1 }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if output.contains("skipped:") {
            #expect(p.terminationStatus == 0, "run-notebooks skipped but exited \(p.terminationStatus):\n\(output)")
            return  // Python packages absent: nothing else to check
        }
        #expect(p.terminationStatus == 0, "run-notebooks exited \(p.terminationStatus):\n\(output)")
        #expect(output.contains("ok: u1-l2hmc-walkthrough.ipynb"), "unexpected output:\n\(output)")
        #expect(output.contains("ok: su3-l2hmc-walkthrough.ipynb"), "unexpected output:\n\(output)")
    }
}
