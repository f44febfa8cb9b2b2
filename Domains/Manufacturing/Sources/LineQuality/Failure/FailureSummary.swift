import Foundation
import LeptonCore
import LeptonIO
import LeptonReport

/// What `train` reports: held-out figures (out-of-fold for boosted trees), the threshold, warnings and the report.
public struct TrainedFailureModel: Sendable {
    public var result: FailureTraining.Result
    public var data: PartsData
    /// Out-of-fold figures at the chosen threshold (labelled data only).
    public var heldOut: FailureEvaluation?

    public init(result: FailureTraining.Result, data: PartsData, falseAlarmRate: Double, seed: UInt64) {
        self.result = result
        self.data = data
        if !data.labels.isEmpty {
            heldOut = FailureEvaluation(labels: data.labels, scores: result.heldOutScores, threshold: result.model.spec.threshold,
                                        targetFalseAlarmRate: falseAlarmRate, seed: seed)
        }
    }

    /// The figures the model file records.
    public var metrics: [String: Double] {
        guard let e = heldOut else { return ["threshold": result.model.spec.threshold] }
        return ["cv_roc_auc": e.rocAUC, "cv_pr_auc": e.prAUC, "threshold": e.threshold, "cv_precision": e.precision, "cv_recall": e.recall]
    }

    public var warnings: [String] {
        var w: [String] = []
        if !data.rejected.isEmpty { w.append("\(data.rejected.count) of \(data.rowsRead) rows rejected (first: \(data.rejected[0])).") }
        if data.nonFiniteDerived > 0 { w.append("\(data.nonFiniteDerived) rows have a derived feature that is not finite (division by zero, log of a non-positive number): taken as missing.") }
        return w
    }

    public var lines: [String] {
        let spec = result.model.spec
        var lines = ["trained \(spec.kind == .gbdt ? "a failure model (boosted trees)" : "an anomaly model (isolation forest)") on \(data.count) parts, \(data.schema.names.count) features (\(spec.schema.derived.count) derived)"]
        if let cv = result.crossValidation {
            lines.append(String(format: "%d-fold cross-validated ROC-AUC %.4f (folds %@)", cv.foldValues.count, cv.mean,
                                cv.foldValues.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        }
        if let e = heldOut {
            lines += ["out-of-fold figures (each part scored by a model fitted without its fold):"] + e.lines.map { "  " + $0 }
        }
        lines.append(String(format: "alert threshold %.6f (%@)", spec.threshold, thresholdText))
        if let trees = result.model.trees {
            let gain = trees.featureImportance(.gain), total = max(gain.reduce(0, +), 1e-300)
            let top = gain.indices.sorted { gain[$0] > gain[$1] }.prefix(5).map { String(format: "%@ %.1f%%", spec.schema.names[$0], gain[$0] / total * 100) }
            lines.append("most important: " + top.joined(separator: ", "))
        }
        return lines
    }

    var thresholdText: String {
        switch result.model.spec.thresholdRule {
        case let .falseAlarmRate(r): return String(format: "flags at most %.2f%% of good parts on held-out scores", r * 100)
        case let .cost(miss, inspection): return "lowest expected cost, a miss \(NumberFormat.exact(miss)), an inspection \(NumberFormat.exact(inspection))"
        }
    }

    public var jsonFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("parts", .int(data.count)), ("features", .array(data.schema.names.map { .string($0) })),
                                             ("threshold", .double(result.model.spec.threshold))]
        if let cv = result.crossValidation {
            fields.append(("cv_roc_auc", .double(cv.mean)))
            fields.append(("cv_fold_roc_aucs", .array(cv.foldValues.map { .double($0) })))
        }
        if let e = heldOut { fields.append(("out_of_fold", .object(e.jsonFields))) }
        fields.append(("rejected", .int(data.rejected.count)))
        return fields
    }

    /// The training report: PR and ROC curves of the held-out scores with the operating point,
    /// feature importance.
    public func report(provenance: Provenance) -> Report {
        var r = Report(title: "Failure model: held-out validation", provenance: provenance)
        if let e = heldOut {
            FailureReport.addCurves(to: &r, labels: data.labels, scores: result.heldOutScores, evaluation: e, what: "out-of-fold scores")
        }
        if let trees = result.model.trees {
            let gain = trees.featureImportance(.gain), total = max(gain.reduce(0, +), 1e-300)
            let order = gain.indices.sorted { gain[$0] > gain[$1] }
            r.addFigure(BarChart(title: "Feature importance (share of split gain)", categories: order.map { result.model.spec.schema.names[$0] },
                                 series: [.init("Gain", values: order.map { gain[$0] / total })], value: Axis("Share", format: .percent)),
                        caption: "Each feature's share of the total split gain over all trees.")
        }
        return r
    }
}

