import Foundation
@testable import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonTestSupport
import XCTest

/// A toy domain worker: `amount * 2` per record (the row number first, as outputs without an ID
/// column have it), a rejection for text in `amount`, and a tally of the amounts over 50.
struct DoublingWorker: BatchWorker {
    let amount: Int
    var large = 0

    mutating func encode(_ row: CSVRow, into line: inout CSVLine) throws {
        guard let value = try row.double(at: amount) else { throw row.error(column: amount, reason: "amount is missing") }
        if value > 50 { large += 1 }
        line.appendField(String(row.number))
        line.appendField(String(value * 2))
    }

    var tallies: [BatchTally] { [BatchTally("large", large)] }
}

/// LeptonCLI's parallel batch job on its own, with a toy worker: any number of threads and any
/// shard gives one sequential run's files byte for byte, with the parts it says it ran.
final class ParallelBatchJobTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("parallel-batch") }
    override func tearDown() { dir.remove() }

    /// `rows` records, some rejected (text, ragged rows), some with a quoted line break.
    func input(rows: Int, seed: UInt64) throws -> String {
        var rng = SeededGenerator(seed: seed)
        var text = "id,amount,note\n"
        for i in 0..<rows {
            switch rng.next() % 40 {
            case 0: text += "\(i),abc,bad\n"
            case 1: text += "\(i),1\n"
            case 2: text += "\(i),\(rng.next() % 100),\"two\nlines\"\n"
            default: text += "\(i),\(rng.next() % 100),plain\n"
            }
        }
        return try dir.write("in-\(seed).csv", text)
    }

    func run(_ path: String, threads: Int, shard: Shard? = nil, name: String) throws -> (BatchSummary, String, String) {
        let reader = try CSVReader(path: path)
        let amount = try reader.context.index(of: "amount")
        var configuration = BatchConfiguration(outputPath: dir.file("\(name).csv"), shard: shard, maxRejectRate: 1)
        configuration.minimumPartBytes = 1
        let summary = try BatchJob.run(input: reader, outputColumns: ["row", "doubled"], configuration: configuration, threads: threads,
                                       firstFieldIsRowNumber: true) { DoublingWorker(amount: amount) }
        return (summary, try String(contentsOfFile: summary.outputPath, encoding: .utf8),
                try String(contentsOfFile: summary.rejectsPath, encoding: .utf8))
    }

    /// A quoted field over the default 1 MiB limit, whose lines look like records: one record
    /// refused, the rows after it kept, and nothing made up from the field's lines — sequentially,
    /// in parts and in shards.
    func testAnOverLongQuotedFieldIsOneRejectOnEveryPath() throws {
        var text = "id,amount,note\n1,10,plain\n2,20,\""
        for i in 0..<120_000 { text += "\(i),99,plain\n" }
        text += "\"\n3,30,plain\n4,40,plain\n"
        let path = try dir.write("long-field.csv", text)
        let (one, outOne, rejOne) = try run(path, threads: 1, name: "long-one")
        XCTAssertEqual([one.read, one.written, one.rejected], [4, 3, 1])
        XCTAssertEqual(outOne, "row,doubled\n2,20.0\n4,60.0\n5,80.0\n", "rows numbered by record, the header being row 1")
        XCTAssertTrue(rejOne.contains("longer than"), rejOne)
        for threads in [2, 3] {
            let (many, out, rej) = try run(path, threads: threads, name: "long-\(threads)")
            XCTAssertEqual([many.read, many.written, many.rejected], [4, 3, 1], "\(threads) threads")
            XCTAssertEqual(out, outOne)
            XCTAssertEqual(rej, rejOne)
        }
    }

    func testAnyThreadCountGivesTheSequentialFiles() throws {
        for seed: UInt64 in [1, 2, 3] {
            let path = try input(rows: 3_000, seed: seed)
            let (one, outOne, rejOne) = try run(path, threads: 1, name: "one-\(seed)")
            XCTAssertEqual(one.parts, 1)
            XCTAssertGreaterThan(one.rejected, 10, "the input has rejects to number")
            for threads in [2, 3, 5] {
                let (many, out, rej) = try run(path, threads: threads, name: "many-\(seed)-\(threads)")
                XCTAssertEqual(many.parts, threads, "one part per thread")
                XCTAssertFalse(many.rereadInOnePiece)
                XCTAssertEqual(out, outOne, "outputs, \(threads) threads")
                XCTAssertEqual(rej, rejOne, "rejects, \(threads) threads")
                XCTAssertEqual([many.read, many.written, many.rejected], [one.read, one.written, one.rejected])
                XCTAssertEqual(many.tallies, one.tallies)
            }
            // Shards on three threads each: together, the whole output.
            var union = "", rejectUnion = ""
            for k in 1...3 {
                let (part, out, rej) = try run(path, threads: 3, shard: try Shard(index: k, count: 3), name: "shard-\(seed)-\(k)")
                XCTAssertEqual(part.parts, 3)
                union += k == 1 ? out : String(out.drop { $0 != "\n" }.dropFirst())
                rejectUnion += k == 1 ? rej : String(rej.drop { $0 != "\n" }.dropFirst())
            }
            XCTAssertEqual(union, outOne, "shards' outputs together")
            XCTAssertEqual(rejectUnion, rejOne, "shards' rejects together")
        }
    }

    /// A stray quote makes libcsv read a record across the cut between two parts: the parted
    /// result is thrown away and the file read again in one piece.
    func testMalformedQuotingAcrossACutFallsBackToOnePiece() throws {
        var text = "id,amount,note\n"
        for i in 0..<500 { text += "\(i),\(i % 90),plain\n" }
        text += "stray\"quote,1,x\n\"opens a quoted field,2,x\n"
        for i in 0..<300 { text += "\(i),\(i % 90),plain\n" }
        text += "\"\n"
        for i in 0..<500 { text += "\(i),\(i % 90),plain\n" }
        let path = try dir.write("malformed.csv", text)
        let (one, outOne, rejOne) = try run(path, threads: 1, name: "one")
        let (two, out, rej) = try run(path, threads: 2, name: "two")
        XCTAssertTrue(two.rereadInOnePiece, "the cut fell inside a record")
        XCTAssertEqual(two.parts, 1)
        XCTAssertEqual(out, outOne)
        XCTAssertEqual(rej, rejOne)
        XCTAssertEqual(two.read, one.read)
    }

    /// Row numbers are shifted at the start of records only: a quoted field's continuation line
    /// that starts with digits is left alone, whatever the size of the pieces the part is read in.
    func testRowNumberShiftLeavesContinuationLinesAloneAcrossReadPieces() throws {
        let part = try dir.write("part.csv", "row,text\n1,\"a\n22 b\"\n2,plain\n3,\"x\n\"\n")
        for chunk in [1, 2, 3, 7, 64, 1 << 22] {
            let target = dir.file("joined-\(chunk).csv")
            let file = try AtomicFile(path: target)
            try PartFiles.appendShiftingRowNumbers(part, by: 100, skippingHeader: false, to: file, chunkBytes: chunk)
            try file.commit()
            XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "row,text\n101,\"a\n22 b\"\n102,plain\n103,\"x\n\"\n",
                           "pieces of \(chunk) bytes")
        }
    }

    /// The parts' progress adds up into the job's.
    func testPartProgressAddsUp() {
        let lines = Captured()
        let progress = Progress("scoring", unit: "rows", mode: .log(every: 0), sink: lines.appendError, clock: { 10 })
        let parts = progress.parts(weights: [1, 3])
        parts[0].update(items: 5, fraction: 1)
        parts[1].update(items: 7, fraction: 0.5)
        parts[1].finish()  // a part's finish does not finish the job
        XCTAssertTrue(progress.statusLine.contains("12 rows"), progress.statusLine)
        XCTAssertTrue(progress.statusLine.contains("(63%)"), progress.statusLine)  // 1/4 + 3/4 · 1/2
    }
}
