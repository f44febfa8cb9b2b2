#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Horizontal bars, one row per category (feature importances, metrics per segment), so that
/// long category names stay readable. Several series give grouped bars with a legend.
public struct BarChart: Chart {
    public var title: String
    public var subtitle: String?
    public var categories: [String]
    /// One named list of values per series, each with one value per category.
    public var series: [Series]
    public var value: Axis
    /// Writes each bar's value at its end.
    public var showsValues: Bool
    public var referenceLines: [ReferenceLine]
    public var width: Double

    /// Bar values of one series.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double]
        public init(_ name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    public init(title: String, subtitle: String? = nil, categories: [String], series: [Series], value: Axis,
                showsValues: Bool = true, referenceLines: [ReferenceLine] = [], width: Double = 640) {
        for s in series { precondition(s.values.count == categories.count, "BarChart: one value per category in '\(s.name)'") }
        self.title = title
        self.subtitle = subtitle
        self.categories = categories
        self.series = series
        self.value = value
        self.showsValues = showsValues
        self.referenceLines = referenceLines
        self.width = max(width, 320)
    }

    /// One series of bars.
    public init(title: String, subtitle: String? = nil, categories: [String], values: [Double], value: Axis,
                showsValues: Bool = true, width: Double = 640) {
        self.init(title: title, subtitle: subtitle, categories: categories, series: [Series("", values: values)], value: value,
                  showsValues: showsValues, width: width)
    }

    public func svg() -> String {
        let padding = 14.0
        let barHeight = 16.0, barGap = 3.0, groupGap = 10.0
        let groupHeight = Double(series.count) * (barHeight + barGap) - barGap + groupGap
        let titleLines = TextMetrics.wrapped(title, toWidth: width - 2 * padding, size: ChartStyle.titleSize)
        let subtitleLines = subtitle.map { TextMetrics.wrapped($0, toWidth: width - 2 * padding, size: ChartStyle.fontSize) } ?? []
        var top = padding + Double(titleLines.count) * (ChartStyle.titleSize + 5) + Double(subtitleLines.count) * 16
        let shownNames = categories.map { TextMetrics.truncated($0, toWidth: width * 0.38, size: ChartStyle.fontSize) }
        let labelWidth = shownNames.map { TextMetrics.width($0, size: ChartStyle.fontSize) }.max() ?? 0
        let left = padding + labelWidth + 10
        let allValues = series.flatMap(\.values).filter(\.isFinite)
        var axis = value
        axis.includesZero = true
        var resolved = ResolvedAxis(axis, values: allValues + referenceLines.map(\.value), tickTarget: 6)
        // One number of decimals for every bar: three significant digits of the largest value.
        let largest = allValues.map(abs).max() ?? 1
        let decimals = largest > 0 ? max(0, min(6, 2 - Int(floor(log10(largest))))) : 0
        let valueTexts = series.flatMap { $0.values.filter(\.isFinite).map { NumberFormat.fixed($0, decimals: decimals) } }
        let valueRoom = showsValues ? (valueTexts.map { TextMetrics.width($0, size: ChartStyle.tickSize) }.max() ?? 0) + 8 : 0
        let right = width - padding - max(valueRoom, 10)
        let legendEntries = series.count > 1
            ? series.enumerated().map { XYPlot.LegendEntry(name: $0.element.name, color: ChartStyle.color($0.offset), swatch: .box, opacity: 0.85) }
            : []
        let legendRows = XYPlot.legendRows(legendEntries, width: right - left)
        let legendTop = top + 4
        top += legendRows.isEmpty ? 8 : Double(legendRows.count) * 20 + 8
        let bottom = top + Double(categories.count) * groupHeight
        let height = bottom + 8 + ChartStyle.tickSize + 8 + ChartStyle.labelSize + padding
        resolved.pixelLow = left
        resolved.pixelHigh = right
        // Fewer ticks when their labels would touch.
        var target = 6
        while target > 2 {
            let widest = resolved.ticks.map { TextMetrics.width(resolved.label($0), size: ChartStyle.tickSize) }.max() ?? 0
            if widest + 10 <= (right - left) / Double(max(resolved.ticks.count - 1, 1)) { break }
            target -= 1
            resolved = ResolvedAxis(axis, values: allValues + referenceLines.map(\.value), tickTarget: target)
            resolved.pixelLow = left
            resolved.pixelHigh = right
        }

        var svg = SVGWriter(width: width, height: height)
        var y = padding + ChartStyle.titleSize
        for line in titleLines {
            svg.text(line, x: padding, y: y, size: ChartStyle.titleSize, weight: "bold", extra: [("class", "chart-title")])
            y += ChartStyle.titleSize + 5
        }
        for line in subtitleLines {
            svg.text(line, x: padding, y: y - 2, color: ChartStyle.secondaryTextColor, extra: [("class", "chart-subtitle")])
            y += 16
        }
        if !legendRows.isEmpty {
            svg.open("g", [("class", "legend")])
            var ly = legendTop + 10
            for row in legendRows {
                var lx = left
                for (entry, w) in row {
                    svg.element("rect", [("x", svgNumber(lx + 2)), ("y", svgNumber(ly - 6)), ("width", "14"), ("height", "12"),
                                         ("fill", entry.color)])
                    svg.text(entry.name, x: lx + 24, y: ly + 4)
                    lx += w
                }
                ly += 20
            }
            svg.close("g")
        }
        svg.open("g", [("class", "axes")])
        for t in resolved.ticks {
            let px = resolved.pixel(t)
            svg.element("line", [("class", "grid"), ("x1", svgNumber(px)), ("x2", svgNumber(px)), ("y1", svgNumber(top)),
                                 ("y2", svgNumber(bottom)), ("stroke", ChartStyle.gridColor)])
            svg.text(resolved.label(t), x: px, y: bottom + 8 + ChartStyle.tickSize, size: ChartStyle.tickSize, anchor: .middle,
                     extra: [("class", "tick x-tick"), ("data-value", "\(t)")])
        }
        svg.element("line", [("class", "axis-line"), ("x1", svgNumber(left)), ("x2", svgNumber(right)), ("y1", svgNumber(bottom)),
                             ("y2", svgNumber(bottom)), ("stroke", ChartStyle.axisColor)])
        svg.text(TextMetrics.truncated(axis.title, toWidth: right - left, size: ChartStyle.labelSize), x: (left + right) / 2,
                 y: bottom + 8 + ChartStyle.tickSize + 8 + ChartStyle.labelSize, size: ChartStyle.labelSize, anchor: .middle,
                 weight: "bold", extra: [("class", "axis-title x-title")])
        svg.close("g")
        svg.open("g", [("class", "plot-area"), ("data-x-domain", "\(resolved.low) \(resolved.high)"),
                       ("data-box", "\(left) \(top) \(right) \(bottom)")])
        let zero = resolved.pixel(0)
        for (c, name) in shownNames.enumerated() {
            let groupTop = top + Double(c) * groupHeight + groupGap / 2
            svg.text(name, x: left - 8, y: groupTop + (groupHeight - groupGap) / 2 + 4, anchor: .end,
                     extra: [("class", "category")])
            for (s, item) in series.enumerated() {
                let v = item.values[c]
                guard v.isFinite else { continue }
                let by = groupTop + Double(s) * (barHeight + barGap)
                let px = resolved.pixel(v)
                svg.element("rect", [("class", "bar"), ("data-category", categories[c]), ("data-series", item.name),
                                     ("data-value", "\(v)"), ("x", svgNumber(min(px, zero))), ("y", svgNumber(by)),
                                     ("width", svgNumber(abs(px - zero))), ("height", svgNumber(barHeight)),
                                     ("fill", ChartStyle.color(s)), ("fill-opacity", "0.85")])
                if showsValues {
                    let text = NumberFormat.fixed(v, decimals: decimals)
                    svg.text(text, x: v >= 0 ? max(px, zero) + 4 : min(px, zero) - 4, y: by + barHeight - 4, size: ChartStyle.tickSize,
                             anchor: v >= 0 ? .start : .end, color: ChartStyle.secondaryTextColor, extra: [("class", "bar-value")])
                }
            }
        }
        svg.element("line", [("x1", svgNumber(zero)), ("x2", svgNumber(zero)), ("y1", svgNumber(top)), ("y2", svgNumber(bottom)),
                             ("stroke", ChartStyle.axisColor)])
        for line in referenceLines where line.orientation == .vertical {
            let px = resolved.pixel(line.value)
            var attributes = [("class", "rule \(line.role)"), ("x1", svgNumber(px)), ("x2", svgNumber(px)), ("y1", svgNumber(top)),
                              ("y2", svgNumber(bottom)), ("stroke", line.color), ("stroke-width", "1.5")]
            if line.dashed { attributes.append(("stroke-dasharray", "6 4")) }
            svg.element("line", attributes)
            if let label = line.label {
                svg.text(label, x: px + 4, y: top + 12, size: ChartStyle.tickSize, color: line.color, halo: true)
            }
        }
        svg.close("g")
        return svg.document(title: title, description: subtitle ?? title)
    }
}
