import Foundation
import LeptonCore
import LeptonIO

/// What a shard's output says about itself, in `<output>.shard.json` beside it: which shard of
/// how many, the model and input it came from (checksums), where its rejects went and its
/// counts — so that `merge` can refuse a missing, duplicated or foreign shard.
public struct ShardSidecar: Codable, Sendable, Equatable {
    public var tool: String
    /// `K/N`.
    public var shard: String
    public var index: Int
    public var count: Int
    public var model: String?
    /// ``ModelIdentity/checksum`` of the model file (nil for a job without one).
    public var modelChecksum: String?
    public var input: String
    /// ``InputFingerprint`` of the whole input (not only the shard).
    public var inputFingerprint: String
    public var output: String
    public var rejects: String
    public var read: Int
    public var written: Int
    public var rejected: Int
    /// How the input was cut when that depends on a setting (scans: "batches of 256"); shards
    /// cut differently do not fit together, so merge refuses to join them.
    public var cut: String?
    /// Records in the whole input, when the job knows it (the scans listed): the shards' `read`
    /// must add up to it.
    public var inputRecords: Int?

    enum CodingKeys: String, CodingKey {
        case tool, shard, index, count, model, input, output, rejects, read, written, rejected, cut
        case modelChecksum = "model_checksum", inputFingerprint = "input_fingerprint", inputRecords = "input_records"
    }

    /// The sidecar's path for a shard output.
    public static func path(for output: String) -> String { output + ".shard.json" }

    /// Writes the sidecar of a finished shard job (atomically), when `summary` has a shard. Paths
    /// are stored absolute, so that `merge` finds the rejects files from any folder. `model` is
    /// the identity taken when the model was loaded (``ModelIdentity/loading(_:with:)``).
    public static func write(tool: String, summary: BatchSummary, model: String?, modelIdentity: ModelIdentity?, input: String,
                             cut: String? = nil, inputRecords: Int? = nil) throws {
        guard let shard = summary.shard else { return }
        let sidecar = ShardSidecar(
            tool: tool, shard: shard.description, index: shard.index, count: shard.count, model: model.map(absolute),
            modelChecksum: modelIdentity?.checksum, input: absolute(input),
            inputFingerprint: try InputFingerprint.of(input), output: absolute(summary.outputPath), rejects: absolute(summary.rejectsPath),
            read: summary.read, written: summary.written, rejected: summary.rejected, cut: cut, inputRecords: inputRecords)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(sidecar)) + [0x0A], to: path(for: summary.outputPath))
    }

    /// `path` made absolute against the current folder.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Reads the sidecar of `output`; throws naming the file when it is missing or malformed.
    public static func read(output: String) throws -> ShardSidecar {
        let file = path(for: output)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DataError(file: file, message: "no shard sidecar beside \(output)",
                            hint: "merge the outputs of score/classify runs made with --shard K/N (or a job array), each with its .shard.json")
        }
        let sidecar: ShardSidecar
        do {
            sidecar = try JSONDecoder().decode(ShardSidecar.self, from: data)
        } catch {
            throw DataError(file: file, message: "not a shard sidecar (\(error))", hint: "the file was changed or is not one Lepton wrote")
        }
        guard sidecar.count >= 1, (1...sidecar.count).contains(sidecar.index), sidecar.read >= 0, sidecar.written >= 0, sidecar.rejected >= 0 else {
            throw DataError(file: file, message: "shard \(sidecar.index)/\(sidecar.count) with counts \(sidecar.read)/\(sidecar.written)/\(sidecar.rejected) is not a shard",
                            hint: "the file was changed or is not one Lepton wrote")
        }
        return sidecar
    }
}

/// A cheap identity of an input: a file's size and the CRC-32 of its first and last MiB (every
/// shard computes it without reading the whole file); a folder's (a scan folder) the CRC-32 of
/// its sorted file names and sizes. It tells different inputs apart in practice, not against
/// someone forging one.
public enum InputFingerprint {
    public static func of(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataError(file: path, message: "no such input", hint: "check the path")
        }
        if isFolder.boolValue {
            let names = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted()
            var listing = ""
            for name in names {
                let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? 0
                listing += "\(name)\t\(size)\n"
            }
            return "folder:\(names.count):crc32:" + hex(CRC32.checksum(Array(listing.utf8)))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError(file: path, message: "cannot read", hint: "check permissions") }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let window = 1 << 20
        try handle.seek(toOffset: 0)
        let head = try handle.read(upToCount: window) ?? Data()
        try handle.seek(toOffset: UInt64(max(0, size - window)))
        let tail = try handle.read(upToCount: window) ?? Data()
        return "bytes:\(size):head:" + hex(CRC32.checksum([UInt8](head))) + ":tail:" + hex(CRC32.checksum([UInt8](tail)))
    }

    static func hex(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }
}
