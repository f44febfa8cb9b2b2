import LeptonCore
import XCTest

final class BootstrapTests: XCTestCase {
    /// Scores that separate the classes moderately (AUC about 0.8).
    private func data(rows: Int, seed: UInt64) -> (labels: [Double], scores: [Double]) {
        var rng = SeededGenerator(seed: seed)
        let labels = (0..<rows).map { _ in Double(rng.nextInt(below: 3) == 0 ? 1 : 0) }
        let scores = labels.map { $0 + 1.2 * Double(rng.nextNormal()) }
        return (labels, scores)
    }

    func testSeededStratifiedPercentileInterval() {
        let (labels, scores) = data(rows: 300, seed: 61)
        let auc: (_ labels: [Double], _ scores: [Double], _ weights: [Double]?) -> Double? = {
            rocAUC(labels: $0, scores: $1, weights: $2)
        }
        let a = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 400, seed: 7, metric: auc)!
        let b = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 400, seed: 7, metric: auc)!
        XCTAssertEqual(a, b, "same seed, same interval")
        XCTAssertNotEqual(a, bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 400, seed: 8, metric: auc)!)
        XCTAssertEqual(a.estimate, rocAUC(labels: labels, scores: scores)!)
        XCTAssertEqual(a.replicates, 400)
        XCTAssertEqual(a.level, 0.95)
        XCTAssertLessThan(a.lower, a.estimate)
        XCTAssertGreaterThan(a.upper, a.estimate)
        XCTAssertLessThan(a.upper - a.lower, 0.25)
        // A narrower level gives a nested interval.
        let narrow = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 400, level: 0.5, seed: 7, metric: auc)!
        XCTAssertGreaterThanOrEqual(narrow.lower, a.lower)
        XCTAssertLessThanOrEqual(narrow.upper, a.upper)
        // Weights travel with their rows: unit weights give the same interval.
        let unit = bootstrapConfidenceInterval(labels: labels, scores: scores, weights: [Double](repeating: 1, count: labels.count),
                                               replicates: 400, seed: 7, metric: auc)!
        XCTAssertEqual(unit, a)
    }

    func testEveryReplicateKeepsTheClassCounts() {
        let (labels, scores) = data(rows: 50, seed: 62)
        let positives = labels.filter { $0 > 0.5 }.count
        var seen: [Int] = []
        _ = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 30, seed: 1) { l, s, _ in
            seen.append(l.filter { $0 > 0.5 }.count)
            XCTAssertEqual(l.count, labels.count)
            XCTAssertEqual(s.count, labels.count)
            return 0
        }
        XCTAssertEqual(seen, [Int](repeating: positives, count: 31), "the full data, then 30 replicates")
    }

    /// Undefined replicates are skipped and not counted; a percentile of one value is that value.
    func testSkippedReplicatesAndDegenerateInput() {
        let (labels, scores) = data(rows: 40, seed: 63)
        var calls = 0
        let interval = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 100, seed: 2) { _, _, _ in
            calls += 1
            if calls == 1 { return 1 }  // the full data
            return calls % 2 == 0 ? nil : (calls % 4 == 1 ? .nan : Double(calls))
        }!
        XCTAssertEqual(interval.replicates, 25, "of 100 replicates, 50 nil and 25 NaN")
        XCTAssertEqual(interval.estimate, 1)
        let one = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 1, seed: 2) { _, _, _ in 0.5 }!
        XCTAssertEqual([one.lower, one.upper], [0.5, 0.5])
        let auc: (_ labels: [Double], _ scores: [Double], _ weights: [Double]?) -> Double? = {
            rocAUC(labels: $0, scores: $1, weights: $2)
        }
        XCTAssertNil(bootstrapConfidenceInterval(labels: [], scores: [], seed: 1, metric: auc))
        XCTAssertNil(bootstrapConfidenceInterval(labels: [1, 1], scores: [0.1, 0.2], seed: 1, metric: auc))
        XCTAssertNil(bootstrapConfidenceInterval(labels: [1, 0], scores: [.nan, 0.2], seed: 1, metric: auc))
        XCTAssertNil(bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: 0, seed: 1, metric: auc))
        XCTAssertNil(bootstrapConfidenceInterval(labels: labels, scores: scores, level: 1, seed: 1, metric: auc))
    }
}
