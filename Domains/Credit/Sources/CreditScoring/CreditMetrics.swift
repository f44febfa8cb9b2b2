import Foundation
import LeptonCore

/// Credit-risk validation metrics as free functions of labels (1 = bad) and scores (higher =
/// safer) or probabilities of default.
public enum CreditMetrics {
    /// KS of integer scores: by counting when their range allows (``ScoreHistogram``), else by sorting.
    public static func ks(labels: [Double], scores: [Int]) -> (value: Double, at: Double) {
        if let histogram = ScoreHistogram(labels: labels, scores: scores) { return histogram.ks }
        return ks(labels: labels, scores: scores.map(Double.init))
    }

    /// AUC of integer scores (higher = safer) for "bad": P(score_bad < score_good), ties one half;
    /// by counting when their range allows, else ``rocAUC(labels:scores:weights:)`` of −score.
    public static func auc(labels: [Double], scores: [Int]) -> Double? {
        if let histogram = ScoreHistogram(labels: labels, scores: scores) { return histogram.auc }
        return rocAUC(labels: labels, scores: scores.map { -Double($0) })
    }

    /// Kolmogorov–Smirnov statistic: the largest gap between the cumulative score distributions
    /// of bads and goods, KS = max_s |F_bad(s) − F_good(s)|, with the score where it occurs.
    public static func ks(labels: [Double], scores: [Double]) -> (value: Double, at: Double) {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let bads = labels.reduce(0, +), goods = Double(labels.count) - bads
        guard bads > 0, goods > 0 else { return (0, .nan) }
        var cb = 0.0, cg = 0.0, best = 0.0, at = scores.isEmpty ? .nan : scores[order[0]]
        var k = 0
        while k < order.count {
            let s = scores[order[k]]
            while k < order.count, scores[order[k]] == s {
                if labels[order[k]] == 1 { cb += 1 } else { cg += 1 }
                k += 1
            }
            let gap = abs(cb / bads - cg / goods)
            if gap > best { best = gap; at = s }
        }
        return (best, at)
    }

    /// The cut-off score c minimising the expected cost when applicants scoring below c are declined:
    ///
    ///     cost(c) = costBadAccepted · #{bad, score ≥ c} + costGoodRejected · #{good, score < c}
    ///
    /// Candidates are the observed scores and one above the highest (decline everyone); the
    /// lowest minimising candidate wins.
    public static func costOptimalCutoff(labels: [Double], scores: [Int], costBadAccepted: Double,
                                         costGoodRejected: Double) -> Int {
        if let histogram = ScoreHistogram(labels: labels, scores: scores) {
            return histogram.costOptimalCutoff(costBadAccepted: costBadAccepted, costGoodRejected: costGoodRejected)
        }
        return costOptimalCutoffBySorting(labels: labels, scores: scores, costBadAccepted: costBadAccepted,
                                          costGoodRejected: costGoodRejected)
    }

    /// The sort-based twin of ``costOptimalCutoff(labels:scores:costBadAccepted:costGoodRejected:)``: the
    /// core's ``costOptimalThreshold(labels:scores:costFalsePositive:costFalseNegative:weights:)`` on the
    /// risk −score (declining is flagging; a declined good is a false positive), mapped back to the
    /// cut-off: flagging every risk ≥ t declines every score below the next observed score above
    /// −t (one above the highest when there is none); t = +∞ declines nobody (the lowest score).
    static func costOptimalCutoffBySorting(labels: [Double], scores: [Int], costBadAccepted: Double,
                                           costGoodRejected: Double) -> Int {
        guard let lowest = scores.min(), let highest = scores.max() else { return 0 }
        guard let best = costOptimalThreshold(labels: labels, scores: scores.map { -Double($0) },
                                              costFalsePositive: costGoodRejected, costFalseNegative: costBadAccepted) else {
            // One outcome only: approve everyone, unless only bads and accepting them costs.
            return labels.contains(0) || costBadAccepted <= 0 ? lowest : highest + 1
        }
        guard best.threshold.isFinite else { return lowest }
        let declinedUpTo = Int(-best.threshold)
        return scores.filter { $0 > declinedUpTo }.min() ?? declinedUpTo + 1
    }

