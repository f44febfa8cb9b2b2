/// A table for reports: text columns left-aligned, number columns right-aligned with a fixed
/// format per column, so digits line up.
public struct Table: Sendable, Equatable {
    /// How a column shows its values.
    public enum Format: Sendable, Equatable {
        /// Text as given, left-aligned.
        case text
        /// Numbers with this many decimals, thousands grouped.
        case decimals(Int)
        /// Fractions of 1 as percentages with this many decimals.
        case percent(Int)
        /// Whole numbers, thousands grouped.
        case integer
        /// About three significant digits (mixed magnitudes).
        case significant(Int)

        var isNumeric: Bool { self != .text }
    }

    /// A column's heading and format.
    public struct Column: Sendable, Equatable {
        public var title: String
        public var format: Format
        public init(_ title: String, _ format: Format = .text) {
            self.title = title
            self.format = format
        }
    }

    /// One cell: text or a number (formatted by its column), or empty.
    public enum Cell: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
        case text(String)
        case number(Double)
        case empty

        public init(stringLiteral value: String) { self = .text(value) }
        public init(floatLiteral value: Double) { self = .number(value) }
        public init(integerLiteral value: Int) { self = .number(Double(value)) }
    }

    public var columns: [Column]
    public private(set) var rows: [[Cell]] = []
    /// A sentence shown above the table.
    public var caption: String?

    public init(columns: [Column], caption: String? = nil) {
        self.columns = columns
        self.caption = caption
    }

    /// Appends a row; it must have one cell per column.
    public mutating func addRow(_ cells: [Cell]) {
        precondition(cells.count == columns.count, "Table: row has \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    /// A two-column table of names and values (metric summaries).
    public static func keyValue(_ pairs: [(String, String)], caption: String? = nil) -> Table {
        var table = Table(columns: [Column("Item"), Column("Value")], caption: caption)
        for (k, v) in pairs { table.addRow([.text(k), .text(v)]) }
        return table
    }

    /// The text of a cell as shown.
    public func text(row: Int, column: Int) -> String {
        switch rows[row][column] {
        case let .text(s): return s
        case .empty: return ""
        case let .number(v):
            switch columns[column].format {
            case .text:
                return NumberFormat.value(v)
            case let .decimals(d): return NumberFormat.fixed(v, decimals: d)
            case let .percent(d): return NumberFormat.percent(v, decimals: d)
            case .integer: return NumberFormat.fixed(v, decimals: 0)
            case let .significant(s): return NumberFormat.value(v, significant: s)
            }
        }
    }

    /// Whether column `i` is right-aligned (numeric format).
    public func isNumeric(_ i: Int) -> Bool { columns[i].format.isNumeric }
}
