// ModelFolder.swift — a saved L2HMC model is a self-describing folder:
//   model.json      format, group, architecture (U1ModelConfig), masks, training β, version
//   parameters.bin  parameters (and optimiser state) in the Autodiff checkpoint format (magic, version, FNV-1a 64)
// `l2hmc run --model DIR` accepts such a folder or a training run folder (whose model/ is used).
import Foundation
import L2HMC

struct ModelDescription: Codable {
    var format: String = "l2hmc-model"
    var formatVersion: Int = 1
    var group: String
    var config: U1ModelConfig
    var masks: [[Double]]
    var beta: Double
    var trainingSteps: Int
    var version: String = L2HMCVersion.string
}

enum ModelFolder {
    static func save(_ model: U1LeapfrogModel, optimizer: OptimizerState?, beta: Double, steps: Int, to dir: URL) throws {
        try OutputDirectory.create(dir)
        let d = ModelDescription(group: "U1", config: model.config, masks: model.masks, beta: beta, trainingSteps: steps)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try enc.encode(d), to: dir.appendingPathComponent("model.json"))
        let bytes = Checkpoint.encode(parameters: model.parameters, optimizer: optimizer)
        try AtomicFile.write(Data(bytes), to: dir.appendingPathComponent("parameters.bin"))
    }

    /// Loads a model folder, or the model/ folder of a training run.
    static func load(_ path: String) throws -> (model: U1LeapfrogModel, optimizer: OptimizerState?, description: ModelDescription) {
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
        let model = try U1LeapfrogModel(config: d.config, masks: d.masks, parameters: params)
        return (model, opt, d)
    }
}
