/// RFC 8259's number grammar, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, shared by the
/// JSON readers (``JSONDocument`` and the serving path's quick record reader).
public enum JSONNumberGrammar {
    /// Scans the number that starts at `start`: where it ends, or where it went wrong and why.
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, problem: String?) {
        func isDigit(_ p: Int) -> Bool { p < bytes.count && bytes[p] >= 0x30 && bytes[p] <= 0x39 }
        func digits(_ p: inout Int) -> Int {
            let first = p
            while isDigit(p) { p += 1 }
            return p - first
        }
        var p = start
        if p < bytes.count, bytes[p] == UInt8(ascii: "-") { p += 1 }
        guard isDigit(p) else { return (p, "expected a digit in a number") }
        if bytes[p] == UInt8(ascii: "0") { p += 1 } else { _ = digits(&p) }
        if p < bytes.count, bytes[p] == UInt8(ascii: ".") {
            p += 1
            guard digits(&p) > 0 else { return (p, "expected a digit after the decimal point") }
        }
        if p < bytes.count, bytes[p] == UInt8(ascii: "e") || bytes[p] == UInt8(ascii: "E") {
            p += 1
            if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
            guard digits(&p) > 0 else { return (p, "expected a digit in the exponent") }
        }
        return (p, nil)
    }
}
