import Foundation
import LeptonCore
import LeptonTestSupport
import ScanDiagnosis
import XCTest

/// `lepton-scan compress` and `tune` on generated phantoms, through the built binary.
final class ScanNavigatorTests: XCTestCase {
    let scan = BuiltExecutable("lepton-scan")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("scan-nav") }
    override func tearDown() { dir.remove() }

    func synth(_ name: String, count: Int, size: Int = 16, seed: Int) throws -> String {
        let path = dir.file(name)
        XCTAssertEqual(try scan.run(["synth", "--count", "\(count)", "--size", "\(size)", "--seed", "\(seed)", "--out", path, "--quiet"]).status, 0)
        return path
    }

    func testEveryMethodWritesAModelTheClassifierReadsWithTheContractedFigures() throws {
        let train = try synth("train", count: 200, seed: 1), val = try synth("val", count: 80, seed: 2)
        let model = dir.file("m.lepton")
        let t = try scan.run(["train", "--data", train, "--epochs", "6", "--batch-size", "32", "--positive", "finding", "--out", model, "-q"])
        XCTAssertEqual(t.status, 0, t.err)
        let plainBytes = try FileManager.default.attributesOfItem(atPath: model)[.size] as! Int
        for (method, extra) in [("int8", ["--calibration", train]), ("cluster", ["--clusters", "16"]),
                                ("prune", ["--data", train, "--ratio", "0.5", "--epochs", "2"]),
                                ("prune", ["--structure", "unstructured", "--ratio", "0.7"]),
                                ("distill", ["--data", train, "--student-epochs", "20", "--student-channels", "8,16,32"])] {
            let out = dir.file("\(method)-\(extra.count).lepton")
            let r = try scan.run(["compress", "--model", model, "--method", method, "--val", val, "--out", out, "--json", "-q"] + extra)
            XCTAssertEqual(r.status, 0, "\(method): \(r.err)")
            let s = try r.json()
            for key in ["bytes", "metric_before", "metric_after", "speedup", "sensitivity_before", "sensitivity_after"] {
                XCTAssertNotNil(s[key], "\(method) \(key)")
            }
            XCTAssertLessThan(s["bytes"] as? Int ?? .max, plainBytes, "\(method) \(extra) is smaller")
            XCTAssertGreaterThan(s["metric_after"] as? Double ?? 0, 0.6, "\(method) still ranks")
            // The compressed model classifies and evaluates through the same paths.
            let c = try scan.run(["classify", "--model", out, "--input", val, "--output", dir.file("c.csv"), "--saliency", dir.file("sal-\(method)"), "-q"])
            XCTAssertEqual(c.status, 0, "\(method): \(c.err)")
            let e = try scan.run(["evaluate", "--model", out, "--data", val, "--json", "-q"])
            XCTAssertEqual(e.status, 0, e.err)
        }
        // Bad input: one calibration scan, scans of another size, a ratio outside (0, 1), a method for trees.
        let one = dir.file("one")
        try FileManager.default.createDirectory(atPath: one + "/finding", withIntermediateDirectories: true)
        let firstScan = try FileManager.default.contentsOfDirectory(atPath: train + "/finding").sorted()[0]
        try FileManager.default.copyItem(atPath: "\(train)/finding/\(firstScan)", toPath: "\(one)/finding/\(firstScan)")
        let bigger = try synth("bigger", count: 20, size: 20, seed: 3)
        for (args, words) in [(["--method", "int8", "--calibration", one], "at least 2 scans"),
                              (["--method", "int8", "--calibration", bigger], "20×20, the model takes 16×16"),
                              (["--method", "prune", "--ratio", "1.5"], "not a pruning ratio"),
                              (["--method", "trees"], "tree and scorecard models")] {
            let r = try scan.run(["compress", "--model", model, "--val", val, "--out", dir.file("bad.lepton")] + args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssert(r.err.contains(words), "\(args): \(r.err)")
        }
    }

    func testAResNetQuantizesToInt8AndClassifies() throws {
        let train = try synth("train", count: 64, size: 12, seed: 7), val = try synth("val", count: 32, size: 12, seed: 8)
        let model = dir.file("r.lepton"), out = dir.file("r8.lepton")
        let t = try scan.run(["train", "--data", train, "--model", "resnet18", "--epochs", "3", "--batch-size", "8", "--positive", "finding",
                              "--out", model, "-q"])
        XCTAssertEqual(t.status, 0, t.err)
        let r = try scan.run(["compress", "--model", model, "--method", "int8", "--calibration", train, "--val", val, "--out", out, "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try r.json()
        let before = try XCTUnwrap(s["metric_before"] as? Double), after = try XCTUnwrap(s["metric_after"] as? Double)
        XCTAssertGreaterThan(before, 0.75, "the float resnet18 ranks the phantoms")
        XCTAssertLessThan(abs(before - after), 0.05, "int8 keeps the ranking of a resnet18 (AUC \(before) → \(after))")
        let plainBytes = try FileManager.default.attributesOfItem(atPath: model)[.size] as! Int
        XCTAssertLessThan(Double(s["bytes"] as? Int ?? .max), 0.3 * Double(plainBytes))
        let c = try scan.run(["classify", "--model", out, "--input", val, "--output", dir.file("r.csv"), "-q"])
        XCTAssertEqual(c.status, 0, c.err)
    }

    func testTheBudgetEndsTrainingBetweenEpochs() throws {
        let train = try synth("train", count: 160, seed: 5)
        let out = dir.file("short")
        let started = Date()
        // 300 epochs a candidate would take minutes; a 2-second budget ends the first one's training.
        let r = try scan.run(["tune", "--data", train, "--epochs", "300", "--out", out, "--budget-minutes", "0.03", "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(try r.json()["stopped_early"] as? Bool, true)
        XCTAssert(FileManager.default.fileExists(atPath: out + "/pareto.json"))
    }

    func testTuneExploresEveryMethodAndHonoursTheSensitivityConstraint() throws {
        let train = try synth("train", count: 160, seed: 4)
        let out = dir.file("tune")
        let r = try scan.run(["tune", "--data", train, "--epochs", "3", "--out", out, "--min-sensitivity-lower-ci", "0.2", "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try r.json()
        let pareto = s["pareto"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(pareto.count, 12)
        let names = pareto.compactMap { $0["name"] as? String }
        for method in ["int8", "cluster", "prune", "sparse", "distill"] { XCTAssert(names.contains { $0.contains(method) }, method) }
        let chosen = pareto.filter { $0["chosen"] as? Bool == true }
        XCTAssertEqual(chosen.count, 1)
        if s["meets_constraints"] as? Bool == true {
            XCTAssertGreaterThanOrEqual(chosen.first?["sensitivity_lower_ci"] as? Double ?? 0, 0.2, "the constraint holds for the chosen model")
        } else {
            XCTAssert((s["violations"] as? [String] ?? []).contains { $0.contains("sensitivity_lower_ci") })
        }
        XCTAssert(FileManager.default.fileExists(atPath: "\(out)/chosen.lepton") || FileManager.default.fileExists(atPath: "\(out)/closest-fails-constraints.lepton"))
        XCTAssertNoThrow(try ScanModel.read(path: (s["chosen_model"] as? String) ?? ""))
    }
}

final class ImageFolderCacheTests: XCTestCase {
    func testACachedFolderIsTheDecodedOne() throws {
        let dir = try TemporaryDirectory("scan-cache")
        defer { dir.remove() }
        try Phantoms.write(count: 30, seed: 3, to: dir.file("scans"))
        let cache = DataCache(directory: dir.file("cache"))
        let decoded = try ImageFolder.load(source: dir.file("scans"))
        let first = try ImageFolder.load(source: dir.file("scans"), cache: cache)
        let second = try ImageFolder.load(source: dir.file("scans"), cache: cache)
        XCTAssertEqual([cache.hits, cache.misses], [1, 1])
        for f in [first, second] {
            XCTAssertEqual(f.images, decoded.images)
            XCTAssertEqual(f.labels, decoded.labels)
            XCTAssertEqual(f.paths, decoded.paths)
            XCTAssertEqual(f.classNames, decoded.classNames)
            XCTAssertEqual(f.bitDepthCounts, decoded.bitDepthCounts)
        }
        // A new class folder, even empty, is another entry (the decoding must see and refuse it).
        try FileManager.default.createDirectory(atPath: dir.file("scans/zzz"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.load(source: dir.file("scans"), cache: cache))
        try FileManager.default.removeItem(atPath: dir.file("scans/zzz"))
        // Another resize is another entry.
        _ = try ImageFolder.load(source: dir.file("scans"), resize: ScanResize(width: 8, height: 8, fit: .stretch), cache: cache)
        XCTAssertEqual(cache.misses, 3)
    }
}
