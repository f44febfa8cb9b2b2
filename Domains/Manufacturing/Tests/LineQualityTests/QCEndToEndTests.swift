import Foundation
import LeptonTestSupport
import XCTest

/// Runs the built `lepton-qc` on logs it generates itself.
final class QCEndToEndTests: XCTestCase {
    let qc = BuiltExecutable("lepton-qc")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("qc-e2e") }
    override func tearDown() { dir.remove() }

    static let physics = [#"power = "Torque [Nm]" * "Rotational speed [rpm]" * 2 * pi / 60"#,
                          #"dt = "Process temperature [K]" - "Air temperature [K]""#, #"strain = "Tool wear [min]" * "Torque [Nm]""#]

    func testSynthTrainEvaluateScore() throws {
        let train = dir.file("train.csv"), test = dir.file("test.csv")
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "6000", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "3000", "--seed", "2", "--out", test, "--quiet"]).status, 0)
        let model = dir.file("m.lepton")
        let t = try qc.run(["train", "--data", train, "--target", "Machine failure", "--positive", "1", "--drop", "UDI,Product ID,TWF,HDF,PWF,OSF,RNF",
                            "--id", "UDI", "--out", model, "--report", dir.file("train.html"), "--json", "--quiet"]
                           + Self.physics.flatMap { ["--feature", $0] })
        XCTAssertEqual(t.status, 0, t.err)
        let summary = try t.json()
        XCTAssertGreaterThan(summary["cv_roc_auc"] as? Double ?? 0, 0.9, "\(summary)")
        XCTAssertEqual((summary["features"] as? [String])?.suffix(3), ["power", "dt", "strain"])
        XCTAssertTrue(try String(contentsOfFile: dir.file("train.html"), encoding: .utf8).contains("<svg"))

        let e = try qc.run(["evaluate", "--model", model, "--data", test, "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        let metrics = try e.json()
        for key in ["roc_auc", "pr_auc", "precision", "recall", "f1", "false_alarms_per_1000", "n"] { XCTAssertNotNil(metrics[key], key) }
        XCTAssertEqual(metrics["n"] as? Int, 3000)
        XCTAssertGreaterThan(metrics["roc_auc"] as? Double ?? 0, 0.9)

        // The replacement policy: the JSON contract.
        let p = try qc.run(["policy", "--model", model, "--data", test, "--wear-column", "Tool wear [min]", "--json", "--quiet"])
        XCTAssertEqual(p.status, 0, p.err)
        let policy = try p.json()
        for key in ["replace_at", "cost_per_1000", "cost_run_to_failure", "cost_fixed_schedule"] { XCTAssertNotNil(policy[key], key) }
        XCTAssertLessThanOrEqual(policy["cost_per_1000"] as? Double ?? .infinity, policy["cost_run_to_failure"] as? Double ?? 0)

        // Scoring: one alert line per part (UDI carried through), rejects for text in a reading, the same files on one or two threads.
        var lines = try String(contentsOfFile: test, encoding: .utf8).components(separatedBy: "\n")
        var fields = lines[5].components(separatedBy: ",")
        fields[6] = "abc"  // text in Torque [Nm]
        lines[5] = fields.joined(separator: ",")
        let input = try dir.write("log.csv", lines.joined(separator: "\n"))
        var outputs: [String] = []
        for threads in ["1", "2"] {
            let out = dir.file("alerts-\(threads).csv")
            let s = try qc.run(["score", "--model", model, "--input", input, "--output", out, "--threads", threads, "--min-part-bytes", "1000",
                                "--max-reject-rate", "0.5", "--json", "--quiet"])
            XCTAssertEqual(s.status, 0, s.err)
            let result = try s.json()
            XCTAssertEqual(result["read"] as? Int, 3000)
            XCTAssertEqual(result["rejected"] as? Int, 1)
            XCTAssertEqual(result["written"] as? Int, 2999)
            XCTAssertNotNil(result["alerts"])
            XCTAssertEqual(result["parts"] as? Int, Int(threads))
            outputs.append(try String(contentsOfFile: out, encoding: .utf8))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertTrue(outputs[0].hasPrefix("UDI,score,alert,top_1,top_2,top_3\n"), String(outputs[0].prefix(80)))

        // --top-readings 0: the ID, score and alert of the same rows, with the same values.
        let bare = dir.file("alerts-bare.csv")
        let b = try qc.run(["score", "--model", model, "--input", input, "--output", bare, "--top-readings", "0", "--max-reject-rate", "0.5",
                            "--json", "--quiet"])
        XCTAssertEqual(b.status, 0, b.err)
        let full = outputs[0].split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",") }
        XCTAssertEqual(try String(contentsOfFile: bare, encoding: .utf8).split(separator: "\n").map(String.init), full)
        let one = dir.file("alerts-one.csv")
        XCTAssertEqual(try qc.run(["score", "--model", model, "--input", input, "--output", one, "--top-readings", "1", "--max-reject-rate", "0.5",
                                   "--quiet"]).status, 0)
        let oneLines = try String(contentsOfFile: one, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(oneLines.first, "UDI,score,alert,top_1")
        // Each alert's one reading is the first of its three.
        let fullTop = outputs[0].split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(4).joined(separator: ",") }
        XCTAssertEqual(oneLines.map(String.init), fullTop)
        for wrong in ["--top-readings=-1", "--top-readings=51"] {
            let r = try qc.run(["score", "--model", model, "--input", input, "--output", bare, wrong])
            XCTAssertEqual(r.status, 2, wrong)
            XCTAssert(r.err.contains("--top-readings takes 0 to 50"), r.err)
        }
    }

    func testChartJSONContractAndBadInput() throws {
        var csv = "sample,diameter\n"
        var rng = (0..<125).map { i in 74.0 + 0.01 * sin(Double(i) * 1.7) }
        rng[110] += 0.2
        for (i, v) in rng.enumerated() { csv += "\(i / 5 + 1),\(v)\n" }
        let data = try dir.write("rings.csv", csv)
        let r = try qc.run(["chart", "--data", data, "--column", "diameter", "--type", "xbar-r", "--subgroup", "sample", "--phase1", "1:20",
                            "--rules", "nelson", "--lsl", "73.95", "--usl", "74.05", "--limits-out", dir.file("limits.json"),
                            "--report", dir.file("chart.html"), "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let summary = try r.json()
        let charts = summary["charts"] as? [[String: Any]] ?? []
        XCTAssertEqual(charts.map { $0["name"] as? String }, ["xbar", "r"])
        for chart in charts {
            for key in ["center", "lcl", "ucl", "points", "violations"] { XCTAssertNotNil(chart[key], key) }
            XCTAssertEqual((chart["points"] as? [Double])?.count, 25)
        }
        let violations = charts[0]["violations"] as? [[String: Int]] ?? []
        XCTAssertTrue(violations.contains { $0["index"] == 23 && $0["rule"] == 1 }, "\(violations)")
        let capability = summary["capability"] as? [String: Any] ?? [:]
        for key in ["cp", "cpk", "pp", "ppk"] { XCTAssertNotNil(capability[key] as? Double, key) }
        // Phase II against the saved limits.
        let p2 = try qc.run(["chart", "--data", data, "--column", "diameter", "--type", "xbar-r", "--subgroup", "sample",
                             "--limits", dir.file("limits.json"), "--json"])
        XCTAssertEqual(p2.status, 0, p2.err)

        for (arguments, fragment) in [
            (["--type", "xbar-r", "--subgroup-size", "1"], "needs at least 2 per subgroup"),
            (["--type", "imr", "--lsl", "5", "--usl", "1"], "--lsl"),
            (["--type", "imr", "--column", "missing"], "missing"),
        ] {
            var args = ["chart", "--data", data, "--column", "diameter"] + arguments
            if arguments.contains("--column") { args = ["chart", "--data", data] + arguments }
            let bad = try qc.run(args)
            XCTAssertNotEqual(bad.status, 0, "\(arguments)")
            XCTAssertTrue(bad.err.contains(fragment), "\(arguments): \(bad.err)")
            XCTAssertTrue(bad.err.contains("Hint"), "\(arguments): \(bad.err)")
        }
        let constant = try dir.write("constant.csv", "x\n" + String(repeating: "4\n", count: 30))
        let flat = try qc.run(["chart", "--data", constant, "--column", "x", "--type", "imr"])
        XCTAssertEqual(flat.status, 1)
        XCTAssertTrue(flat.err.contains("constant"), flat.err)
    }

    /// An anomaly model on unlabelled readings, then `score --follow` on a log being appended to,
    /// stopped by SIGTERM: exit 0, counts printed, every appended line scored.
    func testAnomalyModelAndFollowStoppedBySignal() throws {
        let reference = dir.file("reference.csv")
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "1500", "--seed", "3", "--out", reference, "--quiet"]).status, 0)
        let model = dir.file("anomaly.lepton")
        let t = try qc.run(["train", "--data", reference, "--kind", "iforest", "--drop", "UDI,Product ID,Machine failure,TWF,HDF,PWF,OSF,RNF",
                            "--false-alarm-rate", "0.02", "--out", model, "--json", "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        let lines = try String(contentsOfFile: reference, encoding: .utf8).split(separator: "\n").map(String.init)
        let log = dir.file("live.csv"), alerts = dir.file("live-alerts.csv")
        try (lines[0] + "\n").write(toFile: log, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = qc.url
        process.arguments = ["score", "--model", model, "--input", log, "--output", alerts, "--follow", "--json", "--quiet"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        try handle.seekToEnd()
        for line in lines[1...200] { try handle.write(contentsOf: Data((line + "\n").utf8)) }
        try handle.close()
        let deadline = Date().addingTimeInterval(60)
        func scored() -> Int { ((try? String(contentsOfFile: alerts, encoding: .utf8)) ?? "").split(separator: "\n").count - 1 }
        while scored() < 200 && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(scored(), 200, "every appended line is scored while the log grows")
        process.terminate()  // SIGTERM
        let summary = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        let json = try JSONSerialization.jsonObject(with: summary) as? [String: Any] ?? [:]
        XCTAssertEqual(json["read"] as? Int, 200)
        XCTAssertNotNil(json["alerts"] as? Int)
    }
}
