#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One axis of a chart: what it measures, in which unit, over which range.
public struct Axis: Sendable, Equatable {
    /// How data values map to positions.
    public enum Scale: Sendable, Equatable {
        case linear
        /// Base-10 logarithmic; every value must be positive.
        case logarithmic
    }

    /// What the axis measures, such as "False positive rate".
    public var label: String
    /// The unit, shown in parentheses after the label: "ms", "MB", "$".
    public var unit: String?
    /// A fixed range; when nil the range is the data's, widened to nice round ticks.
    public var range: ClosedRange<Double>?
    public var scale: Scale
    public var format: TickFormat
    /// Whether an automatic range must include zero (bar lengths, counts).
    public var includesZero: Bool

    public init(_ label: String, unit: String? = nil, range: ClosedRange<Double>? = nil, scale: Scale = .linear,
                format: TickFormat = .number, includesZero: Bool = false) {
        self.label = label
        self.unit = unit
        self.range = range
        self.scale = scale
        self.format = format
        self.includesZero = includesZero
    }

    /// The label with its unit: "Latency (ms)".
    public var title: String {
        guard let unit, !unit.isEmpty else { return label }
        return "\(label) (\(unit))"
    }

    /// A 0…1 axis for rates and probabilities.
    public static func unit(_ label: String) -> Axis { Axis(label, range: 0...1) }
}

/// A resolved axis: its domain, ticks and the map from data to pixels.
struct ResolvedAxis {
    let axis: Axis
    var low: Double
    var high: Double
    var ticks: [Double]
    var step: Double
    /// Pixel positions of `low` and `high`.
    var pixelLow = 0.0
    var pixelHigh = 1.0

    /// Resolves `axis` for `values` (non-finite ones ignored) aiming at about `tickTarget` ticks.
    init(_ axis: Axis, values: [Double], tickTarget: Int) {
        self.axis = axis
        let finite = values.filter { $0.isFinite && (axis.scale == .linear || $0 > 0) }
        var low: Double, high: Double
        if let range = axis.range {
            low = range.lowerBound
            high = range.upperBound
        } else {
            low = finite.min() ?? 0
            high = finite.max() ?? 1
            if axis.includesZero && axis.scale == .linear {
                low = min(low, 0)
                high = max(high, 0)
            }
        }
        if axis.scale == .logarithmic {
            low = low > 0 ? low : 1
            high = high > low ? high : low * 10
            let ticks = Self.logTicks(low: low, high: high, nice: axis.range == nil)
            let domainLow = axis.range == nil ? ticks.first! : low
            let domainHigh = axis.range == nil ? ticks.last! : high
            self.low = domainLow
            self.high = domainHigh
            self.ticks = ticks.filter { $0 >= domainLow * (1 - 1e-9) && $0 <= domainHigh * (1 + 1e-9) }
            step = 1
            return
        }
        if high - low <= abs(high) * 1e-12 || high <= low {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = Self.niceStep((high - low) / Double(max(tickTarget - 1, 1)))
        if axis.range == nil {
            low = floor(low / step + 1e-9) * step
            high = ceil(high / step - 1e-9) * step
        }
        var ticks: [Double] = []
        var t = ceil(low / step - 1e-9) * step
        while t <= high + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        if axis.format == .integer {
            ticks = ticks.filter { abs($0 - $0.rounded()) < 1e-9 }
        }
        self.low = low
        self.high = high
        self.ticks = ticks
        self.step = step
    }

    /// The pixel position of `value`.
    func pixel(_ value: Double) -> Double {
        let fraction: Double
        if axis.scale == .logarithmic {
            fraction = (log10(max(value, 1e-300)) - log10(low)) / (log10(high) - log10(low))
        } else {
            fraction = (value - low) / (high - low)
        }
        return pixelLow + fraction * (pixelHigh - pixelLow)
    }

    /// Whether `value` lies inside the domain (with a little tolerance).
    func contains(_ value: Double) -> Bool {
        let tolerance = axis.scale == .logarithmic ? 0 : (high - low) * 1e-9
        return value >= low - tolerance && value <= high + tolerance
    }

    func label(_ value: Double) -> String {
        if axis.scale == .logarithmic {
            let step = pow(10, floor(log10(value)))
            return axis.format.label(value, step: step)
        }
        return axis.format.label(value, step: step)
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for multiple in [1.0, 2.0, 2.5, 5.0, 10.0] where multiple * power >= rough * (1 - 1e-9) {
            return multiple * power
        }
        return 10 * power
    }

    /// Ticks for a log axis: powers of ten, with 2 and 5 between them when the span is small.
    static func logTicks(low: Double, high: Double, nice: Bool) -> [Double] {
        let first = floor(log10(low)), last = ceil(log10(high))
        let decades = Int(last - first)
        let multiples: [Double] = decades <= 2 ? [1, 2, 5] : (decades <= 4 ? [1, 3] : [1])
        var ticks: [Double] = []
        for e in Int(first)...Int(last) {
            for m in multiples {
                let t = m * pow(10, Double(e))
                ticks.append(t)
            }
        }
        if nice {
            // Trim to the tightest ticks that still enclose the data.
            let lowerIndex = ticks.lastIndex { $0 <= low * (1 + 1e-9) } ?? 0
            let upperIndex = ticks.firstIndex { $0 >= high * (1 - 1e-9) } ?? ticks.count - 1
            return Array(ticks[lowerIndex...upperIndex])
        }
        return ticks
    }
}
