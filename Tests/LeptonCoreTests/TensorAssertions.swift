@testable import LeptonCore
import XCTest

/// Same shape, and no element further than `accuracy` from its counterpart (the largest
/// difference is what a failure reports).
func assertTensorsClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
    var worst: Float = 0
    for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[flat: i] - b[flat: i])) }
    XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
}
