import Foundation
import LeptonCore
import XCTest

/// Verbatim copies of the credit domain's formulas (CreditMetrics.brier and logLoss), which the
/// core versions must reproduce bit for bit when unweighted.
private func creditBrier(labels: [Double], pd: [Double]) -> Double {
    guard !labels.isEmpty else { return .nan }
    return zip(labels, pd).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) } / Double(labels.count)
}

private func creditLogLoss(labels: [Double], pd: [Double]) -> Double {
    guard !labels.isEmpty else { return .nan }
    var total = 0.0
    for (y, p) in zip(labels, pd) {
        let q = min(max(p, 1e-15), 1 - 1e-15)
        total -= y == 1 ? log(q) : (y == 0 ? log(1 - q) : y * log(q) + (1 - y) * log(1 - q))
    }
    return total / Double(labels.count)
}

final class ProbabilityMetricTests: XCTestCase {
    func testKnownValues() {
        XCTAssertEqual(brierScore(labels: [1, 0], probabilities: [0.8, 0.4]), (0.04 + 0.16) / 2, accuracy: 1e-15)
        XCTAssertEqual(logLoss(labels: [1, 0], probabilities: [0.8, 0.4]), -(log(0.8) + log(0.6)) / 2, accuracy: 1e-15)
        // Weighted: the second row counts three times.
        XCTAssertEqual(brierScore(labels: [1, 0], probabilities: [0.8, 0.4], weights: [1, 3]), (0.04 + 3 * 0.16) / 4, accuracy: 1e-15)
        XCTAssertEqual(logLoss(labels: [1, 0], probabilities: [0.8, 0.4], weights: [1, 3]), -(log(0.8) + 3 * log(0.6)) / 4, accuracy: 1e-15)
        // Clipping: a confident mistake costs −ln 10⁻¹⁵, not infinity.
        XCTAssertEqual(logLoss(labels: [1], probabilities: [0]), -log(1e-15), accuracy: 1e-12)
        XCTAssertEqual(brierScore(labels: [1, 0], probabilities: [1, 0]), 0)
        XCTAssertTrue(brierScore(labels: [], probabilities: []).isNaN)
        XCTAssertTrue(logLoss(labels: [], probabilities: []).isNaN)
        XCTAssertTrue(logLoss(labels: [1], probabilities: [.nan]).isNaN)
    }

    func testBitIdenticalToCreditFormulas() {
        var rng = SeededGenerator(seed: 31)
        for _ in 0..<50 {
            let n = 1 + rng.nextInt(below: 200)
            let pd = (0..<n).map { _ in Double(rng.next() >> 11) / Double(1 << 53) }
            // Mostly 0/1 labels, a few soft ones, and some probabilities at the clip edges.
            let labels = (0..<n).map { i -> Double in i % 17 == 5 ? 0.3 : (pd[i] > 0.6 ? 1 : 0) }
            var p = pd
            if n > 3 { p[1] = 0; p[2] = 1 }
            XCTAssertEqual(brierScore(labels: labels, probabilities: p).bitPattern, creditBrier(labels: labels, pd: p).bitPattern)
            XCTAssertEqual(logLoss(labels: labels, probabilities: p).bitPattern, creditLogLoss(labels: labels, pd: p).bitPattern)
        }
    }
}
