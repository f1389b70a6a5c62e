// ModelFolder.swift — a saved L2HMC model is a self-describing folder:
//   model.json      format, group, architecture (U1: `config` = U1ModelConfig and `masks`; SU3: `su3_config` =
//                   SU3ModelConfig, no masks — its link classes are fixed by direction and parity), training β, version
//   parameters.bin  parameters (and optimiser state) in the Autodiff checkpoint format (magic, version, FNV-1a 64)
// `l2hmc run --model DIR` accepts such a folder or a training run folder (whose model/ is used).
import Foundation
import L2HMC

struct ModelDescription: Codable {
    var format: String = "l2hmc-model"
    var formatVersion: Int = 1
    var group: String
    var config: U1ModelConfig?
    var masks: [[Double]]?
    var su3Config: SU3ModelConfig?
    var beta: Double
    var trainingSteps: Int
    var version: String = L2HMCVersion.string

    enum CodingKeys: String, CodingKey {
        case format, formatVersion, group, config, masks, su3Config = "su3_config", beta, trainingSteps, version
    }
}

enum ModelFolder {
    static func save(_ model: U1LeapfrogModel, optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws {
        try OutputDirectory.create(dir)
        let d = ModelDescription(group: "U1", config: model.config, masks: model.masks, beta: beta, trainingSteps: steps)
        try write(d, model.parameters, optimizer: optimizer, to: dir)
    }

    static func save(_ model: SU3LeapfrogModel, optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws {
        try OutputDirectory.create(dir)
        let d = ModelDescription(group: "SU3", su3Config: model.config, beta: beta, trainingSteps: steps)
        try write(d, model.parameters, optimizer: optimizer, to: dir)
    }

    private static func write(_ d: ModelDescription, _ parameters: ParameterSet, optimizer: OptimizerState?, to dir: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try enc.encode(d), to: dir.appendingPathComponent("model.json"))
        let bytes = Checkpoint.encode(parameters: parameters, optimizer: optimizer)
        try AtomicFile.write(Data(bytes), to: dir.appendingPathComponent("parameters.bin"))
    }

    /// The group ("U1" or "SU3") of the model at `path` (a model folder or a training run folder).
    static func group(_ path: String) throws -> String { try read(path).description.group }

    /// Loads a U(1) model folder, or the model/ folder of a training run.
    static func load(_ path: String) throws -> (model: U1LeapfrogModel, optimizer: OptimizerState?, description: ModelDescription) {
        let r = try read(path)
        guard r.description.group == "U1", let config = r.description.config, let masks = r.description.masks else {
            throw ConfigurationError("--model \(path) holds a \(r.description.group) model; this command needs a U1 model (or use --group \(r.description.group))")
        }
        return (try U1LeapfrogModel(config: config, masks: masks, parameters: r.parameters), r.optimizer, r.description)
    }

    /// Loads an SU(3) model folder, or the model/ folder of a training run.
    static func loadSU3(_ path: String) throws -> (model: SU3LeapfrogModel, optimizer: OptimizerState?, description: ModelDescription) {
        let r = try read(path)
        guard r.description.group == "SU3", let config = r.description.su3Config else {
            throw ConfigurationError("--model \(path) holds a \(r.description.group) model; this command needs an SU3 model (or use --group \(r.description.group))")
        }
        return (try SU3LeapfrogModel(config: config, parameters: r.parameters), r.optimizer, r.description)
    }

    private static func read(_ path: String) throws -> (parameters: ParameterSet, optimizer: OptimizerState?, description: ModelDescription) {
        var dir = URL(fileURLWithPath: path)
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.appendingPathComponent("model.json").path),
           fm.fileExists(atPath: dir.appendingPathComponent("model/model.json").path) {
            dir = dir.appendingPathComponent("model")
        }
        guard let json = fm.contents(atPath: dir.appendingPathComponent("model.json").path) else {
            throw ConfigurationError("--model \(path): no model.json there (expected a saved model folder or a training run folder)")
        }
        let d: ModelDescription
        do { d = try JSONDecoder().decode(ModelDescription.self, from: json) } catch {
            throw ConfigurationError("--model \(path): model.json is not a valid l2hmc model description: \(error)")
        }
        guard d.format == "l2hmc-model", d.formatVersion == 1 else {
            throw ConfigurationError("--model \(path): unsupported model format \(d.format) version \(d.formatVersion)")
        }
        guard let bytes = fm.contents(atPath: dir.appendingPathComponent("parameters.bin").path) else {
            throw ConfigurationError("--model \(path): parameters.bin is missing")
        }
        let (params, opt): (ParameterSet, OptimizerState?)
        do { (params, opt) = try Checkpoint.decode([UInt8](bytes), path: dir.appendingPathComponent("parameters.bin").path) } catch {
            throw ConfigurationError("--model \(path): \(error)")
        }
        return (params, opt, d)
    }
}
