internal import CCSV

/// Collects libcsv's field and row callbacks into flat buffers, so that rows can be handed to
/// Swift after `csv_parse` returns (no Swift closure is called from inside C, and nothing
/// can throw through it).
final class LibcsvCollector {
    struct PendingRow {
        var firstBound: Int
        var fieldCount: Int
        var problem: CSVRowProblem?
    }

    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private var byteCapacity = 1 << 16
    private var byteCount = 0
    private(set) var bounds: UnsafeMutablePointer<Int>
    private var boundCapacity = 1 << 12
    private var boundCount = 0
    /// Completed rows, in order, not yet delivered.
    var rows: [PendingRow] = []
    private var rowStartBound = 0
    private var rowStartByte = 0
    var rowProblem: CSVRowProblem?
    let maxFieldBytes: Int
    let maxRowBytes: Int

    init(maxFieldBytes: Int, maxRowBytes: Int) {
        self.maxFieldBytes = maxFieldBytes
        self.maxRowBytes = maxRowBytes
        bytes = .allocate(capacity: byteCapacity)
        bounds = .allocate(capacity: boundCapacity)
    }

    deinit {
        bytes.deallocate()
        bounds.deallocate()
    }

    /// Whether a row has fields collected but not yet ended.
    var hasPartialRow: Bool { boundCount > rowStartBound || rowProblem != nil }

    func addField(_ field: UnsafeRawPointer?, _ length: Int) {
        var length = length
        if length > maxFieldBytes {
            if rowProblem == nil { rowProblem = .fieldTooLong(limit: maxFieldBytes) }
            length = 0
        }
        if byteCount - rowStartByte + length > maxRowBytes {
            if rowProblem == nil { rowProblem = .rowTooLong(limit: maxRowBytes) }
            length = 0
        }
        reserveBytes(length)
        if length > 0, let field {
            (bytes + byteCount).update(from: field.assumingMemoryBound(to: UInt8.self), count: length)
        }
        if boundCount + 2 > boundCapacity { growBounds() }
        bounds[boundCount] = byteCount
        bounds[boundCount + 1] = byteCount + length
        boundCount += 2
        byteCount += length
    }

    func endRow(problem: CSVRowProblem? = nil) {
        let fieldCount = (boundCount - rowStartBound) / 2
        rows.append(PendingRow(firstBound: rowStartBound, fieldCount: fieldCount, problem: rowProblem ?? problem))
        rowStartBound = boundCount
        rowStartByte = byteCount
        rowProblem = nil
    }

    /// Forgets delivered rows, keeping the partial row (moved to the front of the buffers).
    func discardDeliveredRows() {
        rows.removeAll(keepingCapacity: true)
        let partialBounds = boundCount - rowStartBound
        let partialBytes = byteCount - rowStartByte
        if rowStartByte > 0 { bytes.update(from: bytes + rowStartByte, count: partialBytes) }
        for i in 0..<partialBounds { bounds[i] = bounds[rowStartBound + i] - rowStartByte }
        boundCount = partialBounds
        byteCount = partialBytes
        rowStartBound = 0
        rowStartByte = 0
    }

    private func reserveBytes(_ extra: Int) {
        guard byteCount + extra > byteCapacity else { return }
        var newCapacity = byteCapacity * 2
        while newCapacity < byteCount + extra { newCapacity *= 2 }
        let newBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBytes.update(from: bytes, count: byteCount)
        bytes.deallocate()
        bytes = newBytes
        byteCapacity = newCapacity
    }

    private func growBounds() {
        let newBounds = UnsafeMutablePointer<Int>.allocate(capacity: boundCapacity * 2)
        newBounds.update(from: bounds, count: boundCount)
        bounds.deallocate()
        bounds = newBounds
        boundCapacity *= 2
    }

    // MARK: - C callbacks (non-capturing; the collector arrives through the `void *` argument)

    static let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = {
        field, length, context in
        Unmanaged<LibcsvCollector>.fromOpaque(context!).takeUnretainedValue().addField(field, length)
    }

    static let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
        Unmanaged<LibcsvCollector>.fromOpaque(context!).takeUnretainedValue().endRow()
    }
}

/// A libcsv parser in strict mode, owned by Swift.
final class LibcsvParser {
    private var parser = csv_parser()
    let collector: LibcsvCollector
    private let delimiter: UInt8

    init(delimiter: UInt8, collector: LibcsvCollector) {
        self.delimiter = delimiter
        self.collector = collector
        reset(first: true)
    }

    deinit { csv_free(&parser) }

    /// Starts afresh, as after a parse error.
    func reset(first: Bool = false) {
        if !first { csv_free(&parser) }
        precondition(csv_init(&parser, LEPTON_CSV_OPTIONS) == 0, "libcsv: csv_init failed (out of memory)")
        csv_set_delim(&parser, delimiter)
    }

    /// True when the parser is between records.
    var atRecordBoundary: Bool { parser.pstate == 0 && parser.entry_pos == 0 && !collector.hasPartialRow }

    /// Bytes of the field being accumulated inside libcsv.
    var pendingFieldBytes: Int { parser.entry_pos }

    /// Feeds bytes; returns how many were consumed (fewer than given only on a parse error).
    func parse(_ data: UnsafeRawPointer, _ count: Int) -> Int {
        let context = Unmanaged.passUnretained(collector).toOpaque()
        return csv_parse(&parser, data, count, LibcsvCollector.fieldCallback, LibcsvCollector.rowCallback, context)
    }

    /// Ends the input. Returns false when the last field was quoted and never closed.
    func finish() -> Bool {
        let context = Unmanaged.passUnretained(collector).toOpaque()
        return csv_fini(&parser, LibcsvCollector.fieldCallback, LibcsvCollector.rowCallback, context) == LEPTON_CSV_SUCCESS
    }
}
