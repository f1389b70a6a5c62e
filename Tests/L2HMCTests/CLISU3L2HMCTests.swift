// CLISU3L2HMCTests.swift — the SU(3) learned-HMC commands end to end, run as the built `l2hmc` executable (see
// CLITests.swift for runTool/productsFolder): `train --group SU3`, `run --group SU3 --model`, `compare --model`
// with an SU(3) model; resume after a real SIGINT bit for bit; thread-count independence; bad inputs.
// Tiny sizes (2⁴ and 4×2×2×2 lattices, 8 or 16 chains, 1–2 layers) keep the suite to a few seconds.
import Foundation
import L2HMC
import Testing

@Suite(.serialized) struct CLISU3L2HMCTests {
    /// Training arguments on 2⁴ (without --out).
    static func trainArgs(chains: Int = 8, layers: Int = 2, eras: Int = 2, stepsPerEra: Int = 3, seed: Int = 5, threads: Int = 1) -> [String] {
        ["train", "--group", "SU3", "--shape", "2x2x2x2", "--chains", "\(chains)", "--leapfrog", "\(layers)", "--hidden", "4",
         "--eras", "\(eras)", "--steps-per-era", "\(stepsPerEra)", "--thermalize", "3", "--seed", "\(seed)",
         "--threads", "\(threads)", "--quiet"]
    }

