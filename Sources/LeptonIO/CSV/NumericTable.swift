import Dispatch
import Synchronization

/// A numeric CSV read into one Float32 array per column, on one or more cores.
///
/// Rows that are malformed or hold a non-number are left out and listed in ``rejected`` with
/// their file row number, column and reason; missing tokens become `Float.nan`.
///
/// Quote-free lines made only of plain numbers (`-12.5`, `3e-4`, no spaces) are parsed by a
/// one-pass kernel straight into the output; every other line goes through the general reader.
/// Both give the same values bit for bit (tested against libcsv with the fast path off).
public struct NumericTable: Sendable {
    /// Column names, in file order (or the selected columns, in the order asked).
    public let columns: [String]
    /// `values[c][r]`: column c, row r (rows in file order).
    public let values: [[Float]]
    /// Rows left out, with why.
    public let rejected: [CSVRowError]
    /// Data rows read, kept or not.
    public let rowsRead: Int

    public var rowCount: Int { values.first?.count ?? 0 }

    /// Reads the named columns (all when `columns` is nil) of `path` using `threads` cores.
    public static func read(path: String, columns selected: [String]? = nil, threads: Int = 1,
                            options: CSVOptions = CSVOptions()) throws -> NumericTable {
        let reader = try CSVReader(path: path, options: options)
        let names = selected ?? reader.columns
        let indices = try names.map { try reader.context.index(of: $0) }
        let ranges = reader.parts(max(1, threads))
        let results = UnsafeResultBox<NumericPart>(count: ranges.count)
        DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
            results.set(k, Result { try readPart(reader, range: ranges[k], indices: indices) })
        }
        let parts = try results.values.map { try $0!.get() }
        // Join the parts (one copy into Swift arrays).
        let width = indices.count
        let total = parts.reduce(0) { $0 + $1.columns.rows }
        var values = [[Float]](repeating: [], count: width)
        for c in 0..<width {
            values[c] = [Float](unsafeUninitializedCapacity: total) { column, initialized in
                var r = 0
                for part in parts {
                    // Safe: each part's column c holds `part.columns.rows` written floats.
                    if let source = part.columns.pointers[c] {
                        (column.baseAddress! + r).update(from: source, count: part.columns.rows)
                    }
                    r += part.columns.rows
                }
                initialized = total
            }
        }
        var rejected: [CSVRowError] = []
        var rowsBefore = options.hasHeader ? 1 : 0
        for part in parts {
            rejected += part.rejected.map {
                CSVRowError(path: $0.path, row: $0.row + rowsBefore, column: $0.column, reason: $0.reason)
            }
            rowsBefore += part.rowsRead
        }
        return NumericTable(columns: names, values: values, rejected: rejected, rowsRead: rowsBefore - (options.hasHeader ? 1 : 0))
    }

    /// One part's rows.
    private struct NumericPart: @unchecked Sendable {
        /// Owned by this part alone once its thread is done.
        var columns: FloatColumns
        var rejected: [CSVRowError]
        var rowsRead: Int
    }

    private static func readPart(_ reader: CSVReader, range: Range<Int>, indices: [Int]) throws -> NumericPart {
        let width = indices.count
        var slots = [Int](repeating: -1, count: reader.columns.count)
        for (k, i) in indices.enumerated() { slots[i] = k }
        // A first guess of the row count from the bytes (at least 4 per field); growth is cheap.
        let columns = FloatColumns(width: width, expectedRows: min(range.count / (4 * max(slots.count, 1)), 1 << 24))
        var rejected: [CSVRowError] = []
        let kernel = PlainNumberLine(fieldCount: reader.columns.count, slots: slots,
                                     delimiter: reader.options.delimiter, maxRowBytes: reader.options.maxRowBytes)
        // The kernel must not take a field the general path would call missing.
        let hook: CSVRangeReader.LineHook? = reader.context.hasNumericMissingToken ? nil : { data, start, end in
            kernel.parseLines(data, start, end, into: columns)
        }
        var staged = [Float](repeating: 0, count: width)
        let counts = try reader.forEachRow(in: range, firstNumber: 1, lineHook: hook) { row in
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
        return NumericPart(columns: columns, rejected: rejected, rowsRead: counts.rows)
    }
}
