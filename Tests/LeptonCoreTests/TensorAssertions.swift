@testable import LeptonCore
import XCTest

/// Same shape, and no element further than `accuracy` from its counterpart (the largest
/// difference is what a failure reports). A NaN on one side only is an infinite difference (NaN
/// on both sides agrees): `max` would otherwise skip it and let a NaN through.
func assertTensorsClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
    var worst: Float = 0
    for i in 0..<min(a.count, b.count) {
        let (x, y) = (a[flat: i], b[flat: i])
        if x.isNaN || y.isNaN {
            if !(x.isNaN && y.isNaN) { worst = .infinity }
            continue
        }
        worst = max(worst, abs(x - y))
    }
    XCTAssertLessThanOrEqual(worst, accuracy, message, file: file, line: line)
}
