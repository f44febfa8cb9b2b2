import LeptonIO

/// What became of one record of a batch job.
public enum BatchOutcome: Sendable, Equatable {
    /// The record's output fields, one per output column.
    case output([String])
    /// The record is rejected for this reason (say what is wrong and what to do).
    case reject(String)
}

/// Where a batch job writes and how much rejection it tolerates.
public struct BatchConfiguration: Sendable {
    /// The results file (CSV), written atomically.
    public var outputPath: String
    /// The rejects file; `<output>.rejects.csv` when nil.
    public var rejectsPath: String?
    /// Only this part of the input, when set.
    public var shard: Shard?
    /// The largest tolerated share of rejected records (0…1).
    public var maxRejectRate: Double
    /// Records handed to the `process` closure at a time.
    public var batchSize: Int
    /// With ``BatchJob/run(input:outputColumns:configuration:threads:progress:makeWorker:)``:
    /// the input (or its shard) is split across threads only when it holds at least this many
    /// bytes of data (below it, one thread: starting parts and joining them costs more than it saves).
    public var minimumPartBytes = 4 << 20
    /// How rejects are numbered with a shard: by the whole file's row (the records before the
    /// shard are tokenised once to count them) or from 1 at the shard's first record (no
    /// counting; for a caller that splits its own input into parts and adds each part's offset).
    public var rowNumbering: RowNumbering = .file

    /// A part's bytes, cut by the parallel batch job (instead of a shard's).
    var byteRange: Range<Int>?

    public enum RowNumbering: Sendable {
        case file
        case withinShard
        /// From this row number at the shard's first record (the caller has counted).
        case from(Int)
    }

    public init(outputPath: String, rejectsPath: String? = nil, shard: Shard? = nil, maxRejectRate: Double = 0.01,
                batchSize: Int = 1024) {
        precondition(batchSize >= 1, "BatchConfiguration: batchSize must be at least 1")
        self.outputPath = outputPath
        self.rejectsPath = rejectsPath
        self.shard = shard
        self.maxRejectRate = maxRejectRate
        self.batchSize = batchSize
    }

    /// The configuration the command line asked for.
    public init(outputPath: String, options: BatchOptions, batchSize: Int = 1024) {
        self.init(outputPath: outputPath, rejectsPath: options.rejects, shard: options.resolvedShard,
                  maxRejectRate: options.maxRejectRate, batchSize: batchSize)
        minimumPartBytes = options.minPartBytes
    }

    /// The rejects file actually used.
    public var resolvedRejectsPath: String { rejectsPath ?? outputPath + ".rejects.csv" }
}

/// The counts of a finished batch job. Every record read is either written or rejected.
public struct BatchSummary: Sendable, Equatable {
    public var read: Int
    public var written: Int
    public var rejected: Int
    public var outputPath: String
    public var rejectsPath: String
    public var shard: Shard?
    public var maxRejectRate: Double
    /// Whether the range ended between two records as libcsv reads them (false only when
    /// malformed quoting ran a record past the end of a part; a caller that cut the file into
    /// parts then reads it again in one piece).
    public var endedBetweenRecords = true
    /// Parts the input was read in, one thread each (1: read sequentially).
    public var parts = 1
    /// Whether a parted read was thrown away and the input read again in one piece, because
    /// malformed quoting ran a record across a cut (the outputs are then a sequential read's).
    public var rereadInOnePiece = false
    /// Counts the domain's workers kept (unseen categories, values out of range), added up over the parts.
    public var tallies: [BatchTally] = []

    /// The counts of a job that was not a CSV stream (a folder of scans, say), to report them the same way.
    public init(read: Int, written: Int, rejected: Int, outputPath: String, rejectsPath: String, shard: Shard?, maxRejectRate: Double) {
        (self.read, self.written, self.rejected) = (read, written, rejected)
        (self.outputPath, self.rejectsPath, self.shard, self.maxRejectRate) = (outputPath, rejectsPath, shard, maxRejectRate)
    }

    /// rejected / read (0 for an empty input).
    public var rejectRate: Double { read == 0 ? 0 : Double(rejected) / Double(read) }
    /// Whether the job should exit with ``LeptonExitCode/rejectRateExceeded``.
    public var exceedsMaxRejectRate: Bool { rejectRate > maxRejectRate }

