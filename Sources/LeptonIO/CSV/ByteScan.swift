/// Word-at-a-time byte searches for the CSV tokenizer (SWAR: eight bytes per step), each with a
/// naive twin it is tested against.
///
/// They read whole 8-byte words from `from` until a match, so up to 7 bytes past `end` (or past
/// the match) must be readable: the range reader keeps its buffer's tail readable for this.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Bit 8k+7 set for byte k of `word` equal to `byte` (and possibly for bytes above the
    /// lowest match: only the lowest set bit is exact, and any set bit implies a match at or below it).
    @inline(__always)
    static func matches(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// The index of the first byte in `data[from..<end]` equal to `a` or `b`, or `end`.
    @inline(__always)
    static func firstOf(_ a: UInt8, _ b: UInt8, in data: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        let raw = UnsafeRawPointer(data)
        var p = from
        while p < end {
            let word = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
            let hits = matches(word, a) | matches(word, b)
            if hits != 0 { return min(end, p + hits.trailingZeroBitCount / 8) }
            p += 8
        }
        return end
    }

    /// The index of the first byte in `data[from..<end]` equal to `a`, `b`, `c` or `d`, or `end`
    /// (repeat a byte to look for fewer).
    @inline(__always)
    static func firstOf(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, in data: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        let raw = UnsafeRawPointer(data)
        var p = from
        while p < end {
            let word = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
            let hits = matches(word, a) | matches(word, b) | matches(word, c) | matches(word, d)
            if hits != 0 { return min(end, p + hits.trailingZeroBitCount / 8) }
            p += 8
        }
        return end
    }

    /// Naive twin of ``firstOf(_:_:_:_:in:from:end:)``.
    static func firstOfNaive(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, in data: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var p = from
        while p < end, data[p] != a, data[p] != b, data[p] != c, data[p] != d { p += 1 }
        return p
    }

    /// The index of the first LF or CR at or after `from` (there must be one: the reader's
    /// sentinel), and whether a `quote` comes before it.
    @inline(__always)
    static func lineEnd(in data: UnsafePointer<UInt8>, from: Int, quote: UInt8) -> (end: Int, sawQuote: Bool) {
        let raw = UnsafeRawPointer(data)
        var p = from
        var sawQuote = false
        while true {
            let word = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
            let terminators = matches(word, 0x0A) | matches(word, 0x0D)
            let quotes = matches(word, quote)
            if terminators != 0 {
                let k = terminators.trailingZeroBitCount
                // Quote bits below the first terminator's (bit 8k'+7 of byte k' < the terminator's byte).
                if quotes & ((1 << UInt64(k)) &- 1) != 0 { sawQuote = true }
                return (p + k / 8, sawQuote)
            }
            if quotes != 0 { sawQuote = true }
            p += 8
        }
    }

    /// Naive twin of ``firstOf(_:_:in:from:end:)``.
    static func firstOfNaive(_ a: UInt8, _ b: UInt8, in data: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var p = from
        while p < end, data[p] != a, data[p] != b { p += 1 }
        return p
    }

    /// Naive twin of ``lineEnd(in:from:quote:)``.
    static func lineEndNaive(in data: UnsafePointer<UInt8>, from: Int, quote: UInt8) -> (end: Int, sawQuote: Bool) {
        var p = from
        var sawQuote = false
        while data[p] != 0x0A, data[p] != 0x0D {
            if data[p] == quote { sawQuote = true }
            p += 1
        }
        return (p, sawQuote)
    }
}
