import Foundation
import LeptonIO

/// The kinds of control chart.
public enum ChartType: String, Sendable, CaseIterable, Codable {
    /// Individuals and moving range (subgroups of one).
    case imr
    /// Subgroup means and ranges.
    case xbarR = "xbar-r"
    /// Subgroup means and standard deviations.
    case xbarS = "xbar-s"
    /// Fraction nonconforming, with a sample-size column.
    case p
    /// Number nonconforming.
    case np
    /// Count of defects per unit of equal size.
    case c
    /// Defects per unit, with a size column.
    case u
    /// Exponentially weighted moving average of individual values (or subgroup means).
    case ewma
    /// Tabular CUSUM of individual values (or subgroup means).
    case cusum
}

/// One plotted chart: its statistic, centre line, limits (one pair per point, as they may vary
/// with subgroup size or, for EWMA, with time) and the points that break a rule.
public struct PlottedChart: Sendable, Equatable {
    /// `xbar`, `r`, `s`, `i`, `mr`, `p`, `np`, `c`, `u`, `ewma` or `cusum`.
    public var name: String
    public var points: [Double]
    public var center: [Double]
    public var lcl: [Double]
    public var ucl: [Double]
    /// 1-based point index and rule number.
    public var violations: [(index: Int, rule: Int)]
    /// CUSUM only: the lower statistic −C⁻ (drawn below zero).
    public var lowerPoints: [Double]?

    public static func == (a: PlottedChart, b: PlottedChart) -> Bool {
        a.name == b.name && a.points == b.points && a.center == b.center && a.lcl == b.lcl && a.ucl == b.ucl
            && a.violations.elementsEqual(b.violations) { $0.index == $1.index && $0.rule == $1.rule } && a.lowerPoints == b.lowerPoints
    }
}

/// What Phase I estimated, so that later data can be charted against the same limits (Phase II):
/// the centre and the within-subgroup σ (R̄/d2, s̄/c4 or MR̄/d2), or p̄ / c̄ / ū for count charts.
public struct ChartLimits: Codable, Sendable, Equatable {
    public var type: ChartType
    /// X̄̄ (or the individuals' mean), p̄, c̄ or ū; for EWMA and CUSUM the target μ₀.
    public var center: Double
    /// The within-subgroup standard deviation of one value (nil for count charts).
    public var sigma: Double?
    /// EWMA λ and width L; CUSUM k and h (in σ).
    public var lambda: Double?
    public var width: Double?
    public var k: Double?
    public var h: Double?
}

/// Settings of a chart: plain values.
public struct ChartSettings: Sendable {
    public var type: ChartType
    public var rules: RuleSet = .westernElectric
    /// Phase I subgroups (points for individuals and count charts), 0-based half-open; nil: all.
    public var phase1: Range<Int>?
    /// Drop Phase I subgroups beyond the limits and estimate again, until none is.
    public var excludeOutOfControl = false
    /// Limits from an earlier Phase I (then every point is Phase II).
    public var limits: ChartLimits?
    public var lambda = 0.2
    public var ewmaWidth = 3.0
    /// EWMA limits at their asymptotic width Lσ√(λ/(2−λ)) from the first point (r-cran-spc's
    /// "fix" limits) instead of the exact, narrower early ones (qcc's).
    public var ewmaAsymptoticLimits = false
    public var cusumK = 0.5
    public var cusumH = 5.0

    public init(type: ChartType) { self.type = type }
}

/// Why a chart cannot be drawn from the data, with a hint.
public struct ChartError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var hint: String
    public var description: String { "\(message). Hint: \(hint)" }
}

/// Control charts of subgrouped measurements or counts (Montgomery, *Introduction to Statistical
/// Quality Control*; the same estimators as R's qcc):
///
/// - X̄–R: σ̂ = mean(Rᵢ/d2(nᵢ)); X̄ limits X̄̄ ± 3σ̂/√nᵢ; R: centre d2σ̂, limits (d2 ± 3d3)σ̂, LCL ≥ 0.
/// - X̄–S: σ̂ = mean(sᵢ/c4(nᵢ)); X̄ as above; S: centre c4σ̂, limits (c4 ± 3√(1−c4²))σ̂, LCL ≥ 0.
/// - I-MR: σ̂ = MR̄/d2(2); I limits x̄ ± 3σ̂; MR: centre MR̄, UCL (d2 + 3d3)(2)·σ̂, LCL 0.
/// - p: p̄ = Σxᵢ/Σnᵢ, limits p̄ ± 3√(p̄(1−p̄)/nᵢ) in [0, 1]; np: nᵢp̄ ± 3√(nᵢp̄(1−p̄)); c: c̄ ± 3√c̄;
///   u: ū = Σcᵢ/Σnᵢ, limits ū ± 3√(ū/nᵢ); lower limits clipped at 0.
/// - EWMA: zᵢ = λxᵢ + (1−λ)zᵢ₋₁, z₀ = μ₀, limits μ₀ ± Lσ̂√(λ/(2−λ)·(1 − (1−λ)^{2i})) (σ̂ of a
///   plotted value: of one value for individuals, σ̂/√n for subgroup means).
/// - CUSUM: C⁺ᵢ = max(0, xᵢ − μ₀ − kσ̂ + C⁺ᵢ₋₁), C⁻ᵢ = max(0, μ₀ − kσ̂ − xᵢ + C⁻ᵢ₋₁), signal beyond hσ̂.
public enum ControlCharts {
    /// The charts of `subgroups` (measurements: one array per subgroup; count charts: one value
    /// each, with `sizes`) and the Phase I estimates.
    public static func compute(_ subgroups: [[Double]], sizes: [Double]? = nil, settings: ChartSettings) throws
        -> (charts: [PlottedChart], limits: ChartLimits) {
        try compute(Subgroups(subgroups), sizes: sizes, settings: settings)
    }

