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
        #if arch(x86_64)
        XCTAssertTrue(CRC32.foldAvailable, "the x86-64 machines Lepton runs on have PCLMULQDQ; the kernel must be tested")
        #endif
        // The carry-less-multiply kernel against the table at every length and alignment.
        bytes.withUnsafeBytes { raw in
            for start in 0..<20 {
                for count in [0, 1, 15, 16, 63, 64, 65, 79, 80, 127, 128, 129, 1_000, 4_096, 9_000] where start + count <= raw.count {
                    let piece = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])
                    for seed: UInt32 in [0, 0xDEAD_BEEF] {
                        XCTAssertEqual(CRC32.checksum(piece, continuing: seed), CRC32.checksumBySlicing(piece, continuing: seed),
                                       "start \(start), count \(count)")
                    }
                }
            }
        }
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
