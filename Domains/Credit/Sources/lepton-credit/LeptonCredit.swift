import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonIO
import LeptonReport

@main
struct LeptonCredit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-credit",
        abstract: "Credit-risk scorecards: train on past loans, validate, export, monitor and batch-score applicants.",
        discussion: LeptonExitCode.helpText,
        subcommands: [Train.self, Evaluate.self, Score.self, Export.self, Monitor.self, Demo.self])

    static func main() { mainWithLeptonExitCodes() }
}

/// The kinds of model `train` fits.
enum ModelKind: String, ExpressibleByArgument, CaseIterable {
    case scorecard
    case gbdt
    case both
}

extension MonotonicTrend: ExpressibleByArgument {}

/// A console line for a characteristic: name, kind, bins, IV and what became of it.
func characteristicLine(_ name: String, kind: String, bins: Int, iv: Double, status: String) -> String {
    let shownName = name.count > 44 ? String(name.prefix(43)) + "…" : name
    return shownName.padding(toLength: 46, withPad: " ", startingAt: 0) + kind.padding(toLength: 12, withPad: " ", startingAt: 0)
        + String(format: "%4d  %7.4f  ", bins, iv) + status
}

/// The command line as one string, for report headers.
var commandLine: String { CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ") }

/// The time now in ISO 8601, for report headers.
var now: String { ISO8601DateFormatter().string(from: Date()) }

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bin the characteristics, select them and fit a scorecard on a CSV of past loans.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "CSV of past loans, one row per loan, with the outcome column.") var data: String
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning default (bad).") var bad: String
    @Option(help: "An ID column to carry through to scores (never used as a characteristic).") var id: String?
    @Option(help: "A JSON schema overriding column types, declaring special values and trends (see README).") var schema: String?
    @Option(help: "Model: scorecard, gbdt, or both side by side.") var kind: ModelKind = .scorecard
    @Option(help: "The model file to write.") var out: String
    @Option(help: "Also write the training report (HTML) here.") var report: String?
    @Option(help: "Most bins per characteristic (missing and special values get their own).") var maxBins = 6
    @Option(help: "Smallest share of rows in a bin.") var minBinShare = 0.05
    @Option(help: "Trend of the bad rate over numeric bins: \(MonotonicTrend.allCases.map(\.rawValue).joined(separator: ", ")).")
    var trend: MonotonicTrend = .auto
    @Option(help: "Smallest information value for a characteristic to be considered.") var minIv = 0.02
    @Option(help: "Largest absolute WOE correlation between two selected characteristics.") var maxCorrelation = 0.7
    @Option(help: "Largest variance inflation factor among selected characteristics.") var maxVif = 5.0
    @Option(help: "Points to double the odds.") var pdo = 20.0
    @Option(help: "Score at the base odds.") var baseScore = 600.0
    @Option(help: "Good:bad odds at the base score.") var baseOdds = 50.0
    @Option(help: "Approve at or above this score (default: the cost-optimal cut-off on the training data).") var cutoff: Int?
    @Option(help: "Cost of accepting a bad applicant.") var costBadAccepted = 5.0
    @Option(help: "Cost of rejecting a good applicant.") var costGoodRejected = 1.0
    @Option(help: "Reason codes per declined applicant.") var reasons = 4
    @Option(help: "Also report stratified k-fold cross-validated AUC (0: no).") var cvFolds = 0

    func validate() throws {
        guard maxBins >= 2 else { throw ValidationError("--max-bins \(maxBins): at least 2. Hint: 5 or 6 is usual.") }
        guard minBinShare > 0, minBinShare < 0.5 else { throw ValidationError("--min-bin-share \(minBinShare): between 0 and 0.5. Hint: 0.05 is usual.") }
        guard pdo > 0, baseOdds > 0 else { throw ValidationError("--pdo and --base-odds must be positive. Hint: --pdo 20 --base-odds 50.") }
        guard costBadAccepted >= 0, costGoodRejected >= 0 else { throw ValidationError("costs must not be negative.") }
        guard reasons >= 0, reasons <= 20 else { throw ValidationError("--reasons \(reasons): between 0 and 20.") }
        guard cvFolds == 0 || cvFolds >= 2 else { throw ValidationError("--cv-folds \(cvFolds): 0 (none) or at least 2.") }
        if kind != .scorecard {
            throw ValidationError("--kind \(kind.rawValue): the gradient-boosted credit model (monotone constraints from the binning trends, SHAP reason codes) is not in lepton-credit yet. Hint: use --kind scorecard (the default).")
        }
    }

    var config: ScorecardConfig {
        var c = ScorecardConfig()
        c.binning.maxBins = maxBins
        c.binning.minBinShare = minBinShare
        c.binning.trend = trend
        c.selection.minIV = minIv
        c.selection.maxCorrelation = maxCorrelation
        c.selection.maxVIF = maxVif
        c.pdo = pdo
        c.baseScore = baseScore
        c.baseOdds = baseOdds
        c.cutoff = cutoff
        c.costBadAccepted = costBadAccepted
        c.costGoodRejected = costGoodRejected
        c.reasonCount = reasons
        return c
    }

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let schemaValue = try schema.map { try CreditSchema.read(path: $0) } ?? CreditSchema()
        let started = Date()
        let dataset = try CreditDataset.load(path: data, target: target, bad: bad, id: id, schema: schemaValue)
        for name in dataset.allMissing { console.warning("column '\(name)' is missing in every row; left out.") }
        if !dataset.rejected.isEmpty {
            console.warning("\(dataset.rejected.count) of \(dataset.rowsRead) rows rejected (first: \(dataset.rejected[0])).")
        }
        let result = try ScorecardTrainer.fit(dataset, config: config, threads: threads)
        let seconds = Date().timeIntervalSince(started)
        let card = result.scorecard
        let evaluation = ScorecardEvaluation(labels: dataset.labels, scores: result.scores,
                                             pd: result.scores.map { card.probabilityOfDefault(score: $0) }, cutoff: card.cutoff,
                                             costBadAccepted: config.costBadAccepted, costGoodRejected: config.costGoodRejected)
        var cv: (mean: Double, folds: [Double])?
        if cvFolds >= 2 {
            cv = try ScorecardTrainer.crossValidatedAUC(dataset, config: config, folds: cvFolds, seed: common.seed, threads: threads)
        }
        var metrics = Dictionary(evaluation.summary, uniquingKeysWith: { a, _ in a })
        if let cv { metrics["cv_auc"] = cv.mean }
        try ScorecardFile.write(card, to: out, metrics: metrics, dataFingerprint: fileFingerprint(data), seed: common.seed)
        if let report {
            var r = CreditReports.evaluation(evaluation, scorecard: card, labels: dataset.labels, scores: result.scores,
                                             provenance: provenance(), title: "Credit scorecard: training data")
            r.addHeading("All characteristics")
            var table = Table(columns: [.init("Characteristic"), .init("Kind"), .init("Bins", .integer), .init("IV", .decimals(4)),
                                        .init("Status")])
            for b in result.binnings {
                table.addRow([.text(b.name), .text(b.kind.rawValue), .number(Double(b.bins.count)), .number(b.iv), .text(status(b.name, card))])
            }
            r.addTable(table)
            try ReportFiles.writeHTML(r, to: report)
        }
        var human = ["trained a scorecard on \(dataset.count) loans (\(dataset.badCount) '\(bad)'), \(dataset.rejected.count) rows rejected, in \(String(format: "%.2f", seconds)) s",
                     "",
                     "characteristic".padding(toLength: 46, withPad: " ", startingAt: 0) + "kind        bins       IV  status"]
        for b in result.binnings.sorted(by: { $0.iv > $1.iv }) {
            human.append(characteristicLine(b.name, kind: b.kind.rawValue, bins: b.bins.filter { $0.count > 0 }.count, iv: b.iv,
                                            status: status(b.name, card)))
        }
        human.append("")
        human.append("scorecard: \(card.entries.count) characteristics, base points \(card.basePoints), scores \(card.scoreRange.lowerBound)–\(card.scoreRange.upperBound), cut-off \(card.cutoff) (approve at or above)")
        human.append(String(format: "training data: AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f", evaluation.auc, evaluation.gini, evaluation.ks, evaluation.brier))
        if let cv {
            human.append(String(format: "%d-fold cross-validated AUC %.4f (folds %@)", cvFolds, cv.mean,
                                cv.folds.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        }
        human.append("wrote \(out)" + (report.map { " and \($0)" } ?? ""))
        var summary: [(String, JSONValue)] = [("model", .string(out)), ("kind", "scorecard"), ("rows", .int(dataset.count)),
                                              ("bads", .int(dataset.badCount)), ("rejected", .int(dataset.rejected.count)),
                                              ("characteristics", .int(result.binnings.count)), ("selected", .int(card.entries.count)),
                                              ("auc", .double(evaluation.auc)), ("gini", .double(evaluation.gini)),
                                              ("ks", .double(evaluation.ks)), ("brier", .double(evaluation.brier)),
                                              ("cutoff", .int(card.cutoff)), ("seconds", .double(seconds))]
        if let cv {
            summary.append(("cv_auc", .double(cv.mean)))
            summary.append(("cv_fold_aucs", .array(cv.folds.map { .double($0) })))
        }
        console.result(human: human, summary: summary)
    }

    func status(_ name: String, _ card: Scorecard) -> String {
        if let entry = card.entries.first(where: { $0.binning.name == name }) {
            return String(format: "selected (β %.3f)", entry.coefficient)
        }
        return card.excluded.first { $0.name == name }?.reason ?? "left out"
    }

    func provenance() -> Provenance {
        Provenance(tool: "lepton-credit", toolVersion: creditToolVersion, modelFile: out, dataFile: data,
                   dataFingerprint: fileFingerprint(data), seed: common.seed, command: commandLine, created: now)
    }
}

