import Foundation
import LeptonCore
import LeptonIO
import LeptonReport

/// One model fitted by ``CreditTraining/run(_:kinds:config:boosting:cvFolds:seed:threads:)``:
/// the model, its figures on the training data and, when asked, cross-validated ones.
public struct TrainedCreditModel: Sendable {
    /// Scorecard or boosted model.
    public var kind: CreditModelKind
    /// The fitted model, as model files hold it.
    public var model: CreditModel
    /// Figures on the rows it was fitted on (in-sample).
    public var training: ScorecardEvaluation
    /// The integer score of every training row.
    public var trainingScores: [Int]
    /// Stratified k-fold figures on held-out rows (nil without cross-validation).
    public var crossValidation: CreditCrossValidation?
    /// Every characteristic's binning (selected or not), in file order.
    public var binnings: [CharacteristicBinning]

    /// The figures the model file records: the training ones and `cv_auc`.
    public var metrics: [String: Double] {
        var metrics = Dictionary(training.summary, uniquingKeysWith: { a, _ in a })
        if let cv = crossValidation { metrics["cv_auc"] = cv.meanAUC }
        return metrics
    }

    /// Writes the model file atomically.
    public func write(to path: String, provenance: RunProvenance) throws {
        switch model {
        case let .scorecard(card): try ScorecardFile.write(card, to: path, metrics: metrics, provenance: provenance)
        case let .boosted(boosted): try BoostedModelFile.write(boosted, to: path, metrics: metrics, provenance: provenance)
        }
    }

    /// The training report: the evaluation on the training data and every characteristic.
    public func report(provenance: Provenance) -> Report {
        let title = kind == .gbdt ? "Credit gradient-boosted model: training data" : "Credit scorecard: training data"
        var r = CreditReports.evaluation(training, model: model, labels: labels, scores: trainingScores, provenance: provenance,
                                         title: title)
        if let cv = crossValidation {
            r.addParagraph(String(format: "Stratified %d-fold cross-validated AUC (binning and fit on each training fold): %.4f.",
                                  cv.folds, cv.meanAUC))
        }
        r.addHeading("All characteristics")
        var table = Table(columns: [.init("Characteristic"), .init("Kind"), .init("Bins", .integer), .init("IV", .decimals(4)),
                                    .init("Status")])
        for b in binnings {
            table.addRow([.text(b.name), .text(b.kind.rawValue), .number(Double(b.bins.count)), .number(b.iv), .text(status(of: b.name))])
        }
        r.addTable(table)
        return r
    }

    /// The labels it was trained on.
    var labels: [Double]

    /// What became of a characteristic: selected (with β) or why not, for a scorecard; the
    /// monotone constraint and share of split gain, for the trees.
    public func status(of name: String) -> String {
        switch model {
        case let .scorecard(card):
            if let entry = card.entries.first(where: { $0.binning.name == name }) {
                return String(format: "selected (β %.3f)", entry.coefficient)
            }
            return card.excluded.first { $0.name == name }?.reason ?? "left out"
        case let .boosted(boosted):
            guard let row = BoostedExport.importance(boosted).first(where: { $0.name == name }) else { return "" }
            let constraint = row.constraint == 0 ? "free" : (row.constraint > 0 ? "monotone +1" : "monotone −1")
            return String(format: "trees: %@, %.1f%% of gain", constraint, row.gainShare * 100)
        }
    }

    /// One line on what was fitted.
    public var line: String {
        switch model {
        case let .scorecard(c):
            return "scorecard: \(c.entries.count) characteristics, base points \(c.basePoints), scores \(c.scoreRange.lowerBound)–\(c.scoreRange.upperBound), cut-off \(c.cutoff) (approve at or above)"
        case let .boosted(b):
            let constrained = b.spec.features.filter { $0.constraint != 0 }.count
            return "gbdt: \(b.trees.trees.count) trees on \(b.spec.features.count) characteristics (\(constrained) monotone-constrained), training scores \(trainingScores.min() ?? 0)–\(trainingScores.max() ?? 0), cut-off \(b.spec.cutoff) (approve at or above)"
        }
    }

    /// The model's figures for a `--json` summary.
    public func jsonFields(path: String) -> [(String, JSONValue)] {
        let e = training
        var fields: [(String, JSONValue)] = [("model", .string(path)), ("auc", .double(e.auc)), ("gini", .double(e.gini)),
                                             ("ks", .double(e.ks)), ("brier", .double(e.brier)), ("cutoff", .int(e.cutoff))]
        switch model {
        case let .scorecard(c): fields.append(("selected", .int(c.entries.count)))
        case let .boosted(b):
            fields += [("trees", .int(b.trees.trees.count)), ("monotone_constrained", .int(b.spec.features.filter { $0.constraint != 0 }.count))]
        }
        if let cv = crossValidation {
            fields.append(("cv_auc", .double(cv.meanAUC)))
            fields.append(("cv_fold_aucs", .array(cv.foldAUCs.map { .double($0) })))
        }
        return fields
    }
}

