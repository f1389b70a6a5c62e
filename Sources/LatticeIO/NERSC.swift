// NERSC.swift — NERSC gauge configuration files (REFERENCE §7), 4D SU(3).
//
// Format:
//   "BEGIN_HEADER\n", then "KEY = value\n" lines, then "END_HEADER\n", then the binary data immediately after.
//   Keys written: HDR_VERSION = 1.0, DATATYPE, STORAGE_FORMAT = 1.0, DIMENSION_1..4 (Lx Ly Lz Lt), LINK_TRACE,
//   PLAQUETTE, BOUNDARY_1..4 = PERIODIC, CHECKSUM (lower-case hex), ENSEMBLE_ID, ENSEMBLE_LABEL, SEQUENCE_NUMBER,
//   CREATOR, CREATION_DATE, FLOATING_POINT.
//   DATATYPE = 4D_SU3_GAUGE_3x3: all 9 complex entries of each link;
//              4D_SU3_GAUGE:     rows 0 and 1 only (6 complex numbers); the reader rebuilds row 2 = conj(row0 × row1).
//   FLOATING_POINT = IEEE64BIG | IEEE64LITTLE | IEEE32BIG | IEEE32LITTLE. On read, IEEE32 and IEEE64 without a byte
//              order are taken as big-endian (the NERSC archive's convention); if their checksum then fails but the
//              little-endian reading matches (Grid reads a bare "IEEE32"/"IEEE64" as little-endian), that reading is
//              used and a warning says so.
//   Data order: sites with x fastest, then y, z, t; within a site μ = 0..3; within a link the 3×3 complex matrix
//              row-major, (re, im) — i.e. [t][z][y][x][μ][row][col][re/im], the GaugeConfiguration layout.
//   CHECKSUM:  wrapping UInt32 sum of the 32-bit words of the data as stored, each read in the file's byte order
//              (see GaugeBinary.swift for why this equals Grid's NerscChecksum and the "host order" wording).
//   PLAQUETTE = mean over the 6V plaquettes of ⅓ Re Tr U_P; LINK_TRACE = mean over the 4V links of ⅓ Re Tr U,
//              both computed from the data as stored (after the third row is rebuilt).
//
// Reading verifies the byte count (truncated / extra bytes → wrong dimensions), the CHECKSUM, PLAQUETTE and
// LINK_TRACE (tolerance relative to max(1, |value|): 1e-6 for 32-bit data, 1e-9 for 64-bit; Grid uses 1e-5/1e-6
// absolute). With `verify: false` the mismatches become warnings. Writing is atomic (AtomicFile).

import Foundation

/// Configuration, descriptive fields and warnings returned by every gauge-file reader.
///
/// `info` keys (all lower case; raw header lines are also included as "header.KEY"):
/// format ("NERSC", "ILDG", "U1"), datatype, group ("SU3"/"U1"), dimensions ("8x8x8x8"), precision ("32"/"64"),
/// byte_order ("big"/"little"), plaquette and link_trace (recomputed from the data), plaquette_header and
/// link_trace_header (when the file states them), checksum ("ok", "mismatch", "absent"), checksum_header,
/// checksum_computed (hex; ILDG: "suma sumb"), unitarity (max deviation of U U† from 1 and det U from 1, SU(3)).
public typealias GaugeFileContents = (configuration: GaugeConfiguration, info: [String: String], warnings: [String])

/// NERSC 4D SU(3) gauge files.
public enum NERSCFile {
    /// The two NERSC SU(3) storage layouts.
    public enum Storage: String, Sendable, CaseIterable {
        /// DATATYPE = 4D_SU3_GAUGE_3x3: full matrices.
        case threeByThree = "4D_SU3_GAUGE_3x3"
        /// DATATYPE = 4D_SU3_GAUGE: rows 0 and 1; row 2 rebuilt as conj(row0 × row1) on read.
        case twoRow = "4D_SU3_GAUGE"

        var valuesPerLink: Int { self == .threeByThree ? 18 : 12 }
    }

