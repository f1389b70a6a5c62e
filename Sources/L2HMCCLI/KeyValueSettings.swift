// KeyValueSettings.swift — how every command's configuration is assembled from text: a YAML mapping
// (`--config FILE.yaml`) and trailing `key=value` overrides use the same keys and the same parser (`set`).
// Unknown keys are errors naming the allowed ones.
import Foundation
import L2HMC
import Yams

protocol KeyValueSettings {
    static var keys: [String] { get }
    /// Sets one key from its textual value; throws a ConfigurationError naming the value and what is allowed.
    mutating func set(_ key: String, _ rawValue: String) throws
}

extension KeyValueSettings {
    /// Applies trailing `key=value` overrides.
    mutating func apply(overrides: [String]) throws {
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw ConfigurationError("override '\(o)' is not of the form key=value; allowed keys: \(Self.keys.joined(separator: ", "))")
            }
            try set(String(o[..<eq]).trimmingCharacters(in: .whitespaces), String(o[o.index(after: eq)...]))
        }
    }

    /// Applies the keys of a YAML mapping (lists: `shape: [16, 16]` → 16x16, others comma-separated).
    mutating func apply(yaml text: String, source: String) throws {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw ConfigurationError("config file \(source) is not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let map = node as? [String: Any] else {
            throw ConfigurationError("config file \(source) must be a YAML mapping of key: value pairs; allowed keys: \(Self.keys.joined(separator: ", "))")
        }
        for key in map.keys.sorted() {
            let text: String
            switch map[key]! {
            case is NSNull: text = "null"
            case let s as String: text = s
            case let b as Bool: text = b ? "true" : "false"
            case let i as Int: text = String(i)
            case let d as Double: text = "\(d)"
            case let a as [Any]: text = a.map { "\($0)" }.joined(separator: key == "shape" ? "x" : ",")
            default: throw ConfigurationError("config file \(source): value of '\(key)' must be a scalar or a list")
            }
            do { try set(key, text) } catch let e as ConfigurationError {
                throw ConfigurationError("config file \(source): \(e.description)")
            }
        }
    }

    /// Applies a YAML configuration file.
    mutating func apply(configFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("config file '\(path)' does not exist or cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("config file '\(path)' is not UTF-8 text")
        }
        try apply(yaml: text, source: path)
    }
}
