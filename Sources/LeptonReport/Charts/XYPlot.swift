#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in data coordinates.
public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A rectangle in data coordinates (a histogram bin, a bar).
public struct PlotRect: Sendable, Equatable {
    public var x0: Double, x1: Double, y0: Double, y1: Double
    public init(x0: Double, x1: Double, y0: Double, y1: Double) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
    }
}

/// A horizontal or vertical line across the plot: a threshold, a control or specification
/// limit, a centre line. Horizontal lines are labelled in the right margin; vertical ones at
/// the top of the plot.
public struct ReferenceLine: Sendable, Equatable {
    public enum Orientation: Sendable, Equatable { case horizontal, vertical }
    public var orientation: Orientation
    public var value: Double
    public var label: String?
    public var color: String
    public var dashed: Bool
    /// Extra class names for the SVG element (for styling and tests).
    public var role: String

    public init(_ orientation: Orientation, at value: Double, label: String? = nil, color: String = ChartStyle.axisColor,
                dashed: Bool = true, role: String = "reference") {
        self.orientation = orientation
        self.value = value
        self.label = label
        self.color = color
        self.dashed = dashed
        self.role = role
    }
}

/// A highlighted point with an optional label (an operating point, a chosen model).
public struct PlotMarker: Sendable, Equatable {
    public var point: PlotPoint
    public var label: String?
    public var color: String
    public var role: String
    public init(at point: PlotPoint, label: String? = nil, color: String = ChartStyle.alertColor, role: String = "marker") {
        self.point = point
        self.label = label
        self.color = color
        self.role = role
    }
}

/// A two-dimensional plot with numeric axes: lines, points, rectangles, reference lines and
/// labelled markers, with nice ticks, axis titles, a legend above the plot and a light grid.
///
/// The specialised charts (``ROCChart``, ``ControlChart``, …) are built on it; use it
/// directly for anything else. Elements carry class names and `data-` attributes (series
/// names, marker coordinates, axis domains) so tests and tools can read a chart back.
public struct XYPlot: Chart {
    public var title: String
    /// A second line under the title, in grey (data set, sample size).
    public var subtitle: String?
    public var x: Axis
    public var y: Axis
    public var size: ChartSize
    /// A sentence for screen readers; defaults to the title.
    public var summary: String?
    var layers: [Layer] = []

    enum Layer: Sendable {
        case line(name: String, points: [PlotPoint], color: String, dashed: Bool, width: Double, steps: Bool, role: String)
        case scatter(name: String, points: [PlotPoint], color: String, radius: Double, opacity: Double, hollow: Bool, role: String)
        case rects(name: String, rects: [PlotRect], color: String, opacity: Double, role: String)
        case band(name: String, from: Double, to: Double, color: String, opacity: Double)
        case rule(ReferenceLine)
        case marker(PlotMarker)
        case tags(points: [PlotPoint], texts: [String], color: String)
    }

    public init(title: String, subtitle: String? = nil, x: Axis, y: Axis, size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.y = y
        self.size = size
    }

    /// Adds a line through `points` in order; `steps` draws a step function (horizontal, then vertical).
    /// An empty `name` keeps the line out of the legend.
    public mutating func addLine(_ name: String, points: [PlotPoint], color: String? = nil, dashed: Bool = false,
                                 width: Double = 2, steps: Bool = false, role: String = "series") {
        layers.append(.line(name: name, points: points, color: color ?? nextColor(), dashed: dashed, width: width,
                            steps: steps, role: role))
    }

    /// Adds points drawn as circles of `radius` pixels.
    public mutating func addScatter(_ name: String, points: [PlotPoint], color: String? = nil, radius: Double = 3.5,
                                    opacity: Double = 0.85, hollow: Bool = false, role: String = "points") {
        layers.append(.scatter(name: name, points: points, color: color ?? nextColor(), radius: radius,
                               opacity: opacity, hollow: hollow, role: role))
    }

    /// Adds filled rectangles (histogram bins, bars).
    public mutating func addRectangles(_ name: String, rects: [PlotRect], color: String? = nil, opacity: Double = 0.8,
                                       role: String = "bars") {
        layers.append(.rects(name: name, rects: rects, color: color ?? nextColor(), opacity: opacity, role: role))
    }

