// CLITests.swift — the `l2hmc` tool end to end (run folder contract, .npy read back, thread-count independence,
// resume after SIGINT, every bad-input case) and the examples, run as the built executables.
import Foundation
import L2HMC
import Testing

/// The folder holding the built products (.build/<configuration>/).
func productsFolder() -> URL {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    for _ in 0..<4 {
        if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("l2hmc").path) { return dir }
        dir = dir.deletingLastPathComponent()
    }
    // Fallback: the package's .build/release next to this source file.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/release")
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

@discardableResult
func runTool(_ args: [String], tool name: String = "l2hmc", environment: [String: String] = [:]) throws -> ProcessResult {
    let p = Process()
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    p.executableURL = productsFolder().appendingPathComponent(name)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    p.waitUntilExit()
    group.wait()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

func temporaryFolder(_ tag: String) -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("l2hmc-test-\(tag)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

func dataFiles(_ run: URL) throws -> [String: NpyArray] {
    var d: [String: NpyArray] = [:]
    for n in ["plaquette", "charge", "charge_sin", "accept", "dH"] {
        d[n] = try NpyArray.read(run.appendingPathComponent("data/\(n).npy"))
    }
    return d
}

@Suite(.serialized) struct CLIEndToEndTests {
    @Test func tinyRunWritesTheRunFolderContract() throws {
        let tmp = temporaryFolder("tiny"); defer { try? FileManager.default.removeItem(at: tmp) }
        let run = tmp.appendingPathComponent("run")
        let r = try runTool(["run", "--group", "U1", "--shape", "6x4", "--chains", "5", "--trajectories", "30",
                             "--thermalization", "10", "--steps", "8", "--seed", "42", "--out", run.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["config.yaml", "meta.json", "log.jsonl", "summary.json", "checkpoint.bin"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(f).path), "missing \(f)")
        }
        let d = try dataFiles(run)
        for (name, a) in d { #expect(a.shape == [30, 5], "\(name) shape \(a.shape)") }
        #expect(d["accept"]!.values.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(d["charge"]!.values.allSatisfy { $0 == $0.rounded() && abs($0) <= 12 })
        #expect(d["plaquette"]!.values.allSatisfy { $0 > -1 && $0 < 1 })
        // The plaquette of a rejected trajectory repeats the previous one.
        let acc = d["accept"]!.values, plaq = d["plaquette"]!.values
        for t in 1..<30 { for c in 0..<5 where acc[t * 5 + c] == 0 { #expect(plaq[t * 5 + c] == plaq[(t - 1) * 5 + c]) } }
        let log = try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 40)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["trajectories_measured"] as? Int == 30)
        let obs = summary["observables"] as! [String: Any]
        let p = obs["plaquette"] as! [String: Any]
        let mean = plaq.reduce(0, +) / Double(plaq.count)
        #expect(abs((p["mean"] as! Double) - mean) < 1e-12)
        #expect(p["exact"] as? Double != nil)
    }

    @Test func threadCountDoesNotChangeTheData() throws {
        let tmp = temporaryFolder("threads"); defer { try? FileManager.default.removeItem(at: tmp) }
        var sets: [[String: NpyArray]] = []
        for t in [1, 2] {
            let run = tmp.appendingPathComponent("t\(t)")
            let r = try runTool(["run", "--shape", "8x8", "--chains", "19", "--trajectories", "20", "--thermalization", "5",
                                 "--threads", "\(t)", "--tune", "--out", run.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            sets.append(try dataFiles(run))
        }
        for n in sets[0].keys {
            #expect(sets[0][n]!.values.map(\.bitPattern) == sets[1][n]!.values.map(\.bitPattern), "\(n) differs")
        }
    }

    @Test func resumeAfterSIGINTIsBitIdentical() throws {
        let tmp = temporaryFolder("resume"); defer { try? FileManager.default.removeItem(at: tmp) }
        let common = ["run", "--shape", "16x16", "--chains", "16", "--thermalization", "20", "--trajectories", "400",
                      "--steps", "10", "--seed", "9", "--checkpoint-every", "7", "--quiet", "--threads", "1"]
        let full = tmp.appendingPathComponent("full"), cut = tmp.appendingPathComponent("cut")
        #expect(try runTool(common + ["--out", full.path]).status == 0)
        // The second run receives a real SIGINT once it has finished 123 trajectories (a test hook raises it
        // inside the process, so the point of interruption is deterministic).
        let r = try runTool(common + ["--out", cut.path], environment: ["L2HMC_TEST_SIGINT_AFTER": "123"])
        let partial = try NpyArray.read(cut.appendingPathComponent("data/plaquette.npy")).shape[0]
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("--resume"))
        #expect(partial == 123 - 20)
        let resumed = try runTool(["run", "--resume", cut.path, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try dataFiles(full), b = try dataFiles(cut)
        for n in a.keys {
            #expect(a[n]!.shape == b[n]!.shape)
            #expect(a[n]!.values.map(\.bitPattern) == b[n]!.values.map(\.bitPattern), "\(n) differs after resume")
        }
        // Extending a finished run continues the same chains.
        let more = try runTool(["run", "--resume", full.path, "--trajectories", "410", "--quiet"])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(try NpyArray.read(full.appendingPathComponent("data/dH.npy")).shape == [410, 16])
    }

    @Test func su3RunWritesFlowDataAndResumesBitIdentically() throws {
        let tmp = temporaryFolder("su3"); defer { try? FileManager.default.removeItem(at: tmp) }
        let common = ["run", "--group", "SU3", "--shape", "2x2x2x4", "--chains", "10", "--thermalization", "3",
                      "--trajectories", "12", "--steps", "6", "--measure-every", "3", "--flow-time", "0.3",
                      "--flow-step", "0.1", "--seed", "4", "--checkpoint-every", "2", "--quiet"]
        let full = tmp.appendingPathComponent("full"), cut = tmp.appendingPathComponent("cut")
        let r = try runTool(common + ["--out", full.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = ["plaquette", "polyakov", "accept", "dH", "charge", "flow_t2E", "flow_Q", "flow_t"]
        var a: [String: NpyArray] = [:]
        for n in names { a[n] = try NpyArray.read(full.appendingPathComponent("data/\(n).npy")) }
        #expect(a["plaquette"]!.shape == [12, 10])
        #expect(a["polyakov"]!.shape == [12, 10, 2])
        #expect(a["charge"]!.shape == [4, 10])
        #expect(a["flow_t2E"]!.shape == [4, 10, 4])
        #expect(a["flow_Q"]!.shape == [4, 10, 4])
        // The last flow step's Q is the recorded charge.
        for i in 0..<40 { #expect(a["flow_Q"]!.values[i * 4 + 3] == a["charge"]!.values[i]) }
        #expect(a["flow_t"]!.values == [0, 0.1, 0.2, 0.30000000000000004] || a["flow_t"]!.values.count == 4)
        #expect(a["flow_t2E"]!.values.enumerated().allSatisfy { $0.offset % 4 != 0 || $0.element == 0 }) // t = 0
        #expect(a["plaquette"]!.values.allSatisfy { $0 > 0 && $0 < 1 })
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["group"] as? String == "SU3")
        // Interrupted after 8 trajectories (5 measured), then resumed: identical data.
        let c = try runTool(common + ["--out", cut.path], environment: ["L2HMC_TEST_SIGINT_AFTER": "8"])
        #expect(c.status == 130, "\(c.stderr)")
        #expect(try runTool(["run", "--resume", cut.path, "--quiet"]).status == 0)
        for n in names {
            let b = try NpyArray.read(cut.appendingPathComponent("data/\(n).npy"))
            #expect(b.shape == a[n]!.shape && b.values.map(\.bitPattern) == a[n]!.values.map(\.bitPattern), "\(n) differs")
        }
    }

    @Test func configFileAndOverrides() throws {
        let tmp = temporaryFolder("config"); defer { try? FileManager.default.removeItem(at: tmp) }
        let cfg = tmp.appendingPathComponent("c.yaml")
        try "shape: 4x6\nbeta: 2.5\nchains: 3\ntrajectories: 5\nthermalization: 2\nintegrator: omelyan\n".write(to: cfg, atomically: true, encoding: .utf8)
        let run = tmp.appendingPathComponent("run")
        let r = try runTool(["run", "--config", cfg.path, "--beta", "3.0", "chains=4", "--out", run.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let resolved = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        for line in ["shape: 4x6", "beta: 3.0", "chains: 4", "integrator: omelyan", "trajectories: 5"] {
            #expect(resolved.contains(line + "\n"), "config.yaml lacks '\(line)'")
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var args: [String]
        var mentions: String
        var testDescription: String { args.joined(separator: " ") }
    }

    static let badInputs: [BadInput] = [
        BadInput(args: ["--shape", "0x16"], mentions: "0"),
        BadInput(args: ["--shape", "16x-2"], mentions: "-2"),
        BadInput(args: ["--shape", "16xa"], mentions: "16xa"),
        BadInput(args: ["--shape", "8x8x8"], mentions: "2-dimensional"),
        BadInput(args: ["--group", "SU3", "--shape", "8x8"], mentions: "4-dimensional"),
        BadInput(args: ["--group", "SU3", "--flow-step", "0"], mentions: "flow_step"),
        BadInput(args: ["--group", "SU3", "--measure-every", "0"], mentions: "measure_every"),
        BadInput(args: ["--group", "SU3", "--action", "plaquette2"], mentions: "plaquette2"),
        BadInput(args: ["--beta", "0"], mentions: "beta"),
        BadInput(args: ["--beta=-1.5"], mentions: "-1.5"),
        BadInput(args: ["--chains", "0"], mentions: "chains"),
        BadInput(args: ["--group", "SU5"], mentions: "SU5"),
        BadInput(args: ["--integrator", "rk4"], mentions: "rk4"),
        BadInput(args: ["colour=3"], mentions: "colour"),
        BadInput(args: ["beta"], mentions: "key=value"),
        BadInput(args: ["--shape", "30000x30000"], mentions: "MiB"),
        BadInput(args: ["--shape", "100000x100000"], mentions: "sites"),
        BadInput(args: ["--config", "/nonexistent/l2hmc.yaml"], mentions: "/nonexistent/l2hmc.yaml"),
    ]

    @Test(arguments: badInputs)
    func badInputIsRejectedWithoutOutput(bad: BadInput) throws {
        let tmp = temporaryFolder("bad"); defer { try? FileManager.default.removeItem(at: tmp) }
        let run = tmp.appendingPathComponent("run")
        let r = try runTool(["run", "--trajectories", "3", "--out", run.path] + bad.args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(bad.mentions), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: run.path), "an output folder was created")
    }

    @Test func malformedYAMLAndUnknownYAMLKey() throws {
        let tmp = temporaryFolder("yaml"); defer { try? FileManager.default.removeItem(at: tmp) }
        for (text, mention) in [("beta: [1, 2\nchains: 4\n", "YAML"), ("betta: 2\n", "betta"), ("- 1\n- 2\n", "mapping")] {
            let cfg = tmp.appendingPathComponent("c.yaml")
            try text.write(to: cfg, atomically: true, encoding: .utf8)
            let run = tmp.appendingPathComponent("run")
            let r = try runTool(["run", "--config", cfg.path, "--out", run.path])
            #expect(r.status != 0)
            #expect(r.stderr.contains(mention), "stderr: \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: run.path))
        }
    }

    @Test func unwritableOutputFolder() throws {
        let r = try runTool(["run", "--trajectories", "2", "--out", "/proc/l2hmc-cannot-write/run"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/proc/l2hmc-cannot-write"), "stderr: \(r.stderr)")
    }

    @Test func resumeWithDifferentPhysicsIsRefused() throws {
        let tmp = temporaryFolder("resume-bad"); defer { try? FileManager.default.removeItem(at: tmp) }
        let run = tmp.appendingPathComponent("run")
        #expect(try runTool(["run", "--shape", "4x4", "--chains", "2", "--trajectories", "3", "--out", run.path, "--quiet"]).status == 0)
        let before = try Data(contentsOf: run.appendingPathComponent("data/plaquette.npy"))
        let r = try runTool(["run", "--resume", run.path, "--beta", "5.5"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("beta") && r.stderr.contains("5.5"), "stderr: \(r.stderr)")
        #expect(try Data(contentsOf: run.appendingPathComponent("data/plaquette.npy")) == before)
        let missing = try runTool(["run", "--resume", tmp.appendingPathComponent("nothing").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nothing"))
    }

    @Test func helpDocumentsUnitsAndDefaults() throws {
        let r = try runTool(["run", "--help"])
        #expect(r.status == 0)
        for s in ["--beta", "MD time units", "default: 16x16", "--resume", "key=value"] {
            #expect(r.stdout.contains(s), "help lacks \(s)")
        }
    }

    @Test func exampleRunsAndAgreesWithTheExactPlaquette() throws {
        let r = try runTool([], tool: "u1-hmc-example")
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("pull ") }
        let pull = line.flatMap { Double($0.dropFirst(5)) }
        #expect(pull != nil && abs(pull!) < 3, "example output: \(r.stdout)")
    }
}

@Suite struct ExampleProgramTests {
    @Test func mlpRegressionExampleLearns() throws {
        let r = try runTool([], tool: "mlp-regression-example")
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("final loss ") }
        let loss = line.flatMap { Double($0.dropFirst(11)) }
        #expect(loss != nil && loss! < 1e-3, "example output: \(r.stdout)")
    }
}

@Suite(.serialized) struct CLITrainTests {
    @Test func trainThenRunWithTheModelThenCompare() throws {
        let tmp = temporaryFolder("train"); defer { try? FileManager.default.removeItem(at: tmp) }
        let tr = tmp.appendingPathComponent("train")
        let common = ["train", "--shape", "4x4", "--eras", "2", "--steps-per-era", "4", "--chains", "16", "--leapfrog", "2",
                      "--hidden", "8", "--thermalize", "5", "--seed", "3", "--quiet", "--threads", "2"]
        let r = try runTool(common + ["--out", tr.path])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["config.yaml", "meta.json", "train/log.jsonl", "checkpoint.bin", "model/model.json", "model/parameters.bin",
                  "models/era-1/model.json", "models/era-2/parameters.bin"] {
            #expect(FileManager.default.fileExists(atPath: tr.appendingPathComponent(f).path), "missing \(f)")
        }
        let log = try String(contentsOf: tr.appendingPathComponent("train/log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(log.count == 8)
        let first = try JSONSerialization.jsonObject(with: Data(log[0].utf8)) as! [String: Any]
        for k in ["loss", "accept", "dQ_sin", "dQ_int", "eps_x", "eps_v", "sum_logdet", "seconds", "beta"] { #expect(first[k] != nil, "log lacks \(k)") }
        // Interrupted by a real SIGINT during era 1 (it finishes the era, checkpoints, exits 130), then resumed:
        // the final model equals the uninterrupted one bit for bit.
        let cut = tmp.appendingPathComponent("cut")
        let c1 = try runTool(common + ["--out", cut.path], environment: ["L2HMC_TEST_SIGINT_AFTER": "2"])
        #expect(c1.status == 130, "\(c1.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cut.appendingPathComponent("models/era-2").path))
        let more = try runTool(["train", "--resume", cut.path, "--quiet"])
        #expect(more.status == 0, "\(more.stderr)")
        let p1 = try Data(contentsOf: tr.appendingPathComponent("model/parameters.bin"))
        let p2 = try Data(contentsOf: cut.appendingPathComponent("model/parameters.bin"))
        #expect(p1 == p2, "resumed training differs from uninterrupted training")
        // Sample with the model.
        let run = tmp.appendingPathComponent("run")
        let s = try runTool(["run", "--group", "U1", "--shape", "4x4", "--chains", "16", "--trajectories", "20", "--thermalization", "5",
                             "--model", tr.path, "--out", run.path, "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let ld = try NpyArray.read(run.appendingPathComponent("data/logdet.npy"))
        #expect(ld.shape == [20, 16])
        let summary = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as! [String: Any]
        #expect(summary["sampler"] as? String == "l2hmc")
        // Compare with tuned HMC.
        let cmp = tmp.appendingPathComponent("cmp")
        let c = try runTool(["compare", "--model", tr.path, "--chains", "16", "--trajectories", "20", "--pilot", "10",
                             "--thermalization", "5", "--out", cmp.path, "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        for f in ["compare.json", "compare.md", "cost.svg", "data/charge_l2hmc.npy", "data/charge_hmc.npy"] {
            #expect(FileManager.default.fileExists(atPath: cmp.appendingPathComponent(f).path), "missing \(f)")
        }
        // Bad input.
        let bad = try runTool(["train", "--chains", "12", "--out", tmp.appendingPathComponent("bad").path])
        #expect(bad.status != 0 && bad.stderr.contains("12") && bad.stderr.contains("multiple of 8"))
        let badModel = try runTool(["run", "--model", tmp.appendingPathComponent("nomodel").path, "--chains", "16",
                                    "--out", tmp.appendingPathComponent("bad2").path])
        #expect(badModel.status != 0 && badModel.stderr.contains("nomodel"))
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("bad2").path))
    }
}

@Suite struct L2HMCExampleProgramTests {
    @Test func u1L2HMCExampleTrainsAndCompares() throws {
        let r = try runTool([], tool: "u1-l2hmc-example")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("done") && r.stdout.contains("l2hmc") && r.stdout.contains("hmc"), "example output: \(r.stdout)")
    }

    @Test func su3L2HMCExampleTrainsSamplesAndChecksExactness() throws {
        let r = try runTool([], tool: "su3-l2hmc-example")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("done") && r.stdout.contains("proposal: max |UU† − 1|"), "example output: \(r.stdout)")
    }
}

@Suite struct DocumentationTests {
    /// The CLI reference article is generated from the argument parser and must match the built tool.
    @Test func cliReferenceArticleIsUpToDate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("scripts/generate-cli-reference").path, "--check",
                       "--tool", productsFolder().appendingPathComponent("l2hmc").path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = err
        try p.run()
        let out = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "Sources/L2HMC/L2HMC.docc/CommandLine.md is stale; run scripts/generate-cli-reference: \(out)")
    }
}
