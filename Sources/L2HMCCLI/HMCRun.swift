// HMCRun.swift — one `l2hmc run`: the run folder, the trajectory loop, checkpoints, resume, the summary —
// written once for every theory (RunTheory adapters: U1Theory.swift, SU3Theory.swift).
//
// Run folder contract (issues 2 and 3; later issues rely on these names):
//   config.yaml   fully resolved configuration          meta.json   version, seed, command line, host, start time
//   log.jsonl     one JSON object per trajectory (thermalization included, "phase" tells which)
//   data/accept.npy, data/dH.npy and the theory's per-trajectory files: float64, shape (trajectories, chains[, …]),
//   header updated per row; the theory's periodic files (e.g. SU(3) flowed charge) shaped (measurements, chains, …).
//   checkpoint.bin  all chains' links + RNG states + loop state (atomic); summary.json at the end.
// Resume: every .npy and the log are truncated to the checkpoint's counts and the loop continues from the
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

/// A data file written row by row: its name (data/<name>.npy) and the shape of one row.
extension RunTheory {
    func makeDriver(_ md: MDParameters, threads: Int) throws -> any TrajectorySource {
        HMCDriver(ensemble: ensemble, parameters: md, threads: threads)
    }
}

struct DataFile {
    var name: String
    var trailingShape: [Int]
}

/// What the generic run loop needs from a theory.
protocol RunTheory: AnyObject {
    associatedtype Ensemble: HMCEnsemble
    var ensemble: Ensemble { get }
    /// Files with one row per measured trajectory, filled from the driver's observables.
    var trajectoryFiles: [DataFile] { get }
    func trajectoryRows(_ record: TrajectoryRecord) -> [[Double]]
    /// Files with one row per periodic measurement (every `measureEvery` measured trajectories), possibly none.
    var periodicFiles: [DataFile] { get }
    var measureEvery: Int { get }
    func periodicRows(threads: Int) -> [[Double]]
    /// The Markov step: HMC, or a learned sampler.
    func makeDriver(_ md: MDParameters, threads: Int) throws -> any TrajectorySource
    /// Files written once at the start (e.g. flow times).
    func staticFiles() -> [(String, NpyArray)]
    func hotStart()
    func coldStart()
    func linkValues(chain: Int) -> [Double]
    func setLinkValues(chain: Int, _ values: [Double])
    func rng(chain: Int) -> ChainRNG
    func setRNG(chain: Int, _ r: ChainRNG)
    /// Per-trajectory numbers for the progress line and log (name, value).
    func progressFields(_ record: TrajectoryRecord) -> [(String, Double)]
    /// The end-of-run analysis from the data files.
    func summary(dataFolder: URL, stepSize: Double, measuredSeconds: Double) throws -> RunSummary
}

final class HMCRun<Theory: RunTheory> {
    let config: RunConfiguration
    let folder: URL
    let resume: Bool
    let commandLine: [String]
    let theory: Theory

    init(theory: Theory, config: RunConfiguration, folder: URL, resume: Bool, commandLine: [String]) {
        self.theory = theory
        self.config = config
        self.folder = folder
        self.resume = resume
        self.commandLine = commandLine
    }

    var dataFolder: URL { folder.appendingPathComponent("data") }
    var checkpointURL: URL { folder.appendingPathComponent("checkpoint.bin") }
    var allFiles: [DataFile] {
        [DataFile(name: "accept", trailingShape: [config.chains]), DataFile(name: "dH", trailingShape: [config.chains])]
            + theory.trajectoryFiles
    }

    struct LoopState: Codable {
        var trajectory: Int       // trajectories done, thermalization included
        var stepSizeBits: UInt64  // current ε (tuned during thermalization), bit-exact
        var rows: Int             // rows in each per-trajectory data file
        var periodicRows: Int     // rows in each periodic data file
        var logLines: Int         // lines in log.jsonl
        var measuredSeconds: Double
    }

