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
                                           progress: progress) { row, line in
                try scorer.appendFields(row, to: &line)
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
                var config = BatchConfiguration(outputPath: partPaths[p].out, rejectsPath: partPaths[p].rejects, shard: sub,
                                                maxRejectRate: maxRejectRate)
                // The first part numbers its records as in the file; the others from 1, and the
                // merge below adds their offsets, so no part re-reads the records before it just
                // to count them.
                config.rowNumbering = p == 0 ? .file : .withinShard
                return try job(config, p == 0 ? progress : nil)
            })
        }
        var summaries: [(BatchSummary, Int, Int)] = []
        for r in results.values { summaries.append(try r!.get()) }
        // The file row of the requested shard's first record (counted once, only for K > 1).
        let (_, firstRow) = try BatchJob.shardRange(reader, requestedShard)
        var offsets = [0]
        var before = firstRow - 1 + summaries[0].0.read
        for summary in summaries.dropFirst() {
            offsets.append(before)
            before += summary.0.read
        }
        // Without an ID column in the file, the first output column is the row number: shift it too.
        let rowNumbersAsIDs = !(model.idColumn.map { reader.columns.contains($0) } ?? false)
        try concatenate(partPaths.map(\.out), into: output, firstFieldOffsets: rowNumbersAsIDs ? offsets : nil)
        try mergeRejects(partPaths.map(\.rejects), offsets: offsets, into: configuration.resolvedRejectsPath)
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

    /// Joins the parts' rejects files into `path` (atomically), adding `offsets[p]` to the row
    /// numbers of part p (which count from 1 within the part). The `row` column is the one
    /// BatchJob names (`row`, or `_row`… when the input has a `row` column): second to last.
    static func mergeRejects(_ parts: [String], offsets: [Int], into path: String) throws {
        var writer: CSVWriter?
        do {
            for (p, part) in parts.enumerated() {
                let reader = try CSVReader(path: part)
                if writer == nil {
                    writer = try CSVWriter(path: path)
                    try writer!.writeRow(reader.columns)
                }
                let rowColumn = reader.columns.count - 2
                try reader.forEachRow { row in
                    var fields = row.rawFields
                    if let relative = Int(fields[rowColumn]) { fields[rowColumn] = String(relative + offsets[p]) }
                    try writer!.writeRow(fields)
                }
            }
            try writer?.commit()
        } catch {
            writer?.abandon()
            throw error
        }
    }

    /// Joins CSV files with the same header into `path` (atomically): the first file whole, the
    /// others without their header line. With `firstFieldOffsets`, every data line's first
    /// field (an unquoted integer: the row number) gets part p's offset added; parts without
    /// an offset (or with 0) are copied by the kernel as they are.
    static func concatenate(_ parts: [String], into path: String, firstFieldOffsets: [Int]? = nil) throws {
        let file = try AtomicFile(path: path)
        do {
            for (p, part) in parts.enumerated() {
                if (firstFieldOffsets?[p] ?? 0) == 0 {
                    // Nothing to rewrite: the kernel copies the part after its header line.
                    try file.append(contentsOf: part, from: p == 0 ? 0 : try headerLength(part))
                    continue
                }
                guard let handle = FileHandle(forReadingAtPath: part) else {
                    throw CreditError("\(part): cannot read a part file", hint: "is the output folder writable and not cleaned meanwhile?")
                }
                defer { try? handle.close() }
                var headerPending = true
                var carry: [UInt8] = []
                let offset = firstFieldOffsets?[p]
                func emit(_ line: UnsafeRawBufferPointer) throws {
                    // `line` includes its LF.
                    if headerPending {
                        headerPending = false
                        if p > 0 { return }
                        try file.write(line)
                        return
                    }
                    guard let offset else { return try file.write(line) }
                    var value = 0, k = 0
                    while k < line.count, line[k] >= 0x30, line[k] <= 0x39 {
                        value = value * 10 + Int(line[k] - 0x30)
                        k += 1
                    }
                    guard k > 0 else { return try file.write(line) }
                    // The shifted number's digits, written without building a String.
                    var shifted = value + offset
                    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
                    try withUnsafeMutableBytes(of: &digits) { scratch in
                        var n = scratch.count
                        repeat {
                            n -= 1
                            scratch[n] = UInt8(0x30 + shifted % 10)
                            shifted /= 10
                        } while shifted > 0
                        try file.write(UnsafeRawBufferPointer(rebasing: scratch[n...]))
                    }
                    try file.write(UnsafeRawBufferPointer(rebasing: line[k...]))
                }
                while true {
                    let chunk = handle.readData(ofLength: 1 << 22)
                    if chunk.isEmpty { break }
                    try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                        var start = 0
                        if offset == nil && !headerPending {
                            // Nothing to rewrite: copy the chunk as it is, after any partial line.
                            if !carry.isEmpty {
                                try carry.withUnsafeBytes { try file.write($0) }
                                carry.removeAll(keepingCapacity: true)
                            }
                            try file.write(raw)
                            return
                        }
                        while start < raw.count, let found = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) {
                            let newline = raw.baseAddress!.distance(to: UnsafeRawPointer(found))
                            if carry.isEmpty {
                                try emit(UnsafeRawBufferPointer(rebasing: raw[start...newline]))
                            } else {
                                carry.append(contentsOf: raw[start...newline])
                                try carry.withUnsafeBytes { try emit($0) }
                                carry.removeAll(keepingCapacity: true)
                            }
                            start = newline + 1
                        }
                        carry.append(contentsOf: raw[start...])
                    }
                }
                if !carry.isEmpty {
                    carry.append(0x0A)
                    try carry.withUnsafeBytes { try emit($0) }
                }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}

extension BatchScoring {
    /// The byte length of a CSV file's first line, its LF included (our part files' header
    /// lines are column names, never quoted across lines).
    static func headerLength(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CreditError("\(path): cannot read a part file", hint: "is the output folder writable and not cleaned meanwhile?")
        }
        defer { try? handle.close() }
        var length = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            guard !chunk.isEmpty else { return length }
            if let newline = chunk.firstIndex(of: 0x0A) { return length + (newline - chunk.startIndex) + 1 }
            length += chunk.count
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