/// Validating a model on a labelled log (`evaluate`).
public struct FailureValidation: Sendable {
    public var evaluation: FailureEvaluation
    public var data: PartsData
    public var scores: [Double]
    /// For a time-series log (a timestamp column given): its time order and the detection lead time.
    public var order: TimeSeriesOrder?
    public var leadTime: DetectionLeadTime?

    /// With `timestamp` (and `machine`), the rows are also put in time order per machine and the
    /// lead time of the alarms before each failure episode is measured, looking back `horizon` seconds.
    public init(model: FailureModel, path: String, seed: UInt64, timestamp: String? = nil, machine: String? = nil,
                horizon: Double = 86_400, threads: Int = ThreadCount.auto.resolved) throws {
        guard let target = model.spec.target, let positive = model.spec.positive else {
            throw DataError(file: path, message: "the model was trained without an outcome column, so there is nothing to evaluate against",
                            hint: "evaluate a failure model (train --kind gbdt), or label the anomalies and train on them.")
        }
        data = try PartsData.load(path: path, target: target, positive: positive, schema: model.spec.schema,
                                  textColumns: [timestamp, machine].compactMap { $0 }, threads: threads)
        let scores = try model.scores(data.features, threads: threads), loaded = data, threshold = model.spec.threshold
        self.scores = scores
        if let timestamp {
            let order = TimeSeriesOrder(timestamps: loaded.texts[timestamp]!, machines: machine.map { loaded.texts[$0]! })
            self.order = order
            leadTime = DetectionLeadTime(order: order, labels: loaded.labels, alarms: scores.map { $0 >= threshold }, horizon: horizon)
        }
        let rate: Double? = { if case let .falseAlarmRate(r) = model.spec.thresholdRule { return r }; return nil }()
        evaluation = FailureEvaluation(labels: data.labels, scores: scores, threshold: model.spec.threshold, targetFalseAlarmRate: rate, seed: seed)
    }

    public var warnings: [String] {
        data.rejected.isEmpty ? [] : ["\(data.rejected.count) of \(data.rowsRead) rows rejected (first: \(data.rejected[0]))."]
    }

    /// The evaluation's lines, with the time order and lead time of a time-series log.
    public var lines: [String] {
        var lines = evaluation.lines
        if let order { lines.append(order.line) }
        if let lead = leadTime {
            lines.append("detection: \(lead.detected) of \(lead.episodes) failure episodes alarmed"
                         + (lead.medianLead.map { String(format: ", median lead time %.0f s before the episode began (negative: after)", $0) } ?? ""))
        }
        return lines
    }

    /// The evaluation's `--json` fields, with `time_order` and `detection` for a time-series log.
    public var jsonFields: [(String, JSONValue)] {
        var fields = evaluation.jsonFields
        if let order { fields += order.jsonFields }
        if let lead = leadTime {
            fields.append(("detection", .object([("episodes", .int(lead.episodes)), ("detected", .int(lead.detected)),
                                                 ("median_lead_seconds", lead.medianLead.map { .double($0) } ?? .null),
                                                 ("lead_seconds", .array(lead.leads.map { .double($0) }))])))
        }
        return fields
    }

    public func report(provenance: Provenance) -> Report {
        var r = Report(title: "Failure model validation", provenance: provenance)
        FailureReport.addCurves(to: &r, labels: data.labels, scores: scores, evaluation: evaluation, what: "scores on this file")
        return r
    }
}

/// The report sections both `train` and `evaluate` draw.
enum FailureReport {
    static func addCurves(to r: inout Report, labels: [Double], scores: [Double], evaluation e: FailureEvaluation, what: String) {
        r.addCallout(String(format: "ROC-AUC %.4f, PR-AUC %.4f; at the threshold: precision %.3f, recall %.3f, %.1f false alarms per 1,000 parts",
                            e.rocAUC, e.prAUC, e.precision, e.recall, e.falseAlarmsPer1000))
        if let roc = rocCurve(labels: labels, scores: scores) {
            r.addFigure(ROCChart(curves: [ROCCurve(name: "model", falsePositiveRates: roc.falsePositiveRates, truePositiveRates: roc.truePositiveRates,
                                                   thresholds: roc.thresholds, auc: e.rocAUC)],
                                 operatingPoint: OperatingPoint(.threshold(e.threshold), label: "threshold")),
                        caption: "ROC curve of the \(what), with the operating threshold.")
        }
        if let pr = precisionRecallCurve(labels: labels, scores: scores) {
            r.addFigure(PrecisionRecallChart(curves: [PrecisionRecallCurve(name: "model", recalls: pr.recalls, precisions: pr.precisions,
                                                                           thresholds: pr.thresholds, averagePrecision: e.prAUC)],
                                             operatingPoint: OperatingPoint(.threshold(e.threshold), label: "threshold")),
                        caption: "Precision–recall curve of the \(what) (average precision as scikit-learn's), with the operating threshold.")
        }
    }
}