    /// Trains a tiny SU(3) model into `dir`.
    static func trainModel(_ dir: URL, layers: Int = 1, eras: Int = 1, stepsPerEra: Int = 2) throws {
        let r = try runTool(trainArgs(layers: layers, eras: eras, stepsPerEra: stepsPerEra) + ["--out", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// The training log's objects without the timing field.
    static func logWithoutTiming(_ folder: URL) throws -> [NSDictionary] {
        let text = try String(contentsOf: folder.appendingPathComponent("train/log.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            var d = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            d.removeValue(forKey: "seconds")
            return d as NSDictionary
        }
    }

    @Test func trainThenRunWithTheModelOnAnotherLattice() throws {
        let tmp = temporaryFolder("su3-train"); defer { try? FileManager.default.removeItem(at: tmp) }
        let tr = tmp.appendingPathComponent("train")
        let r = try runTool(CLISU3L2HMCTests.trainArgs() + ["--out", tr.path])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["config.yaml", "meta.json", "train/log.jsonl", "checkpoint.bin", "model/model.json", "model/parameters.bin",
                  "models/era-1/model.json", "models/era-2/parameters.bin"] {
            #expect(FileManager.default.fileExists(atPath: tr.appendingPathComponent(f).path), "missing \(f)")
        }
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: tr.appendingPathComponent("model/model.json"))) as! [String: Any]
        #expect(model["group"] as? String == "SU3")
        #expect((model["su3_config"] as? [String: Any])?["layers"] as? Int == 2)
        #expect(model["config"] == nil || model["config"] is NSNull)
        let log = try CLISU3L2HMCTests.logWithoutTiming(tr)
        #expect(log.count == 6)
        for k in ["loss", "accept", "jump", "dQ_clover", "plaquette", "sum_logdet", "eps_x", "eps_v", "beta"] {
            #expect(log[0][k] != nil, "log lacks \(k)")
        }
        // The local networks run on any even 4D lattice: sample on 4×2×2×2 with the model trained on 2⁴.
        let run = tmp.appendingPathComponent("run")
        let s = try runTool(["run", "--group", "SU3", "--shape", "4x2x2x2", "--chains", "8", "--trajectories", "12",
                             "--thermalization", "2", "--measure-every", "3", "--flow-time", "0.1", "--flow-step", "0.05",
                             "--model", tr.path, "--out", run.path, "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        for f in ["config.yaml", "meta.json", "log.jsonl", "summary.json", "checkpoint.bin"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(f).path), "missing \(f)")
        }
        let shapes: [String: [Int]] = ["plaquette": [12, 8], "polyakov": [12, 8, 2], "rectangle": [12, 8], "accept": [12, 8],
                                       "dH": [12, 8], "logdet": [12, 8], "charge": [4, 8], "flow_t2E": [4, 8, 3], "flow_Q": [4, 8, 3]]
        for (name, shape) in shapes {
            #expect(try NpyArray.read(run.appendingPathComponent("data/\(name).npy")).shape == shape, "\(name)")
        }
        let logdet = try NpyArray.read(run.appendingPathComponent("data/logdet.npy")).values
        #expect(logdet.allSatisfy { $0.isFinite })
        #expect(try NpyArray.read(run.appendingPathComponent("data/accept.npy")).values.allSatisfy { $0 == 0 || $0 == 1 })
        let summary = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as! [String: Any]
        #expect(summary["group"] as? String == "SU3")
        #expect(summary["sampler"] as? String == "l2hmc")
        #expect(summary["force_evaluations_per_trajectory"] as? Int == 5)
    }

    @Test func trainResumeAfterSIGINTIsBitIdentical() throws {
        let tmp = temporaryFolder("su3-train-resume"); defer { try? FileManager.default.removeItem(at: tmp) }
        let common = CLISU3L2HMCTests.trainArgs(stepsPerEra: 4)
        let full = tmp.appendingPathComponent("full"), cut = tmp.appendingPathComponent("cut")
        #expect(try runTool(common + ["--out", full.path]).status == 0)
        // A real SIGINT after the 3rd step (in era 1): checkpoint after that step, exit 130.
        let c = try runTool(common + ["--out", cut.path], environment: ["L2HMC_TEST_SIGINT_AFTER": "3"])
        #expect(c.status == 130, "\(c.stderr)")
        #expect(c.stderr.contains("--resume"))
        #expect(try CLISU3L2HMCTests.logWithoutTiming(cut).count == 3)
        #expect(!FileManager.default.fileExists(atPath: cut.appendingPathComponent("models/era-2").path))
        let more = try runTool(["train", "--resume", cut.path, "--quiet"])
        #expect(more.status == 0, "\(more.stderr)")
        for f in ["model/parameters.bin", "models/era-1/parameters.bin", "models/era-2/parameters.bin", "model/model.json"] {
            #expect(try Data(contentsOf: full.appendingPathComponent(f)) == Data(contentsOf: cut.appendingPathComponent(f)),
                    "\(f): resumed training differs from uninterrupted training")
        }
        let a = try CLISU3L2HMCTests.logWithoutTiming(full), b = try CLISU3L2HMCTests.logWithoutTiming(cut)
        #expect(a.count == 8)
        #expect(a == b, "train/log.jsonl differs after resume")
    }

    @Test func runWithModelResumesAfterSIGINTBitIdentically() throws {
        let tmp = temporaryFolder("su3-run-resume"); defer { try? FileManager.default.removeItem(at: tmp) }
        let tr = tmp.appendingPathComponent("train")
        try CLISU3L2HMCTests.trainModel(tr, layers: 2)
        let common = ["run", "--group", "SU3", "--shape", "2x2x2x2", "--chains", "8", "--thermalization", "3",
                      "--trajectories", "12", "--measure-every", "3", "--flow-time", "0.1", "--flow-step", "0.05",
                      "--seed", "11", "--checkpoint-every", "2", "--model", tr.path, "--quiet"]
        let full = tmp.appendingPathComponent("full"), cut = tmp.appendingPathComponent("cut")
        let f = try runTool(common + ["--out", full.path])
        #expect(f.status == 0, "\(f.stderr)")
        let c = try runTool(common + ["--out", cut.path], environment: ["L2HMC_TEST_SIGINT_AFTER": "8"])
        #expect(c.status == 130, "\(c.stderr)")
        #expect(c.stderr.contains("--resume"))
        #expect(try NpyArray.read(cut.appendingPathComponent("data/logdet.npy")).shape[0] < 12)
        let r = try runTool(["run", "--resume", cut.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for n in ["plaquette", "polyakov", "accept", "dH", "logdet", "charge", "flow_t2E", "flow_Q"] {
            let a = try NpyArray.read(full.appendingPathComponent("data/\(n).npy"))
            let b = try NpyArray.read(cut.appendingPathComponent("data/\(n).npy"))
            #expect(a.shape == b.shape && a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(n) differs after resume")
        }
    }

    @Test func threadCountDoesNotChangeTraining() throws {
        let tmp = temporaryFolder("su3-train-threads"); defer { try? FileManager.default.removeItem(at: tmp) }
        var runs: [URL] = []
        for t in [1, 2] {
            let dir = tmp.appendingPathComponent("t\(t)")
            let r = try runTool(CLISU3L2HMCTests.trainArgs(chains: 16, layers: 1, eras: 1, stepsPerEra: 3, threads: t) + ["--out", dir.path])
            #expect(r.status == 0, "\(r.stderr)")
            runs.append(dir)
        }
        #expect(try Data(contentsOf: runs[0].appendingPathComponent("model/parameters.bin"))
                == Data(contentsOf: runs[1].appendingPathComponent("model/parameters.bin")), "threads 1 and 2 train different models")
        #expect(try CLISU3L2HMCTests.logWithoutTiming(runs[0]) == CLISU3L2HMCTests.logWithoutTiming(runs[1]))
    }

    @Test func badInputsAreRejectedWithTheValueNamed() throws {
        let tmp = temporaryFolder("su3-bad"); defer { try? FileManager.default.removeItem(at: tmp) }
        let su3 = tmp.appendingPathComponent("su3model"), u1 = tmp.appendingPathComponent("u1model")
        try CLISU3L2HMCTests.trainModel(su3)
        let u = try runTool(["train", "--shape", "4x4", "--eras", "0", "--chains", "8", "--leapfrog", "1", "--hidden", "4",
                             "--out", u1.path, "--quiet"])
        #expect(u.status == 0, "\(u.stderr)")
        let cases: [([String], [String])] = [
            (["train", "--group", "SU3", "--shape", "3x4x4x4"], ["3x4x4x4", "even"]),
            (["train", "--group", "SU3", "--shape", "8x8"], ["8x8", "4-dimensional"]),
            (["train", "--group", "SU3", "--x-update", "linear"], ["x_update", "U1"]),
            (["train", "--group", "SU3", "--shared-networks"], ["shared_networks", "U1"]),
            (["train", "--group", "SU3", "--chains", "12"], ["12", "multiple of 8"]),
            (["run", "--group", "U1", "--model", su3.path, "--chains", "8"], ["SU3", su3.path]),
            (["run", "--group", "SU3", "--model", u1.path], ["U1", u1.path]),
            (["run", "--group", "SU3", "--model", su3.path, "--action", "luscher"], ["luscher", "symanzik"]),
            (["run", "--group", "SU3", "--model", su3.path, "--shape", "4x4x4x3"], ["4x4x4x3", "even"]),
            (["compare", "--model", su3.path, "--shape", "3x4x4x4"], ["--shape", "3x4x4x4"]),
            (["compare", "--model", su3.path, "--shape", "8x8"], ["8x8", "4-dimensional"]),
            (["compare", "--model", su3.path, "--chains", "12"], ["12", "multiple of 8"]),
            (["compare", "--model", su3.path, "--flow-step", "0"], ["--flow-step", "0"]),
            (["compare", "--model", su3.path, "--trajectories", "20", "--measure-every", "11"], ["--measure-every 11", "≥ 2"]),
            (["compare", "--model", u1.path, "--flow-time", "0.5"], ["--flow-time", "SU3"]),
            (["compare", "--model", u1.path, "--shape", "8x8"], ["8x8", "4x4"]),
            (["compare", "--model", tmp.appendingPathComponent("nomodel").path], ["nomodel"]),
        ]
        for (i, (args, mentions)) in cases.enumerated() {
            let out = tmp.appendingPathComponent("out\(i)")
            let r = try runTool(args + ["--out", out.path])
            #expect(r.status != 0, "\(args) was accepted")
            for m in mentions { #expect(r.stderr.contains(m), "\(args): stderr lacks '\(m)': \(r.stderr)") }
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(args) created an output folder")
        }
    }

    @Test func compareAnSU3ModelWithTunedHMC() throws {
        let tmp = temporaryFolder("su3-compare"); defer { try? FileManager.default.removeItem(at: tmp) }
        let tr = tmp.appendingPathComponent("train")
        try CLISU3L2HMCTests.trainModel(tr, layers: 2)
        let cmp = tmp.appendingPathComponent("cmp")
        let r = try runTool(["compare", "--model", tr.path, "--shape", "2x2x2x2", "--trajectories", "20", "--pilot", "12",
                             "--thermalization", "5", "--measure-every", "2", "--flow-time", "0.1", "--flow-step", "0.05",
                             "--threads", "2", "--out", cmp.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("l2hmc") && r.stdout.contains("hmc") && r.stdout.contains("τ_int(Q)"), "\(r.stdout)")
        for f in ["compare.json", "compare.md", "cost.svg"] {
            #expect(FileManager.default.fileExists(atPath: cmp.appendingPathComponent(f).path), "missing \(f)")
        }
        for s in ["l2hmc", "hmc"] {
            #expect(try NpyArray.read(cmp.appendingPathComponent("data/charge_\(s).npy")).shape == [10, 8])
            #expect(try NpyArray.read(cmp.appendingPathComponent("data/plaquette_\(s).npy")).shape == [20, 8])
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: cmp.appendingPathComponent("compare.json"))) as! [String: Any]
        #expect(report["group"] as? String == "SU3")
        #expect(report["shape"] as? [Int] == [2, 2, 2, 2])
        // 3 τ × 6 ε, minus the ε that round to the same step count (τ = 0.5: 0.15 and 0.2 both give 3 steps): 17.
        #expect((report["hmcScan"] as? [Any])?.count == 17)
        let results = report["results"] as! [[String: Any]]
        #expect(results.map { $0["sampler"] as? String } == ["l2hmc", "hmc"])
        #expect(results[0]["forceEvaluations"] as? Int == 5)
        for res in results {
            for k in ["acceptance", "tauIntCharge", "tauIntPlaquette", "tauInt", "costForces", "costForcesError", "costSeconds",
                      "costForcesCharge", "costForcesPlaquette", "plaquette", "secondsPerTrajectory"] {
                let v = res[k] as? Double
                #expect(v != nil && v!.isFinite && v! >= 0, "\(res["sampler"] ?? ""): \(k) = \(String(describing: v))")
            }
            let tq = res["tauIntCharge"] as! Double, tp = res["tauIntPlaquette"] as! Double, t = res["tauInt"] as! Double
            #expect(t == max(tq, tp))
            #expect(abs((res["costForces"] as! Double) - 2 * t * Double(res["forceEvaluations"] as! Int)) < 1e-9 * max(t, 1))
            #expect(res["tauIntIsLowerBound"] is Bool)
        }
        // The chosen HMC came from a pilot with 60–95 % acceptance.
        #expect((report["hmcScan"] as! [[String: Any]]).contains { ($0["acceptance"] as! Double) >= 0.6 && ($0["acceptance"] as! Double) <= 0.95 })
        // The same start and seed give the same comparison (the timing fields aside) for any thread count.
        let again = tmp.appendingPathComponent("again")
        #expect(try runTool(["compare", "--model", tr.path, "--shape", "2x2x2x2", "--trajectories", "20", "--pilot", "12",
                             "--thermalization", "5", "--measure-every", "2", "--flow-time", "0.1", "--flow-step", "0.05",
                             "--threads", "1", "--out", again.path, "--quiet"]).status == 0)
        for n in ["charge_l2hmc", "charge_hmc", "plaquette_l2hmc", "plaquette_hmc"] {
            #expect(try NpyArray.read(cmp.appendingPathComponent("data/\(n).npy")).values.map(\.bitPattern)
                    == NpyArray.read(again.appendingPathComponent("data/\(n).npy")).values.map(\.bitPattern), "\(n) differs")
        }
    }

