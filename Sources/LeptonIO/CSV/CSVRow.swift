/// What every row of one file shares: its path, column names and missing-value tokens.
public final class CSVContext: Sendable {
    public let path: String
    /// Column names from the header row, or `column1`, `column2`, … when there is none.
    public let columns: [String]
    let missingTokens: [[UInt8]]
    /// Whether some missing token starts with a digit, sign or point (such as `-999`).
    let hasNumericMissingToken: Bool

    init(path: String, columns: [String], missingTokens: [[UInt8]]) {
        self.path = path
        self.columns = columns
        self.missingTokens = missingTokens
        hasNumericMissingToken = missingTokens.contains { token in
            token.first.map { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2B || $0 == 0x2E } ?? false
        }
    }

    /// The index of the column called `name`, or a `CSVFileError.missingColumn`.
    public func index(of name: String) throws -> Int {
        guard let i = columns.firstIndex(of: name) else {
            throw CSVFileError.missingColumn(path: path, name: name, available: columns)
        }
        return i
    }
}

/// One record of a CSV file, as a view into the reader's buffers.
///
/// Valid only inside the closure it is handed to: copy out what you keep. Typed accessors
/// read the bytes in place (no `String` on the numeric path) and throw a ``CSVRowError``
/// naming the file, row and column when a field cannot be read as asked.
public struct CSVRow {
    let base: UnsafePointer<UInt8>
    /// Two offsets per field, start and end, relative to `base`.
    let bounds: UnsafePointer<Int>
    /// The number of fields in this record.
    public let count: Int
    /// 1-based record number counting the header as row 1 (within a part, for parallel reads).
    public let number: Int
    /// Set when the record is malformed; its fields are then whatever could be parsed.
    public let problem: CSVRowProblem?
    public let context: CSVContext

    /// The raw bytes of field `i` (quotes removed, unquoted fields trimmed, as libcsv gives them).
    @inline(__always)
    public func bytes(at i: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(i >= 0 && i < count, "CSVRow: field \(i) of \(count)")
        let start = bounds[2 * i], end = bounds[2 * i + 1]
        return UnsafeBufferPointer(start: base + start, count: end - start)
    }

    /// Whether field `i` is one of the missing-value tokens (case-insensitive, spaces trimmed).
    public func isMissing(at i: Int) -> Bool { Self.isMissing(bytes(at: i), context: context) }

    /// Whether `field` is one of `context`'s missing-value tokens (case-insensitive, spaces trimmed).
    @inline(__always)
    static func isMissing(_ field: UnsafeBufferPointer<UInt8>, context: CSVContext) -> Bool {
        var field = field
        // Quick answer for the usual long value: over 8 bytes without space or tab at its ends.
        if field.count > 8, field[0] != 0x20, field[0] != 0x09, field[field.count - 1] != 0x20, field[field.count - 1] != 0x09 {
            return false
        }
        field = Self.trimmed(field)
        if field.isEmpty { return true }
        if field.count > 8 { return false }
        tokens: for token in context.missingTokens where token.count == field.count {
            for j in 0..<token.count where field[j] | (field[j] >= 0x41 && field[j] <= 0x5A ? 0x20 : 0) != token[j] {
                continue tokens
            }
            return true
        }
        return false
    }

    /// Field `i` as a Double; nil when it is a missing token; throws when it is not a number.
    public func double(at i: Int) throws -> Double? {
        if isMissing(at: i) { return nil }
        guard let value = DecimalParser.parseDouble(bytes(at: i)) else { throw notANumber(i) }
        return value
    }

    /// Field `i` as a Float; nil when it is a missing token; throws when it is not a number.
    public func float(at i: Int) throws -> Float? {
        let field = bytes(at: i)
        // Fast check first: unless a missing token looks numeric (say -999), a field starting
        // with a digit or minus sign is never a missing token.
        if !context.hasNumericMissingToken, let first = field.first, (first >= 0x30 && first <= 0x39) || first == 0x2D {
            if let value = DecimalParser.parseFloat(field) { return value }
            throw notANumber(i)
        }
        if isMissing(at: i) { return nil }
        guard let value = DecimalParser.parseFloat(field) else { throw notANumber(i) }
        return value
    }

    /// Field `i` as text; throws when it is not valid UTF-8.
    public func string(at i: Int) throws -> String {
        let field = bytes(at: i)
        guard let text = String(validating: field, as: UTF8.self) else {
            throw error(column: i, reason: "text is not valid UTF-8. Hint: save the file as UTF-8")
        }
        return text
    }

    /// Every field as text, invalid UTF-8 replaced: for rejects files and messages.
    public var rawFields: [String] {
        (0..<count).map { String(decoding: bytes(at: $0), as: UTF8.self) }
    }

    /// An error for this row, naming column `column` when given.
    public func error(column: Int?, reason: String) -> CSVRowError {
        let name = column.flatMap { $0 < context.columns.count ? context.columns[$0] : "column\($0 + 1)" }
        return CSVRowError(path: context.path, row: number, column: name, reason: reason)
    }

    /// The row's problem as an error, when it has one.
    public var problemError: CSVRowError? {
        problem.map { error(column: nil, reason: $0.description) }
    }

    private func notANumber(_ i: Int) -> CSVRowError {
        let shown = String(decoding: bytes(at: i).prefix(40), as: UTF8.self)
        return error(column: i, reason: "'\(shown)' is not a number. Hint: use a plain decimal such as -12.5 or 5.00E+05, or a missing token")
    }

    static func trimmed(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = field.count
        while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
        while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: field[start..<end])
    }
}
