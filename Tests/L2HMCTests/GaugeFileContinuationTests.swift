// GaugeFileContinuationTests.swift — a configuration written to a gauge file, read back and continued gives the
// same trajectories as continuing in memory (issue 7); `run --save-every` and `run --start file:` end to end.
import Foundation
import L2HMC
import Testing

@Suite struct GaugeFileContinuationTests {
    @Test(arguments: [GaugeFileFormat.nersc, .ildg])
    func su3WriteReadContinueIsBitIdentical(format: GaugeFileFormat) throws {
        let lat = try Lattice(shape: [2, 2, 2, 4])
        let a = try SU3Ensemble(lattice: lat, beta: 5.5, chains: 1, seed: 12)
        a.hotStart()
        let da = HMCDriver(ensemble: a, parameters: MDParameters(integrator: .omelyan, stepSize: 0.2, steps: 4))
        for _ in 0..<3 { _ = da.trajectory() }
        let url = temporaryFolder("conf").appendingPathComponent("conf.\(format.rawValue)")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try GaugeFile.write(try GaugeConfiguration(group: .su3, shape: lat.shape, muMajorLinks: a.linkValues(chain: 0)), to: url, format: format)
        let back = try GaugeFile.read(url, verify: true).configuration
        let b = try SU3Ensemble(lattice: lat, beta: 5.5, chains: 1, seed: 12)
        b.setLinkValues(chain: 0, back.muMajorLinks)
        b.setRNG(chain: 0, a.rng(chain: 0))
        #expect(b.linkValues(chain: 0).map(\.bitPattern) == a.linkValues(chain: 0).map(\.bitPattern))
        let db = HMCDriver(ensemble: b, parameters: da.parameters)
        for _ in 0..<3 {
            let ra = da.trajectory(), rb = db.trajectory()
            #expect(ra.deltaH.map(\.bitPattern) == rb.deltaH.map(\.bitPattern))
            #expect(ra.observables[0].map(\.bitPattern) == rb.observables[0].map(\.bitPattern))
        }
    }

    @Test func u1WriteReadContinueIsBitIdentical() throws {
        let lat = try Lattice(shape: [6, 4])
        let a = try U1Ensemble(lattice: lat, beta: 2, chains: 1, seed: 3)
        a.hotStart()
        let da = HMCDriver(ensemble: a, parameters: MDParameters(integrator: .leapfrog, stepSize: 0.1, steps: 10))
        for _ in 0..<3 { _ = da.trajectory() }
        let url = temporaryFolder("u1conf").appendingPathComponent("conf.u1")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try GaugeFile.write(try GaugeConfiguration(group: .u1, shape: lat.shape, muMajorLinks: a.links(chain: 0)), to: url, format: .u1)
        let b = try U1Ensemble(lattice: lat, beta: 2, chains: 1, seed: 3)
        b.setLinks(chain: 0, try GaugeFile.read(url).configuration.muMajorLinks)
        b.setRNG(chain: 0, a.rng(chain: 0))
        let db = HMCDriver(ensemble: b, parameters: da.parameters)
        for _ in 0..<3 { #expect(da.trajectory().deltaH.map(\.bitPattern) == db.trajectory().deltaH.map(\.bitPattern)) }
    }

    @Test func saveEveryAndStartFromFileEndToEnd() throws {
        let tmp = temporaryFolder("save"); defer { try? FileManager.default.removeItem(at: tmp) }
        let run = tmp.appendingPathComponent("run")
        let r = try runTool(["run", "--group", "SU3", "--shape", "2x2x2x2", "--chains", "3", "--trajectories", "4",
                             "--thermalization", "1", "--measure-every", "2", "--flow-time", "0.1", "--flow-step", "0.05",
                             "--save-every", "2", "--save-chains", "0,2", "--save-format", "ildg", "--out", run.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let conf = run.appendingPathComponent("configs/conf.4.c2.ildg")
        for n in ["conf.2.c0.ildg", "conf.2.c2.ildg", "conf.4.c0.ildg", "conf.4.c2.ildg"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("configs/\(n)").path), "missing \(n)")
        }
        let inspect = try runTool(["inspect", conf.path, "--flow-time", "0.2", "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        #expect(report["charge"] as? Double != nil && report["charge_flow_time"] as? Double == 0.2, "\(inspect.stdout)")
        let run2 = tmp.appendingPathComponent("run2")
        let s = try runTool(["run", "--group", "SU3", "--shape", "2x2x2x2", "--chains", "2", "--trajectories", "2",
                             "--thermalization", "0", "--measure-every", "2", "--flow-time", "0.1", "--start", "file:\(conf.path)",
                             "--out", run2.path, "--quiet"])
        #expect(s.status == 0, "\(s.stderr)")
        // Shape or group mismatch is refused before anything is written.
        let bad = try runTool(["run", "--group", "SU3", "--shape", "4x4x4x4", "--start", "file:\(conf.path)",
                               "--out", tmp.appendingPathComponent("bad").path])
        #expect(bad.status != 0 && bad.stderr.contains("2x2x2x2"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("bad").path))
        let badU1 = try runTool(["run", "--group", "U1", "--save-format", "nersc", "--out", tmp.appendingPathComponent("bad2").path])
        #expect(badU1.status != 0 && badU1.stderr.contains("nersc"))
    }
}
