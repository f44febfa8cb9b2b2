import LeptonCore

/// Rows and bads per integer score, for scores in a range not much wider than the number of
/// rows: what the validation metrics need, in one counting pass instead of a sort. Every metric
/// computed from it equals its sort-based twin in ``CreditMetrics`` exactly (the counts are
/// integers; the figures are built from them in the same order).
struct ScoreHistogram {
    let lowest: Int
    /// Per score from `lowest`: rows and bads.
    let counts: [Int]
    let bads: [Int]
    let totalBads: Int
    var rows: Int { total }
    let total: Int

    /// The histogram, or nil when there are no scores or their range is too wide to count.
    /// `labels` are aligned with `scores`, or empty when only the counts matter.
    init?(labels: [Double], scores: [Int]) {
        precondition(labels.isEmpty || labels.count == scores.count, "ScoreHistogram: labels and scores differ in length")
        guard let low = scores.min(), let high = scores.max(), high - low <= 4 * scores.count + 4096 else { return nil }
        lowest = low
        var counts = [Int](repeating: 0, count: high - low + 1)
        var bads = [Int](repeating: 0, count: high - low + 1)
        var totalBads = 0
        for (i, s) in scores.enumerated() {
            counts[s - low] += 1
            if !labels.isEmpty && labels[i] == 1 {
                bads[s - low] += 1
                totalBads += 1
            }
        }
        self.counts = counts
        self.bads = bads
        self.totalBads = totalBads
        total = scores.count
    }

    /// Row indices ordered by score, then by index (a stable counting sort).
    static func order(of scores: [Int], lowest: Int, counts: [Int]) -> [Int] {
        var next = [Int](repeating: 0, count: counts.count)
        var running = 0
        for (k, c) in counts.enumerated() {
            next[k] = running
            running += c
        }
        var order = [Int](repeating: 0, count: scores.count)
        for (i, s) in scores.enumerated() {
            order[next[s - lowest]] = i
            next[s - lowest] += 1
        }
        return order
    }

    /// P(score_bad < score_good) with ties one half: ``rocAUC(labels:scores:weights:)`` of "bad"
    /// against −score (scores visited from the highest down, tied groups as there).
    var auc: Double? {
        var negativesBelow = 0.0, totalPositive = 0.0, totalNegative = 0.0, area = 0.0
        for k in stride(from: counts.count - 1, through: 0, by: -1) where counts[k] > 0 {
            let groupPositive = Double(bads[k]), groupNegative = Double(counts[k] - bads[k])
            area += groupPositive * (negativesBelow + 0.5 * groupNegative)
            negativesBelow += groupNegative
            totalPositive += groupPositive
            totalNegative += groupNegative
        }
        guard totalPositive > 0, totalNegative > 0 else { return nil }
        return area / (totalPositive * totalNegative)
    }

    /// As ``CreditMetrics/ks(labels:scores:)``.
    var ks: (value: Double, at: Double) {
        let bads = Double(totalBads), goods = Double(total - totalBads)
        guard bads > 0, goods > 0 else { return (0, .nan) }
        var cb = 0.0, cg = 0.0, best = 0.0, at = Double(lowest)
        for k in counts.indices where counts[k] > 0 {
            cb += Double(self.bads[k])
            cg += Double(counts[k] - self.bads[k])
            let gap = abs(cb / bads - cg / goods)
            if gap > best { best = gap; at = Double(lowest + k) }
        }
        return (best, at)
    }

    /// As ``CreditMetrics/costOptimalCutoff(labels:scores:costBadAccepted:costGoodRejected:)``.
    func costOptimalCutoff(costBadAccepted: Double, costGoodRejected: Double) -> Int {
        var badsAccepted = Double(totalBads), goodsRejected = 0.0
        var best = costBadAccepted * badsAccepted, bestCut = lowest
        let present = counts.indices.filter { counts[$0] > 0 }
        for (position, k) in present.enumerated() {
            badsAccepted -= Double(bads[k])
            goodsRejected += Double(counts[k] - bads[k])
            let cut = position + 1 < present.count ? lowest + present[position + 1] : lowest + k + 1
            let cost = costBadAccepted * badsAccepted + costGoodRejected * goodsRejected
            if cost < best - 1e-9 { best = cost; bestCut = cut }
        }
        return bestCut
    }

    /// As ``CreditMetrics/confusion(labels:scores:cutoff:costBadAccepted:costGoodRejected:)``.
    func confusion(cutoff: Int, costBadAccepted: Double, costGoodRejected: Double) -> CreditMetrics.Confusion {
        var c = CreditMetrics.Confusion()
        for k in counts.indices {
            let goods = counts[k] - bads[k]
            if lowest + k >= cutoff {
                c.badsAccepted += bads[k]
                c.goodsAccepted += goods
            } else {
                c.badsDeclined += bads[k]
                c.goodsDeclined += goods
            }
        }
        c.cost = costBadAccepted * Double(c.badsAccepted) + costGoodRejected * Double(c.goodsDeclined)
        return c
    }

    /// The score of rank `r` (0-based) in ascending order.
    func score(atRank r: Int) -> Int {
        var seen = 0
        for (k, c) in counts.enumerated() {
            seen += c
            if r < seen { return lowest + k }
        }
        return lowest + counts.count - 1
    }

    /// As ``CreditMetrics/rocPoints(labels:scores:maxPoints:)`` before thinning: the rates after each score.
    var rocRates: (fpr: [Double], tpr: [Double]) {
        let bads = Double(max(totalBads, 1)), goods = Double(max(total - totalBads, 1))
        var fpr = [0.0], tpr = [0.0]
        var tp = 0.0, fp = 0.0
        for k in counts.indices where counts[k] > 0 {
            tp += Double(self.bads[k])
            fp += Double(counts[k] - self.bads[k])
            fpr.append(fp / goods)
            tpr.append(tp / bads)
        }
        return (fpr, tpr)
    }
}
