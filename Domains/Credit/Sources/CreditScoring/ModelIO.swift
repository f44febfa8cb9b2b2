import Foundation
import LeptonCore
import LeptonIO

/// Scorecards in the project's one model file format: the manifest's `extra["scorecard"]`
/// holds the whole scorecard (bins with counts and WOE, coefficients, points, cut-off,
/// training score bands) as JSON; there are no tensors.
public enum ScorecardFile {
    /// The manifest kind of a scorecard model file.
    public static let kind = "credit-scorecard"

    /// Writes `scorecard` atomically to `path`, with training metrics and how it was made (the
    /// domain manifest: ``ModelManifest/init(kind:domain:architecture:features:classNames:preprocessing:metrics:provenance:extra:)``).
    public static func write(_ scorecard: Scorecard, to path: String, metrics: [String: Double] = [:],
                             provenance: RunProvenance = .current(tool: "lepton-credit", seed: nil, dataFile: nil)) throws {
        let c = try contents(scorecard, metrics: metrics, provenance: provenance)
        try ModelFile.write(path: path, manifest: c.manifest, tensors: c.tensors)
    }

    /// The manifest (and no tensors) of a scorecard model file.
    public static func contents(_ scorecard: Scorecard, metrics: [String: Double] = [:], provenance: RunProvenance) throws -> ModelFileContents {
        let json = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(scorecard))
        let manifest = ModelManifest(kind: kind, domain: "credit", architecture: "woe-logistic-scorecard",
                                     features: scorecard.characteristicNames,
                                     classNames: [scorecard.outcome.goodValue, scorecard.outcome.badValue], metrics: metrics,
                                     provenance: provenance, extra: ["scorecard": json])
        return ModelFileContents(manifest: manifest, tensors: [])
    }

    /// Reads a scorecard model file; a file of another kind, a damaged one or one from another
    /// major version fails with the model file's message.
    public static func read(path: String) throws -> (scorecard: Scorecard, manifest: ModelManifest) {
        try decode(try ModelFile.read(path: path, expectedKind: kind), path: path)
    }

    /// The scorecard in decoded model-file contents of kind ``kind``.
    static func decode(_ contents: ModelFileContents, path: String) throws -> (scorecard: Scorecard, manifest: ModelManifest) {
        guard let json = contents.manifest.extra["scorecard"] else {
            throw DataError("\(path): the manifest has no scorecard", hint: "train the model again with lepton-credit train.")
        }
        do {
            let card = try JSONDecoder().decode(Scorecard.self, from: try JSONEncoder().encode(json))
            return (card, contents.manifest)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError("\(path): the scorecard in the manifest is malformed (\(error))",
                              hint: "train the model again with lepton-credit train.")
        }
    }
}

/// The gradient-boosted credit model in the project's one model file format: LeptonCore's
/// tree file (kind `gradient-boosted-trees`, domain `credit`, the trees stored exactly as
/// tensors) with the credit part — outcome, characteristics with their binnings, category
/// levels and monotone constraints, score scaling, cut-off and training score bands — as JSON
/// in the manifest's `extra.credit`.
public enum BoostedModelFile {
    /// Writes `model` atomically to `path`, with training metrics and how it was made (the trees'
    /// tensors and settings from LeptonCore, in the domain manifest every domain writes).
    public static func write(_ model: BoostedCreditModel, to path: String, metrics: [String: Double] = [:],
                             provenance: RunProvenance = .current(tool: "lepton-credit", seed: nil, dataFile: nil)) throws {
        let c = try self.contents(model, metrics: metrics, provenance: provenance)
        try ModelFile.write(path: path, manifest: c.manifest, tensors: c.tensors)
    }

    /// The manifest and tensors of a boosted model file (compact when the model is compressed).
    public static func contents(_ model: BoostedCreditModel, metrics: [String: Double] = [:], provenance: RunProvenance) throws -> ModelFileContents {
        let contents = try model.compression.map { try model.trees.compactModelFileContents(compression: $0, domain: "credit") }
            ?? model.trees.modelFileContents(domain: "credit")
        var extra = contents.manifest.extra
        extra["credit"] = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(model.spec))
        let manifest = ModelManifest(kind: contents.manifest.kind, domain: "credit", architecture: "monotone-gbdt-credit",
                                     features: model.characteristicNames,
                                     classNames: [model.spec.outcome.goodValue, model.spec.outcome.badValue],
                                     preprocessing: contents.manifest.preprocessing, metrics: metrics, provenance: provenance,
                                     extra: extra)
        return ModelFileContents(manifest: manifest, tensors: contents.tensors)
    }

    /// The boosted model in decoded model-file contents of kind `gradient-boosted-trees`.
    static func decode(_ contents: ModelFileContents, path: String) throws -> BoostedCreditModel {
        guard let json = contents.manifest.extra["credit"] else {
            throw DataError("\(path): gradient-boosted trees without the credit part (not written by lepton-credit)",
                              hint: "train the model with lepton-credit train --kind gbdt.")
        }
        let trees = try GBDTModel(contents: contents, path: path)
        let spec: BoostedModelSpec
        do {
            spec = try JSONDecoder().decode(BoostedModelSpec.self, from: try JSONEncoder().encode(json))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError("\(path): the credit part of the manifest is malformed (\(error))",
                              hint: "train the model again with lepton-credit train --kind gbdt.")
        }
        guard spec.features.map(\.name) == trees.featureNames else {
            throw DataError("\(path): the characteristics of the credit part and of the trees differ",
                              hint: "the model file is damaged; train again.")
        }
        return BoostedCreditModel(spec: spec, trees: trees, compression: GBDTModel.compression(of: contents.manifest))
    }

    /// Reads a boosted credit model file.
    public static func read(path: String) throws -> BoostedCreditModel {
        try decode(try ModelFile.read(path: path, expectedKind: GBDTModel.modelKind), path: path)
    }
}