    /// ``compute(_:sizes:settings:)`` on subgroups kept in one flat array.
    public static func compute(_ subgroups: Subgroups, sizes: [Double]? = nil, settings: ChartSettings) throws
        -> (charts: [PlottedChart], limits: ChartLimits) {
        let k = subgroups.count
        guard k > 0 else { throw ChartError(message: "no values to chart", hint: "check --column and that the file has rows") }
        let phase1 = settings.phase1 ?? 0..<k
        guard phase1.lowerBound >= 0, phase1.upperBound <= k, !phase1.isEmpty else {
            throw ChartError(message: "Phase I \(phase1.lowerBound + 1):\(phase1.upperBound) is outside the \(k) subgroups or points",
                             hint: "give --phase1 FIRST:LAST within 1…\(k)")
        }
        var included = Array(phase1)  // ascending
        while true {
            let limits = try settings.limits ?? estimate(subgroups, sizes: sizes, phase1: included, settings: settings)
            let charts = try draw(subgroups, sizes: sizes, limits: limits, settings: settings)
            guard settings.excludeOutOfControl, settings.limits == nil else { return (charts, limits) }
            // Subgroups beyond the limits of the first chart (X̄, I, p…) leave Phase I.
            let out = Set(charts[0].violations.filter { $0.rule == 1 }.map { $0.index - 1 })
            let kept = included.filter { !out.contains($0) }
            if kept.count == included.count || kept.isEmpty { return (charts, limits) }
            included = kept
        }
    }

    /// Phase I estimates from the subgroups at `rows`.
    static func estimate(_ subgroups: Subgroups, sizes: [Double]?, phase1 rows: [Int], settings: ChartSettings) throws -> ChartLimits {
        let type = settings.type
        var limits = ChartLimits(type: type, center: 0, sigma: nil)
        switch type {
        case .xbarR, .xbarS:
            for i in rows where subgroups[i].count < 2 {
                throw ChartError(message: "subgroup \(i + 1) has \(subgroups[i].count) value; \(type == .xbarR ? "X̄–R" : "X̄–S") needs at least 2 per subgroup",
                                 hint: "use --type imr for individual values, or a larger --subgroup-size")
            }
            let all = rows.flatMap { subgroups[$0] }
            limits.center = mean(all)  // the grand mean: subgroup means weighted by their sizes
            limits.sigma = type == .xbarR
                ? rows.map { range(subgroups[$0]) / ControlConstants.d2(subgroups[$0].count) }.reduce(0, +) / Double(rows.count)
                : rows.map { sd(subgroups[$0]) / ControlConstants.c4(subgroups[$0].count) }.reduce(0, +) / Double(rows.count)
        case .ewma where rows.allSatisfy({ subgroups[$0].count >= 2 }), .cusum where rows.allSatisfy({ subgroups[$0].count >= 2 }):
            // Subgroup means: σ of one value from within the subgroups (R̄/d2), as qcc does.
            limits.center = mean(rows.flatMap { subgroups[$0] })
            limits.sigma = rows.map { range(subgroups[$0]) / ControlConstants.d2(subgroups[$0].count) }.reduce(0, +) / Double(rows.count)
            if type == .ewma { (limits.lambda, limits.width) = (settings.lambda, settings.ewmaWidth) }
            if type == .cusum { (limits.k, limits.h) = (settings.cusumK, settings.cusumH) }
        case .imr, .ewma, .cusum:
            let values = rows.map { mean(subgroups[$0]) }
            guard values.count >= 2 else {
                throw ChartError(message: "Phase I has \(values.count) point; σ needs at least 2", hint: "widen --phase1")
            }
            limits.center = mean(values)
            var moving = 0.0, pairs = 0
            for (a, b) in zip(rows, rows.dropFirst()) where b == a + 1 {
                moving += abs(mean(subgroups[b]) - mean(subgroups[a]))
                pairs += 1
            }
            guard pairs > 0 else { throw ChartError(message: "Phase I has no two consecutive points", hint: "widen --phase1") }
            limits.sigma = moving / Double(pairs) / ControlConstants.d2(2)
            if type == .ewma { (limits.lambda, limits.width) = (settings.lambda, settings.ewmaWidth) }
            if type == .cusum { (limits.k, limits.h) = (settings.cusumK, settings.cusumH) }
        case .p, .np, .u:
            guard let sizes else { throw ChartError(message: "a \(type.rawValue) chart needs sample sizes", hint: "name the size column with --size") }
            let defects = rows.map { subgroups[$0].first! }.reduce(0, +), total = rows.map { sizes[$0] }.reduce(0, +)
            guard total > 0 else { throw ChartError(message: "the Phase I sample sizes add up to 0", hint: "check --size") }
            limits.center = defects / total
        case .c:
            limits.center = rows.map { subgroups[$0].first! }.reduce(0, +) / Double(rows.count)
        }
        if let sigma = limits.sigma, !sigma.isFinite || !limits.center.isFinite {
            throw ChartError(message: "the values are too large to chart (σ or the centre overflows a double)",
                             hint: "rescale the column (a unit change) or leave out the extreme values")
        }
        if let sigma = limits.sigma, !(sigma > 0) {
            throw ChartError(message: "the values are constant in Phase I (σ = \(sigma)): the control limits would have zero width",
                             hint: "chart a column that varies, or a longer Phase I")
        }
        return limits
    }

