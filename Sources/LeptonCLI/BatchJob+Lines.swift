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

            let counts = try input.forEachRow(in: range, firstNumber: firstNumber) { row in
                read += 1
                if let problem = row.problem {
                    try reject(row, "malformed record: \(problem)")
                } else {
                    line.clear()
                    do {
                        try encode(row, &line)
                        try output.write(line: line)
                        written += 1
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
            summary.read = read
            summary.written = written
            summary.rejected = rejected
            summary.endedBetweenRecords = counts.endedBetweenRecords
            progress?.update(items: read, fraction: 1)
            progress?.finish()
        }
    }
}