/// The tool version recorded in reports.
let creditToolVersion = "0.1.0"

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a model on a labelled CSV: AUC, Gini, KS, Brier, calibration, costs, strategy.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A CSV with the model's characteristics and its target column.") var data: String
    @Option(help: "Write the validation report (HTML) here.") var report: String?

    func run() throws {
        let console = Console(options: common)
        let (card, _) = try ScorecardFile.read(path: model)
        let scored = try ScoredFile.read(path: data, scorecard: card, requireOutcome: true)
        guard !scored.labels.isEmpty else {
            throw CreditError("\(data): all \(scored.rowsRead) rows were rejected (first: \(scored.rejectExamples.first ?? "?"))",
                              hint: "check the file's columns and values against the training file.")
        }
        if scored.rejected > 0 { console.warning("\(scored.rejected) of \(scored.rowsRead) rows rejected (first: \(scored.rejectExamples[0])).") }
        let e = ScorecardEvaluation(labels: scored.labels, scores: scored.scores, pd: scored.pd, cutoff: card.cutoff,
                                    costBadAccepted: card.config.costBadAccepted, costGoodRejected: card.config.costGoodRejected)
        if let report {
            let r = CreditReports.evaluation(e, scorecard: card, labels: scored.labels, scores: scored.scores,
                                             provenance: Provenance(tool: "lepton-credit", toolVersion: creditToolVersion, modelFile: model,
                                                                    dataFile: data, dataFingerprint: fileFingerprint(data),
                                                                    command: commandLine, created: now))
            try ReportFiles.writeHTML(r, to: report)
        }
        var human = [String(format: "%@: %d loans (%d bad), %d rejected", data, e.n, e.bads, scored.rejected),
                     String(format: "AUC %.4f  Gini %.4f  KS %.4f (at %.0f)  Brier %.4f  log-loss %.4f", e.auc, e.gini, e.ks, e.ksScore, e.brier, e.logLoss),
                     String(format: "Hosmer–Lemeshow %.2f (df %d, p = %.3f)", e.hosmerLemeshow.statistic, e.hosmerLemeshow.degreesOfFreedom, e.hosmerLemeshow.pValue),
                     String(format: "cut-off %d: approve %.1f%%, bad rate of approved %.2f%%, expected cost %.0f; cost-optimal cut-off %d (cost %.0f)",
                            e.cutoff, e.atCutoff.approvalRate * 100, e.atCutoff.acceptedBadRate * 100, e.atCutoff.cost, e.optimalCutoff, e.atOptimalCutoff.cost),
                     ""]
        human += e.bandLines
        if let report { human.append("wrote \(report)") }
        var summary: [(String, JSONValue)] = e.summary.map { ($0.0, $0.0 == "n" || $0.0 == "bads" ? .int(Int($0.1)) : .double($0.1)) }
        summary.append(("rejected", .int(scored.rejected)))
        summary.append(("unseen_categories", .int(scored.unseenCategories)))
        summary.append(("out_of_range", .int(scored.outOfRange)))
        console.result(human: human, summary: summary)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the scorecard as a CSV or JSON table, or as one SQL statement computing the score.",
        discussion: LeptonExitCode.helpText)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json, sql
    }

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "csv, json or sql.") var format: Format
    @Option(help: "The file to write.") var out: String
    @Option(help: "The table the SQL statement reads.") var table = "applicants"

    func run() throws {
        let console = Console(options: common)
        let (card, _) = try ScorecardFile.read(path: model)
        switch format {
        case .csv:
            let writer = try CSVWriter(path: out)
            for row in ScorecardExport.csvRows(card) { try writer.writeRow(row) }
            try writer.commit()
        case .json:
            try writeText(try ScorecardExport.json(card), to: out)
        case .sql:
            try writeText(ScorecardExport.sql(card, table: table), to: out)
        }
        console.result(human: ["wrote the scorecard (\(card.entries.count) characteristics) as \(format.rawValue) to \(out)"],
                       summary: [("format", .string(format.rawValue)), ("out", .string(out)), ("characteristics", .int(card.entries.count))])
    }
}

