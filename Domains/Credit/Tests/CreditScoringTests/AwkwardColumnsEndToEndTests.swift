import Foundation
import LeptonTestSupport
import XCTest

/// `lepton-credit train` (both kinds) on the files that trapped it: a delinquency count with a
/// bureau code, and 500-row files with one characteristic at a 20 % bad rate — a constant, only
/// −999 (declared special or not), signed zeros, one category, a category per row, mostly zeros
/// with a few large values, ±inf, ±1e308. Each run ends within seconds, either with a model (exit
/// 0) whose scoring works, or with exit 1 and a message ending in a hint; never a signal.
final class AwkwardColumnsEndToEndTests: XCTestCase {
    let credit = BuiltExecutable("lepton-credit")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-awkward") }
    override func tearDown() { dir.remove() }

    /// The report's file: late_60_89 = 0 for 950 goods / 50 bads, 1 for 20/12, 2 for 4/3, 3 for 1/1, 98 for 1/1.
    func delinquencyFile() throws -> String {
        var rows: [(Int, Int)] = []
        for (value, goods, bads) in [(0, 950, 50), (1, 20, 12), (2, 4, 3), (3, 1, 1), (98, 1, 1)] {
            rows += Array(repeating: (value, 0), count: goods) + Array(repeating: (value, 1), count: bads)
        }
        var text = "id,late_60_89,default\n"
        for (i, row) in rows.enumerated() { text += "\(i),\(row.0),\(row.1)\n" }
        return try dir.write("late.csv", text)
    }

    /// 500 rows, every fifth bad, with `value(i)` in column x.
    func oneColumnFile(_ name: String, _ value: (Int) -> String) throws -> String {
        var text = "id,x,default\n"
        for i in 0..<500 { text += "\(i),\(value(i)),\(i % 5 == 0 ? 1 : 0)\n" }
        return try dir.write(name + ".csv", text)
    }

    func testTrainingNeverTrapsOnAwkwardColumns() throws {
        var files = [try delinquencyFile()]
        files.append(try oneColumnFile("constant") { _ in "7" })
        files.append(try oneColumnFile("special") { _ in "-999" })
        files.append(try oneColumnFile("zeros") { ["0", "-0", "0.0", "-0.0"][$0 % 4] })
        files.append(try oneColumnFile("onecategory") { _ in "A" })
        files.append(try oneColumnFile("everycategory") { "c\($0)" })
        files.append(try oneColumnFile("sparse") { $0 % 50 == 0 ? "\(123 * ($0 % 7 + 1))000" : "0" })
        files.append(try oneColumnFile("infinite") { $0 % 3 == 0 ? String($0) : ["inf", "-inf", "1", "2", "3"][$0 % 5] })
        files.append(try oneColumnFile("extreme") { ["1e308", "-1e308", "1", "2"][$0 % 4] })
        let schema = try dir.write("schema.json", #"{"columns": {"x": {"type": "numeric", "special_values": ["-999"]}}}"#)
        var trained = 0
        for file in files {
            for kind in ["scorecard", "gbdt"] {
                for extra in [[], ["--schema", schema]] where extra.isEmpty || file.hasSuffix("special.csv") {
                    let model = dir.file("m-\(kind).lepton")
                    let r = try credit.run(["train", "--data", file, "--target", "default", "--bad", "1", "--id", "id",
                                            "--kind", kind, "--out", model, "--quiet"] + extra)
                    let context = "\(file) \(kind) \(extra)"
                    XCTAssertTrue(r.status == 0 || r.status == 1, "\(context): exit \(r.status)\n\(r.err)")
                    if r.status == 1 {
                        let last = r.err.split(separator: "\n").last.map(String.init) ?? ""
                        XCTAssertTrue(last.hasPrefix("Error: ") && last.contains(" Hint: "), "\(context): \(r.err)")
                        continue
                    }
                    trained += 1
                    let scores = dir.file("scores.csv")
                    let s = try credit.run(["score", "--model", model, "--input", file, "--output", scores, "--json", "--quiet"])
                    XCTAssertEqual(s.status, 0, "\(context): \(s.err)")
                    XCTAssertEqual(try s.json()["written"] as? Int, (try s.json()["read"] as? Int), context)
                }
            }
        }
        XCTAssertGreaterThan(trained, 5, "some of these files do train")
    }

    /// The delinquency count trains a scorecard once the minimum bin share admits its tail, and
    /// the failure at the default share says which option to change.
    func testDelinquencyCountNamesTheShareThatWouldBinIt() throws {
        let file = try delinquencyFile()
        let failed = try credit.run(["train", "--data", file, "--target", "default", "--bad", "1", "--id", "id",
                                     "--out", dir.file("a.lepton"), "--quiet"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.err.contains("--min-bin-share 0.041"), failed.err)
        let ok = try credit.run(["train", "--data", file, "--target", "default", "--bad", "1", "--id", "id",
                                 "--min-bin-share", "0.04", "--out", dir.file("b.lepton"), "--json", "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertGreaterThan(try ok.json()["auc"] as? Double ?? 0, 0.55)
    }
}