    func execute(progress: Console?) throws -> RunOutcome {
        var state: LoopState
        var files: [NpyAppender] = [], periodic: [NpyAppender] = []
        let log: JSONLinesAppender
        if resume {
            let archive = try CheckpointArchive.read(from: checkpointURL)
            state = try JSONDecoder().decode(LoopState.self, from: try archive.section("state", in: checkpointURL))
            try restore(from: archive)
            for f in allFiles {
                files.append(try NpyAppender(resuming: dataFolder.appendingPathComponent("\(f.name).npy"),
                                             trailingShape: f.trailingShape, rows: state.rows))
            }
            for f in theory.periodicFiles {
                periodic.append(try NpyAppender(resuming: dataFolder.appendingPathComponent("\(f.name).npy"),
                                                trailingShape: f.trailingShape, rows: state.periodicRows))
            }
            log = try JSONLinesAppender(resuming: folder.appendingPathComponent("log.jsonl"), lines: state.logLines)
        } else {
            try OutputDirectory.create(folder)
            try OutputDirectory.create(dataFolder)
            try AtomicFile.write(Data(config.yaml().utf8), to: folder.appendingPathComponent("config.yaml"))
            try AtomicFile.write(metaJSON(), to: folder.appendingPathComponent("meta.json"))
            if let path = config.startFile {
                let file = try GaugeFile.read(URL(fileURLWithPath: path), verify: true).configuration
                for c in 0..<config.chains { theory.setLinkValues(chain: c, file.muMajorLinks) }
            } else {
                switch config.start {
                case .hot: theory.hotStart()
                case .cold: theory.coldStart()
                }
            }
            state = LoopState(trajectory: 0, stepSizeBits: config.initialStepSize.bitPattern, rows: 0, periodicRows: 0,
                              logLines: 0, measuredSeconds: 0)
            for f in allFiles {
                files.append(try NpyAppender(creating: dataFolder.appendingPathComponent("\(f.name).npy"), trailingShape: f.trailingShape))
            }
            for f in theory.periodicFiles {
                periodic.append(try NpyAppender(creating: dataFolder.appendingPathComponent("\(f.name).npy"), trailingShape: f.trailingShape))
            }
            for (name, array) in theory.staticFiles() {
                try array.write(to: dataFolder.appendingPathComponent("\(name).npy"))
            }
            log = try JSONLinesAppender(creating: folder.appendingPathComponent("log.jsonl"))
        }

        let md = MDParameters(integrator: config.integrator, stepSize: Double(bitPattern: state.stepSizeBits), steps: config.steps)
        let driver = try theory.makeDriver(md, threads: config.threads)
        let total = config.thermalization + config.trajectories
        Interrupt.install()
        defer { Interrupt.uninstall() }
        // Test hook: raise a real SIGINT after this many trajectories of this process.
        let sigintAfter = ProcessInfo.processInfo.environment["L2HMC_TEST_SIGINT_AFTER"].flatMap(Int.init)
        var interrupted = false
        var sinceCheckpoint = 0
        while state.trajectory < total {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let rec = try driver.nextTrajectory()
            let i = state.trajectory
            let measuring = i >= config.thermalization
            let acc = rec.acceptanceRate
            if measuring {
                let rows = [rec.accepted, rec.deltaH] + theory.trajectoryRows(rec)
                for (a, row) in zip(files, rows) { try a.append(row) }
                state.rows += 1
                if config.saveEvery > 0, state.rows % config.saveEvery == 0 { try saveConfigurations(trajectory: state.rows) }
                if !periodic.isEmpty, state.rows % theory.measureEvery == 0 {
                    for (a, row) in zip(periodic, theory.periodicRows(threads: config.threads)) { try a.append(row) }
                    state.periodicRows += 1
                }
            } else if config.tune {
                // Multiplicative Robbins–Monro step on ε towards the target acceptance (thermalization only).
                driver.stepSize *= Foundation.exp(min(max(acc - config.targetAccept, -0.5), 0.5))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            if measuring { state.measuredSeconds += seconds }
            let fields = theory.progressFields(rec)
            var entry: [String: JSONValue] = [
                "trajectory": .int(i), "phase": .string(measuring ? "measure" : "thermalization"), "accept": .double(acc),
                "dH": .double(mean(rec.deltaH)), "exp_minus_dH": .double(mean(rec.deltaH.map { Foundation.exp(-$0) })),
                "step_size": .double(driver.stepSize), "seconds": .double(seconds),
            ]
            for (k, v) in fields { entry[k] = .double(v) }
            try log.append(entry)
            state.logLines += 1
            state.trajectory += 1
            state.stepSizeBits = driver.stepSize.bitPattern
            sinceCheckpoint += 1
            let shown = fields.prefix(2).map { "\($0.0) \(String(format: "%.5g", $0.1))" }.joined(separator: "  ")
            progress?.progress(String(format: "traj %d/%d%@  acc %.3f  %@  %.2f ms/traj", state.trajectory, total,
                                      measuring ? "" : " (therm)", acc, shown, seconds * 1e3))
            if let n = sigintAfter, state.trajectory == n { raise(SIGINT) }
            interrupted = Interrupt.requested
            if sinceCheckpoint >= config.checkpointEvery || interrupted || state.trajectory == total {
                try checkpoint(state: state, files: files + periodic, log: log)
                sinceCheckpoint = 0
            }
            if interrupted { break }
        }
        if sinceCheckpoint > 0 || state.trajectory == 0 {
            try checkpoint(state: state, files: files + periodic, log: log)
        }
        for a in files + periodic { a.close() }
        log.close()
        progress?.clearProgress()

        let summary = try theory.summary(dataFolder: dataFolder, stepSize: driver.stepSize,
                                         measuredSeconds: state.measuredSeconds)
        let json = summary.json()
        try AtomicFile.write(Data(json.utf8), to: folder.appendingPathComponent("summary.json"))
        return RunOutcome(folder: folder, summaryJSON: json, table: summary.table(folder: folder), interrupted: interrupted,
                          message: "stopped after trajectory \(state.trajectory) of \(total)")
    }

    func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(max(a.count, 1)) }

