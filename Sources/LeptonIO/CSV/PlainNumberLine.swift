#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable Float32 columns in C memory: `realloc` grows large blocks by remapping pages, so
/// growth neither copies nor touches what is already written.
final class FloatColumns {
    let width: Int
    private(set) var rows = 0
    private var capacity = 0
    /// `pointers[c]` holds column c.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>

    init(width: Int, expectedRows: Int) {
        self.width = width
        pointers = .allocate(capacity: max(width, 1))
        pointers.initialize(repeating: nil, count: max(width, 1))
        reserve(max(expectedRows, 1024))
    }

    deinit {
        for c in 0..<width { free(pointers[c]) }
        pointers.deallocate()
    }

    /// Makes room for one more row and returns its index.
    @inline(__always)
    func appendRow() -> Int {
        if rows == capacity { reserve(capacity * 2) }
        rows += 1
        return rows - 1
    }

    /// Forgets the last row (used when a line turns out not to be plain numbers).
    func dropLastRow() { rows -= 1 }

    private func reserve(_ newCapacity: Int) {
        for c in 0..<width {
            guard let grown = realloc(pointers[c], newCapacity * MemoryLayout<Float>.stride) else {
                fatalError("out of memory growing a column to \(newCapacity) rows")
            }
            pointers[c] = grown.assumingMemoryBound(to: Float.self)
        }
        capacity = newCapacity
    }
}

/// The one-pass kernel behind ``NumericTable``: a quote-free line whose every field is a plain
/// number — `-`? digits (`.` digits)? (`e` sign? digits)?, at most 19 digits, no spaces — parsed
/// straight to Float32 as it is tokenized.
///
/// It takes a line only when the general path would read the same values from it; anything
/// else (spaces, missing tokens, `+5`, too many digits, a wrong field count, a value needing
/// the C library's rounding) makes it decline, and the general path reads that line instead.
struct PlainNumberLine {
    let fieldCount: Int
    /// For each field of the file, the output column it goes to, or -1 when not wanted.
    let slots: [Int]
    let delimiter: UInt8
    let maxRowBytes: Int

    /// Parses the line starting at `start` into row `row` of `columns`; returns the index just
    /// past the line's terminator (or `end`), or nil when it declines the line (the row's
    /// values are then garbage, to be overwritten or dropped by the caller).
    @inline(__always)
    func parse(_ data: UnsafePointer<UInt8>, _ start: Int, _ end: Int, row: Int,
               columns: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Int? {
        var p = start
        // Never reads past the data: at `end` it sees an LF.
        @inline(__always) func byte(_ i: Int) -> UInt8 { i < end ? data[i] : 0x0A }
        return slots.withUnsafeBufferPointer { slots -> Int? in
            DecimalParser.withPowerTables { powers32, powers64 -> Int? in
                for field in 0..<fieldCount {
                    var c = byte(p)
                    let negative = c == 0x2D
                    if negative { p += 1; c = byte(p) }
                    var mantissa: UInt64 = 0
                    var digits = 0
                    while c &- 0x30 < 10 {
                        mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                        digits += 1
                        p += 1
                        c = byte(p)
                    }
                    var fraction = 0
                    if c == 0x2E {
                        p += 1
                        c = byte(p)
                        while c &- 0x30 < 10 {
                            mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                            digits += 1
                            fraction += 1
                            p += 1
                            c = byte(p)
                        }
                    }
                    guard digits > 0, digits <= 19 else { return nil }
                    var exponent = 0
                    if c | 0x20 == 0x65 {
                        p += 1
                        c = byte(p)
                        let expNegative = c == 0x2D
                        if expNegative || c == 0x2B { p += 1; c = byte(p) }
                        var expDigits = 0
                        while c &- 0x30 < 10, expDigits < 4 {
                            exponent = exponent * 10 + Int(c &- 0x30)
                            expDigits += 1
                            p += 1
                            c = byte(p)
                        }
                        guard expDigits > 0 else { return nil }
                        if expNegative { exponent = -exponent }
                    }
                    if field + 1 < fieldCount {
                        guard c == delimiter else { return nil }
                    } else {
                        guard c == 0x0A || c == 0x0D else { return nil }
                    }
                    let slot = slots[field]
                    if slot >= 0 {
                        guard let value = DecimalParser.exactFloat(
                            mantissa: mantissa, exponent10: exponent - fraction, negative: negative,
                            powers32: powers32, powers64: powers64) else { return nil }
                        columns[slot]![row] = value
                    }
                    p += 1
                }
                guard p - start <= maxRowBytes + 1 else { return nil }
                return min(p, end)
            }
        }
    }
}
