import LeptonCore
import LeptonReport

/// What `lepton-credit demo` says about the scorecard it trains: validation figures on held-out
/// loans first (cross-validated: each fold binned and fitted without its rows), in-sample figures
/// labelled as such, then part of the scorecard.
public enum CreditDemoSummary {
    /// The console lines for a scorecard trained with cross-validation on `data`.
    public static func lines(source: String, data: CreditDataset, trained: TrainedCreditModel, seconds: Double) -> [String] {
        guard case let .scorecard(card) = trained.model, let cv = trained.crossValidation else { return [] }
        let heldOut = ScorecardEvaluation(labels: data.labels, scores: cv.outOfFoldScores, pd: cv.outOfFoldPD, cutoff: card.cutoff,
                                          costBadAccepted: card.config.costBadAccepted, costGoodRejected: card.config.costGoodRejected)
        let e = trained.training
        var lines = [
            "== German credit (\(source)): \(data.count) loans, \(data.badCount) bad",
            String(format: "scorecard with %d of %d characteristics, binned and fitted in %.3f s", card.entries.count,
                   data.characteristics.count, seconds),
            "",
            "validation on held-out loans (\(cv.folds)-fold cross-validation: each fold scored by a scorecard binned and fitted without it):",
            String(format: "%d-fold cross-validated AUC %.4f (folds %@); gate ≥ 0.78", cv.folds, cv.meanAUC,
                   cv.foldAUCs.map { String(format: "%.3f", $0) }.joined(separator: " ")),
            String(format: "out-of-fold scores: AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f  log-loss %.4f  Hosmer–Lemeshow p %.3f",
                   heldOut.auc, heldOut.gini, heldOut.ks, heldOut.brier, heldOut.logLoss, heldOut.hosmerLemeshow.pValue),
            String(format: "cut-off %d (cost-optimal on the training data, bad accepted %@, good rejected %@) on held-out loans: approve %.1f%%, bad rate of approved %.1f%%",
                   card.cutoff, NumberFormat.exact(card.config.costBadAccepted), NumberFormat.exact(card.config.costGoodRejected),
                   heldOut.atCutoff.approvalRate * 100, heldOut.atCutoff.acceptedBadRate * 100),
            "",
            "validation table (out-of-fold scores, score bands riskiest first):",
        ]
        lines += heldOut.bandLines
        lines += ["", "in-sample (the \(NumberFormat.integer(data.count)) training loans themselves, optimistic): "
                    + String(format: "AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f", e.auc, e.gini, e.ks, e.brier),
                  "", "part of the scorecard (base points \(card.basePoints)):"]
        for entry in card.entries.prefix(3) {
            for (b, bin) in entry.binning.bins.enumerated() where bin.count > 0 {
                let label = bin.label.count > 60 ? String(bin.label.prefix(59)) + "…" : bin.label
                lines.append("  " + entry.binning.name.padding(toLength: 38, withPad: " ", startingAt: 0)
                             + label.padding(toLength: 62, withPad: " ", startingAt: 0) + String(format: "%5d points", entry.points[b]))
            }
        }
        lines.append("  … \(card.entries.count - min(3, card.entries.count)) more characteristics in the report")
        return lines
    }
}
