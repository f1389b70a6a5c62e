// U1Run.swift — one `l2hmc run --group U1`: the run folder, the trajectory loop, checkpoints, the summary.
//
// Run folder contract (issue 2; later issues rely on these names):
//   config.yaml   fully resolved configuration          meta.json   version, seed, command line, host, start time
//   log.jsonl     one JSON object per trajectory (thermalization included, "phase" tells which)
//   data/{plaquette,charge,charge_sin,accept,dH}.npy   float64 (trajectories, chains), header updated per row
//   checkpoint.bin  all chains' links + RNG states + loop state (atomic); summary.json at the end.
// Resume: the .npy files and log are truncated to the checkpoint's row/line counts and the loop continues from the
// checkpointed state, so the data equal those of an uninterrupted run bit for bit.
import Foundation
import L2HMC

struct RunOutcome {
    var folder: URL
    var summaryJSON: String
    var table: String
    var interrupted: Bool
    var message: String
}

final class U1Run {
    static let dataNames = ["plaquette", "charge", "charge_sin", "accept", "dH"]

    let config: RunConfiguration
    let folder: URL
    let resume: Bool
    let commandLine: [String]
    let lattice: Lattice

    init(config: RunConfiguration, folder: URL, resume: Bool, commandLine: [String]) throws {
        self.config = config
        self.folder = folder
        self.resume = resume
        self.commandLine = commandLine
        self.lattice = try config.lattice
    }

    var dataFolder: URL { folder.appendingPathComponent("data") }
    var checkpointURL: URL { folder.appendingPathComponent("checkpoint.bin") }

    struct LoopState: Codable {
        var trajectory: Int      // trajectories done, thermalization included
        var stepSizeBits: UInt64 // current ε (tuned during thermalization), bit-exact
        var rows: Int            // rows in each data/*.npy
        var logLines: Int        // lines in log.jsonl
        var elapsedSeconds: Double
        var measuredSeconds: Double // wall time of the measured trajectories
    }

    func execute(progress: Console?) throws -> RunOutcome {
        let ensemble = try U1Ensemble(lattice: lattice, beta: config.beta, chains: config.chains, seed: config.seed)
        var state: LoopState
        var appenders: [NpyAppender] = []
        let log: JSONLinesAppender
        if resume {
            let archive = try CheckpointArchive.read(from: checkpointURL)
            state = try JSONDecoder().decode(LoopState.self, from: try section(archive, "state"))
            try restoreEnsemble(ensemble, from: archive)
            for name in U1Run.dataNames {
                appenders.append(try NpyAppender(resuming: dataFolder.appendingPathComponent("\(name).npy"),
                                                 trailingShape: [config.chains], rows: state.rows))
            }
            log = try JSONLinesAppender(resuming: folder.appendingPathComponent("log.jsonl"), lines: state.logLines)
        } else {
            try OutputDirectory.create(folder)
            try OutputDirectory.create(dataFolder)
            try AtomicFile.write(Data(config.yaml().utf8), to: folder.appendingPathComponent("config.yaml"))
            try AtomicFile.write(metaJSON(), to: folder.appendingPathComponent("meta.json"))
            switch config.start {
            case .hot: ensemble.hotStart()
            case .cold: ensemble.coldStart()
            }
            state = LoopState(trajectory: 0, stepSizeBits: config.initialStepSize.bitPattern, rows: 0, logLines: 0,
                              elapsedSeconds: 0, measuredSeconds: 0)
            for name in U1Run.dataNames {
                appenders.append(try NpyAppender(creating: dataFolder.appendingPathComponent("\(name).npy"),
                                                 trailingShape: [config.chains]))
            }
            log = try JSONLinesAppender(creating: folder.appendingPathComponent("log.jsonl"))
        }

        let md = MDParameters(integrator: config.integrator, stepSize: Double(bitPattern: state.stepSizeBits),
                              steps: config.steps)
        let driver = HMCDriver(ensemble: ensemble, parameters: md, threads: config.threads)
        let total = config.thermalization + config.trajectories
        let v = Double(lattice.volume)
        Interrupt.install()
        defer { Interrupt.uninstall() }
        var interrupted = false
        var sinceCheckpoint = 0
        // Test hook: raise a real SIGINT after this many trajectories of this process.
        let sigintAfter = ProcessInfo.processInfo.environment["L2HMC_TEST_SIGINT_AFTER"].flatMap(Int.init)
        while state.trajectory < total {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let rec = driver.trajectory()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            let i = state.trajectory
            let measuring = i >= config.thermalization
            let acc = rec.acceptanceRate
            let plaq = mean(rec.observables[0])
            let q2 = mean(rec.observables[1].map { $0 * $0 })
            if measuring {
                let rows = rec.observables + [rec.accepted, rec.deltaH]
                for (a, row) in zip(appenders, rows) { try a.append(row) }
                state.rows += 1
                state.measuredSeconds += seconds
            } else if config.tune {
                // Robbins–Monro on log ε towards the target acceptance (thermalization only).
                let factor = Foundation.exp(min(max(acc - config.targetAccept, -0.5), 0.5))
                driver.parameters.stepSize *= factor
            }
            state.elapsedSeconds += seconds
            let entry = LogEntry(trajectory: i, phase: measuring ? "measure" : "thermalization", accept: acc,
                                 plaquette: plaq, q_int_sq: q2, q_sin_sq: mean(rec.observables[2].map { $0 * $0 }),
                                 dH: mean(rec.deltaH), exp_minus_dH: mean(rec.deltaH.map { Foundation.exp(-$0) }),
                                 step_size: driver.parameters.stepSize,
                                 seconds: seconds)
            try log.append(entry)
            state.logLines += 1
            state.trajectory += 1
            state.stepSizeBits = driver.parameters.stepSize.bitPattern
            sinceCheckpoint += 1
            progress?.progress(String(format: "traj %d/%d %@ acc %.3f  <P> %.5f  <Q^2> %.3f  %.2f ms/traj",
                                      state.trajectory, total, measuring ? "" : "(therm)", acc, plaq, q2, seconds * 1e3))
            if let n = sigintAfter, state.trajectory == n { raise(SIGINT) }
            interrupted = Interrupt.requested
            if sinceCheckpoint >= config.checkpointEvery || interrupted || state.trajectory == total {
                try checkpoint(ensemble: ensemble, state: state, appenders: appenders, log: log)
                sinceCheckpoint = 0
            }
            if interrupted { break }
        }
        if sinceCheckpoint > 0 || state.trajectory == 0 {
            try checkpoint(ensemble: ensemble, state: state, appenders: appenders, log: log)
        }
        for a in appenders { a.close() }
        log.close()
        progress?.clearProgress()

        let summary = try U1Summary(config: config, lattice: lattice, dataFolder: dataFolder,
                                    stepSize: driver.parameters.stepSize, measuredSeconds: state.measuredSeconds,
                                    volume: v)
        let json = summary.json()
        try AtomicFile.write(Data(json.utf8), to: folder.appendingPathComponent("summary.json"))
        return RunOutcome(folder: folder, summaryJSON: json, table: summary.table(folder: folder),
                          interrupted: interrupted,
                          message: "stopped after trajectory \(state.trajectory) of \(total)")
    }

