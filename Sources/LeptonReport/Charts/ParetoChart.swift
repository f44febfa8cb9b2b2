/// One candidate on a trade-off plot: a model with its cost and its quality.
public struct ParetoCandidate: Sendable, Equatable {
    public var name: String
    public var x: Double
    public var y: Double
    public init(name: String, x: Double, y: Double) {
        self.name = name
        self.x = x
        self.y = y
    }
}

/// Whether smaller or larger is better along an axis.
public enum Goal: Sendable, Equatable {
    case minimize, maximize

    func better(_ a: Double, _ b: Double) -> Bool { self == .minimize ? a < b : a > b }
    func atLeastAsGood(_ a: Double, _ b: Double) -> Bool { self == .minimize ? a <= b : a >= b }
}

/// The trade-off between two objectives (latency and accuracy, size and AUC): dominated
/// candidates in grey, the Pareto frontier in colour joined by a staircase, an optional
/// quality bar, and the chosen candidate ringed and labelled.
public struct ParetoChart: Chart {
    public var title: String
    public var subtitle: String?
    public var candidates: [ParetoCandidate]
    public var x: Axis
    public var y: Axis
    public var xGoal: Goal
    public var yGoal: Goal
    /// Index of the chosen candidate.
    public var chosen: Int?
    /// The quality a candidate must reach on the y axis to be eligible, drawn as a line.
    public var qualityBar: Double?
    public var size: ChartSize

    public init(title: String, subtitle: String? = nil, candidates: [ParetoCandidate], x: Axis, y: Axis,
                xGoal: Goal = .minimize, yGoal: Goal = .maximize, chosen: Int? = nil, qualityBar: Double? = nil,
                size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.candidates = candidates
        self.x = x
        self.y = y
        self.xGoal = xGoal
        self.yGoal = yGoal
        self.chosen = chosen.flatMap { candidates.indices.contains($0) ? $0 : nil }
        self.qualityBar = qualityBar
        self.size = size
    }

    /// Indices of the candidates no other candidate dominates (at least as good on both
    /// axes and better on one), in order of x.
    public var frontier: [Int] {
        let valid = candidates.indices.filter { candidates[$0].x.isFinite && candidates[$0].y.isFinite }
        let front = valid.filter { i in
            let a = candidates[i]
            return !valid.contains { j in
                let b = candidates[j]
                return j != i && xGoal.atLeastAsGood(b.x, a.x) && yGoal.atLeastAsGood(b.y, a.y)
                    && (xGoal.better(b.x, a.x) || yGoal.better(b.y, a.y))
            }
        }
        return front.sorted { candidates[$0].x < candidates[$1].x || (candidates[$0].x == candidates[$1].x && candidates[$0].y < candidates[$1].y) }
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: x, y: y, size: size)
        if let qualityBar {
            plot.addReferenceLine(ReferenceLine(.horizontal, at: qualityBar, label: "bar \(NumberFormat.value(qualityBar))",
                                                color: ChartStyle.color(4), role: "quality-bar"))
        }
        let front = frontier
        let onFront = Set(front)
        let dominated = candidates.indices.filter { !onFront.contains($0) }.map { PlotPoint(candidates[$0].x, candidates[$0].y) }
        let frontPoints = front.map { PlotPoint(candidates[$0].x, candidates[$0].y) }
        // Staircase: from one frontier point, hold y until the next point's x.
        plot.addLine("Pareto frontier", points: frontPoints, color: ChartStyle.color(0), width: 1.8,
                     steps: xGoal == .minimize && yGoal == .maximize || xGoal == .maximize && yGoal == .minimize, role: "series frontier")
        plot.addScatter("Dominated", points: dominated, color: ChartStyle.mutedColor, radius: 4, opacity: 0.6, role: "points dominated")
        plot.addScatter("", points: frontPoints, color: ChartStyle.color(0), radius: 4.5, opacity: 1, role: "points frontier")
        if let chosen {
            let c = candidates[chosen]
            plot.addMarker(PlotMarker(at: PlotPoint(c.x, c.y), label: "chosen: \(c.name)\n\(NumberFormat.value(c.x))\(x.unit.map { " " + $0 } ?? ""), \(NumberFormat.value(c.y))\(y.unit.map { " " + $0 } ?? "")",
                                      role: "chosen"))
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}
