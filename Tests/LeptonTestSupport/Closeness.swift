import LeptonCore
import XCTest

/// Same shape, and no element further than `accuracy` from its counterpart (the largest
/// difference is what a failure reports). A NaN on one side only is an infinite difference (NaN
/// on both sides agrees): `max` would otherwise skip it and let a NaN through.
public func assertTensorsClose(_ a: Tensor, _ b: Tensor, _ message: String, accuracy: Float = 2e-4,
                               file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
    assertArraysClose(a.scalars, b.scalars, message, accuracy: accuracy, file: file, line: line)
}

/// Same length, and no element further than `accuracy` from its counterpart (absolute), with
/// NaN handled as in ``assertTensorsClose(_:_:_:accuracy:file:line:)``.
public func assertArraysClose<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], _ message: String = "", accuracy: T,
                                                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(message): lengths differ", file: file, line: line)
    var worst: T = 0, at = -1
    for i in 0..<min(a.count, b.count) {
        let (x, y) = (a[i], b[i])
        if x.isNaN || y.isNaN {
            if !(x.isNaN && y.isNaN) { worst = .infinity; at = i }
            continue
        }
        if abs(x - y) > worst { worst = abs(x - y); at = i }
    }
    XCTAssertLessThanOrEqual(worst, accuracy, "\(message): largest difference at index \(at)", file: file, line: line)
}
