/// Problems with a whole CSV file: reading stops.
public enum CSVFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case empty(path: String)
    case duplicateColumn(path: String, name: String)
    /// The first row cannot be read as a row of column names (over a limit, malformed quoting).
    case badHeader(path: String, reason: String)
    /// The first row has more fields than ``CSVOptions/maxColumns``.
    case tooManyColumns(path: String, count: Int, limit: Int)
    /// A column name in the header is not valid UTF-8 (`column` counts from 1).
    case headerNotUTF8(path: String, column: Int)
    case missingColumn(path: String, name: String, available: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open (\(reason)). Hint: check the path and its permissions."
        case let .readFailed(path, reason):
            return "\(path): read failed (\(reason)). Hint: is the disk or network share still there?"
        case let .empty(path):
            return "\(path): the file is empty. Hint: a CSV file needs at least a header row."
        case let .duplicateColumn(path, name):
            return "\(path): row 1 (header) names column '\(name)' twice. Hint: give every column a unique name."
        case let .badHeader(path, reason):
            return "\(path): row 1 (header): \(reason). Hint: the first row must hold the column names; is this a CSV file, with the right delimiter?"
        case let .tooManyColumns(path, count, limit):
            return "\(path): row 1 has \(count) columns, over the limit of \(limit). Hint: check the delimiter; raise CSVOptions.maxColumns if the file is genuine."
        case let .headerNotUTF8(path, column):
            return "\(path): row 1 (header), column \(column): the name is not valid UTF-8. Hint: save the file as UTF-8 (in Excel: \"CSV UTF-8\"), or convert it with iconv -f LATIN1 -t UTF-8."
        case let .missingColumn(path, name, available):
            let shown = available.prefix(12).joined(separator: ", ")
            return "\(path): no column '\(name)' in the header (columns: \(shown)\(available.count > 12 ? ", …" : "")). Hint: check the spelling and the delimiter."
        }
    }
}

/// Why one row could not be taken as it is. Reading goes on with the next row.
public enum CSVRowProblem: Equatable, Sendable, CustomStringConvertible {
    case wrongFieldCount(expected: Int, found: Int)
    case malformedQuoting
    case unterminatedQuote
    case fieldTooLong(limit: Int)
    case rowTooLong(limit: Int)

    public var description: String {
        switch self {
        case let .wrongFieldCount(expected, found):
            return "expected \(expected) fields, found \(found)"
        case .malformedQuoting:
            return "malformed quoting (a quote inside an unquoted field, or text after a closing quote)"
        case .unterminatedQuote:
            return "unterminated quoted field at end of file"
        case let .fieldTooLong(limit):
            return "a field is longer than \(limit) bytes (an unterminated quote?)"
        case let .rowTooLong(limit):
            return "the row is longer than \(limit) bytes"
        }
    }
}

/// A row that could not be used as it is: where it is, and why. Callers write these to a rejects file.
public struct CSVRowError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    /// 1-based, counting the header row as row 1.
    public let row: Int
    /// The column concerned, when one is.
    public let column: String?
    public let reason: String

    public init(path: String, row: Int, column: String?, reason: String) {
        self.path = path
        self.row = row
        self.column = column
        self.reason = reason
    }

    public var description: String {
        let place = column.map { "row \(row), column '\($0)'" } ?? "row \(row)"
        return "\(path): \(place): \(reason)"
    }
}

extension CSVRowError {
    /// This error with its row moved down by `rows` (a part read from row 1 placed after them).
    func shifted(by rows: Int) -> CSVRowError {
        CSVRowError(path: path, row: row + rows, column: column, reason: reason)
    }

    /// The rejects of parts read one after another, each numbering its rows from 1, as file
    /// rows (the header, if any, is row 1): part k's rows follow the rows of parts 0..<k.
    static func inFileRows(_ parts: [(rejected: [CSVRowError], rowsRead: Int)], hasHeader: Bool) -> [CSVRowError] {
        var rejected: [CSVRowError] = []
        var rowsBefore = hasHeader ? 1 : 0
        for part in parts {
            rejected += part.rejected.map { $0.shifted(by: rowsBefore) }
            rowsBefore += part.rowsRead
        }
        return rejected
    }
}
