import Foundation
import LeptonCore
import LeptonIO

/// Which model file a result came from: its CRC-32 and size (as `crc32:XXXXXXXX:BYTES`) and its
/// manifest — what `serve` reports at `GET /v1/model` and what shard sidecars record, so that
/// outputs of different models are never merged.
public struct ModelIdentity: Sendable {
    /// `crc32:` and the file's CRC-32 in hex, `:` and its size in bytes.
    public let checksum: String
    public let manifest: ModelManifest

    /// Reads `path` (whole: the checksum covers every byte) and its manifest.
    public static func read(path: String) throws -> ModelIdentity {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, message: "cannot read the model file", hint: "check the path and its permissions.")
        }
        let bytes = [UInt8](data)
        let contents = try ModelFile.decode(bytes, path: path)
        return ModelIdentity(checksum: checksum(of: bytes), manifest: contents.manifest)
    }

    /// Loads the model at `path` with `load` and its identity, making sure both describe the same
    /// bytes: the file is checksummed before and after loading, and read again (up to 3 times)
    /// when it was replaced in between (a deployment swapping the model file).
    public static func loading<Model>(_ path: String, with load: (String) throws -> Model) throws -> (model: Model, identity: ModelIdentity) {
        for _ in 0..<3 {
            let before = try read(path: path)
            let model = try load(path)
            let after = try read(path: path)
            if before.checksum == after.checksum { return (model, after) }
        }
        throw DataError(file: path, message: "the model file kept changing while it was read", hint: "wait until it is written completely (write it elsewhere and rename it into place).")
    }

    /// The checksum text of a file's bytes.
    public static func checksum(of bytes: [UInt8]) -> String {
        let crc = CRC32.checksum(bytes)
        let hex = String(crc, radix: 16)
        return "crc32:" + String(repeating: "0", count: 8 - hex.count) + hex + ":\(bytes.count)"
    }

    /// The manifest for people and clients: kind, architecture, domain, the input features,
    /// classes, metrics, provenance and the checksum (the kind-specific `extra` sections are left out).
    public func json(features: [String]) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("kind", .string(manifest.kind)), ("architecture", manifest.architecture.map(JSONValue.string) ?? .null),
            ("domain", manifest.domain.map(JSONValue.string) ?? .null), ("features", .array(features.map(JSONValue.string))),
        ]
        if !manifest.classNames.isEmpty { fields.append(("class_names", .array(manifest.classNames.map(JSONValue.string)))) }
        fields.append(("metrics", .object(manifest.metrics.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
        fields.append(("provenance", manifest.provenance.flatMap { try? JSONValue.encoding($0) } ?? .null))
        fields.append(("created_at", .string(manifest.createdAt)))
        fields.append(("tool_version", .string(manifest.toolVersion)))
        fields.append(("checksum", .string(checksum)))
        return .object(fields)
    }
}
