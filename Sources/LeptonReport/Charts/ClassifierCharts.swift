/// A receiver operating characteristic curve as computed elsewhere (LeptonCore's metrics):
/// false and true positive rates at decreasing thresholds.
public struct ROCCurve: Sendable, Equatable {
    public var name: String
    public var falsePositiveRates: [Double]
    public var truePositiveRates: [Double]
    /// The score threshold of each point, when known (needed to mark an operating point by threshold).
    public var thresholds: [Double]?
    /// Area under the curve, shown in the legend when given.
    public var auc: Double?

    public init(name: String, falsePositiveRates: [Double], truePositiveRates: [Double], thresholds: [Double]? = nil,
                auc: Double? = nil) {
        precondition(falsePositiveRates.count == truePositiveRates.count, "ROCCurve: FPR and TPR differ in length")
        precondition(thresholds.map { $0.count == falsePositiveRates.count } ?? true, "ROCCurve: one threshold per point")
        self.name = name
        self.falsePositiveRates = falsePositiveRates
        self.truePositiveRates = truePositiveRates
        self.thresholds = thresholds
        self.auc = auc
    }

    /// The points in order from (0, 0) to (1, 1), anchors added when the input lacks them.
    public var path: [PlotPoint] {
        var points = zip(falsePositiveRates, truePositiveRates).map { PlotPoint($0, $1) }
        if points.first != PlotPoint(0, 0) { points.insert(PlotPoint(0, 0), at: 0) }
        if points.last != PlotPoint(1, 1) { points.append(PlotPoint(1, 1)) }
        return points
    }
}

/// A precision–recall curve: precision and recall at decreasing thresholds.
public struct PrecisionRecallCurve: Sendable, Equatable {
    public var name: String
    public var recalls: [Double]
    public var precisions: [Double]
    public var thresholds: [Double]?
    /// Average precision, shown in the legend when given.
    public var averagePrecision: Double?

    public init(name: String, recalls: [Double], precisions: [Double], thresholds: [Double]? = nil,
                averagePrecision: Double? = nil) {
        precondition(recalls.count == precisions.count, "PrecisionRecallCurve: recall and precision differ in length")
        precondition(thresholds.map { $0.count == recalls.count } ?? true, "PrecisionRecallCurve: one threshold per point")
        self.name = name
        self.recalls = recalls
        self.precisions = precisions
        self.thresholds = thresholds
        self.averagePrecision = averagePrecision
    }
}

/// Which point of a curve is the one the model will run at.
public struct OperatingPoint: Sendable, Equatable {
    public enum Selection: Sendable, Equatable {
        /// The curve point whose threshold is nearest this one (the curve needs thresholds).
        case threshold(Double)
        /// The curve point at this index of the input arrays.
        case index(Int)
    }
    /// Index of the curve the point belongs to.
    public var curve: Int
    public var selection: Selection
    /// A first label line, such as "chosen: specificity ≥ 0.95".
    public var label: String?

    public init(curve: Int = 0, _ selection: Selection, label: String? = nil) {
        self.curve = curve
        self.selection = selection
        self.label = label
    }

    /// The index into the curve's input arrays, or nil when it cannot be found.
    func index(count: Int, thresholds: [Double]?) -> Int? {
        switch selection {
        case let .index(i):
            return i >= 0 && i < count ? i : nil
        case let .threshold(t):
            guard let thresholds, !thresholds.isEmpty else { return nil }
            var best = 0
            for (i, v) in thresholds.enumerated() where abs(v - t) < abs(thresholds[best] - t) { best = i }
            return best
        }
    }
}

/// ROC curves on the unit square with the chance diagonal and, when given, the chosen
/// operating point marked and labelled with its threshold and rates. The point is taken from
/// the curve itself, so it always lies on it.
public struct ROCChart: Chart {
    public var title: String
    public var subtitle: String?
    public var curves: [ROCCurve]
    public var operatingPoint: OperatingPoint?
    public var size: ChartSize

    public init(title: String = "ROC curve", subtitle: String? = nil, curves: [ROCCurve], operatingPoint: OperatingPoint? = nil,
                size: ChartSize = .square) {
        self.title = title
        self.subtitle = subtitle
        self.curves = curves
        self.operatingPoint = operatingPoint
        self.size = size
    }

