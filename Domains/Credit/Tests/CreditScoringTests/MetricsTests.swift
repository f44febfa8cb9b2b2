@testable import CreditScoring
import LeptonCore
import XCTest

final class MetricsTests: XCTestCase {
    func testKSOnAHandCase() {
        // Bads score 1, 2, 3; goods 2, 4, 5, 6: at score 3, F_bad = 1, F_good = 1/4.
        let labels: [Double] = [1, 1, 1, 0, 0, 0, 0]
        let scores: [Double] = [1, 2, 3, 2, 4, 5, 6]
        let ks = CreditMetrics.ks(labels: labels, scores: scores)
        XCTAssertEqual(ks.value, 0.75, accuracy: 1e-12)
        XCTAssertEqual(ks.at, 3)
    }

    func testCostOptimalCutoffMatchesBruteForce() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<20 {
            let n = 50 + Int(rng.next() % 100)
            let scores = (0..<n).map { _ in 400 + Int(rng.next() % 60) }
            let labels = scores.map { s -> Double in rng.uniform() < Double(460 - s) / 80 ? 1 : 0 }
            let cut = CreditMetrics.costOptimalCutoff(labels: labels, scores: scores, costBadAccepted: 5, costGoodRejected: 1)
            func cost(_ c: Int) -> Double {
                CreditMetrics.confusion(labels: labels, scores: scores, cutoff: c, costBadAccepted: 5, costGoodRejected: 1).cost
            }
            let best = (399...461).map(cost).min()!
            XCTAssertEqual(cost(cut), best, accuracy: 1e-9)
        }
        // Confusion at a cut-off.
        let c = CreditMetrics.confusion(labels: [1, 1, 0, 0], scores: [10, 30, 20, 40], cutoff: 25, costBadAccepted: 5, costGoodRejected: 1)
        XCTAssertEqual([c.badsDeclined, c.badsAccepted, c.goodsDeclined, c.goodsAccepted], [1, 1, 1, 1])
        XCTAssertEqual(c.cost, 6)
        XCTAssertEqual(c.approvalRate, 0.5)
        XCTAssertEqual(c.acceptedBadRate, 0.5)
    }

    /// Hosmer–Lemeshow over score bands (the core's test with bands as groups; its χ² tail is tested there).
    func testHosmerLemeshowOverBands() {
        // Perfect calibration per band: H = 0, p = 1.
        let bands = (0..<10).map { b in
            CreditMetrics.Band(minScore: b, maxScore: b, count: 100, bads: 10, meanPD: 0.1, cumulativeBadShare: 0, cumulativeGoodShare: 0)
        }
        XCTAssertEqual(CreditMetrics.hosmerLemeshow(bands).statistic, 0, accuracy: 1e-12)
        XCTAssertEqual(CreditMetrics.hosmerLemeshow(bands).degreesOfFreedom, 8)
        // One band off: (20 − 10)² / (10 · 0.9).
        var off = bands
        off[0].bads = 20
        XCTAssertEqual(CreditMetrics.hosmerLemeshow(off).statistic, 100 / 9, accuracy: 1e-12)
    }

    func testBandsAndStrategy() {
        let scores = (0..<1000).map { 400 + $0 / 5 }
        let labels = scores.map { $0 < 450 ? 1.0 : 0.0 }
        let pd = scores.map { _ in 0.25 }
        let bands = CreditMetrics.bands(labels: labels, scores: scores, pd: pd)
        XCTAssertEqual(bands.count, 10)
        XCTAssertEqual(bands.reduce(0) { $0 + $1.count }, 1000)
        XCTAssertEqual(bands[0].badRate, 1)
        XCTAssertEqual(bands.last!.cumulativeBadShare, 1, accuracy: 1e-12)
        XCTAssertEqual(bands.map(\.ks).max()!, 1 - 50.0 / 750, accuracy: 1e-12, "after band 3: every bad, 50 of 750 goods")
        let strategy = CreditMetrics.strategyTable(labels: labels, scores: scores, costBadAccepted: 5, costGoodRejected: 1)
        XCTAssertEqual(strategy.first!.approvalRate, 0.5, accuracy: 0.01)
        XCTAssertEqual(strategy.last!.approvalRate, 1)
        XCTAssertEqual(strategy.last!.badRate, 0.25, accuracy: 1e-12)
        let rates = strategy.map(\.badRate)
        XCTAssertEqual(rates, rates.sorted(), "approving more takes in more bads")
    }

    func testPSI() {
        let e = [0.25, 0.25, 0.5], a = [0.2, 0.3, 0.5]
        let expected = (0.2 - 0.25) * log(0.2 / 0.25) + (0.3 - 0.25) * log(0.3 / 0.25)
        XCTAssertEqual(CreditMetrics.psi(expected: e, actual: a), expected, accuracy: 1e-12)
        XCTAssertEqual(CreditMetrics.psi(expected: e, actual: e), 0)
        XCTAssertEqual(CreditMetrics.stabilityReading(0.05), "stable")
        XCTAssertEqual(CreditMetrics.stabilityReading(0.2), "watch")
        XCTAssertEqual(CreditMetrics.stabilityReading(0.3), "act")
        let bands = ScoreBands(scores: (0..<100).map(Double.init))
        XCTAssertEqual(bands.shares.count, 10)
        XCTAssertEqual(bands.sharesOf((0..<100).map(Double.init)), bands.shares)
        XCTAssertEqual(bands.sharesOf([-5, 200]).first, 0.5)
    }
}
