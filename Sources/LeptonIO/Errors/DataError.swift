/// A user-facing error about data or files — the one error type domain libraries throw for bad
/// input and executables print: where it is (file, row, column or field) and a hint of what to
/// do, as `file: row 12, column 'amount': what is wrong. Hint: …`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file concerned (nil when the message itself says where, or no file is concerned).
    public var file: String?
    /// 1-based row number counting the header as row 1, when a row is concerned.
    public var row: Int?
    /// The column or field (a JSON key, a manifest entry) concerned.
    public var field: String?
    /// What is wrong, in plain words.
    public var message: String
    /// What to do about it.
    public var hint: String

    public init(file: String?, row: Int? = nil, field: String? = nil, message: String, hint: String) {
        self.file = file
        self.row = row
        self.field = field
        self.message = message
        self.hint = hint
    }

    /// An error whose message already says where (`"loans.csv: no column 'target'"`).
    public init(_ message: String, hint: String) {
        self.init(file: nil, message: message, hint: hint)
    }

    public var description: String {
        var place = file ?? ""
        if let row { place += (place.isEmpty ? "" : ": ") + "row \(row)" }
        if let field { place += place.isEmpty ? "field '\(field)'" : (row == nil ? ": field '\(field)'" : ", column '\(field)'") }
        let sentence = message.hasSuffix(".") ? message : message + "."
        return (place.isEmpty ? "" : place + ": ") + "\(sentence) Hint: \(hint)"
    }
}
