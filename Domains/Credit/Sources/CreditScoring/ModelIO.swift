import Foundation
import LeptonCore

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
        let contents = try ModelFile.read(path: path, expectedKind: kind)
        guard let json = contents.manifest.extra["scorecard"] else {
            throw CreditError("\(path): the manifest has no scorecard", hint: "train the model again with lepton-credit train.")
        }
        do {
            let card = try JSONDecoder().decode(Scorecard.self, from: try JSONEncoder().encode(json))
            return (card, contents.manifest)
        } catch let error as CreditError {
            throw error
        } catch {
            throw CreditError("\(path): the scorecard in the manifest is malformed (\(error))",
                              hint: "train the model again with lepton-credit train.")
        }
    }
}

/// A fingerprint of a file's bytes (CRC-32 and size), to tell same-named files apart in reports.
public func fileFingerprint(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let crc = data.withUnsafeBytes { CRC32.checksum($0) }
    return "crc32:" + String(crc, radix: 16) + ",bytes:\(data.count)"
}
