import LeptonCore
import LeptonReport

/// Every validation figure of a scorecard on one labelled data set.
public struct ScorecardEvaluation: Sendable {
    public let n: Int
    public let bads: Int
    /// P(score_bad < score_good), ties one half: the AUC of "bad" against −score.
    public let auc: Double
    /// Gini = 2·AUC − 1.
    public let gini: Double
    public let ks: Double
    public let ksScore: Double
    public let brier: Double
    public let logLoss: Double
    /// Ten score bands, riskiest first.
    public let bands: [CreditMetrics.Band]
    public let hosmerLemeshow: HosmerLemeshow
    public let cutoff: Int
    public let atCutoff: CreditMetrics.Confusion
    public let optimalCutoff: Int
    public let atOptimalCutoff: CreditMetrics.Confusion
    public let strategy: [CreditMetrics.StrategyRow]
    public let roc: (fpr: [Double], tpr: [Double])

    /// Computes the figures from labels (1 = bad), integer scores (higher = safer) and PDs,
    /// at the scorecard's cut-off and cost matrix.
    public init(labels: [Double], scores: [Int], pd: [Double], cutoff: Int, costBadAccepted: Double, costGoodRejected: Double) {
        precondition(labels.count == scores.count && scores.count == pd.count, "ScorecardEvaluation: lengths differ")
        n = labels.count
        bads = Int(labels.reduce(0, +))
        // One counting pass serves the figures of integer scores (each equals its sort-based twin).
        let histogram = ScoreHistogram(labels: labels, scores: scores)
        auc = (histogram.map { $0.auc } ?? CreditMetrics.auc(labels: labels, scores: scores)) ?? .nan
        gini = 2 * auc - 1
        (ks, ksScore) = histogram?.ks ?? CreditMetrics.ks(labels: labels, scores: scores)
        brier = brierScore(labels: labels, probabilities: pd)
        logLoss = LeptonCore.logLoss(labels: labels, probabilities: pd)
        bands = CreditMetrics.bands(labels: labels, scores: scores, pd: pd)
        hosmerLemeshow = CreditMetrics.hosmerLemeshow(bands)
        self.cutoff = cutoff
        func confusion(at cut: Int) -> CreditMetrics.Confusion {
            histogram?.confusion(cutoff: cut, costBadAccepted: costBadAccepted, costGoodRejected: costGoodRejected)
                ?? CreditMetrics.confusion(labels: labels, scores: scores, cutoff: cut, costBadAccepted: costBadAccepted,
                                           costGoodRejected: costGoodRejected)
        }
        atCutoff = confusion(at: cutoff)
        optimalCutoff = histogram?.costOptimalCutoff(costBadAccepted: costBadAccepted, costGoodRejected: costGoodRejected)
            ?? CreditMetrics.costOptimalCutoff(labels: labels, scores: scores, costBadAccepted: costBadAccepted,
                                               costGoodRejected: costGoodRejected)
        atOptimalCutoff = confusion(at: optimalCutoff)
        strategy = CreditMetrics.strategyTable(labels: labels, scores: scores, costBadAccepted: costBadAccepted,
                                               costGoodRejected: costGoodRejected)
        roc = CreditMetrics.rocPoints(labels: labels, scores: scores)
    }

    /// The headline figures by name (for `--json` and the manifest's metrics).
    public var summary: [(String, Double)] {
        [("auc", auc), ("gini", gini), ("ks", ks), ("ks_score", ksScore), ("brier", brier), ("log_loss", logLoss),
         ("n", Double(n)), ("bads", Double(bads)), ("hosmer_lemeshow", hosmerLemeshow.statistic),
         ("hosmer_lemeshow_p", hosmerLemeshow.pValue), ("cutoff", Double(cutoff)), ("approval_rate", atCutoff.approvalRate),
         ("expected_cost", atCutoff.cost), ("expected_cost_per_applicant", atCutoff.cost / Double(max(n, 1))),
         ("optimal_cutoff", Double(optimalCutoff)), ("optimal_cost", atOptimalCutoff.cost)]
    }

    /// The validation table (decile bands) as lines of text for the console.
    public var bandLines: [String] {
        var lines = ["band  scores       rows   bads  bad rate  mean PD  cum bad  cum good     KS"]
        for (b, band) in bands.enumerated() {
            lines.append(pad(String(b + 1), 4) + "  " + pad("\(band.minScore)–\(band.maxScore)", 11) + pad(String(band.count), 7)
                         + pad(String(band.bads), 7) + pad(fixed(band.badRate * 100, 1) + "%", 10) + pad(fixed(band.meanPD * 100, 1) + "%", 9)
                         + pad(fixed(band.cumulativeBadShare * 100, 1) + "%", 9) + pad(fixed(band.cumulativeGoodShare * 100, 1) + "%", 10)
                         + pad(fixed(band.ks, 3), 7))
        }
        return lines
    }
}

