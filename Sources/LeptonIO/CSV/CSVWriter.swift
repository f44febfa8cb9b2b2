/// Writes CSV with RFC 4180 quoting through an ``AtomicFile``: the output appears under its
/// final name only after ``commit()``.
///
/// A field is quoted when it contains the delimiter, a quote, CR or LF, starts or ends with a
/// space or tab (which a reader would otherwise trim), or starts with U+FEFF (a byte-order mark
/// to a reader at the start of a file); quotes inside are doubled; an
/// empty first field is written `""` so that the row never reads back as a blank line.
public final class CSVWriter {
    public let delimiter: UInt8
    private let file: AtomicFile
    private var fieldsInRow = 0
    /// Rows written so far (the header included).
    public private(set) var rowsWritten = 0
    public var path: String { file.path }

    public init(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        self.delimiter = delimiter
        file = try AtomicFile(path: path)
    }

    /// Writes one whole row.
    public func writeRow<S: Sequence>(_ fields: S) throws where S.Element == String {
        for field in fields { try writeField(field) }
        try endRow()
    }

    /// Appends one text field to the current row.
    public func writeField(_ text: String) throws {
        if fieldsInRow > 0 { try file.write(byte: delimiter) }
        fieldsInRow += 1
        if text.isEmpty && fieldsInRow == 1 {
            // An empty first field is written `""`: a bare empty line would be read as no record
            // at all, and a one-column row with a missing value would vanish.
            try file.write(byte: 0x22)
            try file.write(byte: 0x22)
            return
        }
        var text = text
        try text.withUTF8 { bytes in
            if CSVQuoting.needsQuotes(bytes, delimiter: delimiter) {
                try file.write(byte: 0x22)
                var start = 0
                for i in 0..<bytes.count where bytes[i] == 0x22 {
                    try file.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...i]))
                    start = i  // the quote is written again at the start of the next piece: doubled
                }
                try file.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
                try file.write(byte: 0x22)
            } else {
                try file.write(UnsafeRawBufferPointer(bytes))
            }
        }
    }

    /// Appends a number field in its shortest exact form (`0.1`, `1e-05`); NaN is written empty.
    public func writeField(_ value: Double) throws {
        try writeField(value.isNaN ? "" : (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)))
    }

    /// Writes a whole record built as a ``CSVLine`` (with the same delimiter), then LF.
    public func write(line: CSVLine) throws {
        precondition(fieldsInRow == 0, "CSVWriter: write(line:) in the middle of a row")
        precondition(line.fieldCount > 0, "CSVWriter: a line without fields would read back as no record")
        precondition(line.delimiter == delimiter, "CSVWriter: the line's delimiter differs from the writer's")
        try file.write(UnsafeRawBufferPointer(line.bytes))
        try endRow()
    }

    /// Ends the current row with LF.
    public func endRow() throws {
        try file.write(byte: 0x0A)
        fieldsInRow = 0
        rowsWritten += 1
    }

    /// Makes the file appear under its final name.
    public func commit() throws { try file.commit() }

    /// Throws the output away; nothing appears under the final name.
    public func abandon() { file.abandon() }

    /// Writes `rows` to `path` atomically in one call: the whole file appears, or none of it.
    public static func write(rows: [[String]], to path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        let writer = try CSVWriter(path: path, delimiter: delimiter)
        do {
            for row in rows { try writer.writeRow(row) }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }
}
