/// A plain number's parts, before rounding: `±mantissa × 10^exponent10`.
struct PlainNumber: Equatable {
    var mantissa: UInt64
    var exponent10: Int
    var negative: Bool
}

/// Scanners for one plain-number field (`-`? digits (`.` digits)? (`e` sign? digits)?), used by
/// ``PlainNumberLine``: a byte-at-a-time reference and a window version that decides from bit
/// masks, without loops or branches that depend on where the digits end.
///
/// The window version handles the common shape (no exponent, at most 8 digits each side of the
/// point) and returns nil for anything else; the byte-wise scanner then decides. Where the
/// window version answers, it gives exactly the byte-wise result (tested on random fields).
enum PlainNumberField {
    typealias Bytes = SIMD16<UInt8>

    /// The byte-at-a-time scanner: reads the number at `p` and moves `p` to the first byte after
    /// it (the caller checks that this is the field's terminator). Nil when there is no digit,
    /// more than 19 digits, or an exponent with no digit or more than 4.
    @inline(__always)
    static func scan(_ p: inout UnsafePointer<UInt8>) -> PlainNumber? {
        let negative = p.pointee == 0x2D
        if negative { p += 1 }
        var mantissa: UInt64 = 0
        var digits = appendDigits(&p, to: &mantissa)
        var c = p.pointee
        var fraction = 0
        if c == 0x2E {
            p += 1
            fraction = appendDigits(&p, to: &mantissa)
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
        return PlainNumber(mantissa: mantissa, exponent10: exponent &- fraction, negative: negative)
    }

    /// Reads the run of ASCII digits at `p` into `mantissa` (`mantissa·10^n + run`, wrapping)
    /// and moves `p` past it; returns the run's length n.
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

    /// Whether ``scanWindow(_:powers:)`` may be used with this delimiter: the field must end at
    /// the first byte that is not part of a number, so the delimiter must not be one.
    static func windowAllows(delimiter: UInt8) -> Bool {
        #if _endian(little)
        return !Array("0123456789.-+eE".utf8).contains(delimiter)
        #else
        return false
        #endif
    }

    /// Bytes ``scanWindow(_:powers:)`` may read from `p`.
    static let windowReadBytes = 32

    /// The number at `p` — `-`? digits (`.` digits)? with at most 8 digits before and 8 after
    /// the point and at least one in all — and its length, the index of the first byte after it,
    /// which the caller must check is the field's terminator (else ``scan(_:)`` decides); nil
    /// for any other shape. `powers[i]` = 10^i for i ≤ 8. Reads at most ``windowReadBytes``.
    ///
    /// No loop and no branch depends on where the digits end: the 16 bytes at `p` are classified
    /// at once (lane arithmetic, as Swift's SIMD comparisons compile to per-lane loops for
    /// baseline x86-64), the first two non-digits give the point and the end, and the integer
    /// and fraction digits are each read as one 8-byte word, shifted into place and converted
    /// eight at a time (SWAR).
    @inline(__always)
    static func scanWindow(_ p: UnsafePointer<UInt8>, powers: UnsafePointer<UInt64>) -> (number: PlainNumber, length: Int)? {
        let x = UnsafeRawPointer(p).loadUnaligned(as: Bytes.self)
        let values = x &- Bytes(repeating: 0x30)
        // A lane is a digit when values < 10: values − 10 borrows and values itself is below 0x80.
        let nonDigit = ~((values &- Bytes(repeating: 10)) & ~values) & Bytes(repeating: 0x80)
        let negative = p.pointee == 0x2D
        let sign = negative ? 1 : 0
        // Non-digits after the sign, with a stop past the window.
        let stops = (mask(nonDigit) | 0x1_0000) & ~UInt32(truncatingIfNeeded: sign)
        let first = stops.trailingZeroBitCount
        let hasPoint = p[first] == 0x2E
        let second = (stops & (stops &- 1)).trailingZeroBitCount
        let length = hasPoint ? second : first
        let integerCount = first &- sign
        let fractionCount = hasPoint ? second &- first &- 1 : 0
        guard length < 16, integerCount <= 8, fractionCount <= 8, integerCount &+ fractionCount > 0 else { return nil }
        let integerWord = UnsafeRawPointer(p + sign).loadUnaligned(as: UInt64.self)
        let fractionWord = UnsafeRawPointer(p + first + 1).loadUnaligned(as: UInt64.self)
        // Shifting left (towards later lanes) drops the bytes after the digits and brings in zeros.
        let integer = integerCount == 0 ? 0 : eightDigits(integerWord &<< (8 &* (8 &- integerCount)))
        let fraction = fractionCount == 0 ? 0 : eightDigits(fractionWord &<< (8 &* (8 &- fractionCount)))
        let mantissa = integer &* powers[fractionCount] &+ fraction
        return (PlainNumber(mantissa: mantissa, exponent10: -fractionCount, negative: negative), length)
    }

    /// Bit i set when lane i has its top bit set (lanes hold 0x80 or 0).
    @inline(__always)
    private static func mask(_ flags: Bytes) -> UInt32 {
        let words = unsafeBitCast(flags, to: (UInt64, UInt64).self)
        // Gathers bit 8i (after the shift) of each byte into bit 56+i; no two products overlap.
        let gather: UInt64 = 0x0102_0408_1020_4080
        let low = ((words.0 &>> 7) &* gather) &>> 56
        let high = ((words.1 &>> 7) &* gather) &>> 56
        return UInt32(truncatingIfNeeded: low | high &<< 8)
    }

    /// The value of 8 ASCII digits or zero bytes (the first byte the most significant).
    @inline(__always)
    private static func eightDigits(_ w: UInt64) -> UInt64 {
        let pairs = ((w & 0x0F0F_0F0F_0F0F_0F0F) &* (10 << 8 + 1)) &>> 8
        let quads = ((pairs & 0x00FF_00FF_00FF_00FF) &* (100 << 16 + 1)) &>> 16
        return ((quads & 0x0000_FFFF_0000_FFFF) &* (10_000 << 32 + 1)) &>> 32
    }
}