    /// configs/conf.<measured trajectory>.c<chain>.<format> for every chain in save_chains (64-bit, atomic).
    func saveConfigurations(trajectory: Int) throws {
        let group: GaugeGroup = config.group == .U1 ? .u1 : .su3
        let format = config.saveFormat.flatMap(GaugeFileFormat.init(rawValue:)) ?? (group == .u1 ? .u1 : .nersc)
        let dir = folder.appendingPathComponent("configs")
        try OutputDirectory.create(dir)
        for c in config.saveChains {
            let conf = try GaugeConfiguration(group: group, shape: config.shape, muMajorLinks: theory.linkValues(chain: c))
            let meta = GaugeFileMetadata(ensembleID: "l2hmc-\(config.group.rawValue)-beta\(config.beta)-seed\(config.seed)",
                                         ensembleLabel: "chain \(c)", sequenceNumber: trajectory)
            try GaugeFile.write(conf, to: dir.appendingPathComponent("conf.\(trajectory).c\(c).\(format.rawValue)"), format: format,
                                metadata: meta)
        }
    }

    // MARK: checkpoint

    func checkpoint(state: LoopState, files: [NpyAppender], log: JSONLinesAppender) throws {
        for a in files { try a.flush() }
        try log.flush()
        var links: [Double] = []
        for c in 0..<config.chains { links += theory.linkValues(chain: c) }
        let rngs = (0..<config.chains).map { theory.rng(chain: $0) }
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

    func restore(from archive: CheckpointArchive) throws {
        let links = try [Double](littleEndian: archive.section("links", in: checkpointURL))
        let per = links.count / max(config.chains, 1)
        let expected = theory.linkValues(chain: 0).count
        guard per == expected, links.count == per * config.chains else {
            throw ConfigurationError("checkpoint \(checkpointURL.path) holds \(links.count) link values; expected \(expected * config.chains) for \(config.chains) chains on \(Lattice.format(config.shape))")
        }
        for c in 0..<config.chains { theory.setLinkValues(chain: c, Array(links[(c * per)..<((c + 1) * per)])) }
        let rngs = try JSONDecoder().decode([ChainRNG].self, from: archive.section("rng", in: checkpointURL))
        guard rngs.count == config.chains else {
            throw ConfigurationError("checkpoint \(checkpointURL.path) holds \(rngs.count) RNG states; expected \(config.chains)")
        }
        for (c, r) in rngs.enumerated() { theory.setRNG(chain: c, r) }
    }

    func metaJSON() throws -> Data {
        let meta: [String: String] = [
            "version": L2HMCVersion.string,
            "seed": String(config.seed),
            "command_line": commandLine.joined(separator: " "),
            "host": ProcessInfo.processInfo.hostName,
            "start_time": ISO8601DateFormatter().string(from: Date()),
            "layout": "SIMD8<Double> lanes across chains",
        ]
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(meta)
    }
}

/// A JSON scalar for the log lines.
enum JSONValue: Encodable {
    case int(Int), double(Double), string(String)
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .double(let d): if d.isFinite { try c.encode(d) } else { try c.encodeNil() }
        case .string(let s): try c.encode(s)
        }
    }
}
