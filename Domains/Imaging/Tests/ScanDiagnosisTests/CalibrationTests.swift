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

    /// Temperature scaling keeps the ranking and the 0.5 decision, lowers the log-loss of
    /// over-confident margins, and finds T ≈ 4 when the margins are four times too sharp.
    func testTemperatureScalingRecoversTheScale() {
        var rng = SeededGenerator(seed: 8)
        var logits: [[Double]] = [], labels: [Double] = []
        for _ in 0..<4000 {
            let m = rng.normal() * 3
            let y: Double = rng.uniform() < 1 / (1 + exp(-m)) ? 1 : 0
            logits.append([0, 4 * m])
            labels.append(y)
        }
        let fitted = ScanModel.fitTemperature(logits: logits, labels: labels, positive: 1)
        XCTAssertEqual(fitted[1], 0)
        XCTAssertEqual(1 / fitted[0], 4, accuracy: 0.4)
        let raw = ScanModel.positiveProbabilities(logits: logits, positive: 1, calibration: nil)
        let scaled = ScanModel.positiveProbabilities(logits: logits, positive: 1, calibration: fitted)
        XCTAssertEqual(rocAUC(labels: labels, scores: raw)!, rocAUC(labels: labels, scores: scaled)!, accuracy: 1e-12)
        XCTAssertEqual(zip(raw, scaled).filter { ($0 >= 0.5) != ($1 >= 0.5) }.count, 0)
        XCTAssertLessThan(logLoss(labels: labels, probabilities: scaled), logLoss(labels: labels, probabilities: raw))
        // One class or constant margins never trap: the scale stays finite and positive.
        for degenerate in [[[0.0, 1.0]], Array(repeating: [0.0, 0.0], count: 5)] {
            let t = ScanModel.fitTemperature(logits: degenerate, labels: Array(repeating: 1, count: degenerate.count), positive: 1)
            XCTAssertTrue(t[0].isFinite && t[0] > 0)
        }
    }
}