    /// Shades the horizontal band between `from` and `to` on the y axis (a tolerance zone).
    public mutating func addBand(_ name: String, from: Double, to: Double, color: String, opacity: Double = 0.12) {
        layers.append(.band(name: name, from: min(from, to), to: max(from, to), color: color, opacity: opacity))
    }

    /// Adds a reference line.
    public mutating func addReferenceLine(_ line: ReferenceLine) { layers.append(.rule(line)) }

    /// Adds a highlighted, optionally labelled point.
    public mutating func addMarker(_ marker: PlotMarker) { layers.append(.marker(marker)) }

    /// Adds short tags (such as the number of a violated rule) just above points; a tag that
    /// would overlap one already placed is left out rather than drawn over it.
    public mutating func addTags(_ texts: [String], at points: [PlotPoint], color: String = ChartStyle.alertColor) {
        precondition(texts.count == points.count, "addTags: one text per point")
        layers.append(.tags(points: points, texts: texts, color: color))
    }

    private func nextColor() -> String {
        let used = layers.filter {
            switch $0 {
            case .line, .scatter, .rects: return true
            default: return false
            }
        }.count
        return ChartStyle.color(used)
    }

    public func svg() -> String { render().document(title: title, description: summary ?? title) }

    // MARK: - Rendering

    struct LegendEntry {
        enum Swatch { case line(dashed: Bool), point(hollow: Bool), box, band }
        let name: String
        let color: String
        let swatch: Swatch
        let opacity: Double
    }

    var legendEntries: [LegendEntry] {
        var entries: [LegendEntry] = []
        for layer in layers {
            switch layer {
            case let .line(name, _, color, dashed, _, _, _) where !name.isEmpty:
                entries.append(LegendEntry(name: name, color: color, swatch: .line(dashed: dashed), opacity: 1))
            case let .scatter(name, _, color, _, opacity, hollow, _) where !name.isEmpty:
                entries.append(LegendEntry(name: name, color: color, swatch: .point(hollow: hollow), opacity: opacity))
            case let .rects(name, _, color, opacity, _) where !name.isEmpty:
                entries.append(LegendEntry(name: name, color: color, swatch: .box, opacity: opacity))
            case let .band(name, _, _, color, opacity) where !name.isEmpty:
                entries.append(LegendEntry(name: name, color: color, swatch: .band, opacity: max(opacity, 0.25)))
            default:
                break
            }
        }
        return entries
    }

    private var dataValues: (xs: [Double], ys: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for layer in layers {
            switch layer {
            case let .line(_, points, _, _, _, _, _), let .scatter(_, points, _, _, _, _, _):
                xs += points.map(\.x)
                ys += points.map(\.y)
            case let .rects(_, rects, _, _, _):
                for r in rects { xs += [r.x0, r.x1]; ys += [r.y0, r.y1] }
            case let .band(_, from, to, _, _):
                ys += [from, to]
            case let .rule(line):
                if line.orientation == .horizontal { ys.append(line.value) } else { xs.append(line.value) }
            case let .marker(marker):
                xs.append(marker.point.x)
                ys.append(marker.point.y)
            case .tags:
                break
            }
        }
        return (xs, ys)
    }

    /// The plot's layout: the plot rectangle in pixels and the resolved axes.
    struct Layout {
        var left = 0.0, top = 0.0, right = 0.0, bottom = 0.0
        var xAxis: ResolvedAxis
        var yAxis: ResolvedAxis
        var legendRows: [[(entry: LegendEntry, width: Double)]]
        var titleLines: [String]
        var subtitleLines: [String]
        var legendTop = 0.0
        var rightLabelWidth = 0.0
    }

