#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number formatting for people: fixed decimals, thousands separators, SI suffixes for large
/// tick values, percentages. Deterministic (no locale): `.` is the decimal point and `,`
/// groups thousands, so reports read the same on every machine.
public enum NumberFormat {
    /// `value` with exactly `decimals` decimals and thousands grouped: `12,345.68`.
    /// NaN is `–`, infinities are `∞` and `−∞`; with `ascii` (console lines, messages, files) the
    /// minus is `-`, NaN is `nan` and infinities are `inf` and `-inf`.
    public static func fixed(_ value: Double, decimals: Int, grouping: Bool = true, ascii: Bool = false) -> String {
        guard value.isFinite else {
            if ascii { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
            return value.isNaN ? "–" : (value < 0 ? "−∞" : "∞")
        }
        let decimals = max(0, min(decimals, 12))
        let scale = pow(10.0, Double(decimals))
        var rounded = (abs(value) * scale).rounded()
        let negative = value < 0 && rounded != 0
        // Beyond 2^63 hundredths we fall back to the shortest exact form.
        guard rounded < 9.0e18 else { return String(value) }
        if rounded.isNaN { rounded = 0 }
        let units = UInt64(rounded)
        let p = UInt64(scale)
        let whole = units / p, fraction = units % p
        var wholeText = String(whole)
        if grouping && wholeText.count > 3 {
            var grouped = ""
            for (i, c) in wholeText.enumerated() {
                if i > 0 && (wholeText.count - i) % 3 == 0 { grouped.append(",") }
                grouped.append(c)
            }
            wholeText = grouped
        }
        var text = (negative ? (ascii ? "-" : "−") : "") + wholeText
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// `value` with about `significant` significant digits, for annotations and summaries:
    /// `0.873`, `1,235`, `0.00012`, `3.2e-07`.
    public static func value(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite else { return fixed(value, decimals: 0) }
        if value == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        if magnitude < -4 || magnitude >= 15 { return scientific(value, significant: significant) }
        let decimals = max(0, significant - 1 - magnitude)
        return fixed(value, decimals: decimals)
    }

    /// `value` as a percentage of 1 (`0.0123` → `1.23%`) with `decimals` decimals.
    public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
        fixed(fraction * 100, decimals: decimals, grouping: true) + "%"
    }

    /// A plain integer with thousands grouped: `1,234,567` (`ascii`: `-` as the minus).
    public static func integer(_ value: Int, ascii: Bool = false) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (value < 0 ? (ascii ? "-" : "−") : "") + out
    }

    /// The shortest exact text of a number, for labels that must read back as the same value:
    /// `12`, `0.25`, `1e-07` (integers below 10¹⁵ without a decimal point).
    public static func exact(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// Scientific notation with `significant` digits: `3.20e-07`.
    public static func scientific(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite, value != 0 else { return fixed(value, decimals: 0) }
        var exponent = Int(floor(log10(abs(value))))
        var mantissa = value / pow(10.0, Double(exponent))
        let decimals = max(0, significant - 1)
        // Rounding can carry into the next power of ten (9.996 → 10.0).
        if abs((mantissa * pow(10.0, Double(decimals))).rounded()) >= 10 * pow(10.0, Double(decimals)) {
            exponent += 1
            mantissa = value / pow(10.0, Double(exponent))
        }
        let sign = exponent < 0 ? "-" : "+"
        let digits = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
        return fixed(mantissa, decimals: decimals, grouping: false) + "e" + sign + digits
    }

    /// The fewest decimals (at most 10) that show every multiple of `step` exactly.
    static func decimals(forStep step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        for d in 0...10 {
            let scaled = step * pow(10.0, Double(d))
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { return d }
        }
        return 10
    }
}

/// How an axis shows its tick values.
public enum TickFormat: Sendable, Equatable {
    /// Plain numbers with as many decimals as the tick step needs; values of 10,000 or more
    /// use SI suffixes (`25k`, `1.5M`).
    case number
    /// Fractions of 1 shown as percentages (`0.25` → `25%`).
    case percent
    /// Integers only (counts, sample numbers), grouped: `12,000`.
    case integer

    /// The text for `value` on an axis whose ticks are `step` apart.
    func label(_ value: Double, step: Double) -> String {
        let value = abs(value) < step * 1e-9 ? 0 : value  // avoid −0 and 1e-17 from accumulation
        switch self {
        case .percent:
            return NumberFormat.fixed(value * 100, decimals: NumberFormat.decimals(forStep: step * 100)) + "%"
        case .integer:
            return NumberFormat.fixed(value.rounded(), decimals: 0)
        case .number:
            let magnitude = max(abs(value), step)
            for (threshold, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")] where magnitude >= threshold {
                let unit = threshold == 1e4 ? 1e3 : threshold
                return NumberFormat.fixed(value / unit, decimals: NumberFormat.decimals(forStep: step / unit), grouping: false) + suffix
            }
            if step < 1e-4 { return value == 0 ? "0" : NumberFormat.scientific(value, significant: 2) }
            return NumberFormat.fixed(value, decimals: NumberFormat.decimals(forStep: step))
        }
    }
}
