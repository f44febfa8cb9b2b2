#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named sequence of points for line and scatter charts.
public struct Series: Sendable, Equatable {
    public var name: String
    public var points: [PlotPoint]
    public var dashed: Bool
    public init(_ name: String, points: [PlotPoint], dashed: Bool = false) {
        self.name = name
        self.points = points
        self.dashed = dashed
    }
    /// A series from parallel arrays of x and y values.
    public init(_ name: String, x: [Double], y: [Double], dashed: Bool = false) {
        precondition(x.count == y.count, "Series: x and y differ in length")
        self.init(name, points: zip(x, y).map { PlotPoint($0, $1) }, dashed: dashed)
    }
}

/// Lines through ordered points: training curves, metrics against a parameter.
public struct LineChart: Chart {
    public var title: String
    public var subtitle: String?
    public var x: Axis
    public var y: Axis
    public var series: [Series]
    /// Draws every data point as a dot on its line.
    public var showsPoints: Bool
    public var referenceLines: [ReferenceLine]
    public var markers: [PlotMarker]
    public var size: ChartSize

    public init(title: String, subtitle: String? = nil, x: Axis, y: Axis, series: [Series], showsPoints: Bool = false,
                referenceLines: [ReferenceLine] = [], markers: [PlotMarker] = [], size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.y = y
        self.series = series
        self.showsPoints = showsPoints
        self.referenceLines = referenceLines
        self.markers = markers
        self.size = size
    }

    /// The chart as a general plot, to add more layers.
    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: x, y: y, size: size)
        referenceLines.forEach { plot.addReferenceLine($0) }
        for (i, s) in series.enumerated() {
            plot.addLine(series.count > 1 ? s.name : "", points: s.points, color: ChartStyle.color(i), dashed: s.dashed)
            if showsPoints { plot.addScatter("", points: s.points, color: ChartStyle.color(i), radius: 3, opacity: 1) }
        }
        markers.forEach { plot.addMarker($0) }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// Points without lines, one colour per series.
public struct ScatterChart: Chart {
    public var title: String
    public var subtitle: String?
    public var x: Axis
    public var y: Axis
    public var series: [Series]
    public var referenceLines: [ReferenceLine]
    public var size: ChartSize

    public init(title: String, subtitle: String? = nil, x: Axis, y: Axis, series: [Series],
                referenceLines: [ReferenceLine] = [], size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.y = y
        self.series = series
        self.referenceLines = referenceLines
        self.size = size
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: x, y: y, size: size)
        referenceLines.forEach { plot.addReferenceLine($0) }
        let total = series.reduce(0) { $0 + $1.points.count }
        for (i, s) in series.enumerated() {
            plot.addScatter(series.count > 1 ? s.name : "", points: s.points, color: ChartStyle.color(i),
                            radius: total > 2000 ? 2 : 3.5, opacity: total > 2000 ? 0.5 : 0.85)
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// Equal-width bins over a range, shared by the histogram charts.
public struct Binning: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public var count: Int

    public init(low: Double, high: Double, count: Int) {
        precondition(count >= 1 && high > low, "Binning: need at least one bin over a non-empty range")
        self.low = low
        self.high = high
        self.count = count
    }

    /// Bins covering `values` (finite ones), about `count` of them, on nice round edges.
    public static func covering(_ values: [Double], count: Int = 30) -> Binning {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high <= low { low -= 0.5; high += 0.5 }
        let width = ResolvedAxis.niceStep((high - low) / Double(max(count, 1)))
        low = floor(low / width) * width
        high = ceil(high / width) * width
        if high <= low { high = low + width }
        return Binning(low: low, high: high, count: max(1, Int(((high - low) / width).rounded())))
    }

    public var width: Double { (high - low) / Double(count) }

    /// How many of `values` fall in each bin (the last bin includes `high`; values outside
    /// the range and non-finite values are not counted).
    public func counts(_ values: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: count)
        for v in values where v.isFinite && v >= low && v <= high {
            counts[min(Int((v - low) / width), count - 1)] += 1
        }
        return counts
    }

    /// The left edge of bin `i`.
    public func edge(_ i: Int) -> Double { low + Double(i) * width }
}

/// What a histogram's bar heights mean.
public enum HistogramScale: Sendable, Equatable {
    /// Number of values in the bin.
    case count
    /// Fraction of the group's values in the bin (groups of different sizes compare fairly).
    case share
}

/// The distribution of one or more groups of values over shared bins, with optional
/// reference lines (specification limits, a threshold). Several groups are overlaid in
/// translucent colours with their outlines.
public struct Histogram: Chart {
    public var title: String
    public var subtitle: String?
    public var x: Axis
    public var groups: [(name: String, values: [Double])]
    public var binning: Binning?
    public var scale: HistogramScale
    public var referenceLines: [ReferenceLine]
    public var size: ChartSize

    public init(title: String, subtitle: String? = nil, x: Axis, groups: [(name: String, values: [Double])],
                binning: Binning? = nil, scale: HistogramScale = .count, referenceLines: [ReferenceLine] = [],
                size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.groups = groups
        self.binning = binning
        self.scale = scale
        self.referenceLines = referenceLines
        self.size = size
    }

    /// A histogram of one group of values.
    public init(title: String, subtitle: String? = nil, x: Axis, values: [Double], binning: Binning? = nil,
                referenceLines: [ReferenceLine] = [], size: ChartSize = .standard) {
        self.init(title: title, subtitle: subtitle, x: x, groups: [(name: "", values: values)], binning: binning,
                  referenceLines: referenceLines, size: size)
    }

    public func plot() -> XYPlot {
        let bins = binning ?? Binning.covering(groups.flatMap(\.values), count: 30)
        let yAxis = Axis(scale == .count ? "Count" : "Share of group", range: nil,
                         format: scale == .count ? .integer : .percent, includesZero: true)
        var plot = XYPlot(title: title, subtitle: subtitle, x: x, y: yAxis, size: size)
        let overlaid = groups.count > 1
        for (g, group) in groups.enumerated() {
            let counts = bins.counts(group.values)
            let total = Double(max(counts.reduce(0, +), 1))
            let heights = counts.map { scale == .count ? Double($0) : Double($0) / total }
            let rects = heights.indices.map { PlotRect(x0: bins.edge($0), x1: bins.edge($0 + 1), y0: 0, y1: heights[$0]) }
            plot.addRectangles(overlaid ? group.name : "", rects: rects, color: ChartStyle.color(g),
                               opacity: overlaid ? 0.35 : 0.75, role: "bins")
            if overlaid {
                var outline = [PlotPoint(bins.low, 0)]
                for (i, h) in heights.enumerated() {
                    outline.append(PlotPoint(bins.edge(i), h))
                    outline.append(PlotPoint(bins.edge(i + 1), h))
                }
                outline.append(PlotPoint(bins.high, 0))
                plot.addLine("", points: outline, color: ChartStyle.color(g), width: 1.5, role: "outline")
            }
        }
        referenceLines.forEach { plot.addReferenceLine($0) }
        return plot
    }

    public func svg() -> String { plot().svg() }
}
