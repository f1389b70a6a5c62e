// GaugeFile.swift — one entry point for every gauge-file format: detect on read, choose on write.
//
// Detection (content, never the file name):
//   • first 4 bytes 0x45 0x67 0x89 0xAB (LIME magic)          → ILDG (ILDG.swift)
//   • starts with BEGIN_HEADER and DATATYPE = 4D_SU3_GAUGE…   → NERSC (NERSC.swift)
//   • starts with BEGIN_HEADER and DATATYPE = <d>D_U1_ANGLES  → l2hmc U(1) (U1Config.swift)
//   • anything else → `.badMagic` / `.unsupportedFormat` naming what was found.

import Foundation

/// The gauge-file formats.
public enum GaugeFileFormat: String, Sendable, CaseIterable {
    /// NERSC, DATATYPE = 4D_SU3_GAUGE_3x3 (SU(3)).
    case nersc
    /// NERSC, DATATYPE = 4D_SU3_GAUGE: two rows stored (SU(3)).
    case nersc2Row = "nersc-2row"
    /// ILDG in LIME (SU(3)).
    case ildg
    /// l2hmc's <d>D_U1_ANGLES format (U(1)).
    case u1

    /// The gauge group the format holds.
    public var group: GaugeGroup { self == .u1 ? .u1 : .su3 }
}

/// Reading any supported gauge file, writing any format.
public enum GaugeFile {
    /// Detects the format from the contents and reads the file; see `GaugeFileContents` for the `info` keys.
    /// With `verify` false, checksum and header mismatches are returned as warnings instead of thrown.
    public static func read(_ url: URL, verify: Bool = true) throws -> GaugeFileContents {
        try decode(Data(POSIX.readFile(url.path)), path: url.path, verify: verify)
    }

    /// As `read`, from bytes; `path` names the source in errors.
    public static func decode(_ bytes: Data, path: String = "<gauge file>", verify: Bool = true) throws -> GaugeFileContents {
        try bytes.withUnsafeBytes { b -> GaugeFileContents in
            if b.count >= 4, UInt32(bigEndian: b.loadUnaligned(as: UInt32.self)) == ILDGFile.limeMagic {
                return try ILDGFile.decode(b, path: path, verify: verify)
            }
            guard NERSCHeader.looksLikeHeader(b) else {
                let found = b.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ")
                throw LatticeIOError(.badMagic, path: path,
                    "not a gauge configuration file this reader knows (NERSC, ILDG/LIME, l2hmc U(1)): expected BEGIN_HEADER or the LIME magic 45 67 89 ab, found \(b.isEmpty ? "an empty file" : "bytes " + found)")
            }
            let header = try NERSCHeader.parse(b, path: path)
            let datatype = try header.required("DATATYPE", path: path)
            if NERSCFile.Storage(rawValue: datatype) != nil {
                return try NERSCFile.decode(b, header: header, path: path, verify: verify)
            }
            if U1ConfigFile.dimensions(ofDatatype: datatype) != nil {
                return try U1ConfigFile.decode(b, header: header, path: path, verify: verify)
            }
            throw LatticeIOError(.unsupportedFormat, path: path,
                "unknown DATATYPE = '\(datatype)'; supported: 4D_SU3_GAUGE_3x3, 4D_SU3_GAUGE (NERSC SU(3)), <d>D_U1_ANGLES (l2hmc U(1))")
        }
    }

    /// The bytes of `configuration` in `format`. `byteOrder` applies to NERSC and U(1) (ILDG is always big-endian).
    public static func encode(_ configuration: GaugeConfiguration, format: GaugeFileFormat,
                              precision: FloatPrecision = .double, byteOrder: ByteOrder = .big,
                              metadata: GaugeFileMetadata = GaugeFileMetadata()) throws -> Data {
        switch format {
        case .nersc:
            return try NERSCFile.encode(configuration, storage: .threeByThree, precision: precision, byteOrder: byteOrder, metadata: metadata)
        case .nersc2Row:
            return try NERSCFile.encode(configuration, storage: .twoRow, precision: precision, byteOrder: byteOrder, metadata: metadata)
        case .ildg:
            return try ILDGFile.encode(configuration, precision: precision)
        case .u1:
            return try U1ConfigFile.encode(configuration, precision: precision, byteOrder: byteOrder, metadata: metadata)
        }
    }

    /// Writes `configuration` atomically in `format`.
    public static func write(_ configuration: GaugeConfiguration, to url: URL, format: GaugeFileFormat,
                             precision: FloatPrecision = .double, byteOrder: ByteOrder = .big,
                             metadata: GaugeFileMetadata = GaugeFileMetadata()) throws {
        let data: Data
        do {
            data = try encode(configuration, format: format, precision: precision, byteOrder: byteOrder, metadata: metadata)
        } catch let e as LatticeIOError {
            throw LatticeIOError(e.kind, path: url.path, e.message)
        }
        try AtomicFile.write(data, to: url)
    }
}