    /// The plotted charts for `limits`, with rule violations.
    static func draw(_ subgroups: Subgroups, sizes: [Double]?, limits: ChartLimits, settings: ChartSettings) throws -> [PlottedChart] {
        let k = subgroups.count, type = settings.type
        let center = limits.center, sigma = limits.sigma ?? 0
        func chart(_ name: String, _ points: [Double], _ c: [Double], _ lcl: [Double], _ ucl: [Double], rules: RuleSet?) -> PlottedChart {
            let found = rules.map { $0.violations(points: points, center: c, lcl: lcl, ucl: ucl) }
                ?? (0..<points.count).filter { points[$0] > ucl[$0] || points[$0] < lcl[$0] }.map { ($0, 1) }
            return PlottedChart(name: name, points: points, center: c, lcl: lcl, ucl: ucl, violations: found.map { ($0.index + 1, $0.rule) })
        }
        switch type {
        case .xbarR, .xbarS:
            let n = subgroups.map(\.count)
            if let small = n.firstIndex(where: { $0 < 2 }) {
                throw ChartError(message: "subgroup \(small + 1) has \(n[small]) value; \(type == .xbarR ? "X̄–R" : "X̄–S") needs at least 2 per subgroup",
                                 hint: "use --type imr for individual values, or a larger --subgroup-size")
            }
            let means = subgroups.map(mean)
            let xbar = chart("xbar", means, Array(repeating: center, count: k),
                             n.map { center - 3 * sigma / Double($0).squareRoot() }, n.map { center + 3 * sigma / Double($0).squareRoot() },
                             rules: settings.rules)
            if type == .xbarR {
                let d2 = n.map(ControlConstants.d2), d3 = n.map(ControlConstants.d3)
                return [xbar, chart("r", subgroups.map(range), d2.map { $0 * sigma }, (0..<k).map { max(0, (d2[$0] - 3 * d3[$0]) * sigma) },
                                    (0..<k).map { (d2[$0] + 3 * d3[$0]) * sigma }, rules: settings.rules)]
            }
            let c4 = n.map(ControlConstants.c4)
            return [xbar, chart("s", subgroups.map(sd), c4.map { $0 * sigma }, c4.map { max(0, ($0 - 3 * (1 - $0 * $0).squareRoot()) * sigma) },
                                c4.map { ($0 + 3 * (1 - $0 * $0).squareRoot()) * sigma }, rules: settings.rules)]
        case .imr:
            let x = subgroups.map(mean)
            let mr = zip(x, x.dropFirst()).map { abs($1 - $0) }
            let d2 = ControlConstants.d2(2), d3 = ControlConstants.d3(2)
            return [chart("i", x, Array(repeating: center, count: k), Array(repeating: center - 3 * sigma, count: k),
                          Array(repeating: center + 3 * sigma, count: k), rules: settings.rules),
                    chart("mr", mr, Array(repeating: d2 * sigma, count: mr.count), Array(repeating: max(0, (d2 - 3 * d3) * sigma), count: mr.count),
                          Array(repeating: (d2 + 3 * d3) * sigma, count: mr.count), rules: settings.rules)]
        case .p, .np, .u:
            guard let sizes, sizes.allSatisfy({ $0 > 0 }) else {
                throw ChartError(message: "a \(type.rawValue) chart needs a positive sample size for every point", hint: "check --size")
            }
            let x = subgroups.map { $0.first! }, pbar = center
            switch type {
            case .p:
                let spread = sizes.map { 3 * (pbar * (1 - pbar) / $0).squareRoot() }
                return [chart("p", zip(x, sizes).map { $0 / $1 }, Array(repeating: pbar, count: k), spread.map { max(0, pbar - $0) },
                              spread.map { min(1, pbar + $0) }, rules: settings.rules)]
            case .np:
                return [chart("np", x, sizes.map { $0 * pbar }, sizes.map { max(0, $0 * pbar - 3 * ($0 * pbar * (1 - pbar)).squareRoot()) },
                              sizes.map { $0 * pbar + 3 * ($0 * pbar * (1 - pbar)).squareRoot() }, rules: settings.rules)]
            default:
                return [chart("u", zip(x, sizes).map { $0 / $1 }, Array(repeating: pbar, count: k), sizes.map { max(0, pbar - 3 * (pbar / $0).squareRoot()) },
                              sizes.map { pbar + 3 * (pbar / $0).squareRoot() }, rules: settings.rules)]
            }
        case .c:
            let x = subgroups.map { $0.first! }
            return [chart("c", x, Array(repeating: center, count: k), Array(repeating: max(0, center - 3 * center.squareRoot()), count: k),
                          Array(repeating: center + 3 * center.squareRoot(), count: k), rules: settings.rules)]
        case .ewma:
            let lambda = limits.lambda ?? settings.lambda, width = limits.width ?? settings.ewmaWidth
            let n = subgroups.map(\.count)
            var z = center
            var points: [Double] = [], lcl: [Double] = [], ucl: [Double] = []
            for (i, group) in subgroups.enumerated() {
                z = lambda * mean(group) + (1 - lambda) * z
                let s = sigma / Double(n[i]).squareRoot()
                let growth = settings.ewmaAsymptoticLimits ? 1 : 1 - pow(1 - lambda, 2 * Double(i + 1))
                let spread = width * s * (lambda / (2 - lambda) * growth).squareRoot()
                points.append(z)
                lcl.append(center - spread)
                ucl.append(center + spread)
            }
            return [chart("ewma", points, Array(repeating: center, count: k), lcl, ucl, rules: nil)]
        case .cusum:
            let kk = (limits.k ?? settings.cusumK), hh = (limits.h ?? settings.cusumH)
            var upper = 0.0, lower = 0.0
            var plus: [Double] = [], minus: [Double] = []
            for group in subgroups {
                let s = sigma / Double(group.count).squareRoot(), x = mean(group)
                upper = max(0, x - center - kk * s + upper)
                lower = max(0, center - kk * s - x + lower)
                plus.append(upper)
                minus.append(-lower)
            }
            let h = subgroups.map { hh * sigma / Double($0.count).squareRoot() }
            var c = chart("cusum", plus, Array(repeating: 0, count: k), h.map { -$0 }, h, rules: nil)
            c.violations = (0..<k).filter { plus[$0] > h[$0] || minus[$0] < -h[$0] }.map { ($0 + 1, 1) }
            c.lowerPoints = minus
            return [c]
        }
    }

