import Foundation
import LeptonCore
import LeptonIO
import LeptonReport

/// Validating a model on a labelled file (`evaluate`): the figures, the console lines and the report.
public struct CreditValidation: Sendable {
    /// The figures at the model's cut-off and costs.
    public var evaluation: ScorecardEvaluation
    /// The scored rows of the file, with its counts of rejected rows, unseen categories and out-of-range values.
    public var scored: ScoredFile

    /// Scores `path` with `model` and computes the validation figures at the model's cut-off and costs.
    public init(model: CreditModel, path: String) throws {
        scored = try ScoredFile.readUsable(path: path, model: model, requireOutcome: true)
        evaluation = ScorecardEvaluation(labels: scored.labels, scores: scored.scores, pd: scored.pd, cutoff: model.cutoff,
                                         costBadAccepted: model.config.costBadAccepted, costGoodRejected: model.config.costGoodRejected)
    }

    /// The console lines: headline figures, calibration, cut-offs and the band table.
    public func lines(path: String) -> [String] {
        let e = evaluation
        return [String(format: "%@: %d loans (%d bad), %d rejected", path, e.n, e.bads, scored.rejected),
                String(format: "AUC %.4f  Gini %.4f  KS %.4f (at %.0f)  Brier %.4f  log-loss %.4f", e.auc, e.gini, e.ks, e.ksScore, e.brier, e.logLoss),
                String(format: "Hosmer–Lemeshow %.2f (df %d, p = %.3f)", e.hosmerLemeshow.statistic, e.hosmerLemeshow.degreesOfFreedom, e.hosmerLemeshow.pValue),
                String(format: "cut-off %d: approve %.1f%%, bad rate of approved %.2f%%, expected cost %.0f; cost-optimal cut-off %d (cost %.0f)",
                       e.cutoff, e.atCutoff.approvalRate * 100, e.atCutoff.acceptedBadRate * 100, e.atCutoff.cost, e.optimalCutoff, e.atOptimalCutoff.cost),
                ""] + e.bandLines
    }

    /// The `--json` fields.
    public var jsonFields: [(String, JSONValue)] {
        evaluation.summary.map { ($0.0, $0.0 == "n" || $0.0 == "bads" ? .int(Int($0.1)) : .double($0.1)) }
            + [("rejected", .int(scored.rejected)), ("unseen_categories", .int(scored.unseenCategories)), ("out_of_range", .int(scored.outOfRange))]
    }

    /// The validation report.
    public func report(model: CreditModel, provenance: Provenance) -> Report {
        CreditReports.evaluation(evaluation, model: model, labels: scored.labels, scores: scored.scores, provenance: provenance,
                                 title: model.kindName == "gbdt" ? "Credit gradient-boosted model validation" : "Credit scorecard validation")
    }

    /// A warning when rows were rejected.
    public var warning: String? {
        scored.rejected > 0 ? "\(scored.rejected) of \(scored.rowsRead) rows rejected (first: \(scored.rejectExamples[0]))." : nil
    }
}

extension ScoredFile {
    /// ``ScoredFile/read(path:model:requireOutcome:)``, failing with a hint when no row was usable.
    public static func readUsable(path: String, model: CreditModel, requireOutcome: Bool) throws -> ScoredFile {
        let scored = try ScoredFile.read(path: path, model: model, requireOutcome: requireOutcome)
        guard !scored.scores.isEmpty else {
            throw DataError("\(path): all \(scored.rowsRead) rows were rejected (first: \(scored.rejectExamples.first ?? "?"))",
                            hint: "check the file's columns and values against the training file.")
        }
        return scored
    }
}

extension StabilityReport {
    /// Scores `path` (no outcome needed) and measures its stability against the training data.
    public static func measure(model: CreditModel, path: String) throws -> (StabilityReport, ScoredFile) {
        let scored = try ScoredFile.readUsable(path: path, model: model, requireOutcome: false)
        return (StabilityReport(model: model, scored: scored), scored)
    }

