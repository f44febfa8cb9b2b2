import LeptonCore
import LeptonIO

/// The two kinds of credit model.
public enum CreditModelKind: String, Sendable, CaseIterable {
    /// A WOE scorecard (binning, selection, logistic regression, points).
    case scorecard
    /// The monotone gradient-boosted model.
    case gbdt
}

/// Stratified k-fold cross-validation of a credit model: each fold binned and fitted on the other
/// folds only (the core's ``crossValidate(labels:weights:folds:seed:fitAndScore:metric:)``, so the
/// folds are the same for both kinds and every seed), with every row's out-of-fold score and PD —
/// figures on loans the model did not see, for validation headlines.
public struct CreditCrossValidation: Sendable {
    /// k: the number of folds.
    public var folds: Int
    /// The AUC of each fold's held-out rows, and their mean.
    public var foldAUCs: [Double]
    public var meanAUC: Double
    /// Each row's score and PD from the model fitted without its fold.
    public var outOfFoldScores: [Int]
    public var outOfFoldPD: [Double]

    /// Runs `folds`-fold cross-validation of `kind` on `data`. Fold AUCs are of the risk the model
    /// ranks by (−score for a scorecard, the trees' margin for the boosted model); 0.5 for a fold
    /// without both outcomes.
    public static func run(_ data: CreditDataset, kind: CreditModelKind, config: ScorecardConfig = ScorecardConfig(),
                           boosting: BoostingConfig = BoostingConfig(), folds: Int = 5, seed: UInt64 = 0,
                           threads: Int = ThreadCount.auto.resolved) throws -> CreditCrossValidation {
        var scores = [Int](repeating: 0, count: data.count)
        var pd = [Double](repeating: .nan, count: data.count)
        let result = try crossValidate(labels: data.labels, folds: folds, seed: seed, fitAndScore: { train, test in
            let (trainRows, testRows) = (data.subset(train), data.subset(test))
            let risk: [Double]
            switch kind {
            case .scorecard:
                let card = try ScorecardTrainer.fit(trainRows, config: config, threads: threads).scorecard
                let testScores = card.scores(of: testRows)
                let testPD = card.probabilitiesOfDefault(scores: testScores)
                for (k, row) in test.enumerated() { (scores[row], pd[row]) = (testScores[k], testPD[k]) }
                risk = testScores.map { -Double($0) }
            case .gbdt:
                let model = try BoostedTrainer.fit(trainRows, config: config, boosting: boosting, threads: threads).model
                let margins = model.trees.predictRaw(model.encode(testRows).features, threads: threads)
                for (k, row) in test.enumerated() {
                    (scores[row], pd[row]) = (model.score(margin: margins[k]), model.probabilityOfDefault(margin: margins[k]))
                }
                risk = margins
            }
            return risk
        }, metric: { labels, risk, _ in rocAUC(labels: labels, scores: risk) ?? 0.5 })
        return CreditCrossValidation(folds: folds, foldAUCs: result.foldValues, meanAUC: result.mean,
                                     outOfFoldScores: scores, outOfFoldPD: pd)
    }
}
