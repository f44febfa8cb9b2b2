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
final class PlainNumberLine {
    let fieldCount: Int
    /// For each field of the file, the output column it goes to, or -1 when not wanted.
    private let slots: UnsafeMutablePointer<Int>
    private let delimiter: UInt8
    private let maxRowBytes: Int
    /// Exact powers of ten (binary32: 10^0…10^10; binary64: 10^0…10^22 then 10^-0…10^-22),
    /// copied once so that the per-line loop touches no lazily initialised global.
    private let powers32: UnsafeMutablePointer<Float>
    private let powers64: UnsafeMutablePointer<Double>

    init(fieldCount: Int, slots: [Int], delimiter: UInt8, maxRowBytes: Int) {
        precondition(slots.count == fieldCount, "one slot per field")
        self.fieldCount = fieldCount
        self.slots = .allocate(capacity: max(fieldCount, 1))
        self.slots.initialize(from: slots, count: fieldCount)
        self.delimiter = delimiter
        self.maxRowBytes = maxRowBytes
        powers32 = .allocate(capacity: 11)
        powers64 = .allocate(capacity: 46)
        DecimalParser.withPowerTables { [powers32, powers64] p32, p64 in
            powers32.initialize(from: p32, count: 11)
            powers64.initialize(from: p64, count: 46)
        }
    }

    deinit {
        slots.deallocate()
        powers32.deallocate()
        powers64.deallocate()
    }

    /// Parses the line starting at `start` into row `row` of `columns`; returns the index just
    /// past the line's terminator (or `end`), or nil when it declines the line (the row's
    /// values are then garbage, to be overwritten or dropped by the caller).
    ///
    /// Requires `data[end]` to be readable and an LF (the range reader puts a sentinel there),
    /// and 8 more readable bytes after it, so that no read needs a bounds check: every scan
    /// stops at a terminator at the latest, and digit runs are read 8 bytes at a time.
    @inline(__always)
    func parse(_ data: UnsafePointer<UInt8>, _ start: Int, _ end: Int, row: Int,
               columns: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Int? {
        var p = data + start
        for field in 0..<fieldCount {
            let negative = p.pointee == 0x2D
            if negative { p += 1 }
            var mantissa: UInt64 = 0
            var digits = Self.appendDigits(&p, to: &mantissa)
            var c = p.pointee
            var fraction = 0
            if c == 0x2E {
                p += 1
                fraction = Self.appendDigits(&p, to: &mantissa)
                digits &+= fraction
                c = p.pointee
            }
            guard digits > 0, digits <= 19 else { return nil }
            var exponent = 0
            if c | 0x20 == 0x65 {
                p += 1
                c = p.pointee
                let expNegative = c == 0x2D
                if expNegative || c == 0x2B {
                    p += 1
                    c = p.pointee
                }
                let exponentStart = p
                while c &- 0x30 < 10 {
                    exponent = exponent &* 10 &+ Int(c &- 0x30)
                    p += 1
                    c = p.pointee
                }
                let exponentDigits = p - exponentStart
                guard exponentDigits > 0, exponentDigits <= 4 else { return nil }
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
                    mantissa: mantissa, exponent10: exponent &- fraction, negative: negative,
                    powers32: powers32, powers64: powers64) else { return nil }
                columns[slot]![row] = value
            }
            p += 1
        }
        let next = p - data
        guard next - start <= maxRowBytes + 1 else { return nil }
        return min(next, end)
    }

    /// Reads the run of ASCII digits at `p` into `mantissa` (`mantissa·10^n + run`, wrapping)
    /// and moves `p` past it; returns the run's length n. (A word-at-a-time SWAR version was
    /// measured slower here: the digit runs of real data are short.)
    @inline(__always)
    static func appendDigits(_ p: inout UnsafePointer<UInt8>, to mantissa: inout UInt64) -> Int {
        let start = p
        var c = p.pointee
        while c &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
            p += 1
            c = p.pointee
        }
        return p - start
    }
}