/// Training credit models on a loan file: binning, the scorecard and/or the boosted model, their
/// figures on the training data and, optionally, stratified k-fold cross-validation.
public enum CreditTraining {
    /// Fits each of `kinds` on `data` (in that order).
    public static func run(_ data: CreditDataset, kinds: [CreditModelKind], config: ScorecardConfig,
                           boosting: BoostingConfig = BoostingConfig(), cvFolds: Int = 0, seed: UInt64,
                           threads: Int = ThreadCount.auto.resolved) throws -> [TrainedCreditModel] {
        var boosting = boosting
        boosting.seed = seed
        return try kinds.map { kind in
            let model: CreditModel, scores: [Int], pd: [Double], binnings: [CharacteristicBinning]
            switch kind {
            case .scorecard:
                let result = try ScorecardTrainer.fit(data, config: config, threads: threads)
                (model, scores, binnings) = (.scorecard(result.scorecard), result.scores, result.binnings)
                pd = result.scorecard.probabilitiesOfDefault(scores: result.scores)
            case .gbdt:
                let result = try BoostedTrainer.fit(data, config: config, boosting: boosting, threads: threads)
                (model, scores, pd, binnings) = (.boosted(result.model), result.scores, result.pd, result.binnings)
            }
            let evaluation = ScorecardEvaluation(labels: data.labels, scores: scores, pd: pd, cutoff: model.cutoff,
                                                 costBadAccepted: config.costBadAccepted, costGoodRejected: config.costGoodRejected)
            let cv = cvFolds >= 2
                ? try CreditCrossValidation.run(data, kind: kind, config: config, boosting: boosting, folds: cvFolds, seed: seed,
                                                threads: threads) : nil
            return TrainedCreditModel(kind: kind, model: model, training: evaluation, trainingScores: scores, crossValidation: cv,
                                      binnings: binnings, labels: data.labels)
        }
    }

    /// The console summary of a training run: the characteristics table (by IV), one line per
    /// model and the figures (a table when several models were fitted).
    public static func summaryLines(_ trained: [TrainedCreditModel], data: CreditDataset, badValue: String, seconds: Double) -> [String] {
        let what = trained.count > 1 ? "a scorecard and a gradient-boosted model" : (trained.first?.kind == .gbdt ? "a gradient-boosted model" : "a scorecard")
        var lines = ["trained \(what) on \(data.count) loans (\(data.badCount) '\(badValue)'), \(data.rejected.count) rows rejected, in \(String(format: "%.2f", seconds)) s",
                     "", "characteristic".padding(toLength: 46, withPad: " ", startingAt: 0) + "kind        bins       IV  status"]
        let binnings = trained.last?.binnings ?? []
        for b in binnings.sorted(by: { $0.iv > $1.iv }) {
            let status = trained.map { $0.status(of: b.name) }.filter { !$0.isEmpty }.joined(separator: "; ")
            let name = b.name.count > 44 ? String(b.name.prefix(43)) + "…" : b.name
            lines.append(name.padding(toLength: 46, withPad: " ", startingAt: 0) + b.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + String(format: "%4d  %7.4f  ", b.bins.filter { $0.count > 0 }.count, b.iv) + status)
        }
        lines.append("")
        lines += trained.map(\.line)
        if trained.count == 1, let t = trained.first {
            let e = t.training
            lines.append(String(format: "training data (in-sample): AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f", e.auc, e.gini, e.ks, e.brier))
            if let cv = t.crossValidation {
                lines.append(String(format: "%d-fold cross-validated AUC %.4f (folds %@)", cv.folds, cv.meanAUC,
                                    cv.foldAUCs.map { String(format: "%.3f", $0) }.joined(separator: " ")))
            }
        } else {
            let folds = trained.first?.crossValidation?.folds
            lines += ["", "model        train AUC    Gini      KS   Brier  cut-off" + (folds.map { "  \($0)-fold CV AUC" } ?? "")]
            for t in trained {
                let e = t.training
                lines.append(t.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: "%10.4f  %6.4f  %6.4f  %6.4f  %7d", e.auc, e.gini, e.ks, e.brier, e.cutoff)
                             + (t.crossValidation.map { String(format: "  %14.4f", $0.meanAUC) } ?? ""))
            }
        }
        return lines
    }

    /// Warnings about the data for people: columns left out, rejected rows.
    public static func warnings(_ data: CreditDataset) -> [String] {
        var warnings = data.allMissing.map { "column '\($0)' is missing in every row; left out." }
        if !data.rejected.isEmpty { warnings.append("\(data.rejected.count) of \(data.rowsRead) rows rejected (first: \(data.rejected[0])).") }
        return warnings
    }

    /// Warnings about binnings that fall short of what was asked (``CharacteristicBinning/notes``).
    public static func warnings(_ binnings: [CharacteristicBinning]) -> [String] {
        binnings.flatMap { b in b.notes.map { "'\(b.name)': \($0)." } }
    }

    /// Where `--kind both` puts the boosted model (and its report): `.gbdt` before the extension,
    /// `german.lepton` → `german.gbdt.lepton`, `train.html` → `train.gbdt.html` (appended when
    /// there is no extension).
    public static func companionPath(_ path: String) -> String {
        let ns = path as NSString
        let ext = ns.pathExtension
        guard !ext.isEmpty else { return path + ".gbdt" }
        return ns.deletingPathExtension + ".gbdt." + ext
    }
}
