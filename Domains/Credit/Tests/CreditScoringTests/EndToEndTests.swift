import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// Runs the built `lepton-credit` binary (beside the test bundle) and checks its outputs.
final class EndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-e2e") }
    override func tearDown() { dir.remove() }

    let credit = BuiltExecutable("lepton-credit")

    /// Runs the tool; returns exit status, standard output and standard error.
    @discardableResult
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> BuiltExecutable.Outcome {
        try credit.run(arguments, file: file, line: line)
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// The header and the rows of a CSV file.
    func readCSV(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var rows = [reader.columns]
        try reader.forEachRow { rows.append($0.rawFields) }
        return rows
    }

    func trainGerman() throws -> String {
        let model = dir.file("german.lepton")
        let r = try run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--out", model,
                         "--report", dir.file("train.html"), "--json", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        let summary = try json(r.out)
        XCTAssertEqual(summary["rows"] as? Int, 1000)
        XCTAssertGreaterThan(summary["auc"] as? Double ?? 0, 0.8)
        return model
    }

    func testTrainEvaluateExportMonitor() throws {
        let model = try trainGerman()
        let html = try String(contentsOfFile: dir.file("train.html"), encoding: .utf8)
        XCTAssert(html.contains("<svg") && html.contains("Scorecard") && html.contains("WOE by bin"))

        let e = try run(["evaluate", "--model", model, "--data", germanCreditPath, "--report", dir.file("eval.html"), "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        let metrics = try json(e.out)
        for key in ["auc", "gini", "ks", "brier", "n"] { XCTAssertNotNil(metrics[key], key) }
        XCTAssertEqual(metrics["n"] as? Int, 1000)
        let auc = metrics["auc"] as? Double ?? 0
        XCTAssertEqual(metrics["gini"] as? Double ?? 0, 2 * auc - 1, accuracy: 1e-12)
        let report = try String(contentsOfFile: dir.file("eval.html"), encoding: .utf8)
        for part in ["ROC", "Kolmogorov", "Calibration", "Score distribution", "Strategy", "Points per bin"] {
            XCTAssert(report.localizedCaseInsensitiveContains(part), part)
        }

        for format in ["csv", "json", "sql"] {
            let x = try run(["export", "--model", model, "--format", format, "--out", dir.file("card.\(format)"), "--quiet"])
            XCTAssertEqual(x.status, 0, x.err)
            XCTAssertGreaterThan((try? FileManager.default.attributesOfItem(atPath: dir.file("card.\(format)"))[.size] as? Int) ?? 0, 100)
        }
        let m = try run(["monitor", "--model", model, "--data", germanCreditPath, "--json"])
        XCTAssertEqual(m.status, 0, m.err)
        XCTAssertEqual(try json(m.out)["psi"] as? Double ?? -1, 0, accuracy: 1e-12)
    }

    func testScoreWithRejectsAndShards() throws {
        let model = try trainGerman()
        // German credit plus an ID column, a row with text in a numeric column and one with too few fields.
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(whereSeparator: \.isNewline)
        var text = "id," + lines[0] + "\n"
        for (i, line) in lines.dropFirst().enumerated() { text += "A\(i)," + line + "\n" }
        text += "BAD1,... < 0 DM,lots,critical account/ other credits existing (not at this bank),radio/television,1169,unknown/ no savings account,... >= 7 years,4,male : divorced/separated,none,4,real estate,67,none,own,2,skilled employee / official,1,none,yes,good\n"
        text += "BAD2,too,few\n"
        let input = try dir.write("applicants.csv", text)
        let out = dir.file("scores.csv")
        let s = try run(["score", "--model", model, "--input", input, "--output", out, "--json", "--quiet"])
        XCTAssertEqual(s.status, 0, s.err)
        let summary = try json(s.out)
        XCTAssertEqual(summary["read"] as? Int, 1002)
        XCTAssertEqual(summary["written"] as? Int, 1000)
        XCTAssertEqual(summary["rejected"] as? Int, 2)
        let rows = try readCSV(out)
        XCTAssertEqual(rows[0], ["row", "pd", "score", "decision", "reason_1", "reason_2", "reason_3", "reason_4"])
        XCTAssertEqual(rows.count, 1001)
        // Decisions follow the cut-off; declined rows carry reasons, approved ones none.
        for row in rows.dropFirst() {
            XCTAssert(["approve", "decline"].contains(row[3]))
            XCTAssertEqual(row[3] == "decline", !row[4].isEmpty, "\(row)")
            let pd = Double(row[1])!
            XCTAssert(pd > 0 && pd < 1)
        }
        let rejects = try readCSV(out + ".rejects.csv")
        XCTAssertEqual(rejects.count, 3)
        XCTAssert(rejects[1].last!.contains("'lots' is not a number"), "\(rejects[1])")
        XCTAssertEqual(rejects[1][rejects[1].count - 2], "1002", "row number in the whole file")
        XCTAssertEqual(rejects[2][rejects[2].count - 2], "1003")
        XCTAssert(rejects[2].last!.contains("expected 22 fields"), "\(rejects[2])")

        // Shards: together exactly the unsharded output, in order.
        var union: [[String]] = []
        var read = 0
        for k in 1...3 {
            let part = dir.file("part\(k).csv")
            let r = try run(["score", "--model", model, "--input", input, "--output", part, "--shard", "\(k)/3", "--json", "--quiet"])
            XCTAssertEqual(r.status, 0, r.err)
            read += try json(r.out)["read"] as? Int ?? 0
            union += try readCSV(part).dropFirst()
        }
        XCTAssertEqual(read, 1002)
        XCTAssertEqual(union, Array(rows.dropFirst()))
    }

    /// Inputs over 4 MB are scored in parts on both cores; the first part numbers its rows as in
    /// the file, the others from 1, and the join shifts them. One thread and two give the same
    /// files byte for byte — row numbers in the rejects and as IDs included — and so do two
    /// shards of two threads each.
    func testTwoThreadsGiveTheSameFilesAsOne() throws {
        let model = try trainGerman()
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(whereSeparator: \.isNewline)
        var text = String(lines[0]) + "\n"
        var count = 0
        while text.utf8.count < 1 << 20 {
            for line in lines.dropFirst() {
                count += 1
                text += count % 199 == 0 ? line.replacingOccurrences(of: ",6,", with: ",six,") + "\n" : line + "\n"
                if count % 97 == 0 { text += "too,few\n" }
            }
        }
        let input = try dir.write("big.csv", text)
        var outputs: [String: (String, String)] = [:]
        for threads in ["1", "2"] {
            let out = dir.file("big-\(threads).csv")
            let r = try run(["score", "--model", model, "--input", input, "--output", out, "--threads", threads,
                             "--max-reject-rate", "0.5", "--min-part-bytes", "1000", "--json", "--quiet"])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertEqual(try json(r.out)["parts"] as? Int, Int(threads), "one part per thread")
            XCTAssertEqual(try json(r.out)["reread_in_one_piece"] as? Bool, false)
            outputs[threads] = (try String(contentsOfFile: out, encoding: .utf8),
                                try String(contentsOfFile: out + ".rejects.csv", encoding: .utf8))
        }
        XCTAssertEqual(outputs["1"]!.0, outputs["2"]!.0, "scores")
        XCTAssertEqual(outputs["1"]!.1, outputs["2"]!.1, "rejects")
        XCTAssertGreaterThan(outputs["1"]!.1.split(separator: "\n").count, 10, "the test has rejects to number")
        var union = "", scoreUnion = ""
        for k in 1...2 {
            let out = dir.file("big-shard\(k).csv")
            let r = try run(["score", "--model", model, "--input", input, "--output", out, "--threads", "2", "--shard", "\(k)/2",
                             "--max-reject-rate", "0.5", "--min-part-bytes", "1000", "--json", "--quiet"])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertEqual(try json(r.out)["parts"] as? Int, 2, "shard \(k): two parts")
            let rejects = try String(contentsOfFile: out + ".rejects.csv", encoding: .utf8)
            union += k == 1 ? rejects : String(rejects.drop { $0 != "\n" }.dropFirst())
            let scores = try String(contentsOfFile: out, encoding: .utf8)
            scoreUnion += k == 1 ? scores : String(scores.drop { $0 != "\n" }.dropFirst())
        }
        XCTAssertEqual(union, outputs["1"]!.1, "shards' rejects together, numbered by file row")
        XCTAssertEqual(scoreUnion, outputs["1"]!.0, "shards' scores together (row numbers as IDs shifted by the shard and part)")
    }

    /// A category with a line break (quoted) ends up in reason texts, so some output records
    /// span two lines: the join's row-number shift must leave the continuation lines alone.
    func testRowNumbersShiftPastQuotedLineBreaksInReasons() throws {
        let german = try String(contentsOfFile: germanCreditPath, encoding: .utf8)
        let broken = german.replacingOccurrences(of: ",car (new),", with: ",\"car\n2 (new)\",")
        let training = try dir.write("broken.csv", broken)
        let model = dir.file("broken.lepton")
        let trained = try run(["train", "--data", training, "--target", "creditability", "--bad", "bad", "--out", model, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.err)
        let lines = broken.split(separator: "\n", omittingEmptySubsequences: false)
        let header = String(lines[0]), body = lines.dropFirst().joined(separator: "\n")
        var text = header + "\n"
        while text.utf8.count < 1 << 20 { text += body }
        let input = try dir.write("broken-big.csv", text)
        var outputs: [String] = []
        for threads in ["1", "2"] {
            let out = dir.file("broken-\(threads).csv")
            let r = try run(["score", "--model", model, "--input", input, "--output", out, "--threads", threads,
                             "--min-part-bytes", "1000", "--json", "--quiet"])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertEqual(try json(r.out)["parts"] as? Int, Int(threads), "one part per thread")
            outputs.append(try String(contentsOfFile: out, encoding: .utf8))
        }
        XCTAssertTrue(outputs[0].contains("car\n2 (new)"), "the test needs reason texts with a line break")
        XCTAssertEqual(outputs[0], outputs[1])
    }

    /// Malformed quoting (a stray quote, then a line opening a quote) makes libcsv read records
    /// across lines, so a cut by quote parity can land inside one: two threads must still give
    /// one thread's files (the parts are read again in one piece).
    func testTwoThreadsMatchOneOnMalformedQuoting() throws {
        let model = try trainGerman()
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(whereSeparator: \.isNewline)
        let body = lines.dropFirst().map { $0 + "\n" }.joined()
        let quoteFree = lines.dropFirst().filter { !$0.contains("\"") }.map { $0 + "\n" }.joined()
        // 0.5 MB of records, then a stray quote and a line opening a quoted field that libcsv
        // reads on through ~0.2 MB of quote-free lines (quote parity calls them records) up to a
        // lone quote, then 0.5 MB more: the middle of the file, where two parts are cut, lies
        // inside that one long record.
        var text = String(lines[0]) + "\n"
        while text.utf8.count < 1 << 19 { text += body }
        text += "stray\"quote\n\"opens a quoted field\n"
        while quoteFree.utf8.count > 0, text.utf8.count < (1 << 19) + 200_000 { text += quoteFree }
        text += "\"\n"
        let tailStart = text.utf8.count
        while text.utf8.count - tailStart < 1 << 19 { text += body }
        let input = try dir.write("malformed.csv", text)
        var files: [String] = []
        for threads in ["1", "2"] {
            let out = dir.file("malformed-\(threads).csv")
            let r = try run(["score", "--model", model, "--input", input, "--output", out, "--threads", threads,
                             "--max-reject-rate", "1", "--min-part-bytes", "1000", "--json", "--quiet"])
            XCTAssertEqual(r.status, 0, r.err)
            // With two threads the parted read is thrown away and the file read in one piece.
            XCTAssertEqual(try json(r.out)["reread_in_one_piece"] as? Bool, threads == "2", "threads \(threads)")
            XCTAssertEqual(try json(r.out)["parts"] as? Int, 1)
            files.append(try String(contentsOfFile: out, encoding: .utf8) + "\u{0}" + String(contentsOfFile: out + ".rejects.csv", encoding: .utf8))
        }
        XCTAssertEqual(files[0], files[1])
    }

    func testTooManyRejectsExitsWith3AndBadCommandLinesWith2() throws {
        let model = try trainGerman()
        let input = try dir.write("junk.csv", "status_of_existing_checking_account,duration_in_month\nx,1\n")
        let missing = try run(["score", "--model", model, "--input", input, "--output", dir.file("o.csv")])
        XCTAssertEqual(missing.status, 1)
        XCTAssert(missing.err.contains("lacks") && missing.err.contains("Hint:"), missing.err)

        let forest = try run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--kind", "forest",
                              "--out", dir.file("g.lepton")])
        XCTAssertEqual(forest.status, 2)
        XCTAssert(forest.err.contains("scorecard") && forest.err.contains("gbdt"), forest.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("g.lepton")))

        let third = try dir.write("third.csv", "a,y\n1,good\n2,bad\n3,maybe\n")
        let t = try run(["train", "--data", third, "--target", "y", "--bad", "bad", "--out", dir.file("t.lepton")])
        XCTAssertEqual(t.status, 1)
        XCTAssert(t.err.contains("3 values"), t.err)

        let header = try dir.write("header.csv", "a,y\n")
        XCTAssert(try run(["train", "--data", header, "--target", "y", "--bad", "bad", "--out", dir.file("h.lepton")]).err.contains("no data rows"))

        // Half the records unreadable: outputs written, exit code 3.
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(whereSeparator: \.isNewline)
        let half = try dir.write("half.csv", ([String(lines[0])] + lines[1...20].enumerated().map { $0 % 2 == 0 ? String($1) : "x,y" }).joined(separator: "\n") + "\n")
        let h = try run(["score", "--model", model, "--input", half, "--output", dir.file("half-out.csv"), "--quiet"])
        XCTAssertEqual(h.status, 3, h.err)
        XCTAssertEqual(try readCSV(dir.file("half-out.csv")).count, 11)
    }

    func testBoostedTrainEvaluateScoreMonitorExport() throws {
        let model = dir.file("german-gbdt.lepton")
        let t = try run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--kind", "gbdt",
                         "--out", model, "--report", dir.file("train.html"), "--json", "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        let summary = try json(t.out)
        XCTAssertEqual(summary["kind"] as? String, "gbdt")
        XCTAssertEqual(summary["trees"] as? Int, 300)
        XCTAssertGreaterThan(summary["monotone_constrained"] as? Int ?? 0, 2)
        let trainAUC = summary["auc"] as? Double ?? 0
        XCTAssertGreaterThan(trainAUC, 0.8)
        XCTAssert(try String(contentsOfFile: dir.file("train.html"), encoding: .utf8).contains("Feature importance"))

        let e = try run(["evaluate", "--model", model, "--data", germanCreditPath, "--report", dir.file("eval.html"), "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        let metrics = try json(e.out)
        for key in ["auc", "gini", "ks", "brier", "n"] { XCTAssertNotNil(metrics[key], key) }
        XCTAssertEqual(metrics["n"] as? Int, 1000)
        XCTAssertEqual(metrics["auc"] as? Double ?? 0, trainAUC, accuracy: 1e-12, "the file's trees are the trained ones")
        XCTAssertEqual(metrics["optimal_cutoff"] as? Double, metrics["cutoff"] as? Double, "the stored cut-off is cost-optimal on the training data")
        let report = try String(contentsOfFile: dir.file("eval.html"), encoding: .utf8)
        for part in ["ROC", "Kolmogorov", "Calibration", "Score distribution", "Strategy", "Feature importance"] {
            XCTAssert(report.localizedCaseInsensitiveContains(part), part)
        }
        XCTAssertFalse(report.contains("Points per bin"), "no scorecard table for trees")

        let out = dir.file("scores.csv")
        let s = try run(["score", "--model", model, "--input", germanCreditPath, "--output", out, "--json", "--quiet"])
        XCTAssertEqual(s.status, 0, s.err)
        let rows = try readCSV(out)
        XCTAssertEqual(rows[0], ["row", "pd", "score", "decision", "reason_1", "reason_2", "reason_3", "reason_4"])
        XCTAssertEqual(rows.count, 1001)
        let cutoff = Int(metrics["cutoff"] as? Double ?? 0)
        let factor = 20 / log(2.0), offset = 600 - factor * log(50.0)
        var declined = 0
        for row in rows.dropFirst() {
            let pd = Double(row[1])!, score = Int(row[2])!
            // The scorecard's points scale: score = round(offset − factor · ln(pd / (1 − pd))).
            XCTAssertEqual(Double(score), offset - factor * log(pd / (1 - pd)), accuracy: 0.51)
            XCTAssertEqual(row[3], score >= cutoff ? "approve" : "decline")
            if row[3] == "decline" {
                declined += 1
                XCTAssert(row[4].contains("log-odds of default"), "\(row)")
                let names = row[4...].filter { !$0.isEmpty }.map { String($0.prefix { $0 != " " }) }
                XCTAssertEqual(Set(names).count, names.count, "one reason per characteristic: \(row)")
            } else {
                XCTAssertEqual(Array(row[4...]), ["", "", "", ""])
            }
        }
        XCTAssertGreaterThan(declined, 100)

        let m = try run(["monitor", "--model", model, "--data", germanCreditPath, "--json"])
        XCTAssertEqual(m.status, 0, m.err)
        let stability = try json(m.out)
        XCTAssertEqual(stability["psi"] as? Double ?? -1, 0, accuracy: 1e-12)
        XCTAssertEqual((stability["csi"] as? [String: Any])?.count, 20, "CSI of every characteristic the trees use")

        for format in ["csv", "json"] {
            let x = try run(["export", "--model", model, "--format", format, "--out", dir.file("gbdt.\(format)"), "--quiet"])
            XCTAssertEqual(x.status, 0, x.err)
        }
        XCTAssertEqual(try readCSV(dir.file("gbdt.csv")).count, 21)
        XCTAssert(try String(contentsOfFile: dir.file("gbdt.json"), encoding: .utf8).contains("monotone_constraint"))
        let sql = try run(["export", "--model", model, "--format", "sql", "--out", dir.file("gbdt.sql")])
        XCTAssertEqual(sql.status, 1)
        XCTAssert(sql.err.contains("SQL export is for scorecards"), sql.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("gbdt.sql")))
    }

    func testBothKindsSideBySide() throws {
        let model = dir.file("both.lepton")
        let t = try run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--kind", "both",
                         "--cv-folds", "5", "--out", model, "--report", dir.file("both.html"), "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        XCTAssert(t.out.contains("5-fold CV AUC"), t.out)
        let table = t.out.split(separator: "\n").filter { $0.hasPrefix("scorecard ") || $0.hasPrefix("gbdt ") }
        XCTAssertEqual(table.count, 2, t.out)
        for path in [model, dir.file("both.gbdt.lepton"), dir.file("both.html"), dir.file("both.gbdt.html")] {
            XCTAssert(FileManager.default.fileExists(atPath: path), path)
        }
        var kinds: [String] = []
        for path in [model, dir.file("both.gbdt.lepton")] {
            let e = try run(["export", "--model", path, "--format", "json", "--out", dir.file("x.json"), "--json", "--quiet"])
            XCTAssertEqual(e.status, 0, e.err)
            kinds.append(try json(e.out)["kind"] as? String ?? "?")
        }
        XCTAssertEqual(kinds, ["scorecard", "gbdt"])

        let j = try run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--kind", "both",
                         "--out", dir.file("j.lepton"), "--json", "--quiet"])
        XCTAssertEqual(j.status, 0, j.err)
        let summary = try json(j.out)
        XCTAssertEqual(summary["kind"] as? String, "both")
        let card = summary["scorecard"] as? [String: Any] ?? [:], trees = summary["gbdt"] as? [String: Any] ?? [:]
        XCTAssertEqual(card["model"] as? String, dir.file("j.lepton"))
        XCTAssertEqual(trees["model"] as? String, dir.file("j.gbdt.lepton"))
        for key in ["auc", "gini", "ks", "brier", "cutoff"] {
            XCTAssertNotNil(card[key], key)
            XCTAssertNotNil(trees[key], key)
        }
    }

    func testDemoOnFewRows() throws {
        let r = try run(["demo", "--rows", "20000", "--out-dir", dir.path, "--data", germanCreditPath, "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("5-fold cross-validated AUC"), r.out)
        XCTAssert(r.out.contains("scored 20,000 applicants"), r.out)
        XCTAssert(r.out.contains("rejected 2 "), r.out)
        XCTAssert(FileManager.default.fileExists(atPath: dir.file("german-scorecard-report.html")))
        XCTAssertEqual(try readCSV(dir.file("scores.csv")).count, 20_000 - 2 + 1)
    }
}
