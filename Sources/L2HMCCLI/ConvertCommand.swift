// ConvertCommand.swift — `l2hmc convert IN OUT --format …`: rewrite a gauge configuration in another format.
import ArgumentParser
import Foundation
import L2HMC

public struct ConvertCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a gauge configuration file between NERSC, ILDG and l2hmc U(1) formats.",
        discussion: """
        The input format is detected from the contents and verified (checksum, header plaquette and link trace) unless \
        --no-verify. Formats: nersc (4D_SU3_GAUGE_3x3), nersc-2row (4D_SU3_GAUGE, third row rebuilt on read), ildg \
        (LIME with ildg-format, ildg-binary-data, scidac-checksum), u1 (<d>D_U1_ANGLES). nersc, nersc-2row and ildg hold \
        SU(3), u1 holds U(1). The output header's plaquette, link trace and checksum are recomputed; ensemble fields are \
        carried over from a NERSC-style input. The output is written atomically.
        """
    )

    @Argument(help: "Input gauge configuration file.")
    var input: String
    @Argument(help: "Output file (replaced atomically).")
    var output: String
    @Option(name: .long, help: "Output format: nersc, nersc-2row, ildg or u1.")
    var format: String
    @Option(name: .long, help: "Output precision in bits: 32 or 64. [default: the input's]")
    var precision: String?
    @Option(name: .customLong("byte-order"), help: "Output byte order for nersc, nersc-2row and u1: big or little (ildg is always big). [default: big]")
    var byteOrder: String?
    @Flag(name: .customLong("no-verify"), help: "Convert even if the input's checksum or header values disagree with its data (reported as warnings).")
    var noVerify: Bool = false

    public init() {}

    public func run() throws {
        let console = Console(quiet: false)
        guard let target = GaugeFileFormat(rawValue: format.lowercased()) else {
            console.error("error: --format '\(format)' is not one of \(GaugeFileFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode(2)
        }
        var bits: FloatPrecision? = nil
        if let p = precision {
            guard let v = Int(p), let f = FloatPrecision(rawValue: v) else {
                console.error("error: --precision '\(p)' is not 32 or 64")
                throw ExitCode(2)
            }
            bits = f
        }
        var order = ByteOrder.big
        if let b = byteOrder {
            guard let o = ByteOrder(rawValue: b.lowercased()) else {
                console.error("error: --byte-order '\(b)' is not big or little")
                throw ExitCode(2)
            }
            if target == .ildg, o == .little {
                console.error("error: --byte-order little is not possible for ildg (ILDG binary data are big-endian)")
                throw ExitCode(2)
            }
            order = o
        }
        do {
            let (config, info, warnings) = try GaugeFile.read(URL(fileURLWithPath: input), verify: !noVerify)
            for w in warnings { console.error("warning: \(input): \(w)") }
            guard config.group == target.group else {
                console.error("error: \(input) holds a \(config.group.displayName) configuration (\(GaugeConfiguration.shapeText(config.shape))); --format \(target.rawValue) holds \(target.group.displayName)\(target.group == .u1 ? "" : " (use --format u1)")")
                throw ExitCode(2)
            }
            let outBits = bits ?? info["precision"].flatMap(Int.init).flatMap(FloatPrecision.init) ?? .double
            var meta = GaugeFileMetadata()
            if let v = info["header.ENSEMBLE_ID"] { meta.ensembleID = v }
            if let v = info["header.ENSEMBLE_LABEL"] { meta.ensembleLabel = v }
            if let v = info["header.SEQUENCE_NUMBER"].flatMap(Int.init) { meta.sequenceNumber = v }
            let url = URL(fileURLWithPath: output)
            try GaugeFile.write(config, to: url, format: target, precision: outBits, byteOrder: order, metadata: meta)
            let check = try GaugeFile.read(url, verify: true).configuration
            console.out("wrote \(output): \(target.rawValue), \(outBits.rawValue)-bit, \(config.group.displayName) \(GaugeConfiguration.shapeText(config.shape)), plaquette \(check.plaquette)")
        } catch let e as LatticeIOError {
            console.error("error: \(e.description)")
            throw ExitCode(1)
        }
    }
}
