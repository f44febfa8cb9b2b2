/// The one-pass kernel behind ``NumericTable``: a quote-free line whose every field is a plain
/// number — `-`? digits (`.` digits)? (`e` sign? digits)?, at most 19 digits, no spaces — parsed
/// straight to Float32 as it is tokenized.
///
/// It takes a line only when the general path would read the same values from it; anything
/// else (spaces, missing tokens, `+5`, too many digits, a wrong field count, a value needing
/// the C library's rounding) makes it decline, and the general path reads that line instead.
///
/// Each field goes first through ``PlainNumberField/scanWindow(_:powers:)`` (a 16-byte window
/// classified at once); fields it does not handle (exponents, long fields) through the byte-wise
/// ``PlainNumberField/scan(_:)``. `useWindow` false keeps to the byte-wise scanner (the
/// reference the window scanner is tested against).
final class PlainNumberLine {
    let fieldCount: Int
    /// For each field of the file, the output column it goes to, or -1 when not wanted.
    private let slots: UnsafeMutablePointer<Int>
    private let delimiter: UInt8
    private let maxRowBytes: Int
    private let useWindow: Bool
    /// Exact powers of ten (binary32: 10^0…10^10; binary64: 10^0…10^22 then 10^-0…10^-22),
    /// copied once so that the per-line loop touches no lazily initialised global.
    private let powers32: UnsafeMutablePointer<Float>
    private let powers64: UnsafeMutablePointer<Double>
    /// 10^0…10^8 as integers, for the window scanner.
    private let integerPowers: UnsafeMutablePointer<UInt64>

    /// Bytes a caller must keep readable after a line's terminator (the window scanner reads
    /// up to ``PlainNumberField/windowReadBytes`` from each field's start).
    static let readAhead = PlainNumberField.windowReadBytes

    init(fieldCount: Int, slots: [Int], delimiter: UInt8, maxRowBytes: Int, useWindow: Bool = true) {
        precondition(slots.count == fieldCount, "one slot per field")
        self.fieldCount = fieldCount
        self.slots = .allocate(capacity: max(fieldCount, 1))
        self.slots.initialize(from: slots, count: fieldCount)
        self.delimiter = delimiter
        self.maxRowBytes = maxRowBytes
        self.useWindow = useWindow && PlainNumberField.windowAllows(delimiter: delimiter)
        powers32 = .allocate(capacity: 11)
        powers64 = .allocate(capacity: 46)
        integerPowers = .allocate(capacity: 9)
        for i in 0..<9 { (integerPowers + i).initialize(to: i == 0 ? 1 : integerPowers[i - 1] * 10) }
        DecimalParser.withPowerTables { [powers32, powers64] p32, p64 in
            powers32.initialize(from: p32, count: 11)
            powers64.initialize(from: p64, count: 46)
        }
    }

    deinit {
        slots.deallocate()
        powers32.deallocate()
        powers64.deallocate()
        integerPowers.deallocate()
    }

    /// Parses lines from `start` into the next rows of `columns` for as long as it can take
    /// them; returns the index just past the last line taken (`start` when none) and how many
    /// lines it took. Stops at `end` or at the first line it declines.
    ///
    /// Requires `data[end]` to be readable and an LF (the range reader puts a sentinel there),
    /// and ``readAhead`` more readable bytes after it, so that no read needs a bounds check.
    func parseLines(_ data: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into columns: FloatColumns)
        -> (next: Int, lines: Int) {
        var row = columns.rows
        var capacity = columns.capacity
        var i = start
        while i < end {
            if row == capacity {
                columns.grow()
                capacity = columns.capacity
            }
            guard let next = parse(data, i, end, row: row, columns: columns.pointers) else { break }
            i = next
            row += 1
        }
        let lines = row - columns.rows
        columns.setRows(row)
        return (i, lines)
    }

    /// Parses the line starting at `start` into row `row` of `columns`; returns the index just
    /// past the line's terminator (or `end`), or nil when it declines the line (the row's
    /// values are then garbage, to be overwritten by the next line or never counted).
    @inline(__always)
    func parse(_ data: UnsafePointer<UInt8>, _ start: Int, _ end: Int, row: Int,
               columns: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Int? {
        var p = data + start
        for field in 0..<fieldCount {
            let last = field + 1 == fieldCount
            let number: PlainNumber
            if useWindow, let scanned = PlainNumberField.scanWindow(p, powers: integerPowers),
               ends(p[scanned.length], last: last) {
                number = scanned.number
                p += scanned.length
            } else {
                guard let scanned = PlainNumberField.scan(&p), ends(p.pointee, last: last) else { return nil }
                number = scanned
            }
            let slot = slots[field]
            if slot >= 0 {
                guard let value = DecimalParser.exactFloat(
                    mantissa: number.mantissa, exponent10: number.exponent10, negative: number.negative,
                    powers32: powers32, powers64: powers64) else { return nil }
                columns[slot]![row] = value
            }
            p += 1
        }
        let next = p - data
        guard next - start <= maxRowBytes + 1 else { return nil }
        return min(next, end)
    }

    /// Whether `c` ends a field: the delimiter, or for the line's last field CR or LF.
    @inline(__always)
    private func ends(_ c: UInt8, last: Bool) -> Bool {
        last ? c == 0x0A || c == 0x0D : c == delimiter
    }
}
