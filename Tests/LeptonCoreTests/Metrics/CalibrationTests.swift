import Foundation
import LeptonCore
import XCTest

/// A verbatim copy of the credit domain's Hosmer–Lemeshow sum over bands (CreditMetrics.hosmerLemeshow).
private func creditHosmerLemeshowStatistic(_ bands: [(count: Int, bads: Int, meanPD: Double)]) -> Double {
    var h = 0.0
    for band in bands where band.count > 0 {
        let expected = band.meanPD * Double(band.count)
        let variance = expected * (1 - band.meanPD)
        if variance > 0 { h += (Double(band.bads) - expected) * (Double(band.bads) - expected) / variance }
    }
    return h
}

final class CalibrationTests: XCTestCase {
    func testUniformBinsAndECE() {
        let labels: [Double] = [0, 1, 0, 1, 1], probabilities = [0.05, 0.15, 0.15, 1.0, 0.95]
        let bins = calibrationBins(labels: labels, probabilities: probabilities)!
        XCTAssertEqual(bins.count, 3, "empty bins are left out; probability 1 joins the last bin")
        XCTAssertEqual(bins.map(\.weight), [1, 2, 2])
        XCTAssertEqual(bins.map(\.positives), [0, 1, 2])
        XCTAssertEqual(bins.map(\.observedRate), [0, 0.5, 1])
        XCTAssertEqual(bins[1].meanPredicted, 0.15, accuracy: 1e-15)
        XCTAssertEqual(bins[2].meanPredicted, 0.975, accuracy: 1e-15)
        XCTAssertEqual(bins[2].lower, 0.9)
        XCTAssertEqual(bins[2].upper, 1)
        let ece = 0.2 * 0.05 + 0.4 * 0.35 + 0.4 * 0.025
        XCTAssertEqual(expectedCalibrationError(labels: labels, probabilities: probabilities)!, ece, accuracy: 1e-15)
        XCTAssertNil(expectedCalibrationError(labels: [], probabilities: []))
        XCTAssertNil(calibrationBins(labels: [1], probabilities: [.nan]))
        // Out-of-range probabilities go to the end bins instead of trapping.
        XCTAssertEqual(calibrationBins(labels: [0, 1], probabilities: [-3, .infinity], bins: 4)!.map(\.lower), [0, 0.75])
    }

    func testQuantileBinsKeepTiesTogether() {
        let labels: [Double] = [0, 0, 1, 0, 1, 1], probabilities = [0.1, 0.1, 0.1, 0.2, 0.3, 0.4]
        let bins = calibrationBins(labels: labels, probabilities: probabilities, bins: 3, strategy: .quantile)!
        XCTAssertEqual(bins.map(\.weight), [3, 1, 2])
        XCTAssertEqual(bins.map(\.lower), [0.1, 0.2, 0.3])
        XCTAssertEqual(bins.map(\.upper), [0.1, 0.2, 0.4])
        XCTAssertEqual(bins.map(\.positives), [1, 0, 2])
        // Equal counts when nothing is tied; weights shift the cuts.
        let spread = (0..<100).map { Double($0) / 100 }
        let even = calibrationBins(labels: spread.map { $0 > 0.5 ? 1 : 0 }, probabilities: spread, bins: 10, strategy: .quantile)!
        XCTAssertEqual(even.map(\.weight), [Double](repeating: 10, count: 10))
        let heavy = calibrationBins(labels: [0, 0, 1, 1], probabilities: [0.1, 0.2, 0.3, 0.4], weights: [6, 1, 1, 2],
                                    bins: 2, strategy: .quantile)!
        XCTAssertEqual(heavy.map(\.weight), [6, 4])
    }