    struct LogEntry: Encodable {
        var trajectory: Int
        var phase: String
        var accept: Double
        var plaquette: Double
        var q_int_sq: Double
        var q_sin_sq: Double
        var dH: Double
        var exp_minus_dH: Double
        var step_size: Double
        var seconds: Double
    }

    func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(max(a.count, 1)) }

    // MARK: checkpoint

    func checkpoint(ensemble: U1Ensemble, state: LoopState, appenders: [NpyAppender], log: JSONLinesAppender) throws {
        for a in appenders { try a.flush() }
        try log.flush()
        var links: [Double] = []
        links.reserveCapacity(config.chains * 2 * lattice.volume)
        for c in 0..<config.chains { links += ensemble.links(chain: c) }
        let rngs = (0..<config.chains).map { ensemble.rng(chain: $0) }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let archive = try CheckpointArchive(sections: [
            (name: "config", data: Data(config.yaml().utf8)),
            (name: "state", data: try enc.encode(state)),
            (name: "links", data: Data(doubles: links)),
            (name: "rng", data: try enc.encode(rngs)),
        ])
        try archive.write(to: checkpointURL)
    }

    func section(_ archive: CheckpointArchive, _ name: String) throws -> Data {
        guard let d = archive[name] else {
            throw ConfigurationError("checkpoint \(checkpointURL.path) has no '\(name)' section")
        }
        return d
    }

    func restoreEnsemble(_ ensemble: U1Ensemble, from archive: CheckpointArchive) throws {
        let links = try [Double](littleEndian: section(archive, "links"))
        let per = 2 * lattice.volume
        guard links.count == config.chains * per else {
            throw ConfigurationError("checkpoint \(checkpointURL.path) holds \(links.count) link values; expected \(config.chains * per) for \(config.chains) chains on \(lattice.description)")
        }
        for c in 0..<config.chains { ensemble.setLinks(chain: c, Array(links[(c * per)..<((c + 1) * per)])) }
        let rngs = try JSONDecoder().decode([ChainRNG].self, from: section(archive, "rng"))
        guard rngs.count == config.chains else {
            throw ConfigurationError("checkpoint \(checkpointURL.path) holds \(rngs.count) RNG states; expected \(config.chains)")
        }
        for (c, r) in rngs.enumerated() { ensemble.setRNG(chain: c, r) }
    }

    func metaJSON() throws -> Data {
        let iso = ISO8601DateFormatter()
        let meta: [String: String] = [
            "version": L2HMCVersion.string,
            "seed": String(config.seed),
            "command_line": commandLine.joined(separator: " "),
            "host": ProcessInfo.processInfo.hostName,
            "start_time": iso.string(from: Date()),
            "swift_layout": "SIMD8<Double> lanes across chains",
        ]
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(meta)
    }
}
