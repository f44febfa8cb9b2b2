import Foundation
import LeptonCore
import LeptonIO

/// Failure and anomaly models in the project's one model file format, written with the domain
/// manifest every domain uses: boosted trees as LeptonCore's tree file with the line-quality part
/// (feature schema with its expressions, threshold, rule) in `extra.qc`; an isolation forest as
/// kind `line-quality-anomaly` with the forest in `extra.forest`.
public enum FailureModelFile {
    public static let anomalyKind = "line-quality-anomaly"

    public static func write(_ model: FailureModel, to path: String, metrics: [String: Double], provenance: RunProvenance) throws {
        var extra: [String: JSONValue] = ["qc": try json(model.spec)]
        var tensors: [(name: String, tensor: Tensor)] = []
        var kind = anomalyKind, preprocessing: [String: JSONValue] = [:]
        if let trees = model.trees {
            let contents = try model.compression.map { try trees.compactModelFileContents(compression: $0, domain: "manufacturing") }
                ?? trees.modelFileContents(domain: "manufacturing")
            (kind, tensors, preprocessing) = (contents.manifest.kind, contents.tensors, contents.manifest.preprocessing)
            extra.merge(contents.manifest.extra) { ours, _ in ours }
        } else if let forest = model.forest {
            extra["forest"] = try json(forest)
        }
        let manifest = ModelManifest(kind: kind, domain: "manufacturing", architecture: model.spec.kind == .gbdt ? "failure-gbdt" : "isolation-forest",
                                     features: model.spec.schema.names, classNames: model.spec.kind == .gbdt ? ["ok", model.spec.positive ?? "failure"] : [],
                                     preprocessing: preprocessing, metrics: metrics, provenance: provenance, extra: extra)
        try ModelFile.write(path: path, manifest: manifest, tensors: tensors)
    }

    public static func read(path: String) throws -> FailureModel {
        let contents = try ModelFile.read(path: path)
        guard contents.manifest.domain == "manufacturing", let qc = contents.manifest.extra["qc"] else {
            throw DataError(file: path, message: "not a lepton-qc model (kind '\(contents.manifest.kind)', domain '\(contents.manifest.domain ?? "none")')",
                            hint: "give a model written by lepton-qc train.")
        }
        let spec: FailureModel.Spec = try decode(qc, path: path)
        if contents.manifest.kind == GBDTModel.modelKind {
            return FailureModel(spec: spec, trees: try GBDTModel(contents: contents, path: path), forest: nil,
                                compression: GBDTModel.compression(of: contents.manifest))
        }
        guard let forest = contents.manifest.extra["forest"] else {
            throw DataError(file: path, message: "the anomaly model has no forest", hint: "the file is damaged; train again.")
        }
        return FailureModel(spec: spec, trees: nil, forest: try decode(forest, path: path))
    }

    static func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ value: JSONValue, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
        } catch let error as FeatureExpressionError {
            throw DataError(file: path, message: "a stored feature expression does not parse: \(error.message)", hint: "the file is damaged; train again.")
        } catch {
            throw DataError(file: path, message: "the model part of the manifest is malformed (\(error))", hint: "train the model again.")
        }
    }
}
