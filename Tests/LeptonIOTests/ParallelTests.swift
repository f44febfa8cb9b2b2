import LeptonIO
import Synchronization
import XCTest

final class ParallelTests: XCTestCase {
    func testRunCallsEveryTaskOnceAndWaitsForAll() {
        for count in [0, 1, 2, 5] {
            let seen = Mutex([Int]())
            Parallel.run(count) { k in
                usleep(UInt32(1_000 * (count - k)))  // later tasks finish first
                seen.withLock { $0.append(k) }
            }
            XCTAssertEqual(seen.withLock { $0.sorted() }, Array(0..<count))
        }
    }

    func testBackgroundValueIsComputedOnceAndWaitedFor() {
        let calls = Mutex(0)
        let pending = Parallel.Background { () -> Int in
            usleep(20_000)
            calls.withLock { $0 += 1 }
            return 42
        }
        XCTAssertEqual(pending.value, 42)
        XCTAssertEqual(pending.value, 42)
        XCTAssertEqual(calls.withLock { $0 }, 1)
    }
}
