/// A Shewhart-style control chart: measurements in order with the centre line, control limits,
/// specification limits, and the points that break a run rule highlighted and tagged with the
/// rule. The rules themselves are evaluated by the caller (the manufacturing domain); the chart
/// shows what it is given.
public struct ControlChart: Chart {
    /// A point that breaks a rule.
    public struct Violation: Sendable, Equatable {
        /// Index into ``ControlChart/values``.
        public var index: Int
        /// A short tag drawn above the point, such as "1" (Western Electric rule 1) or "R2".
        public var rule: String
        public init(index: Int, rule: String) {
            self.index = index
            self.rule = rule
        }
    }

    public var title: String
    public var subtitle: String?
    public var values: [Double]
    /// X positions (sample numbers, times); 1, 2, 3 … when nil.
    public var positions: [Double]?
    public var centerLine: Double
    public var upperControlLimit: Double?
    public var lowerControlLimit: Double?
    public var upperSpecificationLimit: Double?
    public var lowerSpecificationLimit: Double?
    public var violations: [Violation]
    public var x: Axis
    public var y: Axis
    public var size: ChartSize

    public init(title: String, subtitle: String? = nil, values: [Double], positions: [Double]? = nil, centerLine: Double,
                upperControlLimit: Double? = nil, lowerControlLimit: Double? = nil, upperSpecificationLimit: Double? = nil,
                lowerSpecificationLimit: Double? = nil, violations: [Violation] = [],
                x: Axis = Axis("Sample", format: .integer), y: Axis, size: ChartSize = .wide) {
        precondition(positions.map { $0.count == values.count } ?? true, "ControlChart: one position per value")
        self.title = title
        self.subtitle = subtitle
        self.values = values
        self.positions = positions
        self.centerLine = centerLine
        self.upperControlLimit = upperControlLimit
        self.lowerControlLimit = lowerControlLimit
        self.upperSpecificationLimit = upperSpecificationLimit
        self.lowerSpecificationLimit = lowerSpecificationLimit
        self.violations = violations.filter { values.indices.contains($0.index) }
        self.x = x
        self.y = y
        self.size = size
    }

    public func plot() -> XYPlot {
        let xs = positions ?? values.indices.map { Double($0 + 1) }
        let points = zip(xs, values).map { PlotPoint($0, $1) }
        let subtitleText = subtitle ?? (violations.isEmpty ? "No rule violations" :
            "\(violations.count) point\(violations.count == 1 ? "" : "s") break a rule (tag: rule number)")
        var plot = XYPlot(title: title, subtitle: subtitleText, x: x, y: y, size: size)
        let digits = labelDecimals()
        func limitLabel(_ name: String, _ v: Double) -> String { "\(name) \(NumberFormat.fixed(v, decimals: digits))" }
        if let ucl = upperControlLimit, let lcl = lowerControlLimit {
            plot.addBand("", from: lcl, to: ucl, color: ChartStyle.color(2), opacity: 0.07)
        }
        if let usl = upperSpecificationLimit {
            plot.addReferenceLine(ReferenceLine(.horizontal, at: usl, label: limitLabel("USL", usl), color: ChartStyle.color(4),
                                                dashed: false, role: "specification-limit"))
        }
        if let ucl = upperControlLimit {
            plot.addReferenceLine(ReferenceLine(.horizontal, at: ucl, label: limitLabel("UCL", ucl), color: ChartStyle.alertColor,
                                                role: "control-limit"))
        }
        plot.addReferenceLine(ReferenceLine(.horizontal, at: centerLine, label: limitLabel("CL", centerLine),
                                            color: ChartStyle.color(2), dashed: false, role: "center-line"))
        if let lcl = lowerControlLimit {
            plot.addReferenceLine(ReferenceLine(.horizontal, at: lcl, label: limitLabel("LCL", lcl), color: ChartStyle.alertColor,
                                                role: "control-limit"))
        }
        if let lsl = lowerSpecificationLimit {
            plot.addReferenceLine(ReferenceLine(.horizontal, at: lsl, label: limitLabel("LSL", lsl), color: ChartStyle.color(4),
                                                dashed: false, role: "specification-limit"))
        }
        plot.addLine("", points: points, color: ChartStyle.color(0), width: 1.2, role: "series measurements")
        let flagged = Set(violations.map(\.index))
        let normal = points.indices.filter { !flagged.contains($0) }.map { points[$0] }
        plot.addScatter("In control", points: normal, color: ChartStyle.color(0), radius: values.count > 300 ? 1.8 : 2.8,
                        opacity: 1, role: "points in-control")
        if !violations.isEmpty {
            let sorted = violations.sorted { $0.index < $1.index }
            // One dot per flagged point even when it breaks several rules; tags joined.
            var byIndex: [(index: Int, rules: [String])] = []
            for v in sorted {
                if byIndex.last?.index == v.index { byIndex[byIndex.count - 1].rules.append(v.rule) } else { byIndex.append((v.index, [v.rule])) }
            }
            let flaggedPoints = byIndex.map { points[$0.index] }
            plot.addScatter("Rule violation", points: flaggedPoints, color: ChartStyle.alertColor, radius: 4.5, opacity: 1,
                            role: "points violations")
            plot.addTags(byIndex.map { $0.rules.joined(separator: ",") }, at: flaggedPoints)
        }
        if upperControlLimit != nil || lowerControlLimit != nil {
            plot.addLine("Control limits", points: [], color: ChartStyle.alertColor, dashed: true, role: "legend-only")
        }
        if upperSpecificationLimit != nil || lowerSpecificationLimit != nil {
            plot.addLine("Specification limits", points: [], color: ChartStyle.color(4), role: "legend-only")
        }
        return plot
    }

    public func svg() -> String { plot().svg() }

    /// Decimals that tell the limits apart: enough for a twentieth of their spread.
    private func labelDecimals() -> Int {
        let limits = [upperControlLimit, lowerControlLimit, upperSpecificationLimit, lowerSpecificationLimit, centerLine].compactMap { $0 }
        let spread = (limits.max() ?? 1) - (limits.min() ?? 0)
        guard spread > 0 else { return 2 }
        return min(6, max(0, NumberFormat.decimals(forStep: ResolvedAxis.niceStep(spread / 20))))
    }
}
