import Foundation
import LeptonCore
@testable import ScanDiagnosis
import XCTest

final class ScanCalibrationTests: XCTestCase {
    /// Logits whose margin is biased (negatives near 0.55) and too sharp: Platt scaling keeps the
    /// ranking and lowers the log-loss and the calibration error.
    func testPlattScalingKeepsRankingAndCalibrates() throws {
        var rng = SeededGenerator(seed: 4)
        var logits: [[Double]] = [], labels: [Double] = []
        for i in 0..<400 {
            let positive = i % 3 == 0
            let m = positive ? 3 + rng.normal() : 0.2 + rng.normal()
            logits.append([0, m])
            labels.append(positive ? 1 : 0)
        }
        let raw = ScanModel.positiveProbabilities(logits: logits, positive: 1, calibration: nil)
        let fitted = try ScanModel.fitCalibration(logits: logits, labels: labels, positive: 1)
        let calibrated = ScanModel.positiveProbabilities(logits: logits, positive: 1, calibration: fitted)
        XCTAssertGreaterThan(fitted[0], 0)
        XCTAssertEqual(rocAUC(labels: labels, scores: raw)!, rocAUC(labels: labels, scores: calibrated)!, accuracy: 1e-12)
        XCTAssertLessThan(logLoss(labels: labels, probabilities: calibrated), logLoss(labels: labels, probabilities: raw))
        XCTAssertLessThan(expectedCalibrationError(labels: labels, probabilities: calibrated)!, expectedCalibrationError(labels: labels, probabilities: raw)!)
        // Without calibration the probability is the softmax.
        XCTAssertEqual(ScanModel.positiveProbabilities(logits: [[1, 2, 0]], positive: 1, calibration: nil)[0], exp(2) / (exp(1) + exp(2) + 1), accuracy: 1e-12)
    }
}