    /// The confusion matrix at a cut-off (decline below it; a declined bad is a true positive) and its cost.
    public struct Confusion: Sendable, Equatable {
        public var badsDeclined = 0
        public var badsAccepted = 0
        public var goodsDeclined = 0
        public var goodsAccepted = 0
        /// costBadAccepted · badsAccepted + costGoodRejected · goodsDeclined.
        public var cost = 0.0
        public var approvalRate: Double {
            Double(badsAccepted + goodsAccepted) / Double(max(badsDeclined + badsAccepted + goodsDeclined + goodsAccepted, 1))
        }
        /// The bad rate among accepted applicants.
        public var acceptedBadRate: Double {
            let accepted = badsAccepted + goodsAccepted
            return accepted > 0 ? Double(badsAccepted) / Double(accepted) : .nan
        }
    }

    /// The confusion matrix at `cutoff`: the core's ``confusion(labels:scores:threshold:weights:)`` on
    /// the risk −score, declining (flagging) every score below the cut-off (risk ≥ 1 − cutoff).
    public static func confusion(labels: [Double], scores: [Int], cutoff: Int, costBadAccepted: Double,
                                 costGoodRejected: Double) -> Confusion {
        let counts = LeptonCore.confusion(labels: labels, scores: scores.map { -Double($0) }, threshold: Double(1 - cutoff))
            ?? ConfusionCounts()
        var c = Confusion()
        c.badsDeclined = Int(counts.truePositives)
        c.badsAccepted = Int(counts.falseNegatives)
        c.goodsDeclined = Int(counts.falsePositives)
        c.goodsAccepted = Int(counts.trueNegatives)
        c.cost = costBadAccepted * Double(c.badsAccepted) + costGoodRejected * Double(c.goodsDeclined)
        return c
    }

    /// One row of a score-band table (deciles): the band's score range, counts, bad rate,
    /// mean predicted PD, and the cumulative shares and KS from the riskiest band down.
    public struct Band: Sendable, Equatable {
        public var minScore: Int
        public var maxScore: Int
        public var count: Int
        public var bads: Int
        public var meanPD: Double
        public var badRate: Double { count > 0 ? Double(bads) / Double(count) : .nan }
        /// Cumulative share of all bads in this and riskier bands.
        public var cumulativeBadShare: Double
        public var cumulativeGoodShare: Double
        public var ks: Double { abs(cumulativeBadShare - cumulativeGoodShare) }
    }

    /// Rows split into `count` bands of about equal size by score, riskiest (lowest score)
    /// first; rows with equal scores stay in one band.
    public static func bands(labels: [Double], scores: [Int], pd: [Double], count: Int = 10) -> [Band] {
        // Rows by score, then index: a counting sort when the range allows.
        let order = ScoreHistogram(labels: labels, scores: scores).map {
            ScoreHistogram.order(of: scores, lowest: $0.lowest, counts: $0.counts)
        } ?? scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
        let totalBads = max(labels.reduce(0, +), 1), totalGoods = max(Double(labels.count) - labels.reduce(0, +), 1)
        var result: [Band] = []
        var start = 0, cumBads = 0.0, cumGoods = 0.0
        for b in 0..<count {
            var end = (b + 1) * order.count / count
            if end <= start { continue }
            while end < order.count, scores[order[end]] == scores[order[end - 1]] { end += 1 }
            let rows = order[start..<end]
            let bads = rows.reduce(0) { $0 + (labels[$1] == 1 ? 1 : 0) }
            cumBads += Double(bads)
            cumGoods += Double(rows.count - bads)
            result.append(Band(minScore: scores[rows.first!], maxScore: scores[rows.last!], count: rows.count, bads: bads,
                               meanPD: rows.reduce(0) { $0 + pd[$1] } / Double(rows.count),
                               cumulativeBadShare: cumBads / totalBads, cumulativeGoodShare: cumGoods / totalGoods))
            start = end
            if start >= order.count { break }
        }
        return result
    }

    /// The Hosmer–Lemeshow test over score bands: the core's ``hosmerLemeshow(bins:)`` with each
    /// band as a group (O_g its bads, E_g its rows times its mean predicted PD).
    public static func hosmerLemeshow(_ bands: [Band]) -> HosmerLemeshow {
        LeptonCore.hosmerLemeshow(bins: bands.map { band in
            ProbabilityBin(lower: 0, upper: 1, weight: Double(band.count), meanPredicted: band.meanPD,
                           observedRate: band.badRate, positives: Double(band.bads))
        })
    }

    /// One row of the strategy table: declining below `cutoff` approves `approvalRate` of
    /// applicants with a bad rate of `badRate` among them, at an expected `cost`.
    public struct StrategyRow: Sendable, Equatable {
        public var cutoff: Int
        public var approvalRate: Double
        public var badRate: Double
        public var cost: Double
    }

