// U1Config.swift — U(1) gauge configurations in l2hmc's own NERSC-style format (REFERENCE §7: 2D U(1) has no
// standard, so the DATATYPE says exactly what the file holds).
//
// Format (version 1.0):
//   BEGIN_HEADER
//   HDR_VERSION = 1.0
//   DATATYPE = 2D_U1_ANGLES            (<d>D_U1_ANGLES for a d-dimensional lattice; 2 in practice)
//   STORAGE_FORMAT = 1.0
//   DIMENSION_1 = L0                    (x_0, fastest)
//   DIMENSION_2 = L1                    (… up to DIMENSION_d)
//   PLAQUETTE = mean over the V·d(d−1)/2 plaquettes of cos θ_P,
//               θ_P(n) = x_μ(n) + x_ν(n+μ̂) − x_μ(n+ν̂) − x_ν(n), periodic (REFERENCE §1)
//   LINK_TRACE = mean over the d·V links of cos x_μ(n)
//   BOUNDARY_1 = PERIODIC               (… up to BOUNDARY_d)
//   CHECKSUM = wrapping UInt32 sum of the 32-bit words of the data, read in the declared byte order (as NERSC)
//   ENSEMBLE_ID, ENSEMBLE_LABEL, SEQUENCE_NUMBER, CREATOR, CREATION_DATE
//   FLOATING_POINT = IEEE64BIG | IEEE64LITTLE | IEEE32BIG | IEEE32LITTLE
//   END_HEADER
// then the d·V link angles x_μ(n) as IEEE floats: sites with x_0 fastest, μ innermost ([x_1][x_0][μ] in 2D) — the
// GaugeConfiguration layout, the same convention as NERSC's [t][z][y][x][μ].
// Angles are nominally in [−π, π): the writer wraps values outside that range with w(θ) = θ − 2π⌊(θ+π)/2π⌋
// (values already inside are written unchanged, bit for bit); the reader warns about values outside [−π, π]
// (32-bit rounding may land exactly on ±π) and rejects non-finite ones.
// Reading verifies byte count, CHECKSUM, PLAQUETTE and LINK_TRACE (tolerances as NERSC.swift).

import Foundation

/// l2hmc's U(1) configuration files.
public enum U1ConfigFile {
    /// "<d>D_U1_ANGLES".
    public static func datatype(dimensions d: Int) -> String { "\(d)D_U1_ANGLES" }

    /// Parses "<d>D_U1_ANGLES" → d, or nil.
    static func dimensions(ofDatatype s: String) -> Int? {
        guard s.hasSuffix("D_U1_ANGLES"), let d = Int(s.dropLast("D_U1_ANGLES".count)), d >= 1, d <= 16 else { return nil }
        return d
    }

    /// Wraps into [−π, π).
    static func wrap(_ x: Double) -> Double {
        if x >= -Double.pi && x < Double.pi { return x }
        let twoPi = 2 * Double.pi
        var w = x - twoPi * ((x + Double.pi) / twoPi).rounded(.down)
        if w >= Double.pi { w -= twoPi }
        if w < -Double.pi { w += twoPi }
        return w
    }

    /// The file contents for `configuration` (which must be U(1)).
    public static func encode(_ configuration: GaugeConfiguration, precision: FloatPrecision = .double,
                              byteOrder: ByteOrder = .big, metadata: GaugeFileMetadata = GaugeFileMetadata()) throws -> Data {
        guard configuration.group == .u1 else {
            throw LatticeIOError(.invalidArgument, path: "<U1>",
                "the U(1) format holds U(1) configurations; this one is \(configuration.group.displayName) (use NERSC or ILDG)")
        }
        _ = try GaugeConfiguration(group: .u1, shape: configuration.shape, links: configuration.links)
        guard configuration.links.allSatisfy(\.isFinite) else {
            throw LatticeIOError(.invalidArgument, path: "<U1>", "the configuration has non-finite link angles")
        }
        let angles = configuration.links.map(wrap)
        let (data, checksum) = angles.withUnsafeBufferPointer { GaugeBinary.encode($0, precision: precision, order: byteOrder) }
        var seen = try GaugeConfiguration(group: .u1, shape: configuration.shape, links: angles)
        if precision == .single { seen.links = seen.links.map { Double(Float($0)) } }
        let d = configuration.dimensions
        var entries: [(String, String)] = [
            ("HDR_VERSION", "1.0"),
            ("DATATYPE", datatype(dimensions: d)),
            ("STORAGE_FORMAT", "1.0"),
        ]
        for k in 0 ..< d { entries.append(("DIMENSION_\(k + 1)", String(configuration.shape[k]))) }
        entries.append(("PLAQUETTE", GaugeBinary.number(seen.plaquette)))
        entries.append(("LINK_TRACE", GaugeBinary.number(seen.linkTrace)))
        for k in 0 ..< d { entries.append(("BOUNDARY_\(k + 1)", "PERIODIC")) }
        entries += [
            ("CHECKSUM", GaugeBinary.hex(checksum)),
            ("ENSEMBLE_ID", GaugeFileMetadata.clean(metadata.ensembleID)),
            ("ENSEMBLE_LABEL", GaugeFileMetadata.clean(metadata.ensembleLabel)),
            ("SEQUENCE_NUMBER", String(metadata.sequenceNumber)),
            ("CREATOR", GaugeFileMetadata.clean(metadata.creator)),
            ("CREATION_DATE", GaugeFileMetadata.clean(metadata.creationDate ?? NERSCHeader.creationDate())),
            ("FLOATING_POINT", NERSCHeader.floatingPointName(precision, byteOrder)),
        ]
        var out = Data(NERSCHeader.encode(entries))
        out.append(contentsOf: data)
        return out
    }

