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
extension Prebinning: ExpressibleByArgument {}

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
        abstract: "Bin the characteristics and fit a scorecard, a gradient-boosted model or both on a CSV of past loans.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "CSV of past loans, one row per loan, with the outcome column.") var data: String
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning default (bad).") var bad: String
    @Option(help: "An ID column to carry through to scores (never used as a characteristic).") var id: String?
    @Option(help: "A JSON schema overriding column types, declaring special values and trends (see README).") var schema: String?
    @Option(help: "Model: scorecard, gbdt, or both side by side.") var kind: ModelKind = .scorecard
    @Option(help: "The model file to write (with --kind both, the scorecard; the boosted model goes beside it with .gbdt before the extension).") var out: String
    @Option(help: "Also write the training report (HTML) here (with --kind both, the boosted model's with .gbdt before the extension).") var report: String?
    @Option(help: "Most bins per characteristic (missing and special values get their own).") var maxBins = 6
    @Option(help: "Smallest share of rows in a bin.") var minBinShare = 0.05
    @Option(help: "Trend of the bad rate over numeric bins: \(MonotonicTrend.allCases.map(\.rawValue).joined(separator: ", ")).")
    var trend: MonotonicTrend = .auto
    @Option(help: "How numeric values are first cut into fine classes: \(Prebinning.allCases.map(\.rawValue).joined(separator: ", ")) (where a classification tree on the outcome splits, as optbinning does).")
    var prebinning: Prebinning = .quantile
    @Option(help: "Smallest information value for a characteristic to be considered.") var minIv = 0.02
    @Option(help: "Largest absolute WOE correlation between two selected characteristics (1: no correlation filter).") var maxCorrelation = 0.7
    @Option(help: "Largest variance inflation factor among selected characteristics (a huge value such as 1e9: no VIF filter).") var maxVif = 5.0
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
        guard maxCorrelation.isFinite, maxVif.isFinite, minIv.isFinite else {
            throw ValidationError("--max-correlation, --max-vif and --min-iv must be finite numbers. Hint: --max-correlation 1 --max-vif 1e9 turn the filters off.")
        }
        guard pdo > 0, baseOdds > 0 else { throw ValidationError("--pdo and --base-odds must be positive. Hint: --pdo 20 --base-odds 50.") }
        guard costBadAccepted >= 0, costGoodRejected >= 0 else { throw ValidationError("costs must not be negative.") }
        guard reasons >= 0, reasons <= 20 else { throw ValidationError("--reasons \(reasons): between 0 and 20.") }
        guard cvFolds == 0 || cvFolds >= 2 else { throw ValidationError("--cv-folds \(cvFolds): 0 (none) or at least 2.") }
    }

    var config: ScorecardConfig {
        var c = ScorecardConfig()
        c.binning.maxBins = maxBins
        c.binning.minBinShare = minBinShare
        c.binning.trend = trend
        c.binning.prebinning = prebinning
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

    /// What one fitted model reports: its file, training evaluation and cross-validated AUC.
    struct Fitted {
        var kind: ModelKind
        var path: String
        var evaluation: ScorecardEvaluation
        var cv: CreditCrossValidation?
        /// Kind-specific figures for `--json`.
        var extra: [(String, JSONValue)]
        var line: String
    }

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let schemaValue = try schema.map { try CreditSchema.read(path: $0) } ?? CreditSchema()
        let started = Date()
        // The fingerprint (a CRC-32 of the whole file) on one thread beside the work, which leaves a
        // core idle in its sequential stretches; taken when the model file is written.
        let pendingFingerprint = Parallel.Background { [data] in fileFingerprint(data, threads: 1) }
        let dataset = try CreditDataset.load(path: data, target: target, bad: bad, id: id, schema: schemaValue, threads: threads)
        for name in dataset.allMissing { console.warning("column '\(name)' is missing in every row; left out.") }
        if !dataset.rejected.isEmpty {
            console.warning("\(dataset.rejected.count) of \(dataset.rowsRead) rows rejected (first: \(dataset.rejected[0])).")
        }
        let config = self.config
        var boosting = BoostingConfig()
        boosting.seed = common.seed
        var fitted: [Fitted] = []
        var binnings: [CharacteristicBinning] = []
        var card: Scorecard?
        var boosted: BoostedCreditModel?
        var fingerprint: String? { pendingFingerprint.value }

        if kind != .gbdt {
            let result = try ScorecardTrainer.fit(dataset, config: config, threads: threads)
            binnings = result.binnings
            let c = result.scorecard
            card = c
            let evaluation = ScorecardEvaluation(labels: dataset.labels, scores: result.scores,
                                                 pd: c.probabilitiesOfDefault(scores: result.scores), cutoff: c.cutoff,
                                                 costBadAccepted: config.costBadAccepted, costGoodRejected: config.costGoodRejected)
            let cv = cvFolds >= 2
                ? try CreditCrossValidation.run(dataset, kind: .scorecard, config: config, folds: cvFolds, seed: common.seed, threads: threads) : nil
            var metrics = Dictionary(evaluation.summary, uniquingKeysWith: { a, _ in a })
            if let cv { metrics["cv_auc"] = cv.meanAUC }
            try ScorecardFile.write(c, to: out, metrics: metrics, dataFingerprint: fingerprint, seed: common.seed)
            if let report {
                var r = CreditReports.evaluation(evaluation, scorecard: c, labels: dataset.labels, scores: result.scores,
                                                 provenance: provenance(model: out, fingerprint: fingerprint),
                                                 title: "Credit scorecard: training data")
                addCharacteristics(to: &r, binnings: result.binnings, card: c, boosted: nil)
                try ReportFiles.writeHTML(r, to: report)
            }
            fitted.append(Fitted(kind: .scorecard, path: out, evaluation: evaluation, cv: cv,
                                 extra: [("selected", .int(c.entries.count))],
                                 line: "scorecard: \(c.entries.count) characteristics, base points \(c.basePoints), scores \(c.scoreRange.lowerBound)–\(c.scoreRange.upperBound), cut-off \(c.cutoff) (approve at or above)"))
        }
        if kind != .scorecard {
            let path = kind == .both ? companionPath(out) : out
            let result = try BoostedTrainer.fit(dataset, config: config, boosting: boosting, threads: threads)
            binnings = result.binnings
            let b = result.model
            boosted = b
            let evaluation = ScorecardEvaluation(labels: dataset.labels, scores: result.scores, pd: result.pd, cutoff: b.spec.cutoff,
                                                 costBadAccepted: config.costBadAccepted, costGoodRejected: config.costGoodRejected)
            let cv = cvFolds >= 2
                ? try CreditCrossValidation.run(dataset, kind: .gbdt, config: config, boosting: boosting, folds: cvFolds, seed: common.seed,
                                                       threads: threads) : nil
            var metrics = Dictionary(evaluation.summary, uniquingKeysWith: { a, _ in a })
            if let cv { metrics["cv_auc"] = cv.meanAUC }
            try BoostedModelFile.write(b, to: path, metrics: metrics, dataFingerprint: fingerprint, seed: common.seed)
            if let report {
                let reportPath = kind == .both ? companionPath(report) : report
                var r = CreditReports.evaluation(evaluation, model: .boosted(b), labels: dataset.labels, scores: result.scores,
                                                 provenance: provenance(model: path, fingerprint: fingerprint),
                                                 title: "Credit gradient-boosted model: training data")
                addCharacteristics(to: &r, binnings: result.binnings, card: nil, boosted: b)
                try ReportFiles.writeHTML(r, to: reportPath)
            }
            let constrained = b.spec.features.filter { $0.constraint != 0 }.count
            let range = (result.scores.min() ?? 0, result.scores.max() ?? 0)
            fitted.append(Fitted(kind: .gbdt, path: path, evaluation: evaluation, cv: cv,
                                 extra: [("trees", .int(b.trees.trees.count)), ("monotone_constrained", .int(constrained))],
                                 line: "gbdt: \(b.trees.trees.count) trees on \(b.spec.features.count) characteristics (\(constrained) monotone-constrained), training scores \(range.0)–\(range.1), cut-off \(b.spec.cutoff) (approve at or above)"))
        }
        let seconds = Date().timeIntervalSince(started)
        for b in binnings { for note in b.notes { console.warning("'\(b.name)': \(note).") } }

        let what = kind == .both ? "a scorecard and a gradient-boosted model" : (kind == .gbdt ? "a gradient-boosted model" : "a scorecard")
        var human = ["trained \(what) on \(dataset.count) loans (\(dataset.badCount) '\(bad)'), \(dataset.rejected.count) rows rejected, in \(String(format: "%.2f", seconds)) s",
                     "",
                     "characteristic".padding(toLength: 46, withPad: " ", startingAt: 0) + "kind        bins       IV  status"]
        for b in binnings.sorted(by: { $0.iv > $1.iv }) {
            human.append(characteristicLine(b.name, kind: b.kind.rawValue, bins: b.bins.filter { $0.count > 0 }.count, iv: b.iv,
                                            status: status(b.name, card: card, boosted: boosted)))
        }
        human.append("")
        for f in fitted { human.append(f.line) }
        if fitted.count == 1, let f = fitted.first {
            let e = f.evaluation
            human.append(String(format: "training data: AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f", e.auc, e.gini, e.ks, e.brier))
            if let cv = f.cv {
                human.append(String(format: "%d-fold cross-validated AUC %.4f (folds %@)", cvFolds, cv.meanAUC,
                                    cv.foldAUCs.map { String(format: "%.3f", $0) }.joined(separator: " ")))
            }
        } else {
            human.append("")
            human.append("model        train AUC    Gini      KS   Brier  cut-off" + (cvFolds >= 2 ? "  \(cvFolds)-fold CV AUC" : ""))
            for f in fitted {
                let e = f.evaluation
                human.append(f.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: "%10.4f  %6.4f  %6.4f  %6.4f  %7d", e.auc, e.gini, e.ks, e.brier, e.cutoff)
                             + (f.cv.map { String(format: "  %14.4f", $0.meanAUC) } ?? ""))
            }
        }
        human.append("wrote " + fitted.map(\.path).joined(separator: " and ")
                     + (report.map { r in " and " + (kind == .both ? "\(r) and \(companionPath(r))" : r) } ?? ""))

        func figures(_ f: Fitted) -> [(String, JSONValue)] {
            let e = f.evaluation
            var fields: [(String, JSONValue)] = [("model", .string(f.path)), ("auc", .double(e.auc)), ("gini", .double(e.gini)),
                                                 ("ks", .double(e.ks)), ("brier", .double(e.brier)), ("cutoff", .int(e.cutoff))]
            fields += f.extra
            if let cv = f.cv {
                fields.append(("cv_auc", .double(cv.meanAUC)))
                fields.append(("cv_fold_aucs", .array(cv.foldAUCs.map { .double($0) })))
            }
            return fields
        }
        var summary: [(String, JSONValue)] = [("kind", .string(kind.rawValue)), ("rows", .int(dataset.count)),
                                              ("bads", .int(dataset.badCount)), ("rejected", .int(dataset.rejected.count)),
                                              ("characteristics", .int(binnings.count))]
        if fitted.count == 1 {
            summary += figures(fitted[0])
        } else {
            for f in fitted { summary.append((f.kind.rawValue, .object(figures(f)))) }
        }
        summary.append(("seconds", .double(seconds)))
        console.result(human: human, summary: summary)
    }

    /// The "All characteristics" table of the training report.
    func addCharacteristics(to r: inout Report, binnings: [CharacteristicBinning], card: Scorecard?, boosted: BoostedCreditModel?) {
        r.addHeading("All characteristics")
        var table = Table(columns: [.init("Characteristic"), .init("Kind"), .init("Bins", .integer), .init("IV", .decimals(4)),
                                    .init("Status")])
        for b in binnings {
            table.addRow([.text(b.name), .text(b.kind.rawValue), .number(Double(b.bins.count)), .number(b.iv),
                          .text(status(b.name, card: card, boosted: boosted))])
        }
        r.addTable(table)
    }

    /// What became of a characteristic: selected (with β) or why not, for the scorecard; the
    /// monotone constraint and share of split gain, for the trees.
    func status(_ name: String, card: Scorecard?, boosted: BoostedCreditModel?) -> String {
        var parts: [String] = []
        if let card {
            if let entry = card.entries.first(where: { $0.binning.name == name }) {
                parts.append(String(format: "selected (β %.3f)", entry.coefficient))
            } else {
                parts.append(card.excluded.first { $0.name == name }?.reason ?? "left out")
            }
        }
        if let boosted, let row = BoostedExport.importance(boosted).first(where: { $0.name == name }) {
            let constraint = row.constraint == 0 ? "free" : (row.constraint > 0 ? "monotone +1" : "monotone −1")
            parts.append(String(format: "trees: %@, %.1f%% of gain", constraint, row.gainShare * 100))
        }
        return parts.joined(separator: "; ")
    }

    func provenance(model: String, fingerprint: String?) -> Provenance {
        Provenance(tool: "lepton-credit", toolVersion: creditToolVersion, modelFile: model, dataFile: data,
                   dataFingerprint: fingerprint, seed: common.seed, command: commandLine, created: now)
    }
}

