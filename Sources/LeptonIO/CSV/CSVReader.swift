#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Streams the records of a CSV file through libcsv in strict mode, in constant memory.
///
/// ```swift
/// let reader = try CSVReader(path: "loans.csv")
/// let amount = try reader.context.index(of: "amount")
/// let counts = try reader.forEachRow { row in
///     if let error = row.problemError { rejects.append(error); return }
///     let value = try row.double(at: amount)   // throws CSVRowError naming file, row, column
/// }
/// ```
/// Malformed records (wrong field count, bad quoting, over-long fields) are handed over with
/// ``CSVRow/problem`` set and reading goes on, so callers can route them to a rejects file.
/// Several cores: ``parts(_:)`` splits the data at record boundaries (quote-aware) and
/// ``forEachRowInParallel(parts:_:)`` reads the parts concurrently.
public final class CSVReader: Sendable {
    public let context: CSVContext
    public let options: CSVOptions
    /// Size of the file in bytes.
    public let fileSize: Int
    /// Byte offset of the first data record (after the BOM and header).
    public let dataStart: Int
    private let fd: Int32

    /// Column names from the header (or `column1`, … when `hasHeader` is false).
    public var columns: [String] { context.columns }
    public var path: String { context.path }

    /// Opens `path` and reads its header.
    ///
    /// - Throws: ``CSVFileError`` when the file cannot be opened, is empty, or its header
    ///   repeats a column name or is malformed.
    public init(path: String, options: CSVOptions = CSVOptions()) throws {
        self.options = options
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVFileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CSVFileError.cannotOpen(path: path, reason: "not a regular file")
        }
        self.fd = fd
        fileSize = Int(info.st_size)
        // The first record ends within the row limit, or the file is refused without reading on
        // (a 10 GB file of NUL bytes took a minute to be refused when the search went to its end).
        let scanLimit = min(fileSize, options.maxRowBytes + 2)
        let headerEnd = CSVBoundaries.recordStart(atOrAfter: 0, countingQuotesFrom: 0, fd: fd, fileSize: scanLimit)
        if headerEnd == scanLimit && scanLimit < fileSize {
            close(fd)
            throw CSVFileError.badHeader(path: path, reason: "no end of the first row in its first \(options.maxRowBytes) bytes")
        }
        var firstRecord: [String]?
        var headerProblem: CSVRowProblem?
        var invalidColumn: Int?
        let reader = CSVRangeReader(fd: fd, path: path, start: 0, end: headerEnd, options: options, skipByteOrderMark: true)
        do {
            _ = try reader.forEachRecord { base, bounds, count, problem, _ in
                headerProblem = problem
                firstRecord = (0..<count).map { i in
                    let bytes = UnsafeBufferPointer(start: base + bounds[2 * i], count: bounds[2 * i + 1] - bounds[2 * i])
                    guard let name = String(validating: bytes, as: UTF8.self) else {
                        if invalidColumn == nil { invalidColumn = i + 1 }
                        return ""
                    }
                    return name
                }
                return false
            }
        } catch {
            close(fd)
            throw error
        }
        guard let firstRecord else {
            close(fd)
            throw CSVFileError.empty(path: path)
        }
        if let headerProblem {
            close(fd)
            throw CSVFileError.badHeader(path: path, reason: "\(headerProblem)")
        }
        if firstRecord.count > options.maxColumns {
            close(fd)
            throw CSVFileError.tooManyColumns(path: path, count: firstRecord.count, limit: options.maxColumns)
        }
        // Only a header's names: data fields are checked when they are read as text.
        if options.hasHeader, let invalidColumn {
            close(fd)
            throw CSVFileError.headerNotUTF8(path: path, column: invalidColumn)
        }
        let columns: [String]
        if options.hasHeader {
            columns = firstRecord
            var seen = Set<String>()
            for name in columns where !seen.insert(name).inserted {
                close(fd)
                throw CSVFileError.duplicateColumn(path: path, name: name)
            }
            dataStart = headerEnd
        } else {
            columns = (1...max(firstRecord.count, 1)).map { "column\($0)" }
            dataStart = 0
        }
        context = CSVContext(path: path, columns: columns, missingTokens: options.missingTokenBytes)
    }

    deinit { close(fd) }

    /// The open file's size now (nil if it cannot be asked).
    func currentSize() -> Int? {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Counts of one read.
    public struct Counts: Sendable, Equatable {
        /// Data records read (the header excluded; blank lines are not records).
        public var rows = 0
        /// Of those, records handed over with a problem.
        public var malformed = 0
        /// Whether the range ended between records. A part cut by quote parity can end inside
        /// what the reader parses as a record when quoting is malformed (a stray quote flips the
        /// parity); the next part then reads differently than a sequential read would.
        public internal(set) var endedBetweenRecords = true
    }

    /// Calls `body` with every data record in file order.
    @discardableResult
    public func forEachRow(_ body: (CSVRow) throws -> Void) throws -> Counts {
        try forEachRow(in: dataStart..<fileSize, firstNumber: options.hasHeader ? 2 : 1, body)
    }

    /// `count` disjoint byte ranges that together cover the data, each starting at a record
    /// boundary (quote-aware), found in one pass over the file up to the last cut. Parts may
    /// be empty when the file is small.
    public func parts(_ count: Int) -> [Range<Int>] {
        precondition(count >= 1, "parts: count must be at least 1")
        let targets = (1..<count).map { dataStart + (fileSize - dataStart) * $0 / count }
        var starts = [dataStart]
        for start in CSVBoundaries.recordStarts(atOrAfter: targets, countingQuotesFrom: dataStart, fd: fd, fileSize: fileSize) {
            starts.append(max(start, starts.last!))
        }
        starts.append(fileSize)
        return (0..<count).map { starts[$0]..<starts[$0 + 1] }
    }

    /// As ``parts(_:)`` but cut at the first line end after each target without reading the
    /// file before it: the cuts are record boundaries only when an even number of quote
    /// characters precede each one, which the caller must check (``readRange(_:firstNumber:lineHook:countQuotes:_:)``
    /// counts them) and otherwise read ``parts(_:)`` instead.
    func partsIgnoringQuotes(_ count: Int) -> [Range<Int>] {
        precondition(count >= 1, "parts: count must be at least 1")
        let targets = (1..<count).map { dataStart + (fileSize - dataStart) * $0 / count }
        var starts = [dataStart]
        for start in CSVBoundaries.lineStarts(atOrAfter: targets, fd: fd, fileSize: fileSize) {
            starts.append(max(start, starts.last!))
        }
        starts.append(fileSize)
        return (0..<count).map { starts[$0]..<starts[$0 + 1] }
    }

    /// The data from its start to the first record boundary at or after `bytes` bytes into it:
    /// a sample of the first records.
    func sampleRange(bytes: Int) -> Range<Int> {
        let target = min(fileSize, dataStart + bytes)
        guard target < fileSize else { return dataStart..<fileSize }
        return dataStart..<CSVBoundaries.recordStart(atOrAfter: target, countingQuotesFrom: dataStart, fd: fd, fileSize: fileSize)
    }

    /// Calls `body` with every record in `range` (one of ``parts(_:)``). Row numbers count from
    /// `firstNumber` within the range.
    @discardableResult
    public func forEachRow(in range: Range<Int>, firstNumber: Int = 1, _ body: (CSVRow) throws -> Void) throws -> Counts {
        try forEachRow(in: range, firstNumber: firstNumber, lineHook: nil, body)
    }

    /// As ``forEachRow(in:firstNumber:_:)``, with a specialised parser tried first on quote-free lines.
    func forEachRow(in range: Range<Int>, firstNumber: Int, lineHook: CSVRangeReader.LineHook?,
                    _ body: (CSVRow) throws -> Void) throws -> Counts {
        try readRange(range, firstNumber: firstNumber, lineHook: lineHook, countQuotes: false, body).counts
    }

    /// As ``forEachRow(in:firstNumber:lineHook:_:)``, also counting the range's quote characters
    /// when `countQuotes` is set (0 otherwise).
    func readRange(_ range: Range<Int>, firstNumber: Int, lineHook: CSVRangeReader.LineHook?, countQuotes: Bool,
                   _ body: (CSVRow) throws -> Void) throws -> (counts: Counts, quotes: Int) {
        var malformed = 0
        let expected = context.columns.count
        var reader = CSVRangeReader(fd: fd, path: context.path, start: range.lowerBound, end: range.upperBound,
                                    options: options, skipByteOrderMark: range.lowerBound == 0)
        reader.lineHook = lineHook
        reader.countQuotes = countQuotes
        let read = try reader.forEachRecord { base, bounds, fieldCount, problem, ordinal in
            var problem = problem
            if problem == nil, fieldCount != expected { problem = .wrongFieldCount(expected: expected, found: fieldCount) }
            if problem != nil { malformed += 1 }
            let row = CSVRow(base: base, bounds: bounds, count: fieldCount, number: firstNumber + ordinal - 1,
                             problem: problem, context: context)
            try body(row)
            return true
        }
        return (Counts(rows: read.records, malformed: malformed, endedBetweenRecords: read.endedBetweenRecords), read.quotes)
    }

    /// Reads `parts` ranges concurrently; `body(part, rows)` runs once per part on its own
    /// thread and returns that part's result. Results come back in part order.
    /// Row numbers inside a part count from 1; add the earlier parts' `Counts.rows` for file rows.
    /// The parts are cut quote-aware; with malformed quoting a part can still end inside a
    /// record (``Counts/endedBetweenRecords`` says so) — ``readInParts(first:ranges:read:)``
    /// applies the fallback that makes a parted read equal a sequential one.
    public func forEachRowInParallel<Result: Sendable>(
        parts count: Int,
        _ body: @Sendable (_ part: Int, _ forEachRow: (_ rowBody: (CSVRow) throws -> Void) throws -> Counts) throws -> Result
    ) throws -> [Result] {
        let ranges = parts(count)
        // Map returns only when every part is done, so `body` does not outlive this call.
        return try withoutActuallyEscaping(body) { body in
            try Parallel.map(count, threads: count) { k in
                try body(k) { rowBody in try self.forEachRow(in: ranges[k], firstNumber: 1, lineHook: nil, rowBody) }
            }
        }
    }
}

/// One slot per concurrent iteration; each iteration writes only its own slot.
final class UnsafeResultBox<Value: Sendable>: Sendable {
    private let slots: Protected<[Swift.Result<Value, any Error>?]>
    init(count: Int) { slots = Protected(Array(repeating: nil, count: count)) }
    func set(_ index: Int, _ value: Swift.Result<Value, any Error>) {
        slots.withLock { $0[index] = value }
    }
    var values: [Swift.Result<Value, any Error>?] { slots.withLock { $0 } }
}
