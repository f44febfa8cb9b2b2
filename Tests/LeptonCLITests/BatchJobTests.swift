import ArgumentParser
import Foundation
@testable import LeptonCLI
import LeptonIO
import LeptonTestSupport
import XCTest

/// Fails the job when asked to: to check that nothing appears under the final names.
struct Boom: Error {}

final class BatchJobTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("batch") }
    override func tearDown() { dir.remove() }

    /// Scores `amount * rate`; rejects negative amounts in `process`, bad numbers in `parse`.
    func runScoring(input: String, output: String, shard: Shard? = nil, batchSize: Int = 64, rejects: String? = nil,
                    maxRejectRate: Double = 0.01) throws -> BatchSummary {
        let reader = try CSVReader(path: input)
        let id = try reader.context.index(of: "id"), amount = try reader.context.index(of: "amount"), rate = try reader.context.index(of: "rate")
        return try BatchJob.run(
            input: reader, outputColumns: ["id", "score"],
            configuration: BatchConfiguration(outputPath: output, rejectsPath: rejects, shard: shard, maxRejectRate: maxRejectRate,
                                              batchSize: batchSize),
            parse: { row -> (id: String, amount: Double, rate: Double) in
                guard let a = try row.double(at: amount) else { throw row.error(column: amount, reason: "amount is missing. Hint: fill it in") }
                return (try row.string(at: id), a, try row.double(at: rate) ?? 0)
            },
            process: { records in
                records.map { r in r.amount < 0 ? .reject("negative amount \(r.amount)") : .output([r.id, String(r.amount * r.rate)]) }
            })
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
    }

    func testEveryRecordEndsUpInExactlyOneOutputWithItsReason() throws {
        let input = try dir.write("in.csv", """
            id,amount,rate
            a,10,0.5
            b,abc,0.1
            c,1,2,3
            d,-5,0.1
            e,,0.2
            "f, quoted",4,0.25
            g
            h,2,0.5

            """)
        let output = dir.file("out.csv")
        let summary = try runScoring(input: input, output: output, maxRejectRate: 0.7)
        XCTAssertEqual(summary.read, 8)
        XCTAssertEqual(summary.written, 3)
        XCTAssertEqual(summary.rejected, 5)
        XCTAssertEqual(summary.read, summary.written + summary.rejected)
        XCTAssertEqual(try lines(output), ["id,score", "a,5.0", "\"f, quoted\",1.0", "h,1.0"])
        XCTAssertEqual(summary.rejectsPath, output + ".rejects.csv")
        let rejects = try CSVReader(path: summary.rejectsPath)
        XCTAssertEqual(rejects.columns, ["id", "amount", "rate", "row", "reason"])
        var rows: [[String]] = []
        try rejects.forEachRow { rows.append($0.rawFields) }
        XCTAssertEqual(rows.map { $0[3] }, ["3", "4", "5", "6", "8"], "row numbers count the header as row 1")
        XCTAssertEqual(rows[0][0...2], ["b", "abc", "0.1"])
        XCTAssertTrue(rows[0][4].hasPrefix("column 'amount': 'abc' is not a number. Hint:"), rows[0][4])
        XCTAssertEqual(rows[1][0...2], ["c", "1", "2,3"], "surplus fields are kept, joined into the last column")
        XCTAssertEqual(rows[1][4], "malformed record: expected 3 fields, found 4")
        XCTAssertEqual(rows[2][4], "negative amount -5.0")
        XCTAssertEqual(rows[3][4], "column 'amount': amount is missing. Hint: fill it in")
        XCTAssertEqual(rows[4][0...2], ["g", "", ""], "missing fields are padded")
        XCTAssertFalse(summary.exceedsMaxRejectRate, "5 of 8 is within a limit of 70%")
    }

    func testTheUnionOfAllShardsEqualsTheUnshardedOutput() throws {
        var text = "id,amount,rate,note\n"
        for i in 0..<3000 {
            let amount = i % 97 == 0 ? "oops" : (i % 89 == 0 ? "-\(i)" : String(i % 500))
            let note = i % 13 == 0 ? "\"multi\nline, quoted \"\"note\"\"\"" : "n\(i)"
            text += i % 211 == 0 ? "\(i),\(amount)\n" : "\(i),\(amount),0.\(i % 10),\(note)\n"
        }
        let input = try dir.write("big.csv", text)
        let whole = try runScoring(input: input, output: dir.file("whole.csv"), maxRejectRate: 1)
        XCTAssertEqual(whole.read, 3000)
        XCTAssertGreaterThan(whole.rejected, 40)
        let wholeOut = try lines(dir.file("whole.csv")), wholeRejects = try lines(whole.rejectsPath)
        for n in [1, 2, 3, 7] {
            var outs: [String] = [], rejects: [String] = []
            var read = 0, written = 0, rejected = 0
            for k in 1...n {
                let out = dir.file("shard-\(k)-of-\(n).csv")
                let s = try runScoring(input: input, output: out, shard: try Shard(index: k, count: n), batchSize: 17, maxRejectRate: 1)
                let o = try lines(out), r = try lines(s.rejectsPath)
                XCTAssertEqual(o.first, wholeOut.first)
                XCTAssertEqual(r.first, wholeRejects.first)
                outs += o.dropFirst()
                rejects += r.dropFirst()
                read += s.read
                written += s.written
                rejected += s.rejected
            }
            XCTAssertEqual(outs, Array(wholeOut.dropFirst()), "outputs of \(n) shards")
            XCTAssertEqual(rejects, Array(wholeRejects.dropFirst()), "rejects of \(n) shards (row numbers included)")
            XCTAssertEqual([read, written, rejected], [whole.read, whole.written, whole.rejected])
        }
    }

    /// The streaming line path writes byte for byte what the record path writes — outputs,
    /// rejects with their row numbers and reasons, counts — whole and in shards.
    func testLinePathWritesWhatTheRecordPathWrites() throws {
        var text = "id,amount,rate,note\n"
        for i in 0..<2500 {
            let amount = i % 97 == 0 ? "oops" : (i % 89 == 0 ? "-\(i)" : String(i % 500))
            let note = i % 13 == 0 ? "\"multi\nline, quoted \"\"note\"\"\"" : "n\(i)"
            let id = i % 7 == 0 ? "\"id \(i), quoted\"" : String(i)
            text += i % 211 == 0 ? "\(id),\(amount)\n" : "\(id),\(amount),0.\(i % 10),\(note)\n"
        }
        let input = try dir.write("lines.csv", text)
        func check(_ row: CSVRow) throws -> (id: String, amount: Double, rate: Double) {
            let amount = try row.double(at: 1) ?? 0
            if amount < 0 { throw row.error(column: 1, reason: "negative amount. Hint: refunds go elsewhere") }
            return (try row.string(at: 0), amount, try row.double(at: 2) ?? 0)
        }
        for shard in [nil, try Shard(index: 2, count: 3)] {
            let byRecord = dir.file("record.csv"), byLine = dir.file("line.csv")
            let reader = try CSVReader(path: input)
            let a = try BatchJob.run(input: reader, outputColumns: ["id", "score", "rate"],
                                     configuration: BatchConfiguration(outputPath: byRecord, shard: shard, maxRejectRate: 1)) { row in
                let r = try check(row)
                return .output([r.id, String(Int(r.amount * 3)), String(Int(r.rate * 10))])
            }
            let b = try BatchJob.run(input: reader, outputColumns: ["id", "score", "rate"],
                                     configuration: BatchConfiguration(outputPath: byLine, shard: shard, maxRejectRate: 1)) { row, line in
                let r = try check(row)
                line.appendField(row.bytes(at: 0))
                line.appendField(Int(r.amount * 3))
                line.appendField(Int(r.rate * 10))
            }
            XCTAssertEqual([a.read, a.written, a.rejected], [b.read, b.written, b.rejected])
            XCTAssertGreaterThan(a.rejected, 5)
            XCTAssertEqual(try lines(byLine), try lines(byRecord), "outputs, shard \(String(describing: shard))")
            XCTAssertEqual(try lines(b.rejectsPath), try lines(a.rejectsPath), "rejects, shard \(String(describing: shard))")
        }
    }

    func testNothingAppearsUnderTheFinalNamesWhenTheJobFails() throws {
        let input = try dir.write("in.csv", "id,amount,rate\n" + (0..<500).map { "\($0),\($0),1\n" }.joined())
        let output = dir.file("out.csv")
        let reader = try CSVReader(path: input)
        var batches = 0
        XCTAssertThrowsError(try BatchJob.run(input: reader, outputColumns: ["id"],
                                              configuration: BatchConfiguration(outputPath: output, batchSize: 100),
                                              parse: { try $0.string(at: 0) },
                                              process: { records in
                                                  batches += 1
                                                  if batches == 3 { throw Boom() }
                                                  return records.map { .output([$0]) }
                                              })) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["in.csv"],
                       "no output, no rejects, no temporary files")
    }

    func testRejectRateAboveTheLimitGivesExitCodeThreeAfterWritingEverything() throws {
        let input = try dir.write("in.csv", "id,amount,rate\na,1,1\nb,x,1\nc,2,1\nd,3,1\n")
        let output = dir.file("out.csv")
        let summary = try runScoring(input: input, output: output, rejects: dir.file("bad.csv"), maxRejectRate: 0.2)
        XCTAssertEqual(summary.rejectRate, 0.25)
        XCTAssertTrue(summary.exceedsMaxRejectRate)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("bad.csv")))
        let captured = Captured()
        let console = Console(quiet: false, json: true, standardError: captured.appendError, standardOutput: captured.appendOutput)
        XCTAssertThrowsError(try summary.report(to: console, extra: [("model", "m.lepton")])) { error in
            XCTAssertEqual((error as? ExitCode)?.rawValue, 3)
        }
        XCTAssertEqual(captured.output, #"{"read":4,"written":3,"rejected":1,"reject_rate":0.25,"max_reject_rate":0.2,"output":"\#(output)","rejects":"\#(dir.file("bad.csv"))","shard":null,"parts":1,"reread_in_one_piece":false,"model":"m.lepton","status":"reject_rate_exceeded"}"# + "\n")
        XCTAssertTrue(captured.error.contains("exit code 3"))
        XCTAssertTrue(captured.error.contains("Hint:"))
        // Within the limit: no exit code, a human line on standard output.
        let ok = BatchSummary(read: 100, written: 99, rejected: 1, outputPath: "o.csv", rejectsPath: "o.csv.rejects.csv", shard: try Shard(index: 2, count: 4), maxRejectRate: 0.01)
        let human = Captured()
        try ok.report(to: Console(quiet: false, json: false, standardError: human.appendError, standardOutput: human.appendOutput))
        XCTAssertEqual(human.output, "read 100 records (shard 2/4): wrote 99 to o.csv, rejected 1 (1.00%) to o.csv.rejects.csv\n")
        XCTAssertEqual(human.error, "")
    }

    func testBatchSizeDoesNotChangeTheOutput() throws {
        let input = try dir.write("in.csv", "id,amount,rate\n" + (0..<300).map { "\($0),\($0 % 7 == 0 ? "-1" : String($0)),2\n" }.joined())
        _ = try runScoring(input: input, output: dir.file("a.csv"), batchSize: 1, maxRejectRate: 1)
        _ = try runScoring(input: input, output: dir.file("b.csv"), batchSize: 1000, maxRejectRate: 1)
        XCTAssertEqual(try lines(dir.file("a.csv")), try lines(dir.file("b.csv")))
        XCTAssertEqual(try lines(dir.file("a.csv.rejects.csv")), try lines(dir.file("b.csv.rejects.csv")))
    }

    func testRejectColumnsDoNotClashWithTheInputs() {
        XCTAssertEqual(BatchJob.rejectColumnNames(["row", "reason", "_row"]), ["__row", "_reason"])
        XCTAssertEqual(BatchJob.shaped(["a", "b", "c", "d"], columns: 2, delimiter: ";"), ["a", "b;c;d"])
    }
}

/// Collects what a console writes.
final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var out = "", err = ""
    var output: String { lock.withLock { out } }
    var error: String { lock.withLock { err } }
    var appendOutput: @Sendable (String) -> Void { { [self] text in lock.withLock { out += text } } }
    var appendError: @Sendable (String) -> Void { { [self] text in lock.withLock { err += text } } }
}
