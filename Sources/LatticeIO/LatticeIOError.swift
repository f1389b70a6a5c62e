// LatticeIOError.swift — the single error type thrown by every LatticeIO API.
//
// Conventions:
//   • Every error names the file or folder it concerns (`path`) and says exactly what is wrong,
//     quoting expected vs found values where there are any; `description` is "<path>: <message>".
//   • `kind` allows programmatic matching; the message is for people and may change wording.
//   • LatticeIO never traps on bad input or I/O failure and never prints; it throws this.

/// Error thrown by LatticeIO. `description` reads "`path`: `message`".
public struct LatticeIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Broad category of the failure, for programmatic matching.
    public enum Kind: String, Sendable, Equatable {
        /// A system call failed (open, read, write, rename, fsync, mkdir, …); message carries strerror.
        case io
        /// The file does not start with the expected magic bytes.
        case badMagic
        /// The file's format version is not one this reader understands.
        case unsupportedVersion
        /// The .npy dtype is not supported (or not the one required).
        case unsupportedDType
        /// The .npy array is stored in Fortran order.
        case fortranOrder
        /// A header could not be parsed.
        case badHeader
        /// The file holds fewer bytes / rows / lines than its header or the caller requires.
        case truncated
        /// An array shape or element count does not match what is required.
        case shapeMismatch
        /// A stored checksum does not match the one computed from the contents.
        case checksumMismatch
        /// The operation is not valid in the object's current state (e.g. used after `close()`).
        case invalidState
        /// An argument is invalid (e.g. a JSON line containing a newline, a duplicate section name).
        case invalidArgument
        /// A folder cannot be created or is not writable.
        case notWritable
        /// A gauge-file header value (PLAQUETTE, LINK_TRACE, …) disagrees with the value recomputed from the data.
        case headerMismatch
        /// A gauge file declares a DATATYPE, FLOATING_POINT or field this reader does not support.
        case unsupportedFormat
    }

    public let kind: Kind
    /// The file or folder concerned.
    public let path: String
    /// What is wrong, including expected vs found values where applicable.
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