    func layout() -> Layout {
        let padding = 14.0
        let (xs, ys) = dataValues
        let titleLines = TextMetrics.wrapped(title, toWidth: size.width - 2 * padding, size: ChartStyle.titleSize)
        let subtitleLines = subtitle.map { TextMetrics.wrapped($0, toWidth: size.width - 2 * padding, size: ChartStyle.fontSize) } ?? []
        var top = padding + Double(titleLines.count) * (ChartStyle.titleSize + 5) + Double(subtitleLines.count) * 16
        // Right margin: room for the labels of horizontal reference lines.
        var rightLabelWidth = 0.0
        for case let .rule(line) in layers where line.orientation == .horizontal {
            if let label = line.label { rightLabelWidth = max(rightLabelWidth, TextMetrics.width(label, size: ChartStyle.tickSize) + 8) }
        }
        let right = size.width - padding - rightLabelWidth
        var yAxis = ResolvedAxis(y, values: ys, tickTarget: max(3, Int((size.height - top - 90) / 55)))
        var left = padding
        var legendRows: [[(entry: LegendEntry, width: Double)]] = []
        var bottom = size.height - padding - ChartStyle.labelSize - 8 - ChartStyle.tickSize - 10
        for _ in 0..<2 {
            let tickWidth = yAxis.ticks.map { TextMetrics.width(yAxis.label($0), size: ChartStyle.tickSize) }.max() ?? 0
            left = padding + ChartStyle.labelSize + 10 + tickWidth + 8
            legendRows = Self.legendRows(legendEntries, width: right - left)
            let plotTop = top + (legendRows.isEmpty ? 6 : Double(legendRows.count) * 20 + 8)
            yAxis = ResolvedAxis(y, values: ys, tickTarget: max(3, Int((bottom - plotTop) / 55) + 1))
        }
        let legendTop = top + 4
        top += legendRows.isEmpty ? 6 : Double(legendRows.count) * 20 + 8
        // X ticks: as many as fit with their labels apart.
        var target = max(3, Int((right - left) / 75) + 1)
        var xAxis = ResolvedAxis(x, values: xs, tickTarget: target)
        while target > 2 {
            let widest = xAxis.ticks.map { TextMetrics.width(xAxis.label($0), size: ChartStyle.tickSize) }.max() ?? 0
            let spacing = (right - left) / Double(max(xAxis.ticks.count - 1, 1))
            if widest + 10 <= spacing { break }
            target -= 1
            xAxis = ResolvedAxis(x, values: xs, tickTarget: target)
        }
        if x.scale == .logarithmic {
            // Thin out log ticks whose labels would touch.
            var kept: [Double] = []
            for t in xAxis.ticks {
                let probe = ResolvedAxis.withPixels(xAxis, left, right)
                if let last = kept.last {
                    let gap = probe.pixel(t) - probe.pixel(last)
                    let need = (TextMetrics.width(xAxis.label(t), size: ChartStyle.tickSize) +
                                TextMetrics.width(xAxis.label(last), size: ChartStyle.tickSize)) / 2 + 8
                    if gap < need { continue }
                }
                kept.append(t)
            }
            xAxis = xAxis.replacingTicks(kept)
        }
        xAxis.pixelLow = left
        xAxis.pixelHigh = right
        bottom = min(bottom, size.height - padding - ChartStyle.labelSize - 8 - ChartStyle.tickSize - 10)
        yAxis.pixelLow = bottom
        yAxis.pixelHigh = top
        return Layout(left: left, top: top, right: right, bottom: bottom, xAxis: xAxis, yAxis: yAxis,
                      legendRows: legendRows, titleLines: titleLines, subtitleLines: subtitleLines,
                      legendTop: legendTop, rightLabelWidth: rightLabelWidth)
    }

