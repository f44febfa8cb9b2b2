import Foundation
@testable import LineQuality
import XCTest

final class MaintenancePolicyTests: XCTestCase {
    /// A tool that rarely fails until 100 minutes and then often: value iteration replaces there,
    /// its cost is the least over every fixed threshold, and Q-learning's policy costs the same within 2 %.
    func testValueIterationFindsTheCheapestThresholdAndQLearningAgrees() {
        let hazard = (0..<20).map { $0 < 10 ? 0.002 : 0.3 }
        let policy = MaintenancePolicy(hazard: hazard, step: 10, wearPerPart: 5, costs: .init(failure: 1000, replacement: 50, downtime: 0))
        let best = policy.optimal()
        XCTAssertEqual(best.threshold, 10)
        let costs = (1..<20).map { policy.averageCost(replacingAt: $0) }
        XCTAssertEqual(best.gain, costs.min()!, accuracy: 1e-6 * best.gain)
        XCTAssertLessThan(best.gain, policy.averageCost(replacingAt: nil), "replacing beats running to failure here")
        let learnt = policy.qLearning(parts: 4_000_000, seed: 1)
        XCTAssertLessThanOrEqual(policy.averageCost(replacingAt: learnt), best.gain * 1.02, "learnt threshold \(String(describing: learnt))")
    }

    /// A tool whose risk does not grow with wear: replacing never pays.
    func testConstantRiskRunsToFailure() {
        let policy = MaintenancePolicy(hazard: Array(repeating: 0.01, count: 15), step: 10, wearPerPart: 3, costs: .init())
        XCTAssertNil(policy.optimal().threshold)
        XCTAssertEqual(policy.optimal().gain, 0.01 * 1500, accuracy: 1e-6)
    }

    /// The hazard by wear bin from outcomes, and the wear per part from the steps of the wear column.
    func testHazardFromOutcomes() throws {
        let wear: [Double] = [0, 3, 6, 9, 12, 15, 0, 3, 6, 9, 12, 15]
        let labels: [Double] = [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1]
        let fitted = try MaintenancePolicy.fromOutcomes(labels: labels, wear: wear, step: 10)
        XCTAssertEqual(fitted.hazard, [0, 0.75])
        XCTAssertEqual(fitted.wearPerPart, 3)
        XCTAssertThrowsError(try MaintenancePolicy.fromOutcomes(labels: [0, 0], wear: [.nan, .nan], step: 10))
    }
}
