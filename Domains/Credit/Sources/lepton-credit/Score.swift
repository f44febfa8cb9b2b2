import ArgumentParser
import CreditScoring
import Dispatch
import Foundation
import LeptonCLI
import LeptonIO

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Batch-score an applicant CSV: ID, pd, score, decision and reason codes per applicant.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var batch: BatchOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "The applicant CSV (columns the model does not use are ignored).") var input: String
    @Option(help: "The scores CSV to write.") var output: String
    @Option(help: "Reason codes per declined applicant (default: the model's).") var reasons: Int?

    func validate() throws {
        if let reasons, reasons < 0 || reasons > 20 { throw ValidationError("--reasons \(reasons): between 0 and 20.") }
    }

    func run() throws {
        let console = Console(options: common)
        let creditModel = try CreditModel.read(path: model)
        let started = Date()
        let outcome = try BatchScoring.run(model: creditModel, input: input, output: output, rejects: batch.rejects,
                                           shard: batch.shard, maxRejectRate: batch.maxRejectRate,
                                           reasons: reasons, threads: common.threads.resolved,
                                           progress: console.progress("scoring", unit: "rows"))
        let seconds = Date().timeIntervalSince(started)
        if outcome.unseenCategories > 0 || outcome.outOfRange > 0 {
            console.note("\(outcome.unseenCategories) categories not seen in training went to their 'other' bins; \(outcome.outOfRange) numbers outside the training range went to the outer bins.")
        }
        try outcome.summary.report(to: console, extra: [
            ("seconds", .double(seconds)), ("rows_per_second", .double(Double(outcome.summary.read) / max(seconds, 1e-9))),
            ("unseen_categories", .int(outcome.unseenCategories)), ("out_of_range", .int(outcome.outOfRange)),
        ])
    }
}

/// Batch scoring on every core: the input (or its shard) is cut into T parts at record
/// boundaries, each part scored by its own `BatchJob` into a hidden part file, and the parts
/// joined in order into the output and rejects files — written atomically, as one job would.
enum BatchScoring {
    struct Outcome {
        var summary: BatchSummary
        var unseenCategories: Int
        var outOfRange: Int
    }

    static func run(model: CreditModel, input: String, output: String, rejects: String?, shard requestedShard: Shard?,
                    maxRejectRate: Double, reasons: Int?,
                    threads: Int, progress: LeptonCLI.Progress?) throws -> Outcome {
        let reader: CSVReader
        do {
            reader = try CSVReader(path: input)
        } catch let error as CSVFileError {
            throw CreditError("\(error)", hint: "give a CSV file with a header row and one row per applicant.")
        }
        let columns = try model.rowScorer(columns: reader.columns, path: input, reasonCount: reasons).columns  // fails early on missing columns
        let configuration = BatchConfiguration(outputPath: output, rejectsPath: rejects, shard: requestedShard,
                                               maxRejectRate: maxRejectRate)
        let shardBytes = reader.fileSize - reader.dataStart
        let parts = (shardBytes < 4 << 20 || threads <= 1) ? 1 : threads

        @Sendable func job(_ config: BatchConfiguration, _ progress: LeptonCLI.Progress?) throws -> (BatchSummary, Int, Int) {
            let scorer = try model.rowScorer(columns: reader.columns, path: input, reasonCount: reasons)
            let summary = try BatchJob.run(input: reader, outputColumns: columns, configuration: config,
                                           progress: progress) { row in
                .output(try scorer.fields(row))
            }
            return (summary, scorer.unseenCategories, scorer.outOfRange)
        }

        if parts == 1 {
            let (summary, unseen, outside) = try job(configuration, progress)
            return Outcome(summary: summary, unseenCategories: unseen, outOfRange: outside)
        }
        // Shard K of N is exactly sub-shards (K−1)·T+1 … K·T of N·T (the cuts fall at the same bytes).
        let shard = try requestedShard ?? Shard(index: 1, count: 1)
        let folder = (output as NSString).deletingLastPathComponent
        let base = (output as NSString).lastPathComponent
        let token = "\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))"
        let partPaths = (0..<parts).map { p in
            (out: "\(folder.isEmpty ? "." : folder)/.\(base).part\(p)-\(token).csv",
             rejects: "\(folder.isEmpty ? "." : folder)/.\(base).part\(p)-\(token).rejects.csv")
        }
        defer {
            for p in partPaths {
                try? FileManager.default.removeItem(atPath: p.out)
                try? FileManager.default.removeItem(atPath: p.rejects)
            }
        }
        let results = PartResults(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            results.set(p, Result {
                let sub = try Shard(index: (shard.index - 1) * parts + p + 1, count: shard.count * parts)
                let config = BatchConfiguration(outputPath: partPaths[p].out, rejectsPath: partPaths[p].rejects, shard: sub,
                                                maxRejectRate: maxRejectRate)
                return try job(config, p == 0 ? progress : nil)
            })
        }
        var summaries: [(BatchSummary, Int, Int)] = []
        for r in results.values { summaries.append(try r!.get()) }
        try concatenate(partPaths.map(\.out), into: output)
        try concatenate(partPaths.map(\.rejects), into: configuration.resolvedRejectsPath)
        var total = summaries[0].0
        total.read = summaries.reduce(0) { $0 + $1.0.read }
        total.written = summaries.reduce(0) { $0 + $1.0.written }
        total.rejected = summaries.reduce(0) { $0 + $1.0.rejected }
        total.outputPath = output
        total.rejectsPath = configuration.resolvedRejectsPath
        total.shard = requestedShard
        return Outcome(summary: total, unseenCategories: summaries.reduce(0) { $0 + $1.1 },
                       outOfRange: summaries.reduce(0) { $0 + $1.2 })
    }

    /// Joins CSV files with the same header into `path` (atomically): the first file whole, the
    /// others without their header line.
    static func concatenate(_ parts: [String], into path: String) throws {
        let file = try AtomicFile(path: path)
        do {
            for (p, part) in parts.enumerated() {
                guard let handle = FileHandle(forReadingAtPath: part) else {
                    throw CreditError("\(part): cannot read a part file", hint: "is the output folder writable and not cleaned meanwhile?")
                }
                defer { try? handle.close() }
                var skippingHeader = p > 0
                while true {
                    let chunk = handle.readData(ofLength: 1 << 22)
                    if chunk.isEmpty { break }
                    try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                        var start = 0
                        if skippingHeader {
                            guard let newline = raw.firstIndex(of: 0x0A) else { return }
                            start = newline + 1
                            skippingHeader = false
                        }
                        try file.write(UnsafeRawBufferPointer(rebasing: raw[start...]))
                    }
                }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}

/// One result slot per part; each part writes only its own.
final class PartResults: @unchecked Sendable {
    private(set) var values: [Result<(BatchSummary, Int, Int), any Error>?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<(BatchSummary, Int, Int), any Error>) { lock.withLock { values[index] = value } }
}