/// A credit model of either kind, as read from a model file.
public enum CreditModel: Sendable {
    case scorecard(Scorecard)
    case boosted(BoostedCreditModel)

    /// Reads a scorecard or a boosted credit model, whichever the file holds.
    public static func read(path: String) throws -> CreditModel {
        let contents = try ModelFile.read(path: path)
        switch contents.manifest.kind {
        case ScorecardFile.kind: return .scorecard(try ScorecardFile.decode(contents, path: path).scorecard)
        case GBDTModel.modelKind: return .boosted(try BoostedModelFile.decode(contents, path: path))
        default:
            throw DataError("\(path): a model of kind '\(contents.manifest.kind)', not a credit model",
                              hint: "give a model file written by lepton-credit train.")
        }
    }

    /// The model file's contents (what ``TrainedCreditModel/write(to:provenance:)`` writes).
    public func fileContents(metrics: [String: Double] = [:], provenance: RunProvenance) throws -> ModelFileContents {
        switch self {
        case let .scorecard(card): return try ScorecardFile.contents(card, metrics: metrics, provenance: provenance)
        case let .boosted(boosted): return try BoostedModelFile.contents(boosted, metrics: metrics, provenance: provenance)
        }
    }

    /// Writes the model file atomically.
    public func write(to path: String, metrics: [String: Double] = [:], provenance: RunProvenance) throws {
        let c = try fileContents(metrics: metrics, provenance: provenance)
        try ModelFile.write(path: path, manifest: c.manifest, tensors: c.tensors)
    }

    /// The same model approving at or above `cutoff`.
    public func withCutoff(_ cutoff: Int) -> CreditModel {
        switch self {
        case var .scorecard(card):
            card.cutoff = cutoff
            return .scorecard(card)
        case var .boosted(boosted):
            boosted.spec.cutoff = cutoff
            return .boosted(boosted)
        }
    }

    /// `scorecard` or `gbdt`.
    public var kindName: String {
        switch self {
        case .scorecard: return "scorecard"
        case .boosted: return "gbdt"
        }
    }

    /// A title for reports: "Scorecard" or "Gradient-boosted trees".
    public var title: String {
        switch self {
        case .scorecard: return "Scorecard"
        case .boosted: return "Gradient-boosted trees"
        }
    }

    public var outcome: OutcomeDefinition {
        switch self {
        case let .scorecard(c): return c.outcome
        case let .boosted(b): return b.spec.outcome
        }
    }

    public var idColumn: String? {
        switch self {
        case let .scorecard(c): return c.idColumn
        case let .boosted(b): return b.spec.idColumn
        }
    }

    /// Approve at or above this score.
    public var cutoff: Int {
        switch self {
        case let .scorecard(c): return c.cutoff
        case let .boosted(b): return b.spec.cutoff
        }
    }

    /// Score scaling, costs and reason count.
    public var config: ScorecardConfig {
        switch self {
        case let .scorecard(c): return c.config
        case let .boosted(b): return b.spec.config
        }
    }

    public var trainingBands: ScoreBands {
        switch self {
        case let .scorecard(c): return c.trainingBands
        case let .boosted(b): return b.spec.trainingBands
        }
    }

    public var trainingRows: Int {
        switch self {
        case let .scorecard(c): return c.trainingRows
        case let .boosted(b): return b.spec.trainingRows
        }
    }

    /// The binnings of the characteristics the model uses (scorecard entries or tree features).
    public var binnings: [CharacteristicBinning] {
        switch self {
        case let .scorecard(c): return c.entries.map(\.binning)
        case let .boosted(b): return b.binnings
        }
    }

    /// The names of the characteristics the model uses.
    public var characteristicNames: [String] { binnings.map(\.name) }
}