/// Writes text atomically.
func writeText(_ text: String, to path: String) throws {
    let file = try AtomicFile(path: path)
    do {
        try file.write(text)
        try file.commit()
    } catch {
        file.abandon()
        throw error
    }
}

struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Population stability (PSI of the score) and characteristic stability (CSI) of a new file against the training data.",
        discussion: LeptonExitCode.helpText + "\n\nReading: < 0.1 stable, 0.1–0.25 watch, > 0.25 act.")

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A CSV of recent applicants (the outcome is not needed).") var data: String
    @Option(help: "Write the stability report (HTML) here.") var report: String?

    func run() throws {
        let console = Console(options: common)
        let (card, _) = try ScorecardFile.read(path: model)
        let scored = try ScoredFile.read(path: data, scorecard: card, requireOutcome: false)
        guard !scored.scores.isEmpty else {
            throw CreditError("\(data): all \(scored.rowsRead) rows were rejected (first: \(scored.rejectExamples.first ?? "?"))",
                              hint: "check the file's columns and values against the training file.")
        }
        let s = StabilityReport(scorecard: card, scored: scored)
        var human = [String(format: "%@: %d applicants, %d rejected", data, s.rows, scored.rejected),
                     String(format: "PSI of the score %.4f: %@", s.psi, CreditMetrics.stabilityReading(s.psi)), "", "characteristic stability (CSI):"]
        for c in s.csi { human.append(String(format: "  %@  %.4f  %@", c.name.padding(toLength: 44, withPad: " ", startingAt: 0), c.value, CreditMetrics.stabilityReading(c.value))) }
        if let report {
            var r = Report(title: "Credit scorecard stability", provenance: Provenance(
                tool: "lepton-credit", toolVersion: creditToolVersion, modelFile: model, dataFile: data,
                dataFingerprint: fileFingerprint(data), command: commandLine, created: now))
            r.addCallout(String(format: "PSI %.4f (%@)", s.psi, CreditMetrics.stabilityReading(s.psi)))
            r.addFigure(BarChart(title: "Score distribution: training vs new", categories: s.bandLabels,
                                 series: [.init("Training", values: s.expectedShares), .init("New", values: s.actualShares)],
                                 value: Axis("Share", format: .percent)), caption: "Shares of applicants per training score band.")
            var table = Table(columns: [.init("Characteristic"), .init("CSI", .decimals(4)), .init("Reading")],
                              caption: "Characteristic stability: < 0.1 stable, 0.1–0.25 watch, > 0.25 act.")
            for c in s.csi { table.addRow([.text(c.name), .number(c.value), .text(CreditMetrics.stabilityReading(c.value))]) }
            r.addTable(table)
            try ReportFiles.writeHTML(r, to: report)
            human.append("wrote \(report)")
        }
        console.result(human: human, summary: [
            ("psi", .double(s.psi)), ("reading", .string(CreditMetrics.stabilityReading(s.psi))), ("rows", .int(s.rows)),
            ("rejected", .int(scored.rejected)), ("unseen_categories", .int(scored.unseenCategories)), ("out_of_range", .int(scored.outOfRange)),
            ("csi", .object(s.csi.map { ($0.name, .double($0.value)) })),
        ])
    }
}
