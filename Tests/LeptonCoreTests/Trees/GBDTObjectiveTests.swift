import XCTest
@testable import LeptonCore

final class GBDTObjectiveTests: XCTestCase {
    func testDerivativesMatchFiniteDifferencesOfTheLoss() {
        for objective in GBDTObjective.allCases {
            let labels: [Double] = objective == .binaryLogLoss ? [0, 1, 1, 0] : [0.5, -2, 3, 1]
            let weights: [Double] = [1, 2, 0.5, 3]
            let scores: [Double] = [-1.2, 0.3, 2.0, 0.7]
            var d = [SIMD2<Float>](repeating: .zero, count: 4)
            objective.derivatives(labels: labels, weights: weights, scores: scores, into: &d, range: 0..<4)
            let g = d.map(\.x), h = d.map(\.y)
            // Per-row loss ℓ(f) = w·(softplus(f) − y f) or w·½(f − y)².
            func rowLoss(_ i: Int, _ f: Double) -> Double {
                switch objective {
                case .binaryLogLoss: return weights[i] * (log1p(exp(f)) - labels[i] * f)
                case .l2Regression: return weights[i] * 0.5 * (f - labels[i]) * (f - labels[i])
                }
            }
            let e = 1e-4
            for i in 0..<4 {
                let f = scores[i]
                let d1 = (rowLoss(i, f + e) - rowLoss(i, f - e)) / (2 * e)
                let d2 = (rowLoss(i, f + e) - 2 * rowLoss(i, f) + rowLoss(i, f - e)) / (e * e)
                XCTAssertEqual(Double(g[i]), d1, accuracy: 1e-4, "\(objective) g[\(i)]")
                XCTAssertEqual(Double(h[i]), d2, accuracy: 1e-3, "\(objective) h[\(i)]")
            }
        }
    }

    func testBaseScoreIsThePriorWithClassWeights() throws {
        let labels: [Double] = [1, 0, 0, 0]
        XCTAssertEqual(GBDTObjective.binaryLogLoss.baseScore(labels: labels, weights: [1, 1, 1, 1]), log(1.0 / 3.0), accuracy: 1e-12)
        var c = GBDTConfig(); c.positiveClassWeight = 3
        let w = try GBDTObjective.binaryLogLoss.effectiveWeights(labels: labels, weights: [1, 1, 1, 2], config: c)
        XCTAssertEqual(w, [3, 1, 1, 2])
        XCTAssertEqual(GBDTObjective.binaryLogLoss.baseScore(labels: labels, weights: w), log(3.0 / 4.0), accuracy: 1e-12)
        XCTAssertEqual(GBDTObjective.l2Regression.baseScore(labels: [1, 2, 6], weights: [1, 1, 2]), 15.0 / 4.0, accuracy: 1e-12)
    }

    func testRejectsBadLabelsAndWeights() {
        XCTAssertThrowsError(try GBDTObjective.binaryLogLoss.effectiveWeights(labels: [0, 2], weights: nil, config: GBDTConfig()))
        XCTAssertThrowsError(try GBDTObjective.l2Regression.effectiveWeights(labels: [0, .nan], weights: nil, config: GBDTConfig()))
        XCTAssertThrowsError(try GBDTObjective.l2Regression.effectiveWeights(labels: [0, 1], weights: [1, -1], config: GBDTConfig()))
        XCTAssertThrowsError(try GBDTObjective.l2Regression.effectiveWeights(labels: [0, 1], weights: [1], config: GBDTConfig()))
    }

    func testLossAndTransform() {
        XCTAssertEqual(GBDTObjective.binaryLogLoss.loss(labels: [1, 0], scores: [0, 0], weights: [1, 1]), log(2), accuracy: 1e-12)
        XCTAssertEqual(GBDTObjective.binaryLogLoss.loss(labels: [1], scores: [800], weights: [1]), 0, accuracy: 1e-12)
        XCTAssertEqual(GBDTObjective.l2Regression.loss(labels: [1, 3], scores: [2, 2], weights: [1, 3]), 1, accuracy: 1e-12)
        XCTAssertEqual(GBDTObjective.binaryLogLoss.transform(0), 0.5)
        XCTAssertEqual(GBDTObjective.l2Regression.transform(-3), -3)
    }
}