    /// The marked point in data coordinates, when there is one.
    public var markedPoint: PlotPoint? {
        guard let op = operatingPoint, curves.indices.contains(op.curve) else { return nil }
        let curve = curves[op.curve]
        guard let i = op.index(count: curve.falsePositiveRates.count, thresholds: curve.thresholds) else { return nil }
        return PlotPoint(curve.falsePositiveRates[i], curve.truePositiveRates[i])
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: .unit("False positive rate (1 − specificity)"),
                          y: .unit("True positive rate (sensitivity)"), size: size)
        plot.addLine("Chance", points: [PlotPoint(0, 0), PlotPoint(1, 1)], color: ChartStyle.mutedColor, dashed: true,
                     width: 1.2, role: "chance")
        for (i, curve) in curves.enumerated() {
            let name = curve.auc.map { "\(curve.name) (AUC \(NumberFormat.fixed($0, decimals: 3)))" } ?? curve.name
            plot.addLine(name, points: curve.path, color: ChartStyle.color(i), role: "series roc")
        }
        if let op = operatingPoint, let point = markedPoint {
            let curve = curves[op.curve]
            var lines: [String] = []
            if let label = op.label { lines.append(label) }
            if let i = op.index(count: curve.falsePositiveRates.count, thresholds: curve.thresholds), let t = curve.thresholds?[i] {
                lines.append("threshold \(NumberFormat.value(t))")
            }
            lines.append("TPR \(NumberFormat.fixed(point.y, decimals: 3)), FPR \(NumberFormat.fixed(point.x, decimals: 3))")
            plot.addMarker(PlotMarker(at: point, label: lines.joined(separator: "\n"), role: "operating-point"))
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// Precision–recall curves with the no-skill baseline (the positive rate) and the chosen
/// operating point marked on its curve.
public struct PrecisionRecallChart: Chart {
    public var title: String
    public var subtitle: String?
    public var curves: [PrecisionRecallCurve]
    /// Share of positives in the data: the precision of a random classifier.
    public var prevalence: Double?
    public var operatingPoint: OperatingPoint?
    public var size: ChartSize

    public init(title: String = "Precision–recall curve", subtitle: String? = nil, curves: [PrecisionRecallCurve],
                prevalence: Double? = nil, operatingPoint: OperatingPoint? = nil, size: ChartSize = .square) {
        self.title = title
        self.subtitle = subtitle
        self.curves = curves
        self.prevalence = prevalence
        self.operatingPoint = operatingPoint
        self.size = size
    }

    /// The marked point (recall, precision), when there is one.
    public var markedPoint: PlotPoint? {
        guard let op = operatingPoint, curves.indices.contains(op.curve) else { return nil }
        let curve = curves[op.curve]
        guard let i = op.index(count: curve.recalls.count, thresholds: curve.thresholds) else { return nil }
        return PlotPoint(curve.recalls[i], curve.precisions[i])
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: .unit("Recall (sensitivity)"), y: .unit("Precision"), size: size)
        if let prevalence {
            plot.addLine("No skill (\(NumberFormat.percent(prevalence)) positive)",
                         points: [PlotPoint(0, prevalence), PlotPoint(1, prevalence)], color: ChartStyle.mutedColor,
                         dashed: true, width: 1.2, role: "chance")
        }
        for (i, curve) in curves.enumerated() {
            let name = curve.averagePrecision.map { "\(curve.name) (AP \(NumberFormat.fixed($0, decimals: 3)))" } ?? curve.name
            plot.addLine(name, points: zip(curve.recalls, curve.precisions).map { PlotPoint($0, $1) }, color: ChartStyle.color(i),
                         role: "series pr")
        }
        if let op = operatingPoint, let point = markedPoint {
            let curve = curves[op.curve]
            var lines: [String] = []
            if let label = op.label { lines.append(label) }
            if let i = op.index(count: curve.recalls.count, thresholds: curve.thresholds), let t = curve.thresholds?[i] {
                lines.append("threshold \(NumberFormat.value(t))")
            }
            lines.append("precision \(NumberFormat.fixed(point.y, decimals: 3)), recall \(NumberFormat.fixed(point.x, decimals: 3))")
            plot.addMarker(PlotMarker(at: point, label: lines.joined(separator: "\n"), role: "operating-point"))
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// One bin of a reliability diagram.
public struct CalibrationBin: Sendable, Equatable {
    /// Mean predicted probability of the bin's records.
    public var meanPredicted: Double
    /// Observed share of positives among them.
    public var observedRate: Double
    /// Number of records in the bin.
    public var count: Int
    public init(meanPredicted: Double, observedRate: Double, count: Int) {
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
        self.count = count
    }
}

/// A calibration (reliability) diagram: observed positive rate against mean predicted
/// probability per bin, the diagonal of perfect calibration, dot areas proportional to the
/// number of records in each bin.
public struct CalibrationChart: Chart {
    public var title: String
    public var subtitle: String?
    public var curves: [(name: String, bins: [CalibrationBin])]
    public var size: ChartSize

    public init(title: String = "Calibration", subtitle: String? = nil, curves: [(name: String, bins: [CalibrationBin])],
                size: ChartSize = .square) {
        self.title = title
        self.subtitle = subtitle
        self.curves = curves
        self.size = size
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: .unit("Mean predicted probability"),
                          y: .unit("Observed positive rate"), size: size)
        plot.addLine("Perfectly calibrated", points: [PlotPoint(0, 0), PlotPoint(1, 1)], color: ChartStyle.mutedColor,
                     dashed: true, width: 1.2, role: "chance")
        let largest = Double(max(curves.flatMap { $0.bins.map(\.count) }.max() ?? 1, 1))
        for (i, curve) in curves.enumerated() {
            let bins = curve.bins.filter { $0.count > 0 }.sorted { $0.meanPredicted < $1.meanPredicted }
            let points = bins.map { PlotPoint($0.meanPredicted, $0.observedRate) }
            plot.addLine(curve.name, points: points, color: ChartStyle.color(i), width: 1.8, role: "series calibration")
            // Dot area ∝ count: radius 2.5 … 8 pixels.
            for bin in bins {
                let radius = 2.5 + 5.5 * (Double(bin.count) / largest).squareRoot()
                plot.addScatter("", points: [PlotPoint(bin.meanPredicted, bin.observedRate)], color: ChartStyle.color(i),
                                radius: radius, opacity: 0.8, role: "bin")
            }
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// The Kolmogorov–Smirnov chart: the empirical cumulative distributions of the scores of
/// each class, with the largest vertical gap between them (the KS statistic) drawn and labelled.
public struct KSChart: Chart {
    public var title: String
    public var subtitle: String?
    public var positives: [Double]
    public var negatives: [Double]
    public var positiveName: String
    public var negativeName: String
    public var score: Axis
    public var size: ChartSize

    public init(title: String = "Kolmogorov–Smirnov", subtitle: String? = nil, positives: [Double], negatives: [Double],
                positiveName: String = "Positive", negativeName: String = "Negative", score: Axis = Axis("Score"),
                size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.positives = positives.filter(\.isFinite).sorted()
        self.negatives = negatives.filter(\.isFinite).sorted()
        self.positiveName = positiveName
        self.negativeName = negativeName
        self.score = score
        self.size = size
    }

    /// The KS statistic (largest gap between the two cumulative distributions), the score at
    /// which it occurs and the two cumulative shares there.
    public var statistic: (value: Double, at: Double, positiveShare: Double, negativeShare: Double) {
        var best = (value: 0.0, at: positives.first ?? negatives.first ?? 0, positiveShare: 0.0, negativeShare: 0.0)
        var i = 0, j = 0
        let np = Double(max(positives.count, 1)), nn = Double(max(negatives.count, 1))
        while i < positives.count || j < negatives.count {
            let v = min(i < positives.count ? positives[i] : .infinity, j < negatives.count ? negatives[j] : .infinity)
            while i < positives.count && positives[i] == v { i += 1 }
            while j < negatives.count && negatives[j] == v { j += 1 }
            let fp = Double(i) / np, fn = Double(j) / nn
            if abs(fp - fn) > best.value { best = (abs(fp - fn), v, fp, fn) }
        }
        return best
    }

    static func ecdf(_ sorted: [Double]) -> [PlotPoint] {
        guard let first = sorted.first else { return [] }
        var points = [PlotPoint(first, 0)]
        let n = Double(sorted.count)
        var i = 0
        while i < sorted.count {
            let v = sorted[i]
            while i < sorted.count && sorted[i] == v { i += 1 }
            points.append(PlotPoint(v, Double(i) / n))
        }
        return points
    }

    public func plot() -> XYPlot {
        var plot = XYPlot(title: title, subtitle: subtitle, x: score, y: Axis("Cumulative share", range: 0...1, format: .percent),
                          size: size)
        plot.addLine(negativeName, points: Self.ecdf(negatives), color: ChartStyle.color(0), steps: true, role: "series ecdf")
        plot.addLine(positiveName, points: Self.ecdf(positives), color: ChartStyle.color(1), steps: true, role: "series ecdf")
        let ks = statistic
        if ks.value > 0 {
            plot.addLine("", points: [PlotPoint(ks.at, ks.positiveShare), PlotPoint(ks.at, ks.negativeShare)],
                         color: ChartStyle.textColor, width: 2.5, role: "ks-gap")
            let top = PlotPoint(ks.at, max(ks.positiveShare, ks.negativeShare))
            plot.addMarker(PlotMarker(at: top, label: "KS \(NumberFormat.fixed(ks.value, decimals: 3))\nat score \(NumberFormat.value(ks.at))",
                                      color: ChartStyle.textColor, role: "ks-point"))
        }
        return plot
    }

    public func svg() -> String { plot().svg() }
}

/// Score distributions of each class over shared bins (as shares of the class, so classes of
/// very different sizes compare), with the decision threshold when given.
public struct ScoreDistributionChart: Chart {
    public var title: String
    public var subtitle: String?
    public var classes: [(name: String, scores: [Double])]
    public var threshold: Double?
    public var binning: Binning?
    public var score: Axis
    public var size: ChartSize

    public init(title: String = "Score distribution by class", subtitle: String? = nil,
                classes: [(name: String, scores: [Double])], threshold: Double? = nil, binning: Binning? = nil,
                score: Axis = Axis("Score"), size: ChartSize = .standard) {
        self.title = title
        self.subtitle = subtitle
        self.classes = classes
        self.threshold = threshold
        self.binning = binning
        self.score = score
        self.size = size
    }

    public func plot() -> XYPlot {
        let lines = threshold.map { [ReferenceLine(.vertical, at: $0, label: "threshold \(NumberFormat.value($0))",
                                                   color: ChartStyle.textColor, role: "threshold")] } ?? []
        return Histogram(title: title, subtitle: subtitle, x: score, groups: classes.map { (name: $0.name, values: $0.scores) },
                         binning: binning, scale: .share, referenceLines: lines, size: size).plot()
    }

    public func svg() -> String { plot().svg() }
}
