import Foundation
import LeptonCore

/// Process capability against specification limits (one- or two-sided), with confidence intervals:
///
///     Cp  = (USL − LSL) / 6σ_within              Cpk = min(USL − μ, μ − LSL) / 3σ_within
///     Pp  = (USL − LSL) / 6σ_overall             Ppk = min(USL − μ, μ − LSL) / 3σ_overall
///     Cpm = (USL − LSL) / 6√(σ_within² + (μ − T)²)
///
/// μ is the Phase I centre, σ_within the chart's within-subgroup estimate (R̄/d2, s̄/c4, MR̄/d2) and
/// σ_overall the standard deviation (n − 1) of every Phase I value. With one limit only, Cp, Pp
/// and Cpm are undefined and Cpk/Ppk use that side. Intervals at `level` (N Phase I values):
/// Cp·√(χ²_{α/2, N−1}/(N−1)) … Cp·√(χ²_{1−α/2, N−1}/(N−1)); Cpk (Bissell) Cpk ∓ z·√(1/(9N) + Cpk²/(2(N−1))).
/// For non-normal data, the percentile capability replaces 6σ by P99.865 − P0.135 and μ by the median.
public struct Capability: Sendable, Equatable {
    public var cp: Double?
    public var cpk: Double
    public var pp: Double?
    public var ppk: Double
    public var cpm: Double?
    public var cpInterval: ClosedRange<Double>?
    public var cpkInterval: ClosedRange<Double>
    /// Percentile (non-normal) capability: Pp and Ppk with the 0.135 % and 99.865 % percentiles.
    public var percentilePp: Double?
    public var percentilePpk: Double

    /// Capability of `values` (the Phase I values) around `center` with `withinSigma`.
    public static func compute(values: [Double], center: Double, withinSigma: Double, lsl: Double?, usl: Double?,
                               target: Double? = nil, level: Double = 0.95) throws -> Capability {
        guard lsl != nil || usl != nil else {
            throw ChartError(message: "capability needs a specification limit", hint: "give --lsl, --usl or both")
        }
        if let lsl, let usl, !(lsl < usl) {
            throw ChartError(message: "the specification limits are reversed or equal (LSL \(lsl), USL \(usl))",
                             hint: "give --lsl below --usl")
        }
        let n = values.count
        guard n >= 2, withinSigma > 0 else {
            throw ChartError(message: "capability needs at least 2 values and a positive σ", hint: "chart more data")
        }
        let overall = ControlCharts.sd(values)
        func index(_ sigma: Double, spread6: Double? = nil, centre: Double = center, lower: Double? = nil, upper: Double? = nil)
            -> (p: Double?, pk: Double) {
            let low = lower ?? 3 * sigma, high = upper ?? 3 * sigma
            let p = (lsl != nil && usl != nil) ? (usl! - lsl!) / (spread6 ?? 6 * sigma) : nil
            let sides = [usl.map { ($0 - centre) / high }, lsl.map { (centre - $0) / low }].compactMap { $0 }
            return (p, sides.min()!)
        }
        let within = index(withinSigma), overallIndex = index(overall)
        var result = Capability(cp: within.p, cpk: within.pk, pp: overallIndex.p, ppk: overallIndex.pk, cpm: nil, cpInterval: nil,
                                cpkInterval: 0...0, percentilePp: nil, percentilePpk: 0)
        if let target, let lsl, let usl {
            result.cpm = (usl - lsl) / (6 * (withinSigma * withinSigma + (center - target) * (center - target)).squareRoot())
        }
        let alpha = 1 - level, dof = n - 1
        if let cp = within.p {
            result.cpInterval = cp * (chiSquareQuantile(alpha / 2, degreesOfFreedom: dof) / Double(dof)).squareRoot()
                ... cp * (chiSquareQuantile(1 - alpha / 2, degreesOfFreedom: dof) / Double(dof)).squareRoot()
        }
        let z = normalQuantile(1 - alpha / 2)
        let half = z * (1 / (9 * Double(n)) + within.pk * within.pk / (2 * Double(dof))).squareRoot()
        result.cpkInterval = (within.pk - half)...(within.pk + half)
        let sorted = values.sorted()
        let low = percentile(sorted, 0.00135), median = percentile(sorted, 0.5), high = percentile(sorted, 0.99865)
        if high > median, median > low {
            let p = index(0, spread6: high - low, centre: median, lower: median - low, upper: high - median)
            result.percentilePp = p.p
            result.percentilePpk = p.pk
        }
        return result
    }

    /// The q-quantile of sorted values, interpolating linearly between order statistics (type 7).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let i = Int(h.rounded(.down)), j = min(i + 1, sorted.count - 1)
        return sorted[i] + (h - Double(i)) * (sorted[j] - sorted[i])
    }
}
