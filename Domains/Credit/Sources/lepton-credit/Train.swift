import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonCore
import LeptonReport
import LeptonIO

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bin the characteristics and fit a scorecard, a gradient-boosted model or both on a CSV of past loans.",
        discussion: LeptonExitCode.helpText)

    /// The kinds of model `train` fits.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case scorecard, gbdt, both
    }

    @OptionGroup var common: CommonOptions
    @Option(help: "CSV of past loans, one row per loan, with the outcome column.") var data: String
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning default (bad).") var bad: String
    @Option(help: "An ID column to carry through to scores (never used as a characteristic).") var id: String?
    @Option(help: "A JSON schema overriding column types, declaring special values and trends (see README).") var schema: String?
    @Option(help: "Model: scorecard, gbdt, or both side by side.") var kind: Kind = .scorecard
    @Option(help: "The model file to write (with --kind both, the scorecard; the boosted model goes beside it with .gbdt before the extension).") var out: String
    @Option(help: "Also write the training report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md) (with --kind both, the boosted model's with .gbdt before the extension).") var report: String?
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
        (c.binning.maxBins, c.binning.minBinShare, c.binning.trend, c.binning.prebinning) = (maxBins, minBinShare, trend, prebinning)
        (c.selection.minIV, c.selection.maxCorrelation, c.selection.maxVIF) = (minIv, maxCorrelation, maxVif)
        (c.pdo, c.baseScore, c.baseOdds, c.cutoff) = (pdo, baseScore, baseOdds, cutoff)
        (c.costBadAccepted, c.costGoodRejected, c.reasonCount) = (costBadAccepted, costGoodRejected, reasons)
        return c
    }

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let started = Date()
        // The data's fingerprint on one thread beside the work (it leaves a core idle in its sequential stretches).
        let provenance = Parallel.Background { [data, seed = common.seed] in
            RunProvenance.current(tool: "lepton-credit", seed: seed, dataFile: data, fingerprint: fileFingerprint(data, threads: 1))
        }
        let dataset = try CreditDataset.load(path: data, target: target, bad: bad, id: id,
                                             schema: try schema.map { try CreditSchema.read(path: $0) } ?? CreditSchema(), threads: threads)
        CreditTraining.warnings(dataset).forEach(console.warning)
        let kinds: [CreditModelKind] = kind == .both ? [.scorecard, .gbdt] : [kind == .gbdt ? .gbdt : .scorecard]
        let trained = try CreditTraining.run(dataset, kinds: kinds, config: config, cvFolds: cvFolds, seed: common.seed, threads: threads)
        let seconds = Date().timeIntervalSince(started)
        CreditTraining.warnings(trained.last?.binnings ?? []).forEach(console.warning)
        var paths: [String] = [], reports: [String] = []
        for t in trained {
            let companion = kind == .both && t.kind == .gbdt
            let path = companion ? CreditTraining.companionPath(out) : out
            try t.write(to: path, provenance: provenance.value)
            paths.append(path)
            if let report {
                reports.append(companion ? CreditTraining.companionPath(report) : report)
                try ReportFiles.write(t.report(provenance: Provenance(provenance.value, modelFile: path)), to: reports.last!)
            }
        }
        var summary: [(String, JSONValue)] = [("kind", .string(kind.rawValue)), ("rows", .int(dataset.count)), ("bads", .int(dataset.badCount)),
                                              ("rejected", .int(dataset.rejected.count)), ("characteristics", .int(trained.last?.binnings.count ?? 0))]
        if trained.count == 1 {
            summary += trained[0].jsonFields(path: paths[0])
        } else {
            for (t, path) in zip(trained, paths) { summary.append((t.kind.rawValue, .object(t.jsonFields(path: path)))) }
        }
        summary.append(("seconds", .double(seconds)))
        let human = CreditTraining.summaryLines(trained, data: dataset, badValue: bad, seconds: seconds)
            + ["wrote " + (paths + reports).joined(separator: " and ")]
        console.result(human: human, summary: summary)
    }
}
