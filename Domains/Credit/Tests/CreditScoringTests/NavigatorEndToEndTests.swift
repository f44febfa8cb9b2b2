import Foundation
import LeptonCore
import LeptonIO
import LeptonTestSupport
import XCTest
@testable import CreditScoring

/// `lepton-credit compress` and `tune` on the German credit sample, through the built binary.
final class NavigatorEndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-nav") }
    override func tearDown() { dir.remove() }
    let credit = BuiltExecutable("lepton-credit")

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// Splits the German file into 700 training and 300 held-out loans (every 10th row from 3 on
    /// three of ten, fixed so the test is deterministic).
    func split() throws -> (train: String, val: String) {
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        var train = [String(lines[0])], val = [String(lines[0])]
        for (i, line) in lines.dropFirst().enumerated() { (i % 10 < 3 ? { val.append(String(line)) } : { train.append(String(line)) })() }
        let t = dir.file("train.csv"), v = dir.file("val.csv")
        try (train.joined(separator: "\n") + "\n").write(toFile: t, atomically: true, encoding: .utf8)
        try (val.joined(separator: "\n") + "\n").write(toFile: v, atomically: true, encoding: .utf8)
        return (t, v)
    }

    func testCompressTreesAndCharacteristicsKeepTheContractAndScoreThroughTheSamePaths() throws {
        let (train, val) = try split()
        let model = dir.file("m.lepton")
        XCTAssertEqual(try credit.run(["train", "--data", train, "--target", "creditability", "--bad", "bad", "--kind", "both", "--out", model, "-q"]).status, 0)
        let gbdt = dir.file("m.gbdt.lepton"), small = dir.file("small.lepton")
        let r = try credit.run(["compress", "--model", gbdt, "--method", "trees", "--val", val, "--out", small, "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try json(r.out)
        for key in ["bytes", "metric_before", "metric_after", "speedup"] { XCTAssertNotNil(s[key], key) }
        let bytes = s["bytes"] as? Int ?? 0
        XCTAssertEqual(bytes, Int(try FileManager.default.attributesOfItem(atPath: small)[.size] as? UInt64 ?? 0), "bytes is the file written")
        XCTAssertLessThan(bytes, s["bytes_before"] as? Int ?? 0)
        // The speed-up is measured (interleaved runs), not asserted: a loaded machine may show
        // anything near 1 (speed goals are `make bench`'s, never a timed test's).
        XCTAssertGreaterThan(s["speedup"] as? Double ?? 0, 0, "the speed-up is measured")
        XCTAssertEqual(s["monotone_holds"] as? Bool, true)
        XCTAssertGreaterThan(s["metric_after"] as? Double ?? 0, (s["metric_before"] as? Double ?? 1) - 0.02)
        // The compressed model is a credit model like any other: evaluate and score read it.
        let e = try credit.run(["evaluate", "--model", small, "--data", val, "--json", "-q"])
        XCTAssertEqual(e.status, 0, e.err)
        XCTAssertEqual(try json(e.out)["auc"] as? Double ?? 0, s["metric_after"] as? Double ?? -1, accuracy: 1e-9)
        XCTAssertEqual(try credit.run(["score", "--model", small, "--input", val, "--output", dir.file("s.csv"), "-q"]).status, 0)
        // Fewer leaves: weak bottom splits merged.
        let merged = try credit.run(["compress", "--model", gbdt, "--method", "trees", "--trees", "50", "--min-gain", "1e9", "--val", val,
                                     "--out", dir.file("merged.lepton"), "--json", "-q"])
        XCTAssertEqual(merged.status, 0, merged.err)
        XCTAssert((try json(merged.out)["description"] as? String ?? "").contains("merged"), merged.out)
        guard case let .boosted(m) = try CreditModel.read(path: dir.file("merged.lepton")),
              case let .boosted(original) = try CreditModel.read(path: gbdt) else { return XCTFail("boosted models") }
        XCTAssertLessThan(m.trees.leafCount, original.trees.firstTrees(50).leafCount)
        XCTAssertEqual(try json(merged.out)["monotone_holds"] as? Bool, true)
        // An older reader refuses it with a version error.
        let bytesOnDisk = Array(try Data(contentsOf: URL(fileURLWithPath: small)))
        XCTAssertThrowsError(try ModelFile.decode(bytesOnDisk, path: small, readerMajorVersion: 1)) { error in
            XCTAssert("\(error)".contains("upgrade Lepton"), "\(error)")
        }

        let card = dir.file("card.lepton")
        let c = try credit.run(["compress", "--model", model, "--method", "characteristics", "--val", val, "--data", train,
                                "--keep", "5", "--out", card, "--json", "-q"])
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssert((try json(c.out)["description"] as? String ?? "").hasPrefix("5 of "), c.out)
        guard case let .scorecard(refit) = try CreditModel.read(path: card) else { return XCTFail("a scorecard") }
        XCTAssertEqual(refit.entries.count, 5)

        // Methods that do not apply, and missing held-out data, are clear errors.
        for (args, words) in [(["--model", gbdt, "--method", "int8", "--val", val], "neural networks"),
                              (["--model", gbdt, "--method", "characteristics", "--val", val], "compresses a scorecard"),
                              (["--model", model, "--method", "characteristics", "--val", val], "--data"),
                              (["--model", gbdt, "--method", "trees"], "--val")] {
            let bad = try credit.run(["compress"] + args + ["--out", dir.file("x.lepton")])
            XCTAssertNotEqual(bad.status, 0)
            XCTAssert(bad.err.contains(words), bad.err)
        }
    }

    func testTuneWritesTheParetoTableReportAndChosenModelAndExplainsImpossibleConstraints() throws {
        let (train, val) = try split()
        let out = dir.file("tune")
        let r = try credit.run(["tune", "--data", train, "--val", val, "--target", "creditability", "--bad", "bad", "--out", out, "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try json(r.out)
        let pareto = s["pareto"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(pareto.count, 12)
        let peakCanBeReset = PeakMemory.resetPeak()
        for row in pareto {
            for key in ["name", "metric", "latency_us_p50", "latency_us_p99", "throughput", "bytes", "cost_per_million", "chosen"] {
                XCTAssertNotNil(row[key], key)
            }
            // Each candidate's own peak memory (the high-water mark is reset before each) where the
            // reset took effect; absent, not a wrong figure, where it did not (checked before each
            // candidate, so a sandbox that keeps the mark may give some rows and not others).
            if let peak = row["peak_rss_mb"] as? Double {
                XCTAssertTrue(peak > 1 && peak <= (s["peak_rss_mb"] as? Double ?? 0) + 1, "peak_rss_mb \(peak) of \(s["peak_rss_mb"] ?? "none")")
            }
        }
        if peakCanBeReset {
            XCTAssertTrue(pareto.contains { $0["peak_rss_mb"] != nil }, "where the kernel resets the high-water mark, candidates carry their peak")
        }
        let names = pareto.map { $0["name"] as? String ?? "" }
        XCTAssert(names.contains { $0.contains("trees") } && names.contains { $0.contains("characteristics") }, "every method that applies")
        let chosen = pareto.filter { $0["chosen"] as? Bool == true }
        XCTAssertEqual(chosen.count, 1)
        // Chosen: within the tolerance of the best full-fidelity metric, and the cheapest such.
        let full = pareto.filter { $0["fidelity"] as? Double == 1 }
        let best = full.map { $0["metric"] as? Double ?? 0 }.max()!
        let c = chosen[0]
        XCTAssertGreaterThanOrEqual(c["metric"] as? Double ?? 0, best - 0.005)
        let cheaper = full.filter { ($0["metric"] as? Double ?? 0) >= best - 0.005 && ($0["cost_per_million"] as? Double ?? 0) < (c["cost_per_million"] as? Double ?? 0) }
        XCTAssert(cheaper.isEmpty, "\(cheaper)")
        for file in ["chosen.lepton", "pareto.csv", "pareto.json", "report.html"] {
            XCTAssert(FileManager.default.fileExists(atPath: "\(out)/\(file)"), file)
        }
        let html = try String(contentsOfFile: "\(out)/report.html", encoding: .utf8)
        XCTAssert(html.contains("<svg") && html.contains("chosen"))
        XCTAssertNoThrow(try CreditModel.read(path: "\(out)/chosen.lepton"))

        let impossible = dir.file("impossible")
        let i = try credit.run(["tune", "--data", train, "--val", val, "--target", "creditability", "--bad", "bad", "--out", impossible,
                                "--min-metric", "0.99", "--max-size-kb", "1", "--json", "-q"])
        XCTAssertEqual(i.status, 0, i.err)
        let si = try json(i.out)
        XCTAssertEqual(si["meets_constraints"] as? Bool, false)
        let violations = si["violations"] as? [String] ?? []
        XCTAssert(violations.contains { $0.contains("below --min-metric 0.9900") }, "\(violations)")
        XCTAssert(violations.contains { $0.contains("over --max-size-kb 1.0") }, "\(violations)")
        XCTAssert(FileManager.default.fileExists(atPath: "\(impossible)/closest-fails-constraints.lepton"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(impossible)/chosen.lepton"))
    }

    func testSIGINTStopsTuneWhichKeepsWhatItMeasuredAndSaysSo() throws {
        let (train, val) = try split()
        let out = dir.file("interrupted")
        let process = Process()
        process.executableURL = credit.url
        process.arguments = ["tune", "--data", train, "--val", val, "--target", "creditability", "--bad", "bad", "--out", out, "--json"]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Wait for the first measured candidate (a progress note), then interrupt.
        var seen = Data()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            seen += stderr.fileHandleForReading.availableData
            if String(decoding: seen, as: UTF8.self).contains("[1] ") { break }
        }
        process.interrupt()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let s = try json(String(decoding: output, as: UTF8.self))
        XCTAssertEqual(s["interrupted"] as? Bool, true)
        XCTAssertEqual(s["stopped_early"] as? Bool, true)
        XCTAssertGreaterThanOrEqual((s["pareto"] as? [Any])?.count ?? 0, 1, "what was measured is kept")
        XCTAssert(FileManager.default.fileExists(atPath: "\(out)/pareto.json"))
    }

    func testTuneStopsAtTheBudgetAndKeepsWhatItMeasured() throws {
        let (train, _) = try split()
        let out = dir.file("short")
        // A budget shorter than one evaluation: the first candidate is measured, then the search stops.
        let r = try credit.run(["tune", "--data", train, "--target", "creditability", "--bad", "bad", "--out", out,
                                "--budget-minutes", "0.00001", "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try json(r.out)
        XCTAssertEqual(s["stopped_early"] as? Bool, true)
        XCTAssert(FileManager.default.fileExists(atPath: "\(out)/pareto.json"))
    }
}
