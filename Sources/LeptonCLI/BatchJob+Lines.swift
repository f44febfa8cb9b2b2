import LeptonIO

extension BatchJob {
    /// Runs a batch job that writes each record's output as a ``CSVLine``, streaming: `encode`
    /// appends the record's output fields to the (cleared) line, or throws a ``CSVRowError`` to
    /// reject the record with that message (whatever it appended is dropped). Nothing is held
    /// back between records — no `String` or array per record on the way to the file — so
    /// this is the path for jobs that score millions of rows.
    ///
    /// The files, counts, row numbers and error handling are those of
    /// ``run(input:outputColumns:configuration:progress:parse:process:)``; tests check the two
    /// write the same bytes.
    public static func run(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress? = nil,
        encode: (CSVRow, inout CSVLine) throws -> Void
    ) throws -> BatchSummary {
        try runRecords(input: input, outputColumns: outputColumns, configuration: configuration, progress: progress) { row, line, write in
            line.clear()
            try encode(row, &line)
            try write(line)
        } finish: { _, _ in }
    }

    /// Runs a batch job whose worker encodes records a block at a time (``BlockBatchWorker``):
    /// `stage` takes each well-formed record, or throws a ``CSVRowError`` to reject it at once;
    /// every `capacity` staged records, and after the last, `flush` writes their lines in order.
    /// Rejects go to their file as they are found and outputs as their block is flushed, so both
    /// files keep the input's order and hold the bytes the record-at-a-time run writes.
    public static func run(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress? = nil,
        capacity: Int, stage: (CSVRow) throws -> Void, flush: (inout CSVLine, (CSVLine) throws -> Void) throws -> Void
    ) throws -> BatchSummary {
        precondition(capacity > 0, "a block holds at least one record")
        var staged = 0
        func flushStaged(_ line: inout CSVLine, _ write: (CSVLine) throws -> Void) throws {
            guard staged > 0 else { return }
            staged = 0
            do {
                try withoutActuallyEscaping(write) { write in try flush(&line, write) }
            } catch let error as CSVRowError {
                // A record is rejected when staged, never later: its block's other records would be lost.
                throw BatchWorkerError(message: "a worker rejected a record after staging it (\(reasonText(error)))")
            }
        }
        return try runRecords(input: input, outputColumns: outputColumns, configuration: configuration, progress: progress) { row, line, write in
            try stage(row)
            staged += 1
            if staged == capacity { try flushStaged(&line, write) }
        } finish: { line, write in
            try flushStaged(&line, write)
        }
    }

    /// The loop both runs share: reads every record of the job's range, rejects malformed ones and
    /// those `handle` throws a ``CSVRowError`` for, counts what it reads, writes and rejects, and
    /// reports progress. `handle` and `finish` write output lines through the function they are given.
    private static func runRecords(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress?,
        handle: (CSVRow, inout CSVLine, (CSVLine) throws -> Void) throws -> Void,
        finish: (inout CSVLine, (CSVLine) throws -> Void) throws -> Void
    ) throws -> BatchSummary {
        try withOutputs(input: input, outputColumns: outputColumns, configuration: configuration) {
            output, rejects, range, firstNumber, summary in
            let columns = input.columns.count
            let delimiter = String(UnicodeScalar(input.options.delimiter))
            let totalBytes = max(range.count, 1)
            var line = CSVLine(delimiter: output.delimiter)
            defer { line.deallocate() }
            var read = 0, written = 0, rejected = 0, bytesSeen = 0

            func reject(_ row: CSVRow, _ reason: String) throws {
                try rejects.writeRow(shaped(row.rawFields, columns: columns, delimiter: delimiter) + [String(row.number), reason])
                rejected += 1
            }
            func write(_ line: CSVLine) throws {
                try output.write(line: line)
                written += 1
            }

            let counts = try input.forEachRow(in: range, firstNumber: firstNumber) { row in
                read += 1
                if let problem = row.problem {
                    try reject(row, "malformed record: \(problem)")
                } else {
                    do {
                        try handle(row, &line, write)
                    } catch let error as CSVRowError {
                        try reject(row, reasonText(error))
                    }
                }
                if read & 255 == 0 {
                    // Progress is approximate: this record's size stands for the last 256.
                    bytesSeen += 256 * approximateBytes(row)
                    progress?.update(items: read, fraction: min(1, Double(bytesSeen) / Double(totalBytes)))
                }
            }
            try finish(&line, write)
            summary.read = read
            summary.written = written
            summary.rejected = rejected
            summary.endedBetweenRecords = counts.endedBetweenRecords
            progress?.update(items: read, fraction: 1)
            progress?.finish()
        }
    }
}

/// A worker broke the block contract (see ``BlockBatchWorker``); the job stops.
struct BatchWorkerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
