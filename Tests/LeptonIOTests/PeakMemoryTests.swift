#if canImport(Glibc)
import Glibc
#endif
import LeptonIO
import LeptonTestSupport
import XCTest

final class PeakMemoryTests: XCTestCase {
    /// After a reset the peak starts again from the current resident set: 64 MB touched and
    /// released before the reset does not count, 64 MB touched after it does. The memory is
    /// mapped and unmapped directly, so no allocator keeps it resident in between.
    func testTheHighWaterMarkCanBeReset() throws {
        #if os(Linux)
        try XCTSkipIf(Sanitizers.active, "a sanitizer's runtime changes what stays resident")
        XCTAssertNotNil(PeakMemory.residentMegabytesSinceReset, "VmHWM is read from /proc/self/status")
        let peakWhileTouched = try withTouchedMemory(megabytes: 64) { try XCTUnwrap(PeakMemory.residentMegabytesSinceReset) }
        guard PeakMemory.resetPeak() else {
            throw XCTSkip("this kernel or sandbox keeps the high-water mark after /proc/self/clear_refs (gVisor does); resetPeak reports false")
        }
        let afterReset = try XCTUnwrap(PeakMemory.residentMegabytesSinceReset)
        // (getrusage's maximum is reset too on Linux, so the peak before is the one read then.)
        XCTAssertLessThan(afterReset, peakWhileTouched - 30, "the 64 MB touched before the reset no longer counts")
        let whileTouched = try withTouchedMemory(megabytes: 64) { try XCTUnwrap(PeakMemory.residentMegabytesSinceReset) }
        XCTAssertGreaterThan(whileTouched, afterReset + 30, "64 MB touched after the reset counts")
        #endif
    }

    #if os(Linux)
    /// Maps `megabytes` of anonymous memory, writes to every page, calls `body` while it is
    /// resident, then unmaps it (the pages leave the resident set at once).
    private func withTouchedMemory<R>(megabytes: Int, _ body: () throws -> R) throws -> R {
        let size = megabytes << 20
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let base = mapped, base != UnsafeMutableRawPointer(bitPattern: -1) else { throw XCTSkip("mmap of \(megabytes) MB failed") }
        defer { munmap(base, size) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        for offset in stride(from: 0, to: size, by: 4096) { bytes[offset] = 1 }
        return try body()
    }
    #endif
}
