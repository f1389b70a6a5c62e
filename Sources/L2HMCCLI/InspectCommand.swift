// InspectCommand.swift — `l2hmc inspect FILE`: what a gauge configuration file holds, and whether it is intact.
import ArgumentParser
import Foundation
import L2HMC

public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe and verify a gauge configuration file (NERSC, ILDG/LIME or l2hmc U(1)).",
        discussion: """
        The format is detected from the contents. Prints the group, dimensions, precision, the plaquette and link trace \
        recomputed from the data (SU(3): mean ⅓ Re Tr U_P over 6V plaquettes and ⅓ Re Tr U over 4V links; U(1): mean \
        cos θ_P and cos x), the values the header states, the unitarity violation and the checksum status (NERSC: \
        32-bit word sum; ILDG: SciDAC suma/sumb; U(1): as NERSC). Exits with status 1 if the file is unreadable, \
        truncated, or its checksum or header values disagree with the data; with --no-verify such disagreements are \
        reported as warnings and the status is 0. Also reports the topological charge: U(1) Q_int; SU(3) the clover Q after a \
        Wilson flow to t = --flow-time (RK3, step 0.02).
        """
    )

    @Argument(help: "The gauge configuration file.")
    var file: String
    @Flag(name: .customLong("no-verify"), help: "Report checksum and header mismatches as warnings instead of failing.")
    var noVerify: Bool = false
    @Flag(name: .long, help: "Print the report as JSON on stdout.")
    var json: Bool = false
    @Option(name: .customLong("flow-time"), help: "SU(3): Wilson-flow time t/a² before measuring the clover charge Q (0: unflowed). [default: 1.0]")
    var flowTime: Double = 1.0

    public func validate() throws {
        guard flowTime >= 0, flowTime.isFinite else { throw ValidationError("--flow-time \(flowTime) is not allowed; need t ≥ 0") }
    }

    public init() {}

    public func run() throws {
        let console = Console(quiet: false)
        let contents: GaugeFileContents
        do {
            contents = try GaugeFile.read(URL(fileURLWithPath: file), verify: !noVerify)
        } catch let e as LatticeIOError {
            console.error("error: \(e.description)")
            throw ExitCode(1)
        }
        let (config, baseInfo, warnings) = contents
        var info = baseInfo
        // Topological charge: U(1) Q_int = (1/2π) Σ w(θ_P) (rounded, and the raw sum); SU(3) clover Q after a
        // Wilson flow to t = --flow-time (REFERENCE §1, §2).
        do {
            let lattice = try Lattice(shape: config.shape)
            if config.group == .u1, lattice.dimensions == 2, lattice.shape.allSatisfy({ $0 >= 2 }) {
                let e = try U1Ensemble(lattice: lattice, beta: 1, chains: 1, seed: 0)
                e.setLinks(chain: 0, config.muMajorLinks)
                let raw = e.block(0).rawCharge()[0]
                info["charge"] = String(raw.rounded())
                info["charge_raw"] = String(raw)
            } else if config.group == .su3, lattice.dimensions == 4, lattice.shape.allSatisfy({ $0 >= 2 }) {
                let e = try SU3Ensemble(lattice: lattice, beta: 6, chains: 1, seed: 0)
                e.setLinkValues(chain: 0, config.muMajorLinks)
                let m = SU3FlowWorkspace(ensemble: e).flow(block: 0, time: flowTime, step: 0.02).last!
                info["charge"] = String(m.charge[0])
                info["charge_flow_time"] = String(flowTime)
                info["flowed_t2E"] = String(m.t * m.t * m.energy[0])
            }
        } catch {
            info["charge"] = "not computed: \(error)"
        }
        if json {
            console.out(Self.jsonReport(file: file, config: config, info: info, warnings: warnings))
        } else {
            console.out(Self.textReport(file: file, config: config, info: info))
            for w in warnings { console.error("warning: \(w)") }
        }
    }

    static func textReport(file: String, config: GaugeConfiguration, info: [String: String]) -> String {
        var rows: [(String, String)] = [("file", file)]
        var format = info["format"] ?? "?"
        if let t = info["datatype"] { format += " (\(t))" }
        rows.append(("format", format))
        rows.append(("group", config.group.displayName))
        rows.append(("dimensions", "\(GaugeConfiguration.shapeText(config.shape)) (V = \(config.volume))"))
        rows.append(("precision", "\(info["precision"] ?? "?")-bit, \(info["byte_order"] ?? "?")-endian"))
        func stated(_ key: String) -> String {
            guard let h = info[key + "_header"] else { return "" }
            return " (header \(h))"
        }
        rows.append(("plaquette", (info["plaquette"] ?? "?") + stated("plaquette")))
        rows.append(("link trace", (info["link_trace"] ?? "?") + stated("link_trace")))
        if let u = info["unitarity"] { rows.append(("unitarity", "max |UU† − 1|, |det U − 1| = \(u)")) }
        var checksum = info["checksum"] ?? "?"
        if let h = info["checksum_header"], let c = info["checksum_computed"] {
            checksum += h == c ? " (\(h))" : " (header \(h), computed \(c))"
        }
        rows.append(("checksum", checksum))
        if let q = info["charge"] {
            if let t = info["charge_flow_time"] {
                rows.append(("topological charge", "\(q) (clover, Wilson flow to t/a² = \(t); t²E = \(info["flowed_t2E"] ?? "?"))"))
            } else {
                rows.append(("topological charge", "\(q) (Q_int; raw Σ w(θ_P)/2π = \(info["charge_raw"] ?? "?"))"))
            }
        }
        if let r = info["records"] { rows.append(("LIME records", r.replacingOccurrences(of: ",", with: ", "))) }
        for key in ["ENSEMBLE_ID", "ENSEMBLE_LABEL", "SEQUENCE_NUMBER", "CREATOR", "CREATION_DATE"] {
            if let v = info["header." + key] { rows.append((key.lowercased().replacingOccurrences(of: "_", with: " "), v)) }
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    static func jsonReport(file: String, config: GaugeConfiguration, info: [String: String], warnings: [String]) -> String {
        var o: [String: Any] = [
            "file": file,
            "group": config.group.rawValue,
            "dimensions": config.shape,
            "volume": config.volume,
            "warnings": warnings,
        ]
        for key in ["format", "datatype", "byte_order", "checksum", "checksum_header", "checksum_computed"] {
            if let v = info[key] { o[key] = v }
        }
        if let p = info["precision"].flatMap(Int.init) { o["precision"] = p }
        for key in ["plaquette", "plaquette_header", "link_trace", "link_trace_header", "unitarity", "charge", "charge_raw",
                    "charge_flow_time", "flowed_t2E"] {
            if let v = info[key].flatMap(Double.init) { o[key] = v }
        }
        if let r = info["records"] { o["lime_records"] = r.split(separator: ",").map(String.init) }
        var header: [String: String] = [:]
        for (k, v) in info where k.hasPrefix("header.") { header[String(k.dropFirst(7))] = v }
        if !header.isEmpty { o["header"] = header }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
