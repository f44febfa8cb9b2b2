import Foundation
import LeptonCore
import LeptonIO

/// Scorecards in the project's one model file format: the manifest's `extra["scorecard"]`
/// holds the whole scorecard (bins with counts and WOE, coefficients, points, cut-off,
/// training score bands) as JSON; there are no tensors.
public enum ScorecardFile {
    /// The manifest kind of a scorecard model file.
    public static let kind = "credit-scorecard"

    /// Writes `scorecard` atomically to `path`, with training metrics and a data fingerprint.
    public static func write(_ scorecard: Scorecard, to path: String, metrics: [String: Double] = [:],
                             dataFingerprint: String? = nil, seed: UInt64? = nil) throws {
        let data = try JSONEncoder().encode(scorecard)
        let json = try JSONDecoder().decode(JSONValue.self, from: data)
        let manifest = ModelManifest(kind: kind, architecture: "woe-logistic-scorecard", domain: "credit",
                                     inputShape: [scorecard.entries.count],
                                     preprocessing: ["characteristics": .array(scorecard.characteristicNames.map { .string($0) })],
                                     classNames: [scorecard.outcome.goodValue, scorecard.outcome.badValue], metrics: metrics,
                                     trainingDataFingerprint: dataFingerprint, seed: seed, extra: ["scorecard": json])
        try ModelFile.write(path: path, manifest: manifest, tensors: [])
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

/// A fingerprint of a file's bytes (CRC-32 and size), to tell same-named files apart in reports;
/// nil when the file cannot be read. Streamed in 1 MB pieces (memory stays flat), its `threads`
/// parts checksummed concurrently and combined (``CRC32/combine(_:_:lengthB:)``).
public func fileFingerprint(_ path: String, threads: Int = ThreadCount.auto.resolved) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    let size = Int(info.st_size)
    let parts = max(1, min(threads, size / (1 << 20) + 1))
    let ranges = (0..<parts).map { k in (size * k / parts)..<(size * (k + 1) / parts) }
    let results = ResultSlots<UInt32?>(count: parts)
    Parallel.run(parts) { k in
        results.set(k, checksum(fd: fd, range: ranges[k]))
    }
    var crc: UInt32 = 0
    for (k, part) in results.values.enumerated() {
        guard let partCRC = part ?? nil else { return nil }
        crc = k == 0 ? partCRC : CRC32.combine(crc, partCRC, lengthB: ranges[k].count)
    }
    return "crc32:" + String(crc, radix: 16) + ",bytes:\(size)"
}

/// The CRC-32 of bytes `range` of an open file, read in 1 MB pieces; nil on a read error.
private func checksum(fd: Int32, range: Range<Int>) -> UInt32? {
    let piece = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 16)
    defer { buffer.deallocate() }
    var crc: UInt32 = 0
    var offset = range.lowerBound
    while offset < range.upperBound {
        let n = pread(fd, buffer.baseAddress, min(piece, range.upperBound - offset), off_t(offset))
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return nil }
        crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), continuing: crc)
        offset += n
    }
    return crc
}

/// The gradient-boosted credit model in the project's one model file format: LeptonCore's
/// tree file (kind `gradient-boosted-trees`, domain `credit`, the trees stored exactly as
/// tensors) with the credit part — outcome, characteristics with their binnings, category
/// levels and monotone constraints, score scaling, cut-off and training score bands — as JSON
/// in the manifest's `extra.credit`.
public enum BoostedModelFile {
    /// Writes `model` atomically to `path`, with training metrics and a data fingerprint.
    public static func write(_ model: BoostedCreditModel, to path: String, metrics: [String: Double] = [:],
                             dataFingerprint: String? = nil, seed: UInt64? = nil) throws {
        var contents = model.trees.modelFileContents(domain: "credit", metrics: metrics, trainingDataFingerprint: dataFingerprint,
                                                     seed: seed)
        let json = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(model.spec))
        contents.manifest.architecture = "monotone-gbdt-credit"
        contents.manifest.extra["credit"] = json
        contents.manifest.preprocessing["characteristics"] = .array(model.characteristicNames.map { .string($0) })
        contents.manifest.classNames = [model.spec.outcome.goodValue, model.spec.outcome.badValue]
        try ModelFile.write(path: path, manifest: contents.manifest, tensors: contents.tensors)
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
        return BoostedCreditModel(spec: spec, trees: trees)
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
