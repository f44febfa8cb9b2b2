@testable import LeptonCore
import XCTest

/// Streaming (slicing-by-8) and combined CRC-32 must equal the one-shot checksum.
final class CRC32StreamingTests: XCTestCase {
    func testStreamingAndCombineEqualTheOneShotChecksum() {
        var state: UInt64 = 12345
        let bytes = (0..<10_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0, continuing: 0) }, 0xCBF4_3926)
        let whole = CRC32.checksum(bytes)
        bytes.withUnsafeBytes { raw in
            XCTAssertEqual(CRC32.checksum(raw, continuing: 0), whole)
            for cut in [0, 1, 7, 8, 9, 1_000, 4_097, 9_999, 10_000] {
                let a = UnsafeRawBufferPointer(rebasing: raw[0..<cut]), b = UnsafeRawBufferPointer(rebasing: raw[cut...])
                let first = CRC32.checksum(a, continuing: 0)
                XCTAssertEqual(CRC32.checksum(b, continuing: first), whole, "streamed at \(cut)")
                XCTAssertEqual(CRC32.combine(first, CRC32.checksum(b, continuing: 0), lengthB: b.count), whole, "combined at \(cut)")
            }
        }
    }
}
