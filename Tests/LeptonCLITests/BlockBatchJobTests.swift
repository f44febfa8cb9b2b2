import Foundation
import LeptonCore
@testable import LeptonCLI
import LeptonIO
import LeptonTestSupport
import XCTest

/// ``DoublingWorker`` a block at a time: stages the row number and amount, writes the lines at
/// the flush. A block of `capacity` records; `rejectAtFlush` breaks the contract on purpose.
final class BlockDoublingWorker: BlockBatchWorker {
    let amount: Int
    let blockCapacity: Int
    let rejectAtFlush: Bool
    var staged: [(number: Int, value: Double)] = []
    var large = 0
    /// Flushes by every worker of a run: to show the job took the block path.
    let flushes: Protected<Int>

    init(amount: Int, capacity: Int, rejectAtFlush: Bool = false, flushes: Protected<Int> = Protected(0)) {
        self.amount = amount
        blockCapacity = capacity
        self.rejectAtFlush = rejectAtFlush
        self.flushes = flushes
    }

    func encode(_ row: CSVRow, into line: inout CSVLine) throws {
        var one = DoublingWorker(amount: amount)
        try one.encode(row, into: &line)
        large += one.large
    }

    func stage(_ row: CSVRow) throws {
        XCTAssertLessThan(staged.count, blockCapacity, "never more than a block staged")
        guard let value = try row.double(at: amount) else { throw row.error(column: amount, reason: "amount is missing") }
        if value > 50 { large += 1 }
        staged.append((row.number, value))
    }

    func flush(into line: inout CSVLine, _ write: (CSVLine) throws -> Void) throws {
        flushes.withLock { $0 += 1 }
        if rejectAtFlush { throw CSVRowError(path: "few.csv", row: 1, column: "amount", reason: "too late") }
        for record in staged {
            line.clear()
            line.appendField(String(record.number))
            line.appendField(String(record.value * 2))
            try write(line)
        }
        staged.removeAll()
    }

    var tallies: [BatchTally] { [BatchTally("large", large)] }
}

/// The block path of LeptonCLI's batch job writes what the record-at-a-time path writes, for
/// any block size, thread count and shard; a worker that rejects at the flush stops the job.
final class BlockBatchJobTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("block-batch") }
    override func tearDown() { dir.remove() }

    func run<W: BatchWorker>(_ path: String, threads: Int, shard: Shard? = nil, name: String,
                             worker: @escaping @Sendable (Int) -> W) throws -> (BatchSummary, String, String) {
        let reader = try CSVReader(path: path)
        let amount = try reader.context.index(of: "amount")
        var configuration = BatchConfiguration(outputPath: dir.file("\(name).csv"), shard: shard, maxRejectRate: 1)
        configuration.minimumPartBytes = 1
        let summary = try BatchJob.run(input: reader, outputColumns: ["row", "doubled"], configuration: configuration, threads: threads,
                                       firstFieldIsRowNumber: true) { worker(amount) }
        return (summary, try String(contentsOfFile: summary.outputPath, encoding: .utf8),
                try String(contentsOfFile: summary.rejectsPath, encoding: .utf8))
    }

    func testAnyBlockSizeWritesTheRecordPathsFiles() throws {
        var rng = SeededGenerator(seed: 9)
        var text = "id,amount,note\n"
        for i in 0..<2_000 {
            switch rng.next() % 30 {
            case 0: text += "\(i),abc,bad\n"
            case 1: text += "\(i),1\n"
            case 2: text += "\(i),\(rng.next() % 100),\"two\nlines\"\n"
            default: text += "\(i),\(rng.next() % 100),plain\n"
            }
        }
        let path = try dir.write("in.csv", text)
        let (one, out, rej) = try run(path, threads: 1, name: "record") { DoublingWorker(amount: $0) }
        XCTAssertGreaterThan(one.rejected, 20)
        for capacity in [1, 7, 64, 5_000] {
            for (threads, shard) in [(1, nil), (3, nil), (2, try Shard(index: 2, count: 2))] as [(Int, Shard?)] {
                let name = "block-\(capacity)-\(threads)-\(shard?.index ?? 0)"
                let flushes = Protected(0)
                let (block, blockOut, blockRej) = try run(path, threads: threads, shard: shard, name: name) {
                    BlockDoublingWorker(amount: $0, capacity: capacity, flushes: flushes)
                }
                // At least one flush a part; a block per `capacity` staged records at the least.
                XCTAssertGreaterThanOrEqual(flushes.withLock { $0 }, max(block.parts, block.written / capacity), name)
                if shard == nil {
                    XCTAssertEqual(blockOut, out, name)
                    XCTAssertEqual(blockRej, rej, name)
                    XCTAssertEqual([block.read, block.written, block.rejected], [one.read, one.written, one.rejected], name)
                    XCTAssertEqual(block.tallies, one.tallies, name)
                } else {
                    let (part, partOut, partRej) = try run(path, threads: threads, shard: shard, name: name + "-record") {
                        DoublingWorker(amount: $0)
                    }
                    XCTAssertEqual(blockOut, partOut, name)
                    XCTAssertEqual(blockRej, partRej, name)
                    XCTAssertEqual([block.read, block.written, block.rejected], [part.read, part.written, part.rejected], name)
                }
            }
        }
    }

    /// A file with a header and no record, and one whose every record is rejected: nothing
    /// staged, no flush with an empty block, the record path's files.
    func testEmptyAndAllRejectedInputsWriteTheRecordPathsFiles() throws {
        for (name, text) in [("empty", "id,amount,note\n"), ("all-rejected", "id,amount,note\n1,abc,x\n2,,y\n")] {
            let path = try dir.write("\(name).csv", text)
            let (one, out, rej) = try run(path, threads: 1, name: "\(name)-record") { DoublingWorker(amount: $0) }
            let flushes = Protected(0)
            let (block, blockOut, blockRej) = try run(path, threads: 2, name: "\(name)-block") {
                BlockDoublingWorker(amount: $0, capacity: 4, flushes: flushes)
            }
            XCTAssertEqual(blockOut, out, name)
            XCTAssertEqual(blockRej, rej, name)
            XCTAssertEqual([block.read, block.written, block.rejected], [one.read, one.written, one.rejected], name)
            XCTAssertEqual(block.written, 0, name)
            XCTAssertEqual(flushes.withLock { $0 }, 0, "\(name): no empty block is flushed")
        }
    }

    func testARejectAtTheFlushStopsTheJobAndWritesNothing() throws {
        let path = try dir.write("few.csv", "id,amount,note\n1,10,a\n2,20,b\n")
        XCTAssertThrowsError(try run(path, threads: 1, name: "late") { BlockDoublingWorker(amount: $0, capacity: 4, rejectAtFlush: true) }) {
            XCTAssertTrue("\($0)".contains("after staging it"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("late.csv")), "no output under the final name")
    }
}
