import Foundation
import LeptonIO

/// Joins the outputs of the N shards of one batch job (and their rejects files) into the output
/// one process would have written: shards in order 1…N, each file's header once, every data
/// byte as the shard wrote it, written atomically.
///
/// Refused, naming the file: a shard missing, twice, or from another job (another model
/// checksum, input fingerprint or shard count), outputs whose headers differ, and an output
/// whose record count is not its sidecar's `written`.
public enum ShardMerge {
    /// Merges `shardOutputs` (in any order) into `output` and `rejects` (default `<output>.rejects.csv`).
    public static func merge(shardOutputs: [String], output: String, rejects: String? = nil, maxRejectRate: Double = 1) throws -> BatchSummary {
        guard !shardOutputs.isEmpty else { throw DataError("no shard outputs to merge", hint: "name every shard's output file") }
        let sidecars = try shardOutputs.map { try ShardSidecar.read(output: $0) }
        let first = sidecars[0]
        for (path, s) in zip(shardOutputs, sidecars) {
            guard s.count == first.count, s.modelChecksum == first.modelChecksum, s.inputFingerprint == first.inputFingerprint, s.tool == first.tool,
                  s.cut == first.cut, s.inputRecords == first.inputRecords else {
                throw DataError(file: path, message: "shard \(s.shard) is from another job than \(shardOutputs[0]) (shard \(first.shard)): "
                                    + "model \(s.modelChecksum ?? "none") vs \(first.modelChecksum ?? "none"), input \(s.inputFingerprint) vs \(first.inputFingerprint), \(s.count) vs \(first.count) shards"
                                    + (s.cut != first.cut ? ", cut \(s.cut ?? "none") vs \(first.cut ?? "none")" : ""),
                                hint: "merge only the shards of one run: the same model, input and N")
            }
            guard s.read == s.written + s.rejected else {
                throw DataError(file: ShardSidecar.path(for: path), message: "read \(s.read) ≠ written \(s.written) + rejected \(s.rejected)", hint: "run the shard again")
            }
        }
        var byIndex: [Int: (path: String, sidecar: ShardSidecar)] = [:]
        for (path, s) in zip(shardOutputs, sidecars) {
            if let other = byIndex[s.index] {
                throw DataError(file: path, message: "shard \(s.shard) appears twice (also \(other.path))", hint: "give each shard's output once")
            }
            byIndex[s.index] = (path, s)
        }
        let missing = (1...first.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw DataError("shard(s) \(missing.map { "\($0)/\(first.count)" }.joined(separator: ", ")) missing from the merge of \(shardOutputs.count) output(s)",
                            hint: "run the missing shards (or wait for them) and name every shard's output")
        }
        let ordered = (1...first.count).map { byIndex[$0]! }
        if let total = first.inputRecords, ordered.reduce(0, { $0 + $1.sidecar.read }) != total {
            throw DataError("the shards read \(ordered.reduce(0) { $0 + $1.sidecar.read }) records of an input of \(total)",
                            hint: "the input changed between the shards' runs; run them again on the same input")
        }
        let rejectsPath = rejects ?? output + ".rejects.csv"
        try concatenate(ordered.map { ($0.path, $0.sidecar.written) }, into: output)
        try concatenate(ordered.map { ($0.sidecar.rejects, $0.sidecar.rejected) }, into: rejectsPath)
        var summary = BatchSummary(read: ordered.reduce(0) { $0 + $1.sidecar.read }, written: ordered.reduce(0) { $0 + $1.sidecar.written },
                                   rejected: ordered.reduce(0) { $0 + $1.sidecar.rejected }, outputPath: output, rejectsPath: rejectsPath,
                                   shard: nil, maxRejectRate: maxRejectRate)
        summary.parts = first.count
        return summary
    }

    /// Writes the first file's header, then every file's data bytes, checking headers and record counts.
    static func concatenate(_ files: [(path: String, records: Int)], into destination: String) throws {
        let readers = try files.map { try CSVReader(path: $0.path) }
        for (file, reader) in zip(files, readers) {
            guard reader.columns == readers[0].columns else {
                throw DataError(file: file.path, message: "its columns differ from \(files[0].path)'s", hint: "merge only the shards of one run")
            }
            let records = try reader.forEachRow { _ in }.rows
            guard records == file.records else {
                throw DataError(file: file.path, message: "\(records) records where its sidecar says \(file.records)",
                                hint: "the file was changed after the shard finished; run the shard again")
            }
        }
        let out = try AtomicFile(path: destination)
        do {
            guard let handle = FileHandle(forReadingAtPath: files[0].path) else { throw DataError(file: files[0].path, message: "cannot read", hint: "check permissions") }
            let header = try handle.read(upToCount: readers[0].dataStart) ?? Data()
            try handle.close()
            try header.withUnsafeBytes { try out.write($0) }
            for (file, reader) in zip(files, readers) { try out.append(contentsOf: file.path, from: reader.dataStart) }
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
    }
}