    /// The counts as fields of the `--json` summary object.
    public var jsonFields: [(String, JSONValue)] {
        [("read", .int(read)), ("written", .int(written)), ("rejected", .int(rejected)), ("reject_rate", .double(rejectRate)),
         ("max_reject_rate", .double(maxRejectRate)), ("output", .string(outputPath)), ("rejects", .string(rejectsPath)),
         ("shard", shard.map { .string($0.description) } ?? .null), ("parts", .int(parts)),
         ("reread_in_one_piece", .bool(rereadInOnePiece))]
            + tallies.map { ($0.name, .int($0.count)) }
    }

    /// The counts as a line for people.
    public var humanLine: String {
        let shardText = shard.map { " (shard \($0))" } ?? ""
        return "read \(NumberFormatting.integer(read)) records\(shardText): wrote \(NumberFormatting.integer(written)) to \(outputPath), "
            + "rejected \(NumberFormatting.integer(rejected)) (\(NumberFormatting.fixed(rejectRate * 100, decimals: 2))%) to \(rejectsPath)"
    }

    /// Prints the result through `console` (merged into the `--json` object with `extra`
    /// fields) and throws ``LeptonExitCode/rejectRateExceeded`` when too many records were rejected.
    public func report(to console: Console, extra: [(String, JSONValue)] = []) throws {
        var fields = jsonFields + extra
        fields.append(("status", .string(exceedsMaxRejectRate ? "reject_rate_exceeded" : "ok")))
        console.result(human: [humanLine], summary: fields)
        if exceedsMaxRejectRate {
            console.warning("\(NumberFormatting.fixed(rejectRate * 100, decimals: 2))% of records were rejected, more than --max-reject-rate \(NumberFormatting.fixed(maxRejectRate * 100, decimals: 2))% (exit code 3). Hint: the reasons are in \(rejectsPath); fix the input or raise --max-reject-rate.")
            throw LeptonExitCode.rejectRateExceeded
        }
    }
}

/// The plumbing every batch command shares: stream the records of a CSV file (or one shard
/// of it), turn each into output fields or a rejection, and write the results and a rejects
/// file atomically — each appears under its final name only when the whole job succeeded.
///
/// Every record read ends up in exactly one of the two files, in input order. The rejects
/// file has the input's columns, then `row` (the record's 1-based row number in the whole
/// file, the header being row 1) and `reason`. A malformed record with too few fields is
/// padded with empty fields; with too many, the surplus fields are joined (with the
/// delimiter) into the last column, so that nothing of it is lost.
///
/// ```swift
/// let summary = try BatchJob.run(input: reader, outputColumns: ["id", "score"],
///                                configuration: BatchConfiguration(outputPath: out, options: batch),
///                                progress: console.progress("scoring", unit: "rows"),
///                                parse: { row in
///                                    (id: try row.string(at: idColumn), features: try features(row)) // throws CSVRowError → rejected
///                                },
///                                process: { records in model.score(records) })   // [BatchOutcome], one per record
/// try summary.report(to: console)
/// ```
public enum BatchJob {
    /// Runs a batch job in two stages: `parse` copies what is needed out of each record (a
    /// thrown ``CSVRowError`` — from the typed accessors or `row.error(column:reason:)` —
    /// rejects the record with its message), then `process` turns batches of parsed records
    /// into one ``BatchOutcome`` each (batched so that models can score many rows at once).
    ///
    /// Any other error thrown by `parse` or `process`, or a write failure, stops the job: both
    /// outputs are abandoned and the error is rethrown.
    ///
    /// With a shard, only that part of the input is processed; its row numbers are still the
    /// whole file's (the records before the shard are counted, without being parsed).
    public static func run<Record>(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress? = nil,
        parse: (CSVRow) throws -> Record, process: ([Record]) throws -> [BatchOutcome]
    ) throws -> BatchSummary {
        try withOutputs(input: input, outputColumns: outputColumns, configuration: configuration) {
            output, rejects, range, firstNumber, summary in
            let columns = input.columns
            // Records waiting for their batch, in input order: parsed ones (their outcome comes
            // from `process`) and ones already rejected, so that both files keep input order
            // whatever the batch size or shard.
            // Their raw fields wait as bytes in one arena, turned into text only if rejected.
            var pending: [(fields: RawFields, number: Int, rejection: String?)] = []
            let arena = RawFieldArena()
            var records: [Record] = []
            pending.reserveCapacity(configuration.batchSize)
            records.reserveCapacity(configuration.batchSize)
            let delimiter = String(UnicodeScalar(input.options.delimiter))
            let totalBytes = max(range.count, 1)
            var bytesSeen = 0

            func flush() throws {
                guard !pending.isEmpty else { return }
                let outcomes = records.isEmpty ? [] : try process(records)
                precondition(outcomes.count == records.count,
                             "BatchJob: process returned \(outcomes.count) outcomes for \(records.count) records")
                var next = outcomes.makeIterator()
                for item in pending {
                    let outcome = item.rejection.map { BatchOutcome.reject($0) } ?? next.next()!
                    switch outcome {
                    case let .output(fields):
                        try output.writeRow(fields)
                        summary.written += 1
                    case let .reject(reason):
                        try rejects.writeRow(shaped(arena.strings(item.fields), columns: columns.count, delimiter: delimiter)
                                             + [String(item.number), reason])
                        summary.rejected += 1
                    }
                }
                records.removeAll(keepingCapacity: true)
                pending.removeAll(keepingCapacity: true)
                arena.removeAll()
            }

            let counts = try input.forEachRow(in: range, firstNumber: firstNumber) { row in
                summary.read += 1
                bytesSeen += approximateBytes(row)
                if let problem = row.problem {
                    pending.append((arena.append(row), row.number, "malformed record: \(problem)"))
                } else {
                    do {
                        let record = try parse(row)
                        records.append(record)
                        pending.append((arena.append(row), row.number, nil))
                    } catch let error as CSVRowError {
                        pending.append((arena.append(row), row.number, reasonText(error)))
                    }
                }
                if records.count >= configuration.batchSize || pending.count >= 4 * configuration.batchSize { try flush() }
                if summary.read & 255 == 0 {
                    progress?.update(items: summary.read, fraction: Double(bytesSeen) / Double(totalBytes))
                }
            }
            try flush()
            summary.endedBetweenRecords = counts.endedBetweenRecords
            progress?.update(items: summary.read, fraction: 1)
            progress?.finish()
        }
    }

