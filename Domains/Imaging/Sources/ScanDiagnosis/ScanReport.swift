import LeptonCore
import LeptonIO
import LeptonReport

/// The clinical evaluation as an HTML-ready report: the figures with their 95 % intervals, the
/// ROC curve with the stored operating point, the reliability diagram, the confusion matrix, and
/// grids of the most confident true/false positives/negatives with their saliency maps.
public enum ScanReport {
    /// - Parameters:
    ///   - images: the evaluated scans (N, 1, H, W), in the order of `labels` and `scores`.
    ///   - names: a caption for each scan (its file name).
    ///   - casesPerGrid: how many scans each of the four grids shows (the most confident first).
    public static func evaluation(_ e: ScanEvaluation, model: ScanModel, images: Tensor, names: [String], labels: [Double],
                                  scores: [Double], provenance: Provenance, title: String = "Scan classifier evaluation",
                                  casesPerGrid: Int = 4, saliency: SaliencyMethod = .gradcam) throws -> Report {
        var report = Report(title: title, provenance: provenance)
        let positive = model.spec.classNames[model.spec.positiveClass]
        report.addCallout("AUC \(fixed(e.value("auc"), 3)) · sensitivity \(fixed(e.value("sensitivity"), 3)) · specificity \(fixed(e.value("specificity"), 3)) on \(e.n) scans (\(e.positives) \(positive)), threshold \(fixed(e.threshold, 4)) (\(model.spec.rule))")
        var figures = Table(columns: [.init("Figure"), .init("Value", .decimals(4)), .init("95 % CI low", .decimals(4)), .init("95 % CI high", .decimals(4))],
                            caption: "At the stored operating point; intervals from 1,000 stratified bootstrap replicates.")
        for f in e.figures {
            figures.addRow([.text(f.name), .number(f.value), f.interval.map { .number($0.lower) } ?? .empty, f.interval.map { .number($0.upper) } ?? .empty])
        }
        figures.addRow([.text("expected calibration error"), .number(e.ece), .empty, .empty])
        report.addTable(figures)

        if let roc = rocCurve(labels: labels, scores: scores) {
            report.addFigure(ROCChart(curves: [ROCCurve(name: model.network.architecture.name, falsePositiveRates: roc.falsePositiveRates,
                                                        truePositiveRates: roc.truePositiveRates, thresholds: roc.thresholds, auc: e.value("auc"))],
                                      operatingPoint: OperatingPoint(.threshold(e.threshold), label: "stored: \(model.spec.rule)")),
                             caption: "ROC: sensitivity against 1 − specificity as the threshold falls; the marked point is the stored operating point.")
        }
        if let bins = calibrationBins(labels: labels, probabilities: scores) {
            report.addFigure(CalibrationChart(curves: [(name: "calibrated probability", bins: bins.map {
                CalibrationBin(meanPredicted: $0.meanPredicted, observedRate: $0.observedRate, count: Int($0.weight))
            })]), caption: "Reliability diagram: observed share of \(positive) against the mean predicted probability per tenth (ECE \(fixed(e.ece, 4))).")
        }

        let cases = ConfidentCases(labels: labels, scores: scores, threshold: e.threshold)
        var confusion = Table(columns: [.init("Truth"), .init("Predicted \(positive)", .integer), .init("Predicted not \(positive)", .integer)],
                              caption: "Confusion matrix at threshold \(fixed(e.threshold, 4)).")
        confusion.addRow([.text(positive), .number(Double(cases.truePositives.count)), .number(Double(cases.falseNegatives.count))])
        confusion.addRow([.text("not \(positive)"), .number(Double(cases.falsePositives.count)), .number(Double(cases.trueNegatives.count))])
        report.addTable(confusion)

        report.addHeading("Most confident cases, with saliency maps")
        let (h, w) = (images.shape[2], images.shape[3])
        for (group, rows) in [("True positives", cases.truePositives), ("False positives", cases.falsePositives),
                              ("False negatives", cases.falseNegatives), ("True negatives", cases.trueNegatives)] {
            guard !rows.isEmpty else { continue }
            let tiles = try rows.prefix(casesPerGrid).map { i -> ImageTile in
                let image = Array(images.scalars[(i * h * w)..<((i + 1) * h * w)])
                let map = saliency.map(model: model, image: image)
                return ImageTile(png: try Saliency.overlayPNG(image: image, map: map, width: w, height: h),
                                 caption: "\(names.indices.contains(i) ? names[i] : "#\(i)") p=\(fixed(scores[i], 3))",
                                 highlighted: group.hasPrefix("False"))
            }
            report.addFigure(ImageGrid(title: group, tiles: tiles, columns: min(4, tiles.count), pixelated: true),
                             caption: "\(group): the scans the model was surest of, with its \(saliency == .gradcam ? "Grad-CAM" : "occlusion") map in red (where the evidence for \(positive) lies).")
        }
        return report
    }

    private static func fixed(_ v: Double, _ d: Int) -> String { NumberFormat.fixed(v, decimals: d) }
}

/// Rows of each cell of the confusion matrix, the most confident first (highest probability for
/// predicted positives, lowest for predicted negatives).
struct ConfidentCases {
    var truePositives: [Int] = [], falsePositives: [Int] = [], falseNegatives: [Int] = [], trueNegatives: [Int] = []

    init(labels: [Double], scores: [Double], threshold: Double) {
        for i in scores.indices {
            switch (labels[i] > 0.5, scores[i] >= threshold) {
            case (true, true): truePositives.append(i)
            case (false, true): falsePositives.append(i)
            case (true, false): falseNegatives.append(i)
            case (false, false): trueNegatives.append(i)
            }
        }
        truePositives.sort { scores[$0] > scores[$1] }
        falsePositives.sort { scores[$0] > scores[$1] }
        falseNegatives.sort { scores[$0] < scores[$1] }
        trueNegatives.sort { scores[$0] < scores[$1] }
    }
}
