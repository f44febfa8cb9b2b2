/// Skips the rest of a record that was refused in the middle (a field over the size limit),
/// following quotes as libcsv would, so that reading resumes at the record's true end: a quoted
/// field's line breaks and delimiters stay inside it, `""` is a quote inside a quoted field, and
/// a quote opens a field only at its start (after optional spaces).
///
/// A quote that never closes makes the rest of the input part of the refused record, as RFC
/// 4180 reads it — never rows made up from the field's contents.
struct CSVRecordSkipper {
    enum State: Equatable {
        /// Inside a quoted field.
        case inQuotes
        /// Just after a quote inside a quoted field: a second quote is data, anything else closes it.
        case quoteInQuotes
        /// Outside quotes; `atFieldStart` while only spaces have been seen since a delimiter.
        case unquoted(atFieldStart: Bool)
        /// Only the line end matters (after a quoting error, whose quote state is unknown).
        case toLineEnd
    }

    var state: State
    let delimiter: UInt8
    static let quote = UInt8(ascii: "\"")

    /// Skips in `data[0..<count]`; returns the index just past the record's terminator (CR or
    /// LF outside quotes), or nil when the record goes on past `count`.
    mutating func skip(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var i = 0
        while i < count {
            let byte = data[i]
            switch state {
            case .inQuotes:
                // The next quote is the only byte that matters.
                i = ByteScan.firstOf(Self.quote, Self.quote, in: data, from: i, end: count)
                if i < count { state = .quoteInQuotes; i += 1 }
            case .quoteInQuotes:
                if byte == Self.quote { state = .inQuotes; i += 1 } else { state = .unquoted(atFieldStart: false) }
            case .unquoted(let atFieldStart):
                if byte == 0x0A || byte == 0x0D { return i + 1 }
                if byte == delimiter {
                    state = .unquoted(atFieldStart: true)
                } else if byte == Self.quote && atFieldStart {
                    state = .inQuotes
                } else if !(byte == 0x20 || byte == 0x09) {
                    state = .unquoted(atFieldStart: false)
                }
                i += 1
            case .toLineEnd:
                if byte == 0x0A || byte == 0x0D { return i + 1 }
                i += 1
            }
        }
        return nil
    }
}