    static func legendRows(_ entries: [LegendEntry], width: Double) -> [[(entry: LegendEntry, width: Double)]] {
        var rows: [[(entry: LegendEntry, width: Double)]] = []
        var current: [(entry: LegendEntry, width: Double)] = []
        var used = 0.0
        for entry in entries {
            let name = TextMetrics.truncated(entry.name, toWidth: width - 30, size: ChartStyle.fontSize)
            let w = 24 + TextMetrics.width(name, size: ChartStyle.fontSize) + 18
            if used + w > width && !current.isEmpty {
                rows.append(current)
                current = []
                used = 0
            }
            current.append((LegendEntry(name: name, color: entry.color, swatch: entry.swatch, opacity: entry.opacity), w))
            used += w
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    func render() -> SVGWriter {
        let l = layout()
        var svg = SVGWriter(width: size.width, height: size.height)
        drawTitle(&svg, l)
        drawLegend(&svg, l)
        let clipID = "clip-" + String(fnv1a("\(title)|\(l.left)|\(l.top)|\(l.right)|\(l.bottom)"), radix: 36)
        svg.open("defs")
        svg.open("clipPath", [("id", clipID)])
        svg.element("rect", [("x", svgNumber(l.left - 6)), ("y", svgNumber(l.top - 6)),
                             ("width", svgNumber(l.right - l.left + 12)), ("height", svgNumber(l.bottom - l.top + 12))])
        svg.close("clipPath")
        svg.close("defs")
        drawGridAndAxes(&svg, l)
        svg.open("g", [("class", "plot-area"),
                       ("data-x-domain", "\(l.xAxis.low) \(l.xAxis.high)"), ("data-y-domain", "\(l.yAxis.low) \(l.yAxis.high)"),
                       ("data-x-scale", x.scale == .linear ? "linear" : "log"), ("data-y-scale", y.scale == .linear ? "linear" : "log"),
                       ("data-box", "\(l.left) \(l.top) \(l.right) \(l.bottom)"), ("clip-path", "url(#\(clipID))")])
        // Bands and rectangles first, then rules, then lines and points, then markers on top.
        for layer in layers { if case .band = layer { drawLayer(&svg, layer, l) } }
        for layer in layers { if case .rects = layer { drawLayer(&svg, layer, l) } }
        for layer in layers { if case .rule = layer { drawLayer(&svg, layer, l) } }
        for layer in layers { if case .line = layer { drawLayer(&svg, layer, l) } }
        for layer in layers { if case .scatter = layer { drawLayer(&svg, layer, l) } }
        for layer in layers { if case .marker = layer { drawLayer(&svg, layer, l) } }
        svg.close("g")
        drawRuleLabels(&svg, l)
        drawTags(&svg, l)
        drawMarkerLabels(&svg, l)
        return svg
    }

    private func drawTags(_ svg: inout SVGWriter, _ l: Layout) {
        var placed: [(x0: Double, x1: Double, y0: Double, y1: Double)] = []
        for case let .tags(points, _, _) in layers {
            // The tagged points themselves are obstacles: a tag never covers one.
            for point in points where point.x.isFinite && point.y.isFinite {
                let px = l.xAxis.pixel(point.x), py = l.yAxis.pixel(point.y)
                placed.append((px - 4.5, px + 4.5, py - 4.5, py + 4.5))
            }
        }
        for case let .tags(points, texts, color) in layers {
            svg.open("g", [("class", "tags")])
            var previous: (text: String, x: Double)?
            for (point, text) in zip(points, texts) where point.x.isFinite && point.y.isFinite {
                let px = l.xAxis.pixel(point.x), py = l.yAxis.pixel(point.y)
                let width = TextMetrics.width(text, size: ChartStyle.tickSize, bold: true)
                // A run of neighbours breaking the same rule gets one tag.
                if let previous, previous.text == text, px - previous.x < 40 { continue }
                let above = py - 8, below = py + 8 + ChartStyle.tickSize
                var chosen: (x0: Double, x1: Double, y0: Double, y1: Double)?
                var baseline = 0.0
                for y in [above, below] where y - ChartStyle.tickSize >= l.top - 2 && y <= l.bottom + 12 {
                    let box = (x0: px - width / 2 - 2, x1: px + width / 2 + 2, y0: y - ChartStyle.tickSize + 1, y1: y + 2)
                    if !placed.contains(where: { $0.x0 < box.x1 && box.x0 < $0.x1 && $0.y0 < box.y1 && box.y0 < $0.y1 }) {
                        chosen = box
                        baseline = y
                        break
                    }
                }
                guard let box = chosen else { continue }
                let y = baseline
                previous = (text, px)
                placed.append(box)
                svg.text(text, x: px, y: y, size: ChartStyle.tickSize, anchor: .middle, weight: "bold", color: color, halo: true,
                         extra: [("class", "tag")])
            }
            svg.close("g")
        }
    }

    private func drawTitle(_ svg: inout SVGWriter, _ l: Layout) {
        var y = 14.0 + ChartStyle.titleSize
        for line in l.titleLines {
            svg.text(line, x: 14, y: y, size: ChartStyle.titleSize, weight: "bold", extra: [("class", "chart-title")])
            y += ChartStyle.titleSize + 5
        }
        for line in l.subtitleLines {
            svg.text(line, x: 14, y: y - 2, color: ChartStyle.secondaryTextColor, extra: [("class", "chart-subtitle")])
            y += 16
        }
    }

    private func drawLegend(_ svg: inout SVGWriter, _ l: Layout) {
        guard !l.legendRows.isEmpty else { return }
        svg.open("g", [("class", "legend")])
        var y = l.legendTop + 10
        for row in l.legendRows {
            var x = l.left
            for (entry, width) in row {
                svg.open("g", [("class", "legend-entry"), ("data-name", entry.name)])
                switch entry.swatch {
                case let .line(dashed):
                    var attributes = [("x1", svgNumber(x)), ("y1", svgNumber(y)), ("x2", svgNumber(x + 18)), ("y2", svgNumber(y)),
                                      ("stroke", entry.color), ("stroke-width", "2.5")]
                    if dashed { attributes.append(("stroke-dasharray", "5 3")) }
                    svg.element("line", attributes)
                case let .point(hollow):
                    svg.element("circle", [("cx", svgNumber(x + 9)), ("cy", svgNumber(y)), ("r", "4.5"),
                                           ("fill", hollow ? "#ffffff" : entry.color), ("stroke", entry.color),
                                           ("stroke-width", hollow ? "2" : "0.8"), ("fill-opacity", svgNumber(hollow ? 1 : entry.opacity))])
                case .box, .band:
                    svg.element("rect", [("x", svgNumber(x + 2)), ("y", svgNumber(y - 6)), ("width", "14"), ("height", "12"),
                                         ("fill", entry.color), ("fill-opacity", svgNumber(entry.opacity))])
                }
                svg.text(entry.name, x: x + 24, y: y + 4)
                svg.close("g")
                x += width
            }
            y += 20
        }
        svg.close("g")
    }

    private func drawGridAndAxes(_ svg: inout SVGWriter, _ l: Layout) {
        svg.open("g", [("class", "axes")])
        svg.element("rect", [("class", "frame"), ("x", svgNumber(l.left)), ("y", svgNumber(l.top)),
                             ("width", svgNumber(l.right - l.left)), ("height", svgNumber(l.bottom - l.top)),
                             ("fill", "none"), ("stroke", ChartStyle.gridColor)])
        for t in l.yAxis.ticks {
            let py = l.yAxis.pixel(t)
            svg.element("line", [("class", "grid"), ("x1", svgNumber(l.left)), ("x2", svgNumber(l.right)),
                                 ("y1", svgNumber(py)), ("y2", svgNumber(py)), ("stroke", ChartStyle.gridColor)])
            svg.element("line", [("x1", svgNumber(l.left - 5)), ("x2", svgNumber(l.left)), ("y1", svgNumber(py)),
                                 ("y2", svgNumber(py)), ("stroke", ChartStyle.axisColor)])
            svg.text(l.yAxis.label(t), x: l.left - 8, y: py + 4, size: ChartStyle.tickSize, anchor: .end,
                     extra: [("class", "tick y-tick"), ("data-value", "\(t)")])
        }
        for t in l.xAxis.ticks {
            let px = l.xAxis.pixel(t)
            svg.element("line", [("class", "grid"), ("x1", svgNumber(px)), ("x2", svgNumber(px)),
                                 ("y1", svgNumber(l.top)), ("y2", svgNumber(l.bottom)), ("stroke", ChartStyle.gridColor)])
            svg.element("line", [("x1", svgNumber(px)), ("x2", svgNumber(px)), ("y1", svgNumber(l.bottom)),
                                 ("y2", svgNumber(l.bottom + 5)), ("stroke", ChartStyle.axisColor)])
            svg.text(l.xAxis.label(t), x: px, y: l.bottom + 8 + ChartStyle.tickSize, size: ChartStyle.tickSize, anchor: .middle,
                     extra: [("class", "tick x-tick"), ("data-value", "\(t)")])
        }
        svg.element("line", [("class", "axis-line"), ("x1", svgNumber(l.left)), ("x2", svgNumber(l.right)),
                             ("y1", svgNumber(l.bottom)), ("y2", svgNumber(l.bottom)), ("stroke", ChartStyle.axisColor)])
        svg.element("line", [("class", "axis-line"), ("x1", svgNumber(l.left)), ("x2", svgNumber(l.left)),
                             ("y1", svgNumber(l.top)), ("y2", svgNumber(l.bottom)), ("stroke", ChartStyle.axisColor)])
        svg.text(TextMetrics.truncated(x.title, toWidth: l.right - l.left, size: ChartStyle.labelSize),
                 x: (l.left + l.right) / 2, y: l.bottom + 8 + ChartStyle.tickSize + 8 + ChartStyle.labelSize,
                 size: ChartStyle.labelSize, anchor: .middle, weight: "bold", extra: [("class", "axis-title x-title")])
        let yTitleX = 14 + ChartStyle.labelSize - 2
        svg.text(TextMetrics.truncated(y.title, toWidth: l.bottom - l.top, size: ChartStyle.labelSize),
                 x: yTitleX, y: (l.top + l.bottom) / 2, size: ChartStyle.labelSize, anchor: .middle, weight: "bold",
                 rotate: -90, extra: [("class", "axis-title y-title")])
        svg.close("g")
    }

    private func pixels(_ points: [PlotPoint], _ l: Layout) -> [(x: Double, y: Double)] {
        points.filter { $0.x.isFinite && $0.y.isFinite }.map { (l.xAxis.pixel($0.x), l.yAxis.pixel($0.y)) }
    }

    private func drawLayer(_ svg: inout SVGWriter, _ layer: Layer, _ l: Layout) {
        switch layer {
        case let .line(name, points, color, dashed, width, steps, role):
            var pts = pixels(points, l)
            if steps && pts.count > 1 {
                var stepped = [pts[0]]
                for p in pts.dropFirst() {
                    stepped.append((p.x, stepped.last!.y))
                    stepped.append(p)
                }
                pts = stepped
            }
            guard !pts.isEmpty else { return }
            var attributes = [("class", role), ("data-series", name), ("d", svgPath(pts)), ("fill", "none"),
                              ("stroke", color), ("stroke-width", svgNumber(width)), ("stroke-linejoin", "round"),
                              ("stroke-linecap", "round")]
            if dashed { attributes.append(("stroke-dasharray", "6 4")) }
            svg.element("path", attributes)
        case let .scatter(name, points, color, radius, opacity, hollow, role):
            svg.open("g", [("class", role), ("data-series", name), ("fill", hollow ? "#ffffff" : color),
                           ("fill-opacity", svgNumber(hollow ? 1 : opacity)), ("stroke", hollow ? color : "#ffffff"),
                           ("stroke-width", hollow ? "2" : "0.6")])
            for (p, d) in zip(pixels(points, l), points.filter { $0.x.isFinite && $0.y.isFinite }) {
                svg.element("circle", [("cx", svgNumber(p.x)), ("cy", svgNumber(p.y)), ("r", svgNumber(radius)),
                                       ("data-x", "\(d.x)"), ("data-y", "\(d.y)")])
            }
            svg.close("g")
        case let .rects(name, rects, color, opacity, role):
            svg.open("g", [("class", role), ("data-series", name), ("fill", color), ("fill-opacity", svgNumber(opacity))])
            for r in rects {
                let x0 = l.xAxis.pixel(min(r.x0, r.x1)), x1 = l.xAxis.pixel(max(r.x0, r.x1))
                let y0 = l.yAxis.pixel(max(r.y0, r.y1)), y1 = l.yAxis.pixel(min(r.y0, r.y1))
                svg.element("rect", [("x", svgNumber(x0)), ("y", svgNumber(y0)), ("width", svgNumber(max(x1 - x0, 0))),
                                     ("height", svgNumber(max(y1 - y0, 0)))])
            }
            svg.close("g")
        case let .band(name, from, to, color, opacity):
            let y0 = l.yAxis.pixel(to), y1 = l.yAxis.pixel(from)
            svg.element("rect", [("class", "band"), ("data-series", name), ("x", svgNumber(l.left)), ("y", svgNumber(y0)),
                                 ("width", svgNumber(l.right - l.left)), ("height", svgNumber(max(y1 - y0, 0))),
                                 ("fill", color), ("fill-opacity", svgNumber(opacity))])
        case let .rule(line):
            var attributes: [(String, String)]
            if line.orientation == .horizontal {
                let py = l.yAxis.pixel(line.value)
                attributes = [("x1", svgNumber(l.left)), ("x2", svgNumber(l.right)), ("y1", svgNumber(py)), ("y2", svgNumber(py))]
            } else {
                let px = l.xAxis.pixel(line.value)
                attributes = [("x1", svgNumber(px)), ("x2", svgNumber(px)), ("y1", svgNumber(l.top)), ("y2", svgNumber(l.bottom))]
            }
            attributes += [("class", "rule \(line.role)"), ("data-value", "\(line.value)"), ("stroke", line.color),
                           ("stroke-width", "1.5")]
            if line.dashed { attributes.append(("stroke-dasharray", "6 4")) }
            svg.element("line", attributes)
        case .tags:
            break
        case let .marker(marker):
            let px = l.xAxis.pixel(marker.point.x), py = l.yAxis.pixel(marker.point.y)
            svg.element("circle", [("class", marker.role), ("cx", svgNumber(px)), ("cy", svgNumber(py)), ("r", "6.5"),
                                   ("fill", "none"), ("stroke", marker.color), ("stroke-width", "2.5"),
                                   ("data-x", "\(marker.point.x)"), ("data-y", "\(marker.point.y)")])
            svg.element("circle", [("cx", svgNumber(px)), ("cy", svgNumber(py)), ("r", "2.5"), ("fill", marker.color)])
        }
    }

    /// Labels of horizontal rules in the right margin (pushed apart so they never overlap) and
    /// of vertical rules along the top edge inside the plot.
    private func drawRuleLabels(_ svg: inout SVGWriter, _ l: Layout) {
        var right: [(y: Double, line: ReferenceLine)] = []
        var top: [ReferenceLine] = []
        for case let .rule(line) in layers {
            guard let label = line.label, !label.isEmpty else { continue }
            if line.orientation == .horizontal {
                let py = l.yAxis.pixel(line.value)
                if py >= l.top - 1 && py <= l.bottom + 1 { right.append((py, line)) }
            } else {
                top.append(line)
            }
        }
        right.sort { $0.y < $1.y }
        var placed = right.map(\.y)
        let gap = ChartStyle.tickSize + 2
        for i in placed.indices.dropFirst() where placed[i] - placed[i - 1] < gap { placed[i] = placed[i - 1] + gap }
        if let last = placed.last, last > l.bottom + 4 {
            let shift = last - (l.bottom + 4)
            placed = placed.map { $0 - shift }
            for i in placed.indices.dropLast().reversed() where placed[i + 1] - placed[i] < gap { placed[i] = placed[i + 1] - gap }
        }
        for (i, item) in right.enumerated() {
            svg.text(item.line.label!, x: l.right + 6, y: placed[i] + 4, size: ChartStyle.tickSize, color: item.line.color,
                     extra: [("class", "rule-label")])
        }
        var usedUntil = -Double.infinity
        var row = 0
        for line in top.sorted(by: { $0.value < $1.value }) {
            let px = l.xAxis.pixel(line.value)
            let label = line.label!
            let width = TextMetrics.width(label, size: ChartStyle.tickSize)
            let fitsRight = px + 4 + width <= l.right
            let x = fitsRight ? px + 4 : px - 4
            let start = fitsRight ? x : x - width
            row = start < usedUntil ? row + 1 : 0
            usedUntil = max(usedUntil, start + width + 6)
            svg.text(label, x: x, y: l.top + 14 + Double(row) * 14, size: ChartStyle.tickSize, anchor: fitsRight ? .start : .end,
                     color: line.color, halo: true, extra: [("class", "rule-label")])
        }
    }

    /// Marker labels beside their points, where they cover the fewest drawn lines and points
    /// and stay inside the plot, with a white halo and, when moved away, a thin leader line.
    private func drawMarkerLabels(_ svg: inout SVGWriter, _ l: Layout) {
        var obstacles: [(x: Double, y: Double)] = []
        for layer in layers {
            switch layer {
            case let .line(_, points, _, _, _, _, _):
                let pts = pixels(points, l)
                for (a, b) in zip(pts, pts.dropFirst()) {
                    let steps = max(1, Int((abs(b.x - a.x) + abs(b.y - a.y)) / 4))
                    for k in 0..<steps {
                        let t = Double(k) / Double(steps)
                        obstacles.append((a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)))
                    }
                }
                if let last = pts.last { obstacles.append(last) }
            case let .scatter(_, points, _, _, _, _, _):
                obstacles += pixels(points, l)
            default:
                break
            }
        }
        var taken: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
        for case let .marker(marker) in layers {
            guard let label = marker.label, !label.isEmpty else { continue }
            let px = l.xAxis.pixel(marker.point.x), py = l.yAxis.pixel(marker.point.y)
            let lines = label.split(separator: "\n").map(String.init)
            let width = lines.map { TextMetrics.width($0, size: ChartStyle.fontSize, bold: true) }.max() ?? 0
            let height = Double(lines.count) * 15
            // Candidate boxes around the point, nearest first; the first with the least cover wins.
            var best: (box: (x0: Double, y0: Double, x1: Double, y1: Double), cost: Double)?
            for distance in [0.0, 30, 70] {
                for (sx, sy) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
                    let x0 = sx > 0 ? px + 12 + distance : px - 12 - distance - width
                    let y0 = sy > 0 ? py + 8 + distance * 0.6 : py - 8 - distance * 0.6 - height
                    let box = (x0: x0, y0: y0, x1: x0 + width, y1: y0 + height)
                    guard box.x0 >= l.left + 2, box.x1 <= l.right - 2, box.y0 >= l.top + 2, box.y1 <= l.bottom - 2 else { continue }
                    var cost = distance * 0.05
                    for o in obstacles where o.x >= box.x0 - 3 && o.x <= box.x1 + 3 && o.y >= box.y0 - 3 && o.y <= box.y1 + 3 { cost += 1 }
                    for t in taken where t.x0 < box.x1 && box.x0 < t.x1 && t.y0 < box.y1 && box.y0 < t.y1 { cost += 1000 }
                    if best == nil || cost < best!.cost { best = (box, cost) }
                }
            }
            let box = best?.box ?? (x0: max(l.left + 2, min(px + 12, l.right - 2 - width)), y0: max(l.top + 2, py + 8),
                                    x1: 0, y1: 0)
            let placed = (x0: box.x0, y0: box.y0, x1: box.x0 + width, y1: box.y0 + height)
            taken.append(placed)
            let nearX = min(max(px, placed.x0), placed.x1), nearY = min(max(py, placed.y0), placed.y1)
            if ((nearX - px) * (nearX - px) + (nearY - py) * (nearY - py)).squareRoot() > 24 {
                svg.element("line", [("class", "leader"), ("x1", svgNumber(px)), ("y1", svgNumber(py)), ("x2", svgNumber(nearX)),
                                     ("y2", svgNumber(nearY)), ("stroke", marker.color), ("stroke-width", "1")])
            }
            var y = placed.y0 + 12
            for line in lines {
                svg.text(line, x: placed.x0, y: y, weight: "bold", color: marker.color, halo: true, extra: [("class", "marker-label")])
                y += 15
            }
        }
    }
}

extension ResolvedAxis {
    static func withPixels(_ axis: ResolvedAxis, _ low: Double, _ high: Double) -> ResolvedAxis {
        var copy = axis
        copy.pixelLow = low
        copy.pixelHigh = high
        return copy
    }

    func replacingTicks(_ ticks: [Double]) -> ResolvedAxis {
        var copy = self
        copy.ticks = ticks
        return copy
    }
}

/// 64-bit FNV-1a of the UTF-8 bytes of `text` (stable identifiers, not security).
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}
