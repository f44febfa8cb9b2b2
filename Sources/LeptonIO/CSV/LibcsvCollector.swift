internal import CCSV

/// Collects libcsv's field and row callbacks into flat buffers, so that rows can be handed to
/// Swift after `csv_parse` returns (no Swift closure is called from inside C, and nothing
/// can throw through it).
///
/// The callbacks receive a pointer to a plain struct of raw buffers (PLATFORM-NOTES: no
/// class reference, so no reference counting or exclusivity checks per field).
final class LibcsvCollector {
    struct PendingRow {
        var firstBound: Int
        var fieldCount: Int
        var problem: CSVRowProblem?
    }

    /// Everything the C callbacks touch: trivial values and raw buffers only.
    struct State {
        var bytes: UnsafeMutablePointer<UInt8>
        var byteCapacity: Int
        var byteCount = 0
        var bounds: UnsafeMutablePointer<Int>
        var boundCapacity: Int
        var boundCount = 0
        var rows: UnsafeMutablePointer<PendingRow>
        var rowCapacity: Int
        var rowCount = 0
        var rowStartBound = 0
        var rowStartByte = 0
        var rowProblem: CSVRowProblem?
        let maxFieldBytes: Int
        let maxRowBytes: Int

        mutating func addField(_ field: UnsafeRawPointer?, _ length: Int) {
            var length = length
            if length > maxFieldBytes {
                if rowProblem == nil { rowProblem = .fieldTooLong(limit: maxFieldBytes) }
                length = 0
            }
            if byteCount - rowStartByte + length > maxRowBytes {
                if rowProblem == nil { rowProblem = .rowTooLong(limit: maxRowBytes) }
                length = 0
            }
            if byteCount + length > byteCapacity { growBytes(byteCount + length) }
            if length > 0, let field {
                (bytes + byteCount).update(from: field.assumingMemoryBound(to: UInt8.self), count: length)
            }
            if boundCount + 2 > boundCapacity { grow(&bounds, &boundCapacity, keeping: boundCount) }
            bounds[boundCount] = byteCount
            bounds[boundCount + 1] = byteCount + length
            boundCount += 2
            byteCount += length
        }

        mutating func endRow(problem: CSVRowProblem? = nil) {
            if rowCount == rowCapacity { grow(&rows, &rowCapacity, keeping: rowCount) }
            rows[rowCount] = PendingRow(firstBound: rowStartBound, fieldCount: (boundCount - rowStartBound) / 2,
                                        problem: rowProblem ?? problem)
            rowCount += 1
            rowStartBound = boundCount
            rowStartByte = byteCount
            rowProblem = nil
        }

        private mutating func growBytes(_ needed: Int) {
            var newCapacity = byteCapacity * 2
            while newCapacity < needed { newCapacity *= 2 }
            bytes = bytes.movedToAllocation(capacity: newCapacity, count: byteCount)
            byteCapacity = newCapacity
        }

        private func grow<T>(_ buffer: inout UnsafeMutablePointer<T>, _ capacity: inout Int, keeping count: Int) {
            buffer = buffer.movedToAllocation(capacity: capacity * 2, count: count)
            capacity *= 2
        }
    }

    /// Owned by this collector; handed to libcsv as the callbacks' `void *`.
    let state: UnsafeMutablePointer<State>

    init(maxFieldBytes: Int, maxRowBytes: Int) {
        state = .allocate(capacity: 1)
        state.initialize(to: State(bytes: .allocate(capacity: 1 << 16), byteCapacity: 1 << 16,
                                   bounds: .allocate(capacity: 1 << 12), boundCapacity: 1 << 12,
                                   rows: .allocate(capacity: 256), rowCapacity: 256,
                                   maxFieldBytes: maxFieldBytes, maxRowBytes: maxRowBytes))
    }

    deinit {
        state.pointee.bytes.deallocate()
        state.pointee.bounds.deallocate()
        state.pointee.rows.deinitialize(count: state.pointee.rowCount)
        state.pointee.rows.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    var bytes: UnsafePointer<UInt8> { UnsafePointer(state.pointee.bytes) }
    var bounds: UnsafePointer<Int> { UnsafePointer(state.pointee.bounds) }
    /// Completed rows not yet delivered.
    var rowCount: Int { state.pointee.rowCount }
    func row(_ k: Int) -> PendingRow { state.pointee.rows[k] }

    var rowProblem: CSVRowProblem? {
        get { state.pointee.rowProblem }
        set { state.pointee.rowProblem = newValue }
    }

    /// Whether a row has fields collected but not yet ended.
    var hasPartialRow: Bool { state.pointee.boundCount > state.pointee.rowStartBound || state.pointee.rowProblem != nil }

    func endRow() { state.pointee.endRow() }

    /// Forgets delivered rows, keeping the partial row (moved to the front of the buffers).
    func discardDeliveredRows() {
        let s = state
        s.pointee.rowCount = 0
        let partialBounds = s.pointee.boundCount - s.pointee.rowStartBound
        let partialBytes = s.pointee.byteCount - s.pointee.rowStartByte
        if s.pointee.rowStartByte > 0 {
            s.pointee.bytes.update(from: s.pointee.bytes + s.pointee.rowStartByte, count: partialBytes)
        }
        for i in 0..<partialBounds {
            s.pointee.bounds[i] = s.pointee.bounds[s.pointee.rowStartBound + i] - s.pointee.rowStartByte
        }
        s.pointee.boundCount = partialBounds
        s.pointee.byteCount = partialBytes
        s.pointee.rowStartBound = 0
        s.pointee.rowStartByte = 0
    }

    // MARK: - C callbacks (non-capturing; the state arrives through the `void *` argument)

    static let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = {
        field, length, context in
        context!.assumingMemoryBound(to: State.self).pointee.addField(field, length)
    }

    static let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
        context!.assumingMemoryBound(to: State.self).pointee.endRow()
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

    /// Where the parser stands inside the current record, for skipping the rest of it: inside a
    /// quoted field (libcsv's FIELD_BEGUN with `quoted`), just after a quote in one
    /// (FIELD_MIGHT_HAVE_ENDED), or outside quotes.
    var skipState: CSVRecordSkipper.State {
        switch (parser.pstate, parser.quoted != 0) {
        case (2, true): return .inQuotes
        case (3, _): return .quoteInQuotes
        case (0, _), (1, _): return .unquoted(atFieldStart: true)
        default: return .unquoted(atFieldStart: false)
        }
    }

    /// Bytes of the field being accumulated inside libcsv.
    var pendingFieldBytes: Int { parser.entry_pos }

    /// Feeds bytes; returns how many were consumed (fewer than given only on a parse error).
    func parse(_ data: UnsafeRawPointer, _ count: Int) -> Int {
        let context = UnsafeMutableRawPointer(collector.state)
        return csv_parse(&parser, data, count, LibcsvCollector.fieldCallback, LibcsvCollector.rowCallback, context)
    }

    /// Ends the input. Returns false when the last field was quoted and never closed.
    func finish() -> Bool {
        let context = UnsafeMutableRawPointer(collector.state)
        return csv_fini(&parser, LibcsvCollector.fieldCallback, LibcsvCollector.rowCallback, context) == LEPTON_CSV_SUCCESS
    }
}