    /// The console lines: PSI of the score and each characteristic's CSI, with their readings.
    public func lines(path: String, rejected: Int) -> [String] {
        [String(format: "%@: %d applicants, %d rejected", path, rows, rejected),
         String(format: "PSI of the score %.4f: %@", psi, CreditMetrics.stabilityReading(psi)), "", "characteristic stability (CSI):"]
            + csi.map { String(format: "  %@  %.4f  %@", $0.name.padding(toLength: 44, withPad: " ", startingAt: 0), $0.value, CreditMetrics.stabilityReading($0.value)) }
    }

    /// The `--json` fields.
    public func jsonFields(scored: ScoredFile) -> [(String, JSONValue)] {
        [("psi", .double(psi)), ("reading", .string(CreditMetrics.stabilityReading(psi))), ("rows", .int(rows)),
         ("rejected", .int(scored.rejected)), ("unseen_categories", .int(scored.unseenCategories)), ("out_of_range", .int(scored.outOfRange)),
         ("csi", .object(csi.map { ($0.name, .double($0.value)) }))]
    }

    /// The stability report: the score distribution, training against new, and the CSI table.
    public func report(model: CreditModel, provenance: Provenance) -> Report {
        var r = Report(title: model.kindName == "gbdt" ? "Credit gradient-boosted model stability" : "Credit scorecard stability",
                       provenance: provenance)
        r.addCallout(String(format: "PSI %.4f (%@)", psi, CreditMetrics.stabilityReading(psi)))
        r.addFigure(BarChart(title: "Score distribution: training vs new", categories: bandLabels,
                             series: [.init("Training", values: expectedShares), .init("New", values: actualShares)],
                             value: Axis("Share", format: .percent)), caption: "Shares of applicants per training score band.")
        var table = Table(columns: [.init("Characteristic"), .init("CSI", .decimals(4)), .init("Reading")],
                          caption: "Characteristic stability: < 0.1 stable, 0.1–0.25 watch, > 0.25 act.")
        for c in csi { table.addRow([.text(c.name), .number(c.value), .text(CreditMetrics.stabilityReading(c.value))]) }
        r.addTable(table)
        return r
    }
}

/// Writing a model as a table or a statement (`export`).
public enum CreditExport {
    /// `csv` and `json`: tables (a scorecard's bins and points, a boosted model's summary); `sql`: one statement computing the score (scorecards only).
    public enum Format: String, Sendable, CaseIterable {
        case csv, json, sql
    }

    /// Writes `model` to `path` in `format` (a scorecard's points table or SQL statement; a boosted
    /// model's summary, as it has no points table) and returns a line saying what was written.
    public static func write(_ model: CreditModel, from modelPath: String, format: Format, to path: String,
                             table: String = "applicants") throws -> String {
        switch (model, format) {
        case let (.scorecard(card), .csv):
            try CSVWriter.write(rows: ScorecardExport.csvRows(card), to: path)
        case let (.scorecard(card), .json):
            try AtomicFile.write(text: try ScorecardExport.json(card), to: path)
        case let (.scorecard(card), .sql):
            try AtomicFile.write(text: ScorecardExport.sql(card, table: table), to: path)
        case let (.boosted(boosted), .sql):
            throw DataError("\(modelPath): SQL export is for scorecards; this is a gradient-boosted model (\(boosted.trees.trees.count) trees), which has no points table to write as SQL",
                            hint: "export a scorecard (train --kind scorecard or both), or use --format csv|json for the boosted model's summary and score it with lepton-credit score.")
        case let (.boosted(boosted), .csv):
            try CSVWriter.write(rows: BoostedExport.csvRows(boosted), to: path)
        case let (.boosted(boosted), .json):
            try AtomicFile.write(text: try BoostedExport.json(boosted), to: path)
        }
        switch model {
        case let .scorecard(card):
            return "wrote the scorecard (\(card.entries.count) characteristics) as \(format.rawValue) to \(path)"
        case let .boosted(boosted):
            return "wrote the gradient-boosted model's summary (\(boosted.spec.features.count) characteristics, feature importance; the trees stay in the model file) as \(format.rawValue) to \(path)"
        }
    }
}