/// Where `--kind both` puts the boosted model (and its report): `.gbdt` before the extension,
/// `german.lepton` → `german.gbdt.lepton`, `train.html` → `train.gbdt.html` (appended when
/// there is no extension).
func companionPath(_ path: String) -> String {
    let ns = path as NSString
    let ext = ns.pathExtension
    guard !ext.isEmpty else { return path + ".gbdt" }
    return ns.deletingPathExtension + ".gbdt." + ext
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
        let creditModel = try CreditModel.read(path: model)
        let scored = try ScoredFile.readUsable(path: data, model: creditModel, requireOutcome: true)
        if scored.rejected > 0 { console.warning("\(scored.rejected) of \(scored.rowsRead) rows rejected (first: \(scored.rejectExamples[0])).") }
        let e = ScorecardEvaluation(labels: scored.labels, scores: scored.scores, pd: scored.pd, cutoff: creditModel.cutoff,
                                    costBadAccepted: creditModel.config.costBadAccepted,
                                    costGoodRejected: creditModel.config.costGoodRejected)
        if let report {
            let title = creditModel.kindName == "gbdt" ? "Credit gradient-boosted model validation" : "Credit scorecard validation"
            let r = CreditReports.evaluation(e, model: creditModel, labels: scored.labels, scores: scored.scores,
                                             provenance: Provenance(tool: "lepton-credit", toolVersion: creditToolVersion, modelFile: model,
                                                                    dataFile: data, dataFingerprint: fileFingerprint(data),
                                                                    command: commandLine, created: now), title: title)
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
        abstract: "Write the scorecard as a CSV or JSON table or one SQL statement; a boosted model's summary as CSV or JSON.",
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
        let card: Scorecard
        switch try CreditModel.read(path: model) {
        case let .scorecard(c):
            card = c
        case let .boosted(boosted):
            try exportBoosted(boosted, console: console)
            return
        }
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
                       summary: [("format", .string(format.rawValue)), ("out", .string(out)), ("characteristics", .int(card.entries.count)),
                                 ("kind", "scorecard")])
    }

    /// A boosted model has no points table: CSV and JSON give its summary (importance,
    /// constraints, bins, scaling); SQL export is for scorecards only.
    func exportBoosted(_ boosted: BoostedCreditModel, console: Console) throws {
        switch format {
        case .sql:
            throw DataError("\(model): SQL export is for scorecards; this is a gradient-boosted model (\(boosted.trees.trees.count) trees), which has no points table to write as SQL",
                              hint: "export a scorecard (train --kind scorecard or both), or use --format csv|json for the boosted model's summary and score it with lepton-credit score.")
        case .csv:
            let writer = try CSVWriter(path: out)
            for row in BoostedExport.csvRows(boosted) { try writer.writeRow(row) }
            try writer.commit()
        case .json:
            try writeText(try BoostedExport.json(boosted), to: out)
        }
        console.result(human: ["wrote the gradient-boosted model's summary (\(boosted.spec.features.count) characteristics, feature importance; the trees stay in the model file) as \(format.rawValue) to \(out)"],
                       summary: [("format", .string(format.rawValue)), ("out", .string(out)),
                                 ("characteristics", .int(boosted.spec.features.count)), ("kind", "gbdt")])
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
        let creditModel = try CreditModel.read(path: model)
        let scored = try ScoredFile.readUsable(path: data, model: creditModel, requireOutcome: false)
        let s = StabilityReport(model: creditModel, scored: scored)
        var human = [String(format: "%@: %d applicants, %d rejected", data, s.rows, scored.rejected),
                     String(format: "PSI of the score %.4f: %@", s.psi, CreditMetrics.stabilityReading(s.psi)), "", "characteristic stability (CSI):"]
        for c in s.csi { human.append(String(format: "  %@  %.4f  %@", c.name.padding(toLength: 44, withPad: " ", startingAt: 0), c.value, CreditMetrics.stabilityReading(c.value))) }
        if let report {
            var r = Report(title: creditModel.kindName == "gbdt" ? "Credit gradient-boosted model stability" : "Credit scorecard stability", provenance: Provenance(
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

extension ScoredFile {
    /// ``ScoredFile/read(path:model:requireOutcome:)``, failing with a hint when no row was usable.
    static func readUsable(path: String, model: CreditModel, requireOutcome: Bool) throws -> ScoredFile {
        let scored = try ScoredFile.read(path: path, model: model, requireOutcome: requireOutcome)
        guard !scored.scores.isEmpty else {
            throw DataError("\(path): all \(scored.rowsRead) rows were rejected (first: \(scored.rejectExamples.first ?? "?"))",
                              hint: "check the file's columns and values against the training file.")
        }
        return scored
    }
}


