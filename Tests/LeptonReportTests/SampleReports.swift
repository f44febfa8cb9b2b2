import Foundation
import LeptonCore
import LeptonReport

/// The three sample reports, one per domain, made from seeded synthetic data. They exercise
/// every chart kind and are what `make report-screenshots` renders.
enum SampleReports {
    static func provenance(tool: String, model: String, data: String, seed: UInt64) -> Provenance {
        Provenance(tool: tool, toolVersion: "0.1.0", modelFile: model, dataFile: data,
                   dataFingerprint: "sha256:" + String(format: "%016llx", seed &* 0x9E37_79B9_7F4A_7C15) + "…",
                   seed: seed, command: "\(tool) evaluate --model \(model) --data \(data) --seed \(seed)",
                   created: "2025-01-15T09:30:00Z")
    }

    /// Credit scoring: discrimination, calibration, KS, score distributions, feature importances.
    static func credit(seed: UInt64 = 7) -> Report {
        let boosted = ScoredSample.make(seed: seed, count: 4000, prevalence: 0.12, separation: 2.2)
        let logistic = ScoredSample.make(seed: seed + 1, count: 4000, prevalence: 0.12, separation: 1.6)
        let threshold = boosted.threshold(forSpecificity: 0.9)
        let rocB = boosted.roc(name: "Gradient boosting"), rocL = logistic.roc(name: "Logistic regression")
        var report = Report(title: "Credit risk model — evaluation on the hold-out set",
                            provenance: provenance(tool: "lepton-credit", model: "models/credit-gbm.lepton", data: "data/credit/holdout.csv", seed: seed))
        report.addCallout("AUC \(NumberFormat.fixed(rocB.auc!, decimals: 3)) · KS \(NumberFormat.fixed(KSChart(positives: boosted.positives, negatives: boosted.negatives).statistic.value, decimals: 3)) · approval threshold \(NumberFormat.value(threshold))")
        report.addParagraph("Scores are probabilities of default within 12 months. The operating point keeps specificity at 90% or more (at most one good applicant in ten declined).")
        report.addHeading("Discrimination")
        report.addFigure(ROCChart(title: "ROC curve", subtitle: "4,000 applications, 12% defaults", curves: [rocB, rocL],
                                  operatingPoint: OperatingPoint(.threshold(threshold), label: "specificity ≥ 90%")),
                         caption: "ROC curves of both models; the ring marks the chosen operating point.")
        report.addFigure(PrecisionRecallChart(curves: [boosted.precisionRecall(name: "Gradient boosting"), logistic.precisionRecall(name: "Logistic regression")],
                                              prevalence: 0.12, operatingPoint: OperatingPoint(.threshold(threshold))),
                         caption: "Precision against recall; the dashed line is a model without skill.")
        report.addFigure(KSChart(positives: boosted.positives, negatives: boosted.negatives, positiveName: "Defaulted",
                                 negativeName: "Repaid", score: Axis("Predicted probability of default")),
                         caption: "Cumulative score distributions of repaid and defaulted loans.")
        report.addFigure(ScoreDistributionChart(classes: [(name: "Repaid", scores: boosted.negatives), (name: "Defaulted", scores: boosted.positives)],
                                                threshold: threshold, binning: Binning(low: 0, high: 1, count: 40),
                                                score: Axis("Predicted probability of default", range: 0...1)),
                         caption: "Score distributions by outcome, each as a share of its class.")
        report.addHeading("Calibration")
        report.addFigure(CalibrationChart(curves: [(name: "Gradient boosting", bins: boosted.calibration()),
                                                   (name: "Logistic regression", bins: logistic.calibration())]),
                         caption: "Reliability diagram: dot area shows how many applications fall in each bin.")
        report.addHeading("Explanations")
        let features = ["debt_to_income", "credit_utilisation", "months_since_last_delinquency", "annual_income", "loan_amount",
                        "employment_length_years", "number_of_open_accounts", "home_ownership=RENT"]
        var rng = SeededGenerator(seed: seed)
        let importance = features.indices.map { 0.3 / Double($0 + 1) + rng.uniform() * 0.02 }
        report.addFigure(BarChart(title: "Feature importance", subtitle: "Mean |SHAP| on the hold-out set", categories: features,
                                  values: importance, value: Axis("Mean absolute contribution", unit: "log-odds")),
                         caption: "The eight most important features.")
        var table = Table(columns: [Table.Column("Model"), Table.Column("AUC", .decimals(3)), Table.Column("KS", .decimals(3)),
                                    Table.Column("Approval rate", .percent(1)), Table.Column("Scored rows", .integer),
                                    Table.Column("Latency (µs/row)", .significant(3))],
                          caption: "Hold-out metrics")
        table.addRow([.text("Gradient boosting"), .number(rocB.auc!), .number(KSChart(positives: boosted.positives, negatives: boosted.negatives).statistic.value),
                      .number(0.8123), .number(4000), .number(12.4)])
        table.addRow([.text("Logistic regression"), .number(rocL.auc!), .number(KSChart(positives: logistic.positives, negatives: logistic.negatives).statistic.value),
                      .number(0.7981), .number(4000), .number(0.873)])
        report.addTable(table)
        return report
    }

