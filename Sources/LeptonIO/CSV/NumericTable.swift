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

    /// Parts per core in a parallel read. More parts balance cores slowed by other work, but
    /// on the 100 MB benchmark 2 and 4 per core measured no better than 1 (each part has its
    /// own buffers and columns to set up and join).
    static let partsPerWorker = 1

    /// Reads the named columns (all when `columns` is nil) of `path` using `threads` cores.
    ///
    /// With several cores the file is cut into ``partsPerWorker`` parts per core, taken from a
    /// shared counter. The cuts are made at the first line end after evenly spaced offsets,
    /// without a serial pass over the file to track quotes; each part counts its quote
    /// characters, and if an odd number precede any cut (a cut inside a quoted field) the file
    /// is read again cut quote-aware (``CSVReader/parts(_:)``). Quote parity is not what libcsv
    /// parses when quoting is malformed (a stray quote in `1,2"3` flips it, so a later quoted
    /// line break can look like a record end): when a part other than the last still ends
    /// inside what the reader takes as a record, the file is read whole on one core. A part
    /// that ends between records leaves the next one exactly where a sequential read stands,
    /// so any file reads as it would on one core.
    public static func read(path: String, columns selected: [String]? = nil, threads: Int = ThreadCount.auto.resolved,
                            options: CSVOptions = CSVOptions()) throws -> NumericTable {
        let reader = try CSVReader(path: path, options: options)
        let names = selected ?? reader.columns
        let indices = try names.map { try reader.context.index(of: $0) }
        let workers = max(1, threads)
        let partCount = workers == 1 ? 1 : partsPerWorker * workers
        let parts = try reader.readInParts(first: partCount > 1 ? .lineEnds : .whole,
                                           ranges: { reader.partRanges(partCount, cuts: $0) }) { ranges, countQuotes in
            try readParts(reader, ranges, workers: workers, indices: indices, countQuotes: countQuotes)
        }.parts
        let values = join(parts, width: indices.count)
        let rejected = CSVRowError.inFileRows(parts.map { ($0.rejected, $0.rowsRead) }, hasHeader: options.hasHeader)
        return NumericTable(columns: names, values: values, rejected: rejected, rowsRead: parts.reduce(0) { $0 + $1.rowsRead })
    }
}
