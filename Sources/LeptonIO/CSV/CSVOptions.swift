/// How a CSV file is read.
public struct CSVOptions: Sendable {
    /// The field separator: any one byte (`,` `;` `\t` `|` …).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Whether the first record names the columns.
    public var hasHeader = true
    /// Field values (compared case-insensitively after trimming spaces) that mean "missing".
    public var missingTokens: Set<String> = ["", "na", "nan", "?", "null"]
    /// A field longer than this many bytes makes its row malformed (a guard against an
    /// unterminated quote swallowing the rest of the file).
    public var maxFieldBytes = 1 << 20
    /// A row longer than this many bytes, all fields together, is malformed.
    public var maxRowBytes = 8 << 20
    /// A file whose first row has more columns than this is refused (memory for its columns is
    /// reserved per column: a million columns would take gigabytes).
    public var maxColumns = 1 << 16
    /// Use the built-in tokenizer for stretches of the file that contain no quote character.
    /// It gives exactly libcsv's records (tested); turn it off to force libcsv everywhere.
    public var fastPathForUnquotedData = true

    public init() {}

    public init(delimiter: UInt8 = UInt8(ascii: ","), hasHeader: Bool = true) {
        self.delimiter = delimiter
        self.hasHeader = hasHeader
    }

    /// The missing tokens as lower-cased byte strings, for comparison without `String`.
    var missingTokenBytes: [[UInt8]] { missingTokens.map { Array($0.lowercased().utf8) } }
}
