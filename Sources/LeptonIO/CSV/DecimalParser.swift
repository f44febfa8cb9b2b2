#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers straight from bytes, without building a `String`.
///
/// Accepted: optional surrounding spaces/tabs, an optional sign, digits with an optional
/// fraction (`12`, `-0.5`, `.5`, `5.`), an optional exponent (`5.00E+05`), and `inf`,
/// `infinity`, `nan` in any case. Everything else (hex, `1,000`, `12abc`) is rejected.
///
/// Results are correctly rounded, bit for bit what `strtod`/`strtof` give: the common case
/// takes Clinger's exact fast path (a mantissa of at most 2^53 times a power of ten of at
/// most 10^22, both exact in binary64, one rounding); anything else falls back to the C library.
public enum DecimalParser {
    /// The value of `bytes`, or nil when they are not a number.
    public static func parseDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let scan = Scan(bytes) else { return nil }
        if let value = scan.special { return value }
        if let exact = scan.exactDouble { return exact }
        return libc(bytes, strtod)
    }

    /// The value of `bytes` as Float32, correctly rounded (equal to `strtof`), or nil.
    public static func parseFloat(_ bytes: UnsafeBufferPointer<UInt8>) -> Float? {
        guard let scan = Scan(bytes) else { return nil }
        if let value = scan.special { return Float(value) }
        if !scan.truncated, let value = withPowerTables({ p32, p64 in
            exactFloat(mantissa: scan.mantissa, exponent10: scan.exponent10, negative: scan.negative,
                       powers32: p32, powers64: p64)
        }) {
            return value
        }
        return libc(bytes, strtof)
    }

    /// `±mantissa × 10^exponent10` correctly rounded to binary32 when that can be done exactly
    /// without the C library, else nil.
    /// `powers32[i]` = 10^i for i ≤ 10, `powers64[i]` = 10^i for i ≤ 22, and `powers64[23 + i]`
    /// = the correctly rounded 10^-i for i ≤ 22 (see ``withPowerTables(_:)``).
    @inline(__always)
    static func exactFloat(mantissa: UInt64, exponent10: Int, negative: Bool,
                           powers32: UnsafePointer<Float>, powers64: UnsafePointer<Double>) -> Float? {
        if exponent10 >= 0 {
            if mantissa <= 1 << 24, exponent10 <= 10 {
                // Both operands are exact in binary32: one rounding, correct.
                let v = Float(mantissa) * powers32[exponent10]
                return signed(v, negative)
            }
            guard mantissa <= 1 << 53, exponent10 <= 22 else { return nil }
            // Exact operands, one rounding: d is the correctly rounded binary64 value.
            return narrow(Double(mantissa) * powers64[exponent10], negative: negative, window: 0)
        }
        let k = -exponent10
        if mantissa <= 1 << 24, k <= 10 {
            // Exact operands in binary32, one rounding: correct.
            let v = Float(mantissa) / powers32[k]
            return signed(v, negative)
        }
        guard mantissa <= 1 << 53, k <= 22 else { return nil }
        // Multiplying by the rounded reciprocal is within 2 binary64 ulps of the exact quotient
        // (two roundings of at most 2^-53 each), and a division is four times slower. Where no
        // binary32 midpoint lies within 4 ulps, both round to the same Float.
        if let value = narrow(Double(mantissa) * powers64[23 + k], negative: negative, window: 4) {
            return value
        }
        // Near a midpoint: the correctly rounded quotient decides.
        return narrow(Double(mantissa) / powers64[k], negative: negative, window: 0)
    }

    /// `d` narrowed to Float when that is the correct rounding of a value within `window`
    /// binary64 ulps of d (window 0: d itself is exact or correctly rounded), else nil.
    @inline(__always)
    private static func narrow(_ d: Double, negative: Bool, window: UInt64) -> Float? {
        // Below the normal binary32 range the rounding position moves: leave it to the C library.
        guard d == 0 || (d >= Double(Float.leastNormalMagnitude) && d <= Double(Float.greatestFiniteMagnitude)) else {
            return nil
        }
        // The 29 bits binary64 has beyond binary32; 1 << 28 marks a binary32 rounding midpoint.
        let low = d.bitPattern & ((1 << 29) - 1)
        let distance = low > 1 << 28 ? low - (1 << 28) : (1 << 28) - low
        guard distance > window else { return nil }
        return signed(Float(d), negative)
    }

    /// `v` (not negative, not NaN) with its sign bit set when `negative`: `negative ? -v : v`
    /// without a branch, which signs in random order would mispredict half the time.
    @inline(__always)
    static func signed(_ v: Float, _ negative: Bool) -> Float {
        Float(bitPattern: v.bitPattern | UInt32(truncatingIfNeeded: negative ? 1 : 0) &<< 31)
    }

    /// Convenience for tests and non-hot paths.
    public static func parseDouble(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parseDouble($0) }
    }

    /// Lends the exact power-of-ten tables as pointers (one lookup of the lazily built statics
    /// per call, instead of one per number).
    @inline(__always)
    static func withPowerTables<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Double>) -> R) -> R {
        float32PowersOfTen.withUnsafeBufferPointer { p32 in
            float64PowersOfTen.withUnsafeBufferPointer { p64 in body(p32.baseAddress!, p64.baseAddress!) }
        }
    }

    // MARK: - Internals

    /// 10^0 … 10^22 (exact), then 10^-0 … 10^-22 (correctly rounded reciprocals).
    private static let float64PowersOfTen: [Double] = {
        let positive: [Double] = (0...22).map { i in
            var v = 1.0
            for _ in 0..<i { v *= 10 }
            return v
        }
        return positive + positive.map { 1 / $0 }
    }()
    private static let float32PowersOfTen: [Float] = (0...10).map { i in
        var v: Float = 1
        for _ in 0..<i { v *= 10 }
        return v
    }

    /// One pass over the bytes: validates the grammar and gathers up to 19 significant digits.
    private struct Scan {
        var negative = false
        var mantissa: UInt64 = 0
        var exponent10 = 0
        var truncated = false
        var special: Double?

        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            var i = 0, end = bytes.count
            while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            while end > i, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            guard i < end else { return nil }
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                negative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end else { return nil }
            let first = bytes[i] | 0x20
            if first == UInt8(ascii: "i") || first == UInt8(ascii: "n") {
                guard let value = Scan.word(bytes, from: i, to: end) else { return nil }
                special = negative ? -value : value
                return
            }
            var digits = 0, significant = 0, dropped = 0, fractionDigits = 0
            var seenPoint = false
            while i < end {
                let c = bytes[i]
                if c >= 0x30 && c <= 0x39 {
                    digits += 1
                    if significant < 19 {
                        if mantissa != 0 || c != 0x30 {
                            mantissa = mantissa * 10 + UInt64(c - 0x30)
                            significant += 1
                        }
                        if seenPoint { fractionDigits += 1 }
                    } else {
                        if c != 0x30 { truncated = true }
                        if !seenPoint { dropped += 1 }
                    }
                } else if c == UInt8(ascii: ".") && !seenPoint {
                    seenPoint = true
                } else {
                    break
                }
                i += 1
            }
            guard digits > 0 else { return nil }
            var exponent = 0
            if i < end, bytes[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                var expNegative = false
                if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                    expNegative = bytes[i] == UInt8(ascii: "-")
                    i += 1
                }
                var expDigits = 0
                while i < end, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                    if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[i] - 0x30) }
                    expDigits += 1
                    i += 1
                }
                guard expDigits > 0 else { return nil }
                if expNegative { exponent = -exponent }
            }
            guard i == end else { return nil }
            exponent10 = exponent - fractionDigits + dropped
        }

        /// Clinger's fast path: exact when both factors are exact binary64 values.
        var exactDouble: Double? {
            guard !truncated, mantissa <= 1 << 53, abs(exponent10) <= 22 else { return nil }
            let m = Double(mantissa)
            let p = DecimalParser.float64PowersOfTen[abs(exponent10)]
            let v = exponent10 >= 0 ? m * p : m / p
            return negative ? -v : v
        }

        static func word(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Double? {
            var lowered: [UInt8] = []
            for i in from..<to { lowered.append(bytes[i] | 0x20) }
            switch String(decoding: lowered, as: UTF8.self) {
            case "inf", "infinity": return .infinity
            case "nan": return .nan
            default: return nil
            }
        }
    }

    /// Correctly rounded conversion by the C library, on a NUL-terminated copy of the bytes.
    private static func libc<T: BinaryFloatingPoint>(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ convert: (UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T? {
        var copy = [CChar](repeating: 0, count: bytes.count + 1)
        for i in 0..<bytes.count { copy[i] = CChar(bitPattern: bytes[i]) }
        return copy.withUnsafeBufferPointer { buffer -> T? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = convert(buffer.baseAddress!, &endPointer)
            guard let endPointer else { return nil }
            var consumed = endPointer - UnsafeMutablePointer(mutating: buffer.baseAddress!)
            while consumed < bytes.count, bytes[consumed] == 0x20 || bytes[consumed] == 0x09 { consumed += 1 }
            return consumed == bytes.count && consumed > 0 ? value : nil
        }
    }
}
