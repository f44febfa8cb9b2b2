import Foundation
@testable import LineQuality
import XCTest

final class TimeSeriesOrderTests: XCTestCase {
    func testTimestampsInEveryAcceptedForm() {
        XCTAssertEqual(TimeSeriesOrder.parse("2026-01-01T00:00:00Z"), 1_767_225_600)
        XCTAssertEqual(TimeSeriesOrder.parse("2026-01-01 00:00:00"), 1_767_225_600)
        XCTAssertEqual(TimeSeriesOrder.parse("2026-01-01T01:00:00+01:00"), 1_767_225_600)
        XCTAssertEqual(TimeSeriesOrder.parse("2026-01-01T00:00:00.500Z")!, 1_767_225_600.5, accuracy: 1e-6)
        XCTAssertEqual(TimeSeriesOrder.parse("1767225600"), 1_767_225_600)
        XCTAssertEqual(TimeSeriesOrder.parse("1767225600000"), 1_767_225_600)  // milliseconds
        XCTAssertNil(TimeSeriesOrder.parse("yesterday"))
        XCTAssertNil(TimeSeriesOrder.parse(""))
    }

    /// Out of order rows are sorted, duplicates dropped (the first kept), gaps counted, bad timestamps left out — per machine.
    func testTheRuleIsAppliedAndCounted() {
        let stamps = ["60", "0", "120", "120", "600", "660", "bad", "0", "60"]
        let machines = ["A", "A", "A", "A", "A", "A", "A", "B", "B"]
        let order = TimeSeriesOrder(timestamps: stamps, machines: machines)
        XCTAssertEqual(order.rows, [1, 0, 2, 4, 5, 7, 8])
        XCTAssertEqual(order.outOfOrder, 1)
        XCTAssertEqual(order.duplicates, 1)
        XCTAssertEqual(order.gaps, 1)
        XCTAssertEqual(order.unparseable, 1)
    }

    /// Alarms before an episode give a positive lead time, during it a negative one; an episode without an alarm is missed.
    func testDetectionLeadTime() {
        let stamps = (0..<12).map { String($0 * 60) }
        let order = TimeSeriesOrder(timestamps: stamps, machines: nil)
        let labels: [Double] = [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]
        var alarms = [Bool](repeating: false, count: 12)
        alarms[1] = true  // two minutes before the first episode
        var lead = DetectionLeadTime(order: order, labels: labels, alarms: alarms, horizon: 3_600)
        XCTAssertEqual(lead.episodes, 2)
        XCTAssertEqual(lead.detected, 1)
        XCTAssertEqual(lead.leads, [120])
        alarms[9] = true  // the second episode, detected as it begins
        lead = DetectionLeadTime(order: order, labels: labels, alarms: alarms, horizon: 3_600)
        XCTAssertEqual(lead.leads, [120, 0])
        // A shorter horizon misses the early alarm.
        XCTAssertEqual(DetectionLeadTime(order: order, labels: labels, alarms: alarms, horizon: 60).detected, 1)
    }
}
