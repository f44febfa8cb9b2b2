import Foundation
@testable import LeptonCLI
import LeptonIO
import LeptonTestSupport
import Synchronization
import XCTest

/// Following a growing log: partial lines wait, truncation and rotation are followed, a stop
/// request ends the run with its outputs complete. The checks are on behaviour, not time.
final class FollowTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("follow") }
    override func tearDown() { dir.remove() }

    func append(_ path: String, _ text: String) throws {
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// Waits (up to 20 s) until `condition` holds.
    func eventually(_ what: String, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(20)
        while !condition() && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(condition(), what)
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func testFollowsAppendsPartialLinesTruncationAndRotation() throws {
        let log = dir.file("log.csv"), out = dir.file("alerts.csv")
        try "id,amount,note\n1,10,a\n".write(toFile: log, atomically: false, encoding: .utf8)
        let stop = Atomic<Bool>(false)
        let result = Mutex<Result<BatchSummary, any Error>?>(nil)
        let thread = Thread { [log, out] in
            var settings = FollowSettings()
            settings.pollSeconds = 0.01
            let r = Result {
                try BatchJob.follow(path: log, outputColumns: { _ in ["row", "doubled"] }, output: out, settings: settings,
                                    shouldStop: { stop.load(ordering: .relaxed) }) { header in
                    DoublingWorker(amount: header.firstIndex(of: "amount")!)
                }
            }
            result.withLock { $0 = r }
        }
        thread.start()
        eventually("the first line is scored") { lines(out).count == 2 }
        try append(log, "2,abc,text in amount\n3,")  // a reject, then a partial line
        eventually("the reject is written") { lines(dir.file("alerts.csv.rejects.csv")).count == 2 }
        XCTAssertEqual(lines(out).count, 2, "the partial line waits")
        try append(log, "30,\"quoted\nline\"\n")
        eventually("the completed line is scored") { lines(out).count == 3 }
        XCTAssertEqual(lines(out).last, "4,60.0")
        // Truncation: the log starts again.
        try "id,amount,note\n5,1,b\n".write(toFile: log, atomically: false, encoding: .utf8)
        eventually("the truncated log is followed from its start") { lines(out).count == 4 }
        // Rotation: the log moves away and a new one takes its name.
        try FileManager.default.moveItem(atPath: log, toPath: dir.file("log.1.csv"))
        try "id,amount,note\n6,7,c\n7,8,d\n".write(toFile: log, atomically: false, encoding: .utf8)
        eventually("the rotated log is followed") { lines(out).count == 6 }
        stop.store(true, ordering: .relaxed)
        eventually("the run ends") { result.withLock { $0 != nil } }
        let summary = try XCTUnwrap(result.withLock { $0 }).get()
        XCTAssertEqual([summary.read, summary.written, summary.rejected], [6, 5, 1])
        XCTAssertEqual(summary.tallies.first { $0.name == "truncations" }?.count, 1)
        XCTAssertEqual(summary.tallies.first { $0.name == "rotations" }?.count, 1)
        XCTAssertEqual(lines(out), ["row,doubled", "2,20.0", "4,60.0", "2,2.0", "2,14.0", "3,16.0"])
    }

    /// A stray quote (an unquoted `1"2`) opens a field that never closes: once the pending bytes pass
    /// the limit, the record is cut at its line end and rejected, and later lines are scored again.
    func testAStrayQuoteCannotStallTheLog() throws {
        let log = dir.file("stray.csv"), out = dir.file("stray-alerts.csv")
        var text = "id,amount,note\n1,2,a\n7,1\"2,x\n"
        for i in 0..<20 { text += "\(10 + i),3,b\n" }
        try text.write(toFile: log, atomically: false, encoding: .utf8)
        var settings = FollowSettings()
        (settings.pollSeconds, settings.idleSeconds, settings.maxPendingBytes, settings.maxRejectRate) = (0.01, 0.5, 64, 1)
        let summary = try BatchJob.follow(path: log, outputColumns: { _ in ["row", "doubled"] }, output: out, settings: settings, shouldStop: { false }) { header in
            DoublingWorker(amount: header.firstIndex(of: "amount")!)
        }
        XCTAssertEqual(summary.read, summary.written + summary.rejected)
        XCTAssertGreaterThanOrEqual(summary.rejected, 1)
        XCTAssertGreaterThan(summary.written, 10, "the lines after the bad one are scored")
    }

    func testIdleTimeEndsTheRunAndAMissingLogIsWaitedFor() throws {
        let log = dir.file("late.csv"), out = dir.file("late-alerts.csv")
        var settings = FollowSettings()
        (settings.pollSeconds, settings.idleSeconds) = (0.01, 0.3)
        let summary = try BatchJob.follow(path: log, outputColumns: { _ in ["row", "doubled"] }, output: out, settings: settings, shouldStop: { false }) { header in
            DoublingWorker(amount: header.firstIndex(of: "amount")!)
        }
        XCTAssertEqual(summary.read, 0)
        XCTAssertEqual(lines(out), ["row,doubled"])
    }
}
