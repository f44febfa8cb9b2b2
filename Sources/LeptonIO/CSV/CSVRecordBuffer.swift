/// Records made in memory rather than read from a file — a JSON request's fields, say — handed
/// to code written for ``CSVRow`` (a domain's ``BatchWorker``), so that a record scored over
/// HTTP goes through exactly the code a batch file's record does.
///
/// ```swift
/// let buffer = CSVRecordBuffer(source: "request", columns: ["age", "income"])
/// try buffer.withRow(fields: ["42", ""], number: 1) { row in try worker.encode(row, into: &line) }
/// ```
/// Fields are raw values (no CSV quoting); a field equal to a missing-value token of `options`
/// (the empty field among them) reads as missing, as it would in a file. Not thread-safe: one per thread.
public final class CSVRecordBuffer {
    /// The columns every row made here has, in order.
    public let context: CSVContext
    private var bytes: [UInt8] = []
    private var bounds: [Int] = []

    /// - Parameters:
    ///   - source: what rows name as their file in error messages (e.g. `request`).
    ///   - columns: the header the rows have.
    public init(source: String, columns: [String], options: CSVOptions = CSVOptions()) {
        context = CSVContext(path: source, columns: columns, missingTokens: options.missingTokenBytes)
    }

    /// Calls `body` with a row of `fields` (one per column), numbered `number`; the row is valid
    /// only inside `body`.
    public func withRow<R>(fields: [String], number: Int, _ body: (CSVRow) throws -> R) rethrows -> R {
        precondition(fields.count == context.columns.count, "CSVRecordBuffer: \(fields.count) fields for \(context.columns.count) columns")
        bytes.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        for field in fields {
            bounds.append(bytes.count)
            bytes.append(contentsOf: field.utf8)
            bounds.append(bytes.count)
        }
        return try withRow(text: bytes, bounds: bounds, number: number, body)
    }

    /// Calls `body` with a row whose field `k` is `text[bounds[2k]..<bounds[2k + 1]]` (one field
    /// per column), numbered `number`, without copying; the row is valid only inside `body`.
    public func withRow<R>(text: [UInt8], bounds: [Int], number: Int, _ body: (CSVRow) throws -> R) rethrows -> R {
        precondition(bounds.count == 2 * context.columns.count, "CSVRecordBuffer: \(bounds.count / 2) fields for \(context.columns.count) columns")
        precondition(bounds.allSatisfy { $0 >= 0 && $0 <= text.count }, "CSVRecordBuffer: a field outside its text")
        let padded = text.isEmpty ? [0] : text  // a valid base address for a row of empty fields
        return try padded.withUnsafeBufferPointer { base in
            try bounds.withUnsafeBufferPointer { b in
                try body(CSVRow(base: base.baseAddress!, bounds: b.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: context.columns.count,
                                number: number, problem: nil, context: context))
            }
        }
    }
}

extension CSVLine {
    /// The line's fields with CSV quoting undone (the inverse of the `appendField` calls that
    /// built it): for a caller that wants a worker's output as values rather than CSV bytes.
    public var fields: [String] {
        var result: [String] = []
        result.reserveCapacity(fieldCount)
        let line = bytes
        var i = 0
        var current: [UInt8] = []
        while true {
            current.removeAll(keepingCapacity: true)
            if i < line.count, line[i] == 0x22 {
                i += 1
                while i < line.count {
                    if line[i] == 0x22 {
                        if i + 1 < line.count, line[i + 1] == 0x22 {
                            current.append(0x22)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    current.append(line[i])
                    i += 1
                }
            } else {
                while i < line.count, line[i] != delimiter {
                    current.append(line[i])
                    i += 1
                }
            }
            result.append(String(decoding: current, as: UTF8.self))
            guard i < line.count, line[i] == delimiter else { break }
            i += 1
        }
        return fieldCount == 0 ? [] : result
    }
}