    /// Writes `configuration` atomically.
    public static func write(_ configuration: GaugeConfiguration, to url: URL, precision: FloatPrecision = .double,
                             byteOrder: ByteOrder = .big, metadata: GaugeFileMetadata = GaugeFileMetadata()) throws {
        let data: Data
        do {
            data = try encode(configuration, precision: precision, byteOrder: byteOrder, metadata: metadata)
        } catch let e as LatticeIOError {
            throw LatticeIOError(e.kind, path: url.path, e.message)
        }
        try AtomicFile.write(data, to: url)
    }

    /// Reads and (unless `verify` is false) verifies a U(1) file.
    public static func read(_ url: URL, verify: Bool = true) throws -> GaugeFileContents {
        try decode(Data(POSIX.readFile(url.path)), path: url.path, verify: verify)
    }

    /// Decodes U(1) file bytes; `path` names the source in errors.
    public static func decode(_ bytes: Data, path: String = "<U1>", verify: Bool = true) throws -> GaugeFileContents {
        try bytes.withUnsafeBytes { b in
            try decode(b, header: NERSCHeader.parse(b, path: path), path: path, verify: verify)
        }
    }

    static func decode(_ b: UnsafeRawBufferPointer, header: NERSCHeader, path: String, verify: Bool) throws -> GaugeFileContents {
        var warnings: [String] = []
        let datatype = try header.required("DATATYPE", path: path)
        guard let d = dimensions(ofDatatype: datatype) else {
            throw LatticeIOError(.unsupportedFormat, path: path,
                "unsupported DATATYPE = '\(datatype)'; the U(1) reader handles <d>D_U1_ANGLES, e.g. 2D_U1_ANGLES")
        }
        let fpText = try header.required("FLOATING_POINT", path: path)
        let (precision, order, ambiguous) = try NERSCHeader.floatingPoint(fpText, path: path)
        if ambiguous { warnings.append("FLOATING_POINT = \(fpText) does not state a byte order; read as big-endian") }
        let shape = try header.dimensions(d, path: path)
        if header["DIMENSION_\(d + 1)"] != nil {
            throw LatticeIOError(.badHeader, path: path, "DATATYPE = \(datatype) but the header has a DIMENSION_\(d + 1) line")
        }
        if let v = header["HDR_VERSION"], Double(v) != 1.0 { warnings.append("HDR_VERSION = \(v), expected 1.0; read as 1.0") }
        warnings += header.boundaryWarnings(dimensions: d)
        let count = try GaugeConfiguration.linkValueCount(group: .u1, shape: shape, context: path)
        let expectedBytes = count * precision.bytes
        let raw = try header.dataRegion(b, expectedBytes: expectedBytes, kind: "U(1)", what: "\(datatype) \(GaugeConfiguration.shapeText(shape)) at \(precision.rawValue)-bit",
                                        declared: "DIMENSION_1..\(d) = \(GaugeConfiguration.shapeText(shape)) at \(precision.rawValue)-bit", path: path)
        let (values, sum) = GaugeBinary.decode(raw, count: count, precision: precision, order: order)

        var info: [String: String] = [:]
        for e in header.entries { info["header." + e.key] = e.value }
        let stated = try header.statedChecksum(path: path)
        info["checksum_header"] = GaugeBinary.hex(stated)
        info["checksum_computed"] = GaugeBinary.hex(sum)
        if sum != stated {
            let message = "U(1) file checksum mismatch: header CHECKSUM = \(GaugeBinary.hex(stated)), computed from the data \(GaugeBinary.hex(sum)) — the data or the header is corrupt"
            if verify { throw LatticeIOError(.checksumMismatch, path: path, message) }
            warnings.append(message)
            info["checksum"] = "mismatch"
        } else {
            info["checksum"] = "ok"
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LatticeIOError(.badHeader, path: path, "link angle #\(bad) is not finite (\(values[bad]))")
        }
        let outside = values.filter { abs($0) > Double.pi + 1e-6 }.count
        if outside > 0 { warnings.append("\(outside) link angles lie outside [−π, π]") }

        let configuration = try GaugeConfiguration(group: .u1, shape: shape, links: values)
        let plaquette = configuration.plaquette, linkTrace = configuration.linkTrace
        var checks: [(String, Double)] = [("PLAQUETTE", plaquette)]
        if header["LINK_TRACE"] != nil { checks.append(("LINK_TRACE", linkTrace)) }
        for (key, computed) in checks {
            let stated = try header.double(key, path: path)
            info[key.lowercased() + "_header"] = header[key]
            if !GaugeBinary.agrees(stated, computed, precision: precision) {
                let tol = precision == .single ? "1e-6" : "1e-9"
                let message = "\(key) mismatch: header says \(header[key]!), recomputed from the data \(GaugeBinary.number(computed)) (difference \(String(format: "%.3g", abs(stated - computed))), tolerance \(tol) relative)"
                if verify { throw LatticeIOError(.headerMismatch, path: path, message) }
                warnings.append(message)
            }
        }
        info["format"] = "U1"
        info["datatype"] = datatype
        info["group"] = GaugeGroup.u1.rawValue
        info["dimensions"] = GaugeConfiguration.shapeText(shape)
        info["precision"] = String(precision.rawValue)
        info["byte_order"] = order.rawValue
        info["plaquette"] = GaugeBinary.number(plaquette)
        info["link_trace"] = GaugeBinary.number(linkTrace)
        return (configuration, info, warnings)
    }
}