/// Right-aligns `text` in `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// Reports of the credit domain (self-contained HTML through LeptonReport).
public enum CreditReports {
    /// The validation report: headline metrics, ROC, KS, score distributions by outcome,
    /// calibration by score band, the band table, costs and strategy, the scorecard table and a
    /// WOE chart per characteristic.
    public static func evaluation(_ e: ScorecardEvaluation, scorecard: Scorecard, labels: [Double], scores: [Int],
                                  provenance: Provenance, title: String = "Credit scorecard validation") -> Report {
        evaluation(e, model: .scorecard(scorecard), labels: labels, scores: scores, provenance: provenance, title: title)
    }

    /// The validation report of either kind of model: the same figures and tables, then the
    /// scorecard table and WOE charts (scorecard) or the feature importance (boosted model).
    public static func evaluation(_ e: ScorecardEvaluation, model: CreditModel, labels: [Double], scores: [Int],
                                  provenance: Provenance, title: String) -> Report {
        var report = Report(title: title, provenance: provenance)
        report.addCallout("AUC \(fixed(e.auc, 3)) · Gini \(fixed(e.gini, 3)) · KS \(fixed(e.ks, 3)) on \(e.n) loans (\(e.bads) bad)")
        report.addHeading("Discrimination and calibration")
        report.addTable(Table.keyValue(e.summary.map { ($0.0, $0.0 == "n" || $0.0 == "bads" || $0.0.contains("cutoff") ? fixed($0.1, 0) : fixed($0.1, 4)) },
                                       caption: "Headline figures (the score is higher for safer applicants; PD is implied by the score)."))
        report.addFigure(ROCChart(curves: [ROCCurve(name: model.title, falsePositiveRates: e.roc.fpr, truePositiveRates: e.roc.tpr,
                                                    auc: e.auc)]),
                         caption: "ROC: share of bads declined against share of goods declined as the cut-off rises.")
        let badScores = zip(labels, scores).filter { $0.0 == 1 }.map { Double($0.1) }
        let goodScores = zip(labels, scores).filter { $0.0 != 1 }.map { Double($0.1) }
        report.addFigure(KSChart(positives: badScores, negatives: goodScores, positiveName: "Bad", negativeName: "Good",
                                 score: Axis("Score")),
                         caption: "Cumulative score distributions of bads and goods; the largest gap is the KS statistic.")
        report.addFigure(ScoreDistributionChart(classes: [(name: "Good", scores: goodScores), (name: "Bad", scores: badScores)],
                                                threshold: Double(e.cutoff), score: Axis("Score")),
                         caption: "Score distributions by outcome, with the cut-off.")
        report.addFigure(CalibrationChart(curves: [(name: model.title, bins: e.bands.map {
            CalibrationBin(meanPredicted: $0.meanPD, observedRate: $0.badRate, count: $0.count)
        })]), caption: "Predicted PD against observed bad rate per score band (Hosmer–Lemeshow H = \(fixed(e.hosmerLemeshow.statistic, 2)), df \(e.hosmerLemeshow.degreesOfFreedom), p = \(fixed(e.hosmerLemeshow.pValue, 3))).")
        var bandTable = Table(columns: [.init("Band", .integer), .init("Scores"), .init("Rows", .integer), .init("Bads", .integer),
                                        .init("Bad rate", .percent(1)), .init("Mean PD", .percent(1)), .init("Cum. bads", .percent(1)),
                                        .init("Cum. goods", .percent(1)), .init("KS", .decimals(3))],
                              caption: "Score bands (about equal counts), riskiest first.")
        for (b, band) in e.bands.enumerated() {
            bandTable.addRow([.number(Double(b + 1)), .text("\(band.minScore)–\(band.maxScore)"), .number(Double(band.count)),
                              .number(Double(band.bads)), .number(band.badRate), .number(band.meanPD),
                              .number(band.cumulativeBadShare), .number(band.cumulativeGoodShare), .number(band.ks)])
        }
        report.addTable(bandTable)
        report.addHeading("Cut-off, costs and strategy")
        let cfg = model.config
        var confusion = Table(columns: [.init("Cut-off"), .init("Bads declined", .integer), .init("Bads accepted", .integer),
                                        .init("Goods declined", .integer), .init("Goods accepted", .integer),
                                        .init("Approval rate", .percent(1)), .init("Expected cost", .decimals(0))],
                              caption: "Confusion matrix and expected cost (bad accepted \(fixed(cfg.costBadAccepted, 1)), good rejected \(fixed(cfg.costGoodRejected, 1))).")
        for (name, c) in [("stored \(e.cutoff)", e.atCutoff), ("cost-optimal \(e.optimalCutoff)", e.atOptimalCutoff)] {
            confusion.addRow([.text(name), .number(Double(c.badsDeclined)), .number(Double(c.badsAccepted)),
                              .number(Double(c.goodsDeclined)), .number(Double(c.goodsAccepted)), .number(c.approvalRate), .number(c.cost)])
        }
        report.addTable(confusion)
        var strategy = Table(columns: [.init("Cut-off", .integer), .init("Approval rate", .percent(1)),
                                       .init("Bad rate of approved", .percent(2)), .init("Expected cost", .decimals(0))],
                             caption: "Approval rate against bad rate: the strategy table.")
        for row in e.strategy {
            strategy.addRow([.number(Double(row.cutoff)), .number(row.approvalRate), .number(row.badRate), .number(row.cost)])
        }
        report.addTable(strategy)
        switch model {
        case let .scorecard(card): addScorecard(to: &report, card)
        case let .boosted(boosted): addBoosted(to: &report, boosted)
        }
        return report
    }

