import LeptonCore
import XCTest

final class ROCTests: XCTestCase {
    func testKnownValues() {
        XCTAssertEqual(rocAUC(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]), 0.75)
        XCTAssertEqual(rocAUC(labels: [0, 1], scores: [0.5, 0.5]), 0.5, "a tie counts one half")
        XCTAssertEqual(rocAUC(labels: [1, 1, 0, 0], scores: [4, 3, 2, 1]), 1)
        XCTAssertNil(rocAUC(labels: [1, 1], scores: [0.2, 0.3]))
    }

    func testMatchesNaiveTwinWithTiesAndWeights() {
        var state: UInt64 = 9
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        for _ in 0..<50 {
            let n = Int(next() % 60) + 2
            let labels = (0..<n).map { _ in Double(next() % 2) }
            let scores = (0..<n).map { _ in Double(next() % 7) / 7 }
            let weights = (0..<n).map { _ in Double(next() % 5 + 1) / 2 }
            let fast = rocAUC(labels: labels, scores: scores, weights: weights)
            let naive = rocAUCNaive(labels: labels, scores: scores, weights: weights)
            XCTAssertEqual(fast == nil, naive == nil)
            if let fast, let naive { XCTAssertEqual(fast, naive, accuracy: 1e-12) }
        }
    }

    /// Invariant to any strictly increasing transform of the scores and to scaling all weights.
    func testInvariances() {
        let labels: [Double] = [0, 1, 0, 1, 1, 0, 0, 1]
        let scores: [Double] = [0.3, 0.7, 0.2, 0.1, 0.9, 0.5, 0.5, 0.5]
        let base = rocAUC(labels: labels, scores: scores)!
        XCTAssertEqual(rocAUC(labels: labels, scores: scores.map { exp(3 * $0) })!, base, accuracy: 1e-12)
        XCTAssertEqual(rocAUC(labels: labels, scores: scores, weights: [Double](repeating: 2.5, count: 8))!, base, accuracy: 1e-12)
    }
}