    /// Rectangle-improved actions: train with `--action symanzik`, sample and compare with it.
    @Test func improvedActionTrainRunCompare() throws {
        let tmp = temporaryFolder("su3-improved"); defer { try? FileManager.default.removeItem(at: tmp) }
        let tr = tmp.appendingPathComponent("train")
        let r = try runTool(CLISU3L2HMCTests.trainArgs(layers: 1, eras: 1, stepsPerEra: 2) + ["--action", "symanzik", "--out", tr.path])
        #expect(r.status == 0, "\(r.stderr)")
        let cfg = try String(contentsOf: tr.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(cfg.contains("action: symanzik"))
        let run = tmp.appendingPathComponent("run")
        let s = try runTool(["run", "--group", "SU3", "--shape", "2x2x2x2", "--chains", "8", "--trajectories", "6",
                             "--thermalization", "2", "--measure-every", "3", "--flow-time", "0.1", "--flow-step", "0.05",
                             "--action", "iwasaki", "--model", tr.path, "--out", run.path, "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as! [String: Any]
        #expect(summary["action"] as? String == "iwasaki" && summary["sampler"] as? String == "l2hmc")
        let cmp = tmp.appendingPathComponent("cmp")
        let c = try runTool(["compare", "--model", tr.path, "--shape", "2x2x2x2", "--action", "dbw2", "--trajectories", "20",
                             "--pilot", "10", "--thermalization", "5", "--measure-every", "5", "--flow-time", "0.1",
                             "--out", cmp.path, "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        let md = try String(contentsOf: cmp.appendingPathComponent("compare.md"), encoding: .utf8)
        #expect(md.contains("dbw2 action"))
        let bad = try runTool(["train", "--group", "SU3", "--action", "luscher", "--out", tmp.appendingPathComponent("bad").path])
        #expect(bad.status != 0 && bad.stderr.contains("luscher") && bad.stderr.contains("symanzik"))
    }
}