    /// Chest-scan diagnosis: scans with saliency overlays, ROC at a fixed specificity, training curves.
    static func imaging(seed: UInt64 = 11) -> Report {
        var report = Report(title: "Chest scan classifier — validation report",
                            provenance: provenance(tool: "lepton-scan", model: "models/scan-cnn.lepton", data: "data/imaging/validation", seed: seed))
        var rng = SeededGenerator(seed: seed)
        var tiles: [ImageTile] = []
        for i in 0..<8 {
            let positive = i % 2 == 0
            let scan = TinyPNG.scan(seed: seed &+ UInt64(i), positive: positive)
            let p = positive ? 0.6 + rng.uniform() * 0.39 : rng.uniform() * 0.45
            let wrong = i == 5
            tiles.append(ImageTile(png: scan.image, overlay: scan.overlay, overlayOpacity: 0.55,
                                   caption: "scan \(1000 + i): \(positive ? "opacity" : "clear"), p = \(NumberFormat.fixed(wrong ? 0.71 : p, decimals: 2))\(wrong ? " (false positive)" : "")",
                                   highlighted: wrong))
        }
        report.addCallout("Sensitivity 0.912 at specificity 0.950 · AUC 0.957")
        report.addHeading("Examples")
        report.addFigure(ImageGrid(title: "Validation scans with saliency", subtitle: "Red: regions that raised the score most",
                                   tiles: tiles, columns: 4, tileSize: 150, pixelated: false),
                         caption: "Eight validation scans; the framed one is misclassified.")
        report.addHeading("Operating point")
        let sample = ScoredSample.make(seed: seed, count: 1500, prevalence: 0.3, separation: 3.2)
        let t = sample.threshold(forSpecificity: 0.95)
        report.addFigure(ROCChart(curves: [sample.roc(name: "CNN (small)")], operatingPoint: OperatingPoint(.threshold(t), label: "specificity ≥ 95%")),
                         caption: "ROC curve with the operating point at 95% specificity.")
        report.addHeading("Training")
        var train: [PlotPoint] = [], valid: [PlotPoint] = []
        for epoch in 1...30 {
            let e = Double(epoch)
            train.append(PlotPoint(e, 0.65 * exp(-e / 8) + 0.08 + rng.uniform() * 0.01))
            valid.append(PlotPoint(e, 0.6 * exp(-e / 9) + 0.13 + 0.002 * max(0, e - 20) + rng.uniform() * 0.015))
        }
        report.addFigure(LineChart(title: "Loss per epoch", x: Axis("Epoch", format: .integer), y: Axis("Cross-entropy loss", includesZero: true),
                                   series: [Series("Training", points: train), Series("Validation", points: valid, dashed: true)],
                                   markers: [PlotMarker(at: valid[19], label: "best: epoch 20")]),
                         caption: "Training and validation loss; the model from epoch 20 is kept.")
        let intensities = (0..<3000).map { _ in rng.normal(mean: 0.45, sd: 0.12) }
        report.addFigure(Histogram(title: "Mean pixel intensity", x: Axis("Mean intensity", range: 0...1), values: intensities,
                                   binning: Binning(low: 0, high: 1, count: 50)),
                         caption: "Distribution of mean scan intensity (a drift check).")
        return report
    }