    /// Strategy rows for target approval rates (default 50 %, 55 %, …, 100 %): each cut-off is
    /// the highest score that approves at least that share.
    public static func strategyTable(labels: [Double], scores: [Int], costBadAccepted: Double, costGoodRejected: Double,
                                     approvalRates: [Double] = stride(from: 0.5, through: 1.0001, by: 0.05).map { $0 }) -> [StrategyRow] {
        if let histogram = ScoreHistogram(labels: labels, scores: scores) {
            var rows: [StrategyRow] = []
            for rate in approvalRates {
                let declined = min(scores.count - 1, max(0, Int((Double(scores.count) * (1 - rate)).rounded(.down))))
                let cut = histogram.score(atRank: declined)
                if rows.last?.cutoff == cut { continue }
                let c = histogram.confusion(cutoff: cut, costBadAccepted: costBadAccepted, costGoodRejected: costGoodRejected)
                rows.append(StrategyRow(cutoff: cut, approvalRate: c.approvalRate, badRate: c.acceptedBadRate, cost: c.cost))
            }
            return rows
        }
        return strategyTableBySorting(labels: labels, scores: scores, costBadAccepted: costBadAccepted,
                                      costGoodRejected: costGoodRejected, approvalRates: approvalRates)
    }

    /// The sort-based twin of ``strategyTable(labels:scores:costBadAccepted:costGoodRejected:approvalRates:)``.
    static func strategyTableBySorting(labels: [Double], scores: [Int], costBadAccepted: Double, costGoodRejected: Double,
                                       approvalRates: [Double]) -> [StrategyRow] {
        let sorted = scores.sorted()
        guard !sorted.isEmpty else { return [] }
        var rows: [StrategyRow] = []
        for rate in approvalRates {
            let declined = min(sorted.count - 1, max(0, Int((Double(sorted.count) * (1 - rate)).rounded(.down))))
            let cut = sorted[declined]
            if rows.last?.cutoff == cut { continue }
            let c = confusion(labels: labels, scores: scores, cutoff: cut, costBadAccepted: costBadAccepted,
                              costGoodRejected: costGoodRejected)
            rows.append(StrategyRow(cutoff: cut, approvalRate: c.approvalRate, badRate: c.acceptedBadRate, cost: c.cost))
        }
        return rows
    }

    /// Population stability index between expected shares e (reference) and actual shares a:
    ///
    ///     PSI = Σ_b (a_b − e_b) · ln(a_b / e_b),   shares floored at 10⁻⁴
    ///
    /// Usual reading: < 0.1 stable, 0.1–0.25 watch, > 0.25 act.
    public static func psi(expected: [Double], actual: [Double]) -> Double {
        precondition(expected.count == actual.count, "psi: \(expected.count) expected shares, \(actual.count) actual")
        var total = 0.0
        for (e, a) in zip(expected, actual) {
            let ee = max(e, 1e-4), aa = max(a, 1e-4)
            total += (aa - ee) * log(aa / ee)
        }
        return total
    }

    /// The usual reading of a PSI or CSI value.
    public static func stabilityReading(_ value: Double) -> String {
        value < 0.1 ? "stable" : (value <= 0.25 ? "watch" : "act")
    }

    /// ROC points (false and true positive rates for "bad") as the decline threshold sweeps
    /// the scores from the lowest up, at most `maxPoints` of them, from (0, 0) to (1, 1).
    public static func rocPoints(labels: [Double], scores: [Int], maxPoints: Int = 400) -> (fpr: [Double], tpr: [Double]) {
        let (fpr, tpr) = ScoreHistogram(labels: labels, scores: scores)?.rocRates ?? rocRatesBySorting(labels: labels, scores: scores)
        if fpr.count > maxPoints {
            let step = Double(fpr.count - 1) / Double(maxPoints - 1)
            let picks = (0..<maxPoints).map { Int((Double($0) * step).rounded()) }
            return (picks.map { fpr[$0] }, picks.map { tpr[$0] })
        }
        return (fpr, tpr)
    }

    /// The sort-based twin of ``ScoreHistogram/rocRates``: the core's ``rocCurve(labels:scores:weights:)``
    /// of −score (declining the lowest scores first).
    static func rocRatesBySorting(labels: [Double], scores: [Int]) -> (fpr: [Double], tpr: [Double]) {
        guard let curve = rocCurve(labels: labels, scores: scores.map { -Double($0) }) else { return ([0], [0]) }
        return (curve.falsePositiveRates, curve.truePositiveRates)
    }
}
