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
        // The file row of the requested shard's first record: counted once, before the parts
        // start, and only for a shard K > 1 (records before it are tokenised, not scored).
        let (_, firstRow) = try BatchJob.shardRange(reader, requestedShard)
        let results = PartResults(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            results.set(p, Result {
                let sub = try Shard(index: (shard.index - 1) * parts + p + 1, count: shard.count * parts)
                var config = BatchConfiguration(outputPath: partPaths[p].out, rejectsPath: partPaths[p].rejects, shard: sub,
                                                maxRejectRate: maxRejectRate)
                // The first part numbers its records as in the file; the others from 1, and the
                // join below adds their offsets, so no part re-reads the records before it just
                // to count them.
                config.rowNumbering = p == 0 ? .from(firstRow) : .withinShard
                return try job(config, p == 0 ? progress : nil)
            })
        }
        var summaries: [(BatchSummary, Int, Int)] = []
        for r in results.values { summaries.append(try r!.get()) }
        if summaries.dropLast().contains(where: { !$0.0.endedBetweenRecords }) {
            // Malformed quoting ran a record across a cut: read the (shard of the) file in one
            // piece, so that records and row numbers are exactly those of a sequential read.
            let (summary, unseen, outside) = try job(configuration, progress)
            return Outcome(summary: summary, unseenCategories: unseen, outOfRange: outside)
        }
        var offsets = [0]
        var before = firstRow - 1 + summaries[0].0.read
        for summary in summaries.dropFirst() {
            offsets.append(before)
            before += summary.0.read
        }
        // Without an ID column in the file, the first output column is the row number: shift it too.
        let rowNumbersAsIDs = !(model.idColumn.map { reader.columns.contains($0) } ?? false)
        // Both joined files are committed only once both are complete.
        let joined = try concatenate(partPaths.map(\.out), into: output, firstFieldOffsets: rowNumbersAsIDs ? offsets : nil)
        let rejectsFile: CSVWriter
        do {
            rejectsFile = try mergeRejects(partPaths.map(\.rejects), offsets: offsets, into: configuration.resolvedRejectsPath)
        } catch {
            joined.abandon()
            throw error
        }
        do {
            try joined.commit()
            try rejectsFile.commit()
        } catch {
            rejectsFile.abandon()
            throw error
        }
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

    /// Joins the parts' rejects files into a writer for `path` (committed by the caller), adding
    /// `offsets[p]` to the row numbers of part p (which count from 1 within the part, or from
    /// the file's row for offset 0). The `row` column is the one BatchJob names (`row`, or
    /// `_row`… when the input has a `row` column): second to last.
    static func mergeRejects(_ parts: [String], offsets: [Int], into path: String) throws -> CSVWriter {
        let writer = try CSVWriter(path: path)
        do {
            for (p, part) in parts.enumerated() {
                let reader = try CSVReader(path: part)
                if p == 0 { try writer.writeRow(reader.columns) }
                let rowColumn = reader.columns.count - 2
                try reader.forEachRow { row in
                    var fields = row.rawFields
                    if offsets[p] != 0, let relative = Int(fields[rowColumn]) { fields[rowColumn] = String(relative + offsets[p]) }
                    try writer.writeRow(fields)
                }
            }
            return writer
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Joins CSV files with the same header into an atomic file for `path` (committed by the
    /// caller): the first file whole, the others without their header line. Parts without an
    /// offset (or with 0) are copied by the kernel as they are; in the others, every record's
    /// first field (an unquoted integer: the row number) gets the part's offset added. Records
    /// are found quote-aware: a line that continues a quoted field (a reason text with a line
    /// break) is copied unchanged.
    static func concatenate(_ parts: [String], into path: String, firstFieldOffsets: [Int]? = nil) throws -> AtomicFile {
        let file = try AtomicFile(path: path)
        do {
            for (p, part) in parts.enumerated() {
                let offset = firstFieldOffsets?[p] ?? 0
                if offset == 0 {
                    try file.append(contentsOf: part, from: p == 0 ? 0 : try headerLength(part))
                } else {
                    try appendShiftingRowNumbers(part, by: offset, skippingHeader: p > 0, to: file)
                }
            }
            return file
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Appends the CSV file at `part` to `file`, adding `offset` to the leading integer of every
    /// record that starts with one (the header line is dropped when `skippingHeader`).
    static func appendShiftingRowNumbers(_ part: String, by offset: Int, skippingHeader: Bool, to file: AtomicFile) throws {
        guard let handle = FileHandle(forReadingAtPath: part) else {
            throw CreditError("\(part): cannot read a part file", hint: "is the output folder writable and not cleaned meanwhile?")
        }
        defer { try? handle.close() }
        var headerPending = true
        var insideQuotes = false
        var carry: [UInt8] = []
        func emit(_ line: UnsafeRawBufferPointer) throws {
            // `line` includes its LF.
            let startsRecord = !insideQuotes
            var quotes = 0
            for byte in line where byte == 0x22 { quotes += 1 }
            if quotes & 1 == 1 { insideQuotes.toggle() }
            if headerPending {
                headerPending = false
                if !skippingHeader { try file.write(line) }
                return
            }
            var value = 0, k = 0
            while startsRecord, k < line.count, line[k] >= 0x30, line[k] <= 0x39 {
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
