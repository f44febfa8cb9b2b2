import Dispatch
import Synchronization

/// How ``NumericTable`` reads parts of a file on several cores and joins them.
extension NumericTable {
    /// Reads `ranges` on `workers` threads, each taking the next unread part until none is left;
    /// results in part order.
    static func readParts(_ reader: CSVReader, _ ranges: [Range<Int>], workers: Int, indices: [Int],
                          countQuotes: Bool) throws -> [NumericPart] {
        try Parallel.map(ranges.count, threads: workers) { k in
            try readPart(reader, range: ranges[k], indices: indices, countQuotes: countQuotes)
        }
    }

    /// One Swift array per column from the parts' columns, in part order, on the calling thread.
    /// (Copying on the reading threads measured no better: arrays allocated there come from
    /// their own allocator arenas, on fresh pages.)
    static func join(_ parts: [NumericPart], width: Int) -> [[Float]] {
        let total = parts.reduce(0) { $0 + $1.columns.rows }
        return (0..<width).map { c in
            [Float](writingEvery: total) { column in
                var r = 0
                for part in parts {
                    // Safe: each part's column c holds `rows` written floats.
                    let rows = part.columns.rows
                    if let source = part.columns.pointers[c] {
                        (column.baseAddress! + r).update(from: source, count: rows)
                    }
                    r += rows
                }
            }
        }
    }

    /// One part's rows.
    struct NumericPart: CSVPartResult, @unchecked Sendable {
        /// Owned by this part alone once its thread is done.
        var columns: FloatColumns
        var rejected: [CSVRowError]
        var rowsRead: Int
        /// Quote characters in the part's bytes (when counted).
        var quotes: Int
        /// Whether the part ended between records as the reader parsed it (see
        /// ``CSVReader/Counts/endedBetweenRecords``): when it did not, the next part does not
        /// start where a sequential read would start a record.
        var endedBetweenRecords: Bool
    }

    /// Reads one part: plain lines through the kernel, the others through the general path.
    private static func readPart(_ reader: CSVReader, range: Range<Int>, indices: [Int], countQuotes: Bool) throws -> NumericPart {
        let width = indices.count
        var slots = [Int](repeating: -1, count: reader.columns.count)
        for (k, i) in indices.enumerated() { slots[i] = k }
        // A first guess of the row count from the bytes (at least 4 per field); growth is cheap.
        let columns = FloatColumns(width: width, expectedRows: min(range.count / (4 * max(slots.count, 1)), 1 << 24))
        var rejected: [CSVRowError] = []
        precondition(PlainNumberLine.readAhead <= CSVRangeReader.hookReadAhead, "the kernel reads past what the reader pads")
        let kernel = PlainNumberLine(fieldCount: reader.columns.count, slots: slots,
                                     delimiter: reader.options.delimiter, maxRowBytes: reader.options.maxRowBytes)
        // The kernel must not take a field the general path would call missing.
        let hook: CSVRangeReader.LineHook? = reader.context.hasNumericMissingToken ? nil : { data, start, end in
            kernel.parseLines(data, start, end, into: columns)
        }
        var staged = [Float](repeating: 0, count: width)
        let (counts, quotes) = try reader.readRange(range, firstNumber: 1, lineHook: hook, countQuotes: countQuotes) { row in
            if let error = row.problemError {
                rejected.append(error)
                return
            }
            do {
                for (k, i) in indices.enumerated() { staged[k] = try row.float(at: i) ?? .nan }
            } catch let error as CSVRowError {
                rejected.append(error)
                return
            }
            let r = columns.appendRow()
            for k in 0..<width { columns.pointers[k]![r] = staged[k] }
        }
        return NumericPart(columns: columns, rejected: rejected, rowsRead: counts.rows, quotes: quotes,
                           endedBetweenRecords: counts.endedBetweenRecords)
    }
}
