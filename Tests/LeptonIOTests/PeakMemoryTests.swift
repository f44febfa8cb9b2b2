import LeptonIO
import LeptonTestSupport
import XCTest

final class PeakMemoryTests: XCTestCase {
    /// After a reset the peak starts again from the current resident set: a 64 MB buffer touched
    /// and freed before the reset does not count, one touched after it does.
    func testTheHighWaterMarkCanBeReset() throws {
        #if os(Linux)
        try XCTSkipIf(Sanitizers.active, "a sanitizer's allocator keeps freed memory resident (quarantine)")
        var big = [UInt8](repeating: 1, count: 64 << 20)
        big[big.count - 1] = 2
        XCTAssertEqual(big.last, 2)
        big = []
        XCTAssertNotNil(PeakMemory.residentMegabytesSinceReset, "VmHWM is read from /proc/self/status")
        guard PeakMemory.resetPeak() else {
            throw XCTSkip("this kernel or sandbox keeps the high-water mark after /proc/self/clear_refs (gVisor does); resetPeak reports false")
        }
        let afterReset = try XCTUnwrap(PeakMemory.residentMegabytesSinceReset)
        XCTAssertLessThan(afterReset, PeakMemory.residentMegabytes)
        var again = [UInt8](repeating: 3, count: 64 << 20)
        again[1] = 4
        XCTAssertEqual(again[1], 4)
        XCTAssertGreaterThan(try XCTUnwrap(PeakMemory.residentMegabytesSinceReset), afterReset + 30)
        #endif
    }
}