    /// The boosted model: how the score is made, and each characteristic's importance (total
    /// split gain and share, splits), monotone constraint and binning trend.
    public static func addBoosted(to report: inout Report, _ model: BoostedCreditModel) {
        let cfg = model.spec.config
        report.addHeading("Gradient-boosted trees: feature importance")
        report.addParagraph("\(model.trees.trees.count) trees (learning rate \(fixed(model.spec.boosting.learningRate, 3)), at most \(model.spec.boosting.maxLeaves) leaves) on the raw characteristics, with monotone constraints where the binning found an ascending (+1) or descending (−1) bad-rate trend. Score = round(\(fixed(cfg.offset, 2)) − \(fixed(cfg.factor, 4)) · log-odds of default): PDO \(fixed(cfg.pdo, 0)), \(fixed(cfg.baseScore, 0)) points at odds \(fixed(cfg.baseOdds, 0)):1 (good:bad), the scorecard's scale. Approve at \(model.spec.cutoff) or above. Reason codes: the characteristics with the largest SHAP contributions toward default.")
        let rows = BoostedExport.importance(model)
        let shown = rows.filter { $0.gain > 0 }.prefix(20)
        if !shown.isEmpty {
            report.addFigure(BarChart(title: "Feature importance (share of total split gain)", categories: shown.map(\.name),
                                      values: shown.map(\.gainShare), value: Axis("Share of gain", format: .percent)),
                             caption: "The characteristics the trees rely on most (top \(shown.count)).")
        }
        var table = Table(columns: [.init("Characteristic"), .init("Kind"), .init("Gain", .decimals(2)), .init("Share", .percent(1)),
                                    .init("Splits", .integer), .init("Constraint"), .init("Binning trend"), .init("IV", .decimals(4))],
                          caption: "Importance over all trees; the constraint forces the predicted bad probability to rise (+1) or fall (−1) with the value.")
        for r in rows {
            table.addRow([.text(r.name), .text(r.kind), .number(r.gain), .number(r.gainShare), .number(Double(r.splits)),
                          .text(r.constraint == 0 ? "none" : (r.constraint > 0 ? "+1" : "−1")), .text(r.trend), .number(r.iv)])
        }
        report.addTable(table)
    }

    /// The scorecard table, a WOE chart per characteristic and the excluded characteristics.
    public static func addScorecard(to report: inout Report, _ scorecard: Scorecard) {
        report.addHeading("Scorecard")
        report.addParagraph("Score = \(scorecard.basePoints) base points + the points of each characteristic's bin. PDO \(fixed(scorecard.config.pdo, 0)), \(fixed(scorecard.config.baseScore, 0)) points at odds \(fixed(scorecard.config.baseOdds, 0)):1 (good:bad). Approve at \(scorecard.cutoff) or above.")
        var table = Table(columns: [.init("Characteristic"), .init("Bin"), .init("Rows", .integer), .init("Bad rate", .percent(1)),
                                    .init("WOE", .decimals(3)), .init("IV", .decimals(4)), .init("Points", .integer)],
                          caption: "Points per bin (WOE = ln(bad share / good share); training counts).")
        table.addRow([.text("(base points)"), .text(""), .empty, .empty, .empty, .empty, .number(Double(scorecard.basePoints))])
        for entry in scorecard.entries {
            for (b, bin) in entry.binning.bins.enumerated() {
                table.addRow([.text(entry.binning.name), .text(bin.label), .number(Double(bin.count)),
                              bin.count > 0 ? .number(bin.badRate) : .empty, .number(bin.woe), .number(bin.iv),
                              .number(Double(entry.points[b]))])
            }
        }
        report.addTable(table)
        for entry in scorecard.entries {
            let shown = entry.binning.bins.filter { $0.count > 0 }
            report.addFigure(BarChart(title: "\(entry.binning.name): WOE by bin", subtitle: "IV \(fixed(entry.binning.iv, 3)), trend \(entry.binning.trend.rawValue)",
                                      categories: shown.map(\.label), values: shown.map(\.woe), value: Axis("Weight of evidence")),
                             caption: "WOE per bin of \(entry.binning.name) (positive: riskier than average).")
        }
        if !scorecard.excluded.isEmpty {
            var excluded = Table(columns: [.init("Characteristic"), .init("IV", .decimals(4)), .init("Why left out")],
                                 caption: "Characteristics binned but not in the scorecard.")
            for e in scorecard.excluded { excluded.addRow([.text(e.name), .number(e.iv), .text(e.reason)]) }
            report.addTable(excluded)
        }
    }
}