    /// The set-up and finish every batch job shares: opens the output and rejects files with
    /// their headers, works out the shard's byte range and first row number, runs `body`, checks
    /// that every record read was written or rejected and commits both files — or abandons
    /// both if anything throws.
    static func withOutputs(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration,
        _ body: (_ output: CSVWriter, _ rejects: CSVWriter, _ range: Range<Int>, _ firstNumber: Int,
                 _ summary: inout BatchSummary) throws -> Void
    ) throws -> BatchSummary {
        let rejectsPath = configuration.resolvedRejectsPath
        try checkDistinctFiles(input: input, configuration: configuration)
        let output = try CSVWriter(path: configuration.outputPath)
        let rejects: CSVWriter
        do {
            rejects = try CSVWriter(path: rejectsPath)
        } catch {
            output.abandon()
            throw error
        }
        do {
            try output.writeRow(outputColumns)
            try rejects.writeRow(input.columns + rejectColumnNames(input.columns))
            let (range, firstNumber) = try shardRange(input, configuration.shard, numbering: configuration.rowNumbering,
                                                      byteRange: configuration.byteRange)
            var summary = BatchSummary(read: 0, written: 0, rejected: 0, outputPath: configuration.outputPath,
                                       rejectsPath: rejectsPath, shard: configuration.shard, maxRejectRate: configuration.maxRejectRate)
            try body(output, rejects, range, firstNumber, &summary)
            precondition(summary.read == summary.written + summary.rejected, "BatchJob: a record was lost")
            try input.checkUnchanged()
            try output.commit()
            try rejects.commit()
            return summary
        } catch {
            output.abandon()
            rejects.abandon()
            throw error
        }
    }

    /// Runs a batch job that handles one record at a time: `transform` returns the output fields
    /// or a rejection (or throws a ``CSVRowError`` to reject the record with that message).
    public static func run(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress? = nil,
        transform: (CSVRow) throws -> BatchOutcome
    ) throws -> BatchSummary {
        try run(input: input, outputColumns: outputColumns, configuration: configuration, progress: progress,
                parse: transform, process: { $0 })
    }

    /// The byte range of the shard (the whole data without one) and the row number of its
    /// first record.
    public static func shardRange(_ input: CSVReader, _ shard: Shard?,
                           numbering: BatchConfiguration.RowNumbering = .file) throws -> (Range<Int>, Int) {
        try shardRange(input, shard, numbering: numbering, byteRange: nil)
    }