    func testHosmerLemeshowKnownValues() {
        XCTAssertEqual(chiSquareSurvival(3.841458820694124, degreesOfFreedom: 1), 0.05, accuracy: 1e-9)
        XCTAssertEqual(chiSquareSurvival(3.84, degreesOfFreedom: 1), 0.05, accuracy: 1e-4)
        XCTAssertEqual(chiSquareSurvival(15.50731305586545, degreesOfFreedom: 8), 0.05, accuracy: 1e-9)
        XCTAssertEqual(chiSquareSurvival(2, degreesOfFreedom: 2), exp(-1), accuracy: 1e-12)
        XCTAssertEqual(chiSquareSurvival(0, degreesOfFreedom: 3), 1)
        XCTAssertEqual(regularizedUpperGamma(1, 2), exp(-2), accuracy: 1e-14)
        // Perfect calibration per bin: H = 0, p = 1; one bin off: (20 − 10)² / (10 · 0.9).
        var bins = (0..<10).map { b in
            ProbabilityBin(lower: Double(b) / 10, upper: Double(b + 1) / 10, weight: 100, meanPredicted: 0.1, observedRate: 0.1, positives: 10)
        }
        XCTAssertEqual(hosmerLemeshow(bins: bins), HosmerLemeshow(statistic: 0, degreesOfFreedom: 8, pValue: 1))
        bins[0].positives = 20
        XCTAssertEqual(hosmerLemeshow(bins: bins).statistic, 100 / 9, accuracy: 1e-12)
        XCTAssertEqual(hosmerLemeshow(bins: bins).pValue, chiSquareSurvival(100 / 9, degreesOfFreedom: 8))
        // Zero-variance groups (mean prediction 0 or 1) are skipped; df is at least 1.
        let edge = [ProbabilityBin(lower: 0, upper: 0, weight: 5, meanPredicted: 0, observedRate: 0.2, positives: 1)]
        XCTAssertEqual(hosmerLemeshow(bins: edge), HosmerLemeshow(statistic: 0, degreesOfFreedom: 1, pValue: 1))
        XCTAssertNil(hosmerLemeshow(labels: [], probabilities: []))
        XCTAssertNil(hosmerLemeshow(labels: [0], probabilities: [.nan]))
    }

    /// Credit bands mapped to bins give the same statistic bit for bit.
    func testHosmerLemeshowBitIdenticalToCreditBands() {
        var rng = SeededGenerator(seed: 51)
        for _ in 0..<50 {
            let bands = (0..<(1 + rng.nextInt(below: 12))).map { _ -> (count: Int, bads: Int, meanPD: Double) in
                let count = rng.nextInt(below: 300)
                return (count, count == 0 ? 0 : rng.nextInt(below: count + 1), Double(rng.next() >> 11) / Double(1 << 53))
            }
            let bins = bands.map {
                ProbabilityBin(lower: 0, upper: 1, weight: Double($0.count), meanPredicted: $0.meanPD,
                               observedRate: Double($0.bads) / Double($0.count), positives: Double($0.bads))
            }
            let result = hosmerLemeshow(bins: bins)
            XCTAssertEqual(result.statistic.bitPattern, creditHosmerLemeshowStatistic(bands).bitPattern)
            XCTAssertEqual(result.degreesOfFreedom, max(bands.count - 2, 1))
        }
    }

    /// Well-calibrated data: a small ECE and an unremarkable Hosmer–Lemeshow p-value; a
    /// miscalibrated copy (probabilities squared) is caught.
    func testCalibratedAgainstMiscalibrated() {
        var rng = SeededGenerator(seed: 52)
        let p = (0..<4000).map { _ in Double(rng.next() >> 11) / Double(1 << 53) }
        let y = p.map { Double(rng.next() >> 11) / Double(1 << 53) < $0 ? 1.0 : 0.0 }
        XCTAssertLessThan(expectedCalibrationError(labels: y, probabilities: p)!, 0.04)
        XCTAssertGreaterThan(hosmerLemeshow(labels: y, probabilities: p)!.pValue, 0.001)
        let squared = p.map { $0 * $0 }
        XCTAssertGreaterThan(expectedCalibrationError(labels: y, probabilities: squared)!, 0.1)
        XCTAssertLessThan(hosmerLemeshow(labels: y, probabilities: squared)!.pValue, 1e-6)
    }
}