    /// Production-line quality: a control chart with rule violations, capability histogram, model trade-offs.
    static func manufacturing(seed: UInt64 = 5) -> Report {
        var rng = SeededGenerator(seed: seed)
        var values: [Double] = []
        for i in 0..<120 {
            var v = rng.normal(mean: 10.0, sd: 0.05)
            if i >= 80 && i < 92 { v += 0.07 }       // a shift: a run on one side of the centre
            if i == 47 { v = 10.19 }                   // one point beyond the upper control limit
            if i == 103 { v = 9.83 }
            values.append(v)
        }
        var violations = [ControlChart.Violation(index: 47, rule: "1"), ControlChart.Violation(index: 103, rule: "1")]
        violations += (87..<92).map { ControlChart.Violation(index: $0, rule: "2") }
        violations.append(ControlChart.Violation(index: 90, rule: "5"))
        var report = Report(title: "Line 3 — bore diameter quality report",
                            provenance: provenance(tool: "lepton-qc", model: "models/line3-anomaly.lepton", data: "data/manufacturing/line3-week02.csv", seed: seed))
        report.addCallout("Process out of control: 8 rule violations in 120 samples · Cpk 1.12")
        report.addHeading("Control chart")
        report.addFigure(ControlChart(title: "Bore diameter, individuals chart", values: values, centerLine: 10.0, upperControlLimit: 10.15,
                                      lowerControlLimit: 9.85, upperSpecificationLimit: 10.2, lowerSpecificationLimit: 9.8,
                                      violations: violations, y: Axis("Diameter", unit: "mm")),
                         caption: "Tags name the Western Electric rule each flagged point breaks (1: beyond 3σ; 2: nine on one side; 5: two of three beyond 2σ).")
        report.addFigure(Histogram(title: "Process capability", x: Axis("Diameter", unit: "mm"), values: values,
                                   binning: Binning(low: 9.76, high: 10.24, count: 24),
                                   referenceLines: [ReferenceLine(.vertical, at: 9.8, label: "LSL 9.80", color: ChartStyle.color(4), dashed: false),
                                                    ReferenceLine(.vertical, at: 10.2, label: "USL 10.20", color: ChartStyle.color(4), dashed: false),
                                                    ReferenceLine(.vertical, at: 10.0, label: "target", color: ChartStyle.color(2))]),
                         caption: "Measured diameters against the specification limits.")
        report.addHeading("Model selection")
        let names = ["gbm-500", "gbm-200", "gbm-100", "gbm-50", "mlp-256", "mlp-64", "mlp-64-int8", "logistic", "cnn-small", "cnn-small-pruned", "rf-300", "knn-15"]
        let latency = [850.0, 340, 180, 95, 60, 22, 9, 2.5, 1200, 400, 700, 2500]
        let recall = [0.962, 0.958, 0.951, 0.93, 0.945, 0.936, 0.931, 0.88, 0.955, 0.949, 0.94, 0.9]
        let candidates = names.indices.map { ParetoCandidate(name: names[$0], x: latency[$0], y: recall[$0]) }
        report.addFigure(ParetoChart(title: "Defect recall against latency", subtitle: "12 candidate models; quality bar: recall ≥ 0.93",
                                     candidates: candidates, x: Axis("Latency per part", unit: "µs", scale: .logarithmic),
                                     y: Axis("Defect recall", format: .number), chosen: 6, qualityBar: 0.93),
                         caption: "Grey models are dominated; the chosen one is the fastest that meets the bar.")
        report.addFigure(ScatterChart(title: "Vibration against temperature", x: Axis("Spindle temperature", unit: "°C"),
                                      y: Axis("Vibration RMS", unit: "mm/s"),
                                      series: [Series("Good parts", points: (0..<300).map { _ in PlotPoint(rng.normal(mean: 41, sd: 2.5), rng.normal(mean: 2.1, sd: 0.3)) }),
                                               Series("Defective parts", points: (0..<40).map { _ in PlotPoint(rng.normal(mean: 46, sd: 2), rng.normal(mean: 3.0, sd: 0.4)) })]),
                         caption: "Sensor readings of good and defective parts.")
        var table = Table(columns: [Table.Column("Model"), Table.Column("Recall", .decimals(3)), Table.Column("Latency (µs)", .decimals(1)),
                                    Table.Column("False alarms / 1,000", .decimals(1))], caption: "Candidates meeting the quality bar")
        for i in names.indices where recall[i] >= 0.93 {
            table.addRow([.text(names[i]), .number(recall[i]), .number(latency[i]), .number(Double(i) * 0.7 + 1.3)])
        }
        report.addTable(table)
        return report
    }

    static var all: [(name: String, report: Report)] {
        [("credit", credit()), ("imaging", imaging()), ("manufacturing", manufacturing())]
    }
}