    static func mean(_ x: some Collection<Double>) -> Double { x.reduce(0, +) / Double(max(x.count, 1)) }
    static func range(_ x: some Collection<Double>) -> Double { (x.max() ?? 0) - (x.min() ?? 0) }
    /// The sample standard deviation (n − 1).
    static func sd(_ x: some Collection<Double>) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }
}

/// Subgroups of measurements in one flat array (no array per subgroup): subgroup i is
/// `values[starts[i]..<starts[i + 1]]`.
public struct Subgroups: RandomAccessCollection, Sendable {
    public let values: [Double]
    let starts: [Int]

    public var startIndex: Int { 0 }
    public var endIndex: Int { starts.count - 1 }
    public subscript(i: Int) -> ArraySlice<Double> { values[starts[i]..<starts[i + 1]] }

    /// One subgroup per array.
    public init(_ groups: [[Double]]) {
        values = groups.flatMap { $0 }
        var starts = [0]
        for g in groups { starts.append(starts.last! + g.count) }
        self.starts = starts
    }

    /// Consecutive subgroups of `size` values (the last one may be smaller).
    public init(values: [Double], size: Int) {
        precondition(size >= 1, "Subgroups: size must be at least 1")
        self.values = values
        starts = Array(stride(from: 0, to: values.count, by: size)) + [values.count]
    }
}