    /// As ``shardRange(_:_:numbering:)``; a given `byteRange` (a part cut by the caller) stands
    /// for the shard's and must come with `.withinShard` or `.from` numbering.
    static func shardRange(_ input: CSVReader, _ shard: Shard?, numbering: BatchConfiguration.RowNumbering,
                           byteRange: Range<Int>?) throws -> (Range<Int>, Int) {
        let headerRows = input.options.hasHeader ? 1 : 0
        if let byteRange {
            switch numbering {
            case .withinShard: return (byteRange, 1)
            case .from(let first): return (byteRange, first)
            case .file: preconditionFailure("BatchJob: a part's byte range needs its own row numbering")
            }
        }
        guard let shard else {
            if case .from(let first) = numbering { return (input.dataStart..<input.fileSize, first) }
            return (input.dataStart..<input.fileSize, headerRows + 1)
        }
        let parts = input.parts(shard.count)
        let range = parts[shard.index - 1]
        switch numbering {
        case .withinShard: return (range, 1)
        case .from(let first): return (range, first)
        case .file: break
        }
        var before = 0
        if range.lowerBound > input.dataStart {
            before = try input.forEachRow(in: input.dataStart..<range.lowerBound, firstNumber: 1) { _ in }.rows
        }
        return (range, headerRows + before + 1)
    }

    /// Names for the rejects file's extra columns that do not clash with the input's.
    static func rejectColumnNames(_ columns: [String]) -> [String] {
        ["row", "reason"].map { name in
            var candidate = name
            while columns.contains(candidate) { candidate = "_" + candidate }
            return candidate
        }
    }

    /// `fields` fitted to `columns` fields (see ``BatchJob``).
    static func shaped(_ fields: [String], columns: Int, delimiter: String) -> [String] {
        if fields.count == columns { return fields }
        if fields.count < columns { return fields + Array(repeating: "", count: columns - fields.count) }
        guard columns > 0 else { return [] }
        return Array(fields[..<(columns - 1)]) + [fields[(columns - 1)...].joined(separator: delimiter)]
    }

    /// A row error's message without the file and row (the rejects file has its own row column).
    static func reasonText(_ error: CSVRowError) -> String {
        error.column.map { "column '\($0)': \(error.reason)" } ?? error.reason
    }

    /// About how many bytes a record took in the file (for progress; quotes are not counted).
    static func approximateBytes(_ row: CSVRow) -> Int {
        var n = row.count  // delimiters and the line end
        for i in 0..<row.count { n += row.bytes(at: i).count }
        return n
    }
}

/// Where a pending record's raw fields sit in a ``RawFieldArena``.
struct RawFields {
    var firstBound: Int
    var count: Int
}

/// The raw fields of a batch's records, kept as bytes (one copy, no per-field allocation)
/// until a record is rejected and its text is needed for the rejects file. Raw buffers rather
/// than arrays: a class's array properties would cost an exclusivity check per append.
final class RawFieldArena {
    private var bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
    private var byteCapacity = 1 << 16
    private var byteCount = 0
    /// Start and end of each field in `bytes`.
    private var bounds = UnsafeMutablePointer<Int>.allocate(capacity: 1 << 12)
    private var boundCapacity = 1 << 12
    private var boundCount = 0

    deinit {
        bytes.deallocate()
        bounds.deallocate()
    }

    func append(_ row: CSVRow) -> RawFields {
        let first = boundCount
        var b = bytes, used = byteCount, bs = bounds, nb = boundCount
        if nb + 2 * row.count > boundCapacity {
            while nb + 2 * row.count > boundCapacity { boundCapacity *= 2 }
            let grown = UnsafeMutablePointer<Int>.allocate(capacity: boundCapacity)
            grown.update(from: bs, count: nb)
            bs.deallocate()
            bs = grown
            bounds = grown
        }
        for i in 0..<row.count {
            let field = row.bytes(at: i)
            if used + field.count > byteCapacity {
                while used + field.count > byteCapacity { byteCapacity *= 2 }
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: byteCapacity)
                grown.update(from: b, count: used)
                b.deallocate()
                b = grown
                bytes = grown
            }
            bs[nb] = used
            if let base = field.baseAddress, field.count > 0 { (b + used).update(from: base, count: field.count) }
            used += field.count
            bs[nb + 1] = used
            nb += 2
        }
        byteCount = used
        boundCount = nb
        return RawFields(firstBound: first, count: row.count)
    }

    func strings(_ fields: RawFields) -> [String] {
        (0..<fields.count).map { k in
            let start = bounds[fields.firstBound + 2 * k], end = bounds[fields.firstBound + 2 * k + 1]
            return String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
        }
    }

    func removeAll() {
        byteCount = 0
        boundCount = 0
    }
}