    /// The file contents for `configuration` (which must be SU(3)).
    public static func encode(_ configuration: GaugeConfiguration, storage: Storage = .threeByThree,
                              precision: FloatPrecision = .double, byteOrder: ByteOrder = .big,
                              metadata: GaugeFileMetadata = GaugeFileMetadata()) throws -> Data {
        guard configuration.group == .su3 else {
            throw LatticeIOError(.invalidArgument, path: "<NERSC>",
                "NERSC files hold 4D SU(3) configurations; this one is \(configuration.group.displayName) on \(GaugeConfiguration.shapeText(configuration.shape)) (use the U(1) format)")
        }
        _ = try GaugeConfiguration(group: .su3, shape: configuration.shape, links: configuration.links)  // validate
        // What a reader sees: the stored values in the stored precision, with row 2 rebuilt for two-row files.
        var stored: [Double]
        switch storage {
        case .threeByThree:
            stored = configuration.links
        case .twoRow:
            let n = configuration.links.count / 18
            stored = [Double](repeating: 0, count: n * 12)
            for l in 0 ..< n { for j in 0 ..< 12 { stored[l * 12 + j] = configuration.links[l * 18 + j] } }
        }
        let (data, checksum) = stored.withUnsafeBufferPointer { GaugeBinary.encode($0, precision: precision, order: byteOrder) }
        // Observables of the configuration as a reader will reconstruct it.
        var seen = configuration
        if precision == .single { seen.links = seen.links.map { Double(Float($0)) } }
        if storage == .twoRow { seen = seen.withReconstructedThirdRows() }
        let s = configuration.shape
        var entries: [(String, String)] = [
            ("HDR_VERSION", "1.0"),
            ("DATATYPE", storage.rawValue),
            ("STORAGE_FORMAT", "1.0"),
        ]
        for k in 0 ..< 4 { entries.append(("DIMENSION_\(k + 1)", String(s[k]))) }
        entries.append(("LINK_TRACE", GaugeBinary.number(seen.linkTrace)))
        entries.append(("PLAQUETTE", GaugeBinary.number(seen.plaquette)))
        for k in 0 ..< 4 { entries.append(("BOUNDARY_\(k + 1)", "PERIODIC")) }
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
    public static func write(_ configuration: GaugeConfiguration, to url: URL, storage: Storage = .threeByThree,
                             precision: FloatPrecision = .double, byteOrder: ByteOrder = .big,
                             metadata: GaugeFileMetadata = GaugeFileMetadata()) throws {
        let data: Data
        do {
            data = try encode(configuration, storage: storage, precision: precision, byteOrder: byteOrder, metadata: metadata)
        } catch let e as LatticeIOError {
            throw LatticeIOError(e.kind, path: url.path, e.message)
        }
        try AtomicFile.write(data, to: url)
    }

    /// Reads and (unless `verify` is false) verifies a NERSC file.
    public static func read(_ url: URL, verify: Bool = true) throws -> GaugeFileContents {
        try decode(Data(POSIX.readFile(url.path)), path: url.path, verify: verify)
    }

    /// Decodes NERSC file bytes; `path` names the source in errors.
    public static func decode(_ bytes: Data, path: String = "<NERSC>", verify: Bool = true) throws -> GaugeFileContents {
        try bytes.withUnsafeBytes { b in try decode(b, path: path, verify: verify) }
    }

    static func decode(_ b: UnsafeRawBufferPointer, path: String, verify: Bool) throws -> GaugeFileContents {
        let header = try NERSCHeader.parse(b, path: path)
        return try decode(b, header: header, path: path, verify: verify)
    }

    static func decode(_ b: UnsafeRawBufferPointer, header: NERSCHeader, path: String, verify: Bool) throws -> GaugeFileContents {
        var warnings: [String] = []
        let datatype = try header.required("DATATYPE", path: path)
        guard let storage = Storage(rawValue: datatype) else {
            throw LatticeIOError(.unsupportedFormat, path: path,
                "unsupported DATATYPE = '\(datatype)'; this reader handles 4D_SU3_GAUGE_3x3 and 4D_SU3_GAUGE (two rows)")
        }
        let fpText = try header.required("FLOATING_POINT", path: path)
        var (precision, order, ambiguous) = try NERSCHeader.floatingPoint(fpText, path: path)
        let shape = try header.dimensions(4, path: path)
        if let v = header["HDR_VERSION"], Double(v) != 1.0 { warnings.append("HDR_VERSION = \(v), expected 1.0; read as 1.0") }
        warnings += header.boundaryWarnings(dimensions: 4)
        let linkCount = try GaugeConfiguration.linkValueCount(group: .su3, shape: shape, context: path) / 18
        let count = linkCount * storage.valuesPerLink
        let expectedBytes = count * precision.bytes
        let raw = try header.dataRegion(b, expectedBytes: expectedBytes, kind: "NERSC", what: "\(datatype) \(GaugeConfiguration.shapeText(shape)) at \(precision.rawValue)-bit",
                                        declared: "DIMENSION_1..4 = \(GaugeConfiguration.shapeText(shape)) with \(datatype) at \(precision.rawValue)-bit", path: path)
        var (values, sum) = GaugeBinary.decode(raw, count: count, precision: precision, order: order)

        var info: [String: String] = [:]
        for e in header.entries { info["header." + e.key] = e.value }
        let stated = try header.statedChecksum(path: path)
        if sum != stated, ambiguous {
            let alt = GaugeBinary.decode(raw, count: count, precision: precision, order: .little)
            if alt.nerscSum == stated {
                (values, sum) = alt
                order = .little
                warnings.append("FLOATING_POINT = \(fpText) does not state a byte order; the checksum matches only the little-endian reading, which is used")
            }
        }
        info["checksum_header"] = GaugeBinary.hex(stated)
        info["checksum_computed"] = GaugeBinary.hex(sum)
        if sum != stated {
            let message = "NERSC checksum mismatch: header CHECKSUM = \(GaugeBinary.hex(stated)), computed from the data \(GaugeBinary.hex(sum)) — the data or the header is corrupt"
            if verify { throw LatticeIOError(.checksumMismatch, path: path, message) }
            warnings.append(message)
            info["checksum"] = "mismatch"
        } else {
            info["checksum"] = "ok"
        }

        var links: [Double]
        switch storage {
        case .threeByThree:
            links = values
        case .twoRow:
            links = [Double](repeating: 0, count: linkCount * 18)
            links.withUnsafeMutableBufferPointer { p in
                for l in 0 ..< linkCount {
                    for j in 0 ..< 12 { p[l * 18 + j] = values[l * 12 + j] }
                    GaugeObservables.reconstructThirdRow(p.baseAddress! + l * 18)
                }
            }
        }
        let configuration = try GaugeConfiguration(group: .su3, shape: shape, links: links)
        let plaquette = configuration.plaquette, linkTrace = configuration.linkTrace
        for (key, computed) in [("PLAQUETTE", plaquette), ("LINK_TRACE", linkTrace)] {
            let stated = try header.double(key, path: path)
            info[key.lowercased() + "_header"] = header[key]
            if !GaugeBinary.agrees(stated, computed, precision: precision) {
                let tol = precision == .single ? "1e-6" : "1e-9"
                let message = "\(key) mismatch: header says \(header[key]!), recomputed from the data \(GaugeBinary.number(computed)) (difference \(String(format: "%.3g", abs(stated - computed))), tolerance \(tol) relative)"
                if verify { throw LatticeIOError(.headerMismatch, path: path, message) }
                warnings.append(message)
            }
        }
        info["format"] = "NERSC"
        info["datatype"] = datatype
        info["group"] = GaugeGroup.su3.rawValue
        info["dimensions"] = GaugeConfiguration.shapeText(shape)
        info["precision"] = String(precision.rawValue)
        info["byte_order"] = order.rawValue
        info["plaquette"] = GaugeBinary.number(plaquette)
        info["link_trace"] = GaugeBinary.number(linkTrace)
        info["unitarity"] = String(format: "%.3g", configuration.unitarityViolation)
        return (configuration, info, warnings)
    }
}
