import Foundation
import LeptonCore
import LeptonTestSupport
import LineQuality
import XCTest

/// `lepton-qc compress` and `tune` on the embedded parts sample, through the built binary.
final class QCNavigatorTests: XCTestCase {
    let qc = BuiltExecutable("lepton-qc")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("qc-nav") }
    override func tearDown() { dir.remove() }

    /// The first 3,000 parts to train on, the next 2,000 held out (`small`: 1,500 and 1,000).
    func split(small: Bool = false) throws -> (String, String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let lines = try String(contentsOfFile: root + "/data/manufacturing/parts.csv", encoding: .utf8).split(separator: "\n")
        let train = dir.file("train.csv"), val = dir.file("val.csv")
        let (n, m) = small ? (1500, 1000) : (3000, 2000)
        try (lines.prefix(n + 1).joined(separator: "\n") + "\n").write(toFile: train, atomically: true, encoding: .utf8)
        try ([String(lines[0])] + lines.dropFirst(n + 1).prefix(m).map(String.init)).joined(separator: "\n").appending("\n").write(toFile: val, atomically: true, encoding: .utf8)
        return (train, val)
    }

    let drop = "UDI,Product ID,TWF,HDF,PWF,OSF,RNF"

    func testCompressKeepsTheContractAndTheModelScores() throws {
        let (train, val) = try split()
        let model = dir.file("m.lepton"), small = dir.file("s.lepton")
        // Under a sanitizer (each fit ten times slower) 40 trees cut to 12, else 100 cut to 30.
        let (rounds, kept) = Sanitizers.active ? (40, 12) : (100, 30)
        let t = try qc.run(["train", "--data", train, "--target", "Machine failure", "--positive", "1", "--drop", drop, "--rounds", String(rounds),
                            "--out", model, "-q"])
        XCTAssertEqual(t.status, 0, t.err)
        let r = try qc.run(["compress", "--model", model, "--method", "trees", "--trees", String(kept), "--val", val, "--out", small, "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try r.json()
        for key in ["bytes", "metric_before", "metric_after", "speedup", "recall_before", "recall_after"] { XCTAssertNotNil(s[key], key) }
        XCTAssertLessThan(s["bytes"] as? Int ?? .max, s["bytes_before"] as? Int ?? 0)
        XCTAssertGreaterThan(s["speedup"] as? Double ?? 0, 0, "measured (a speed goal is make bench's, not a test's)")
        XCTAssertEqual(try FailureModelFile.read(path: small).trees?.trees.count, kept)
        XCTAssertEqual(try qc.run(["score", "--model", small, "--input", val, "--output", dir.file("alerts.csv"), "-q"]).status, 0)
        XCTAssertEqual(try qc.run(["evaluate", "--model", small, "--data", val, "-q"]).status, 0)
        let bad = try qc.run(["compress", "--model", model, "--method", "int8", "--val", val, "--out", dir.file("x.lepton")])
        XCTAssert(bad.err.contains("neural networks"), bad.err)
    }

    func testTuneWritesTheTableAndChoosesWithinTolerance() throws {
        let (train, val) = try split(small: true)
        let out = dir.file("tune")
        let r = try qc.run(["tune", "--data", train, "--val", val, "--target", "Machine failure", "--positive", "1", "--drop", drop,
                            "--out", out, "--json", "-q"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try r.json()
        let pareto = s["pareto"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(pareto.count, 12)
        let full = pareto.filter { $0["fidelity"] as? Double == 1 }
        let best = full.compactMap { $0["metric"] as? Double }.max() ?? 0
        let chosen = pareto.first { $0["chosen"] as? Bool == true }
        XCTAssertGreaterThanOrEqual(chosen?["metric"] as? Double ?? 0, best - 0.01)
        XCTAssertNoThrow(try FailureModelFile.read(path: "\(out)/chosen.lepton"))
    }
}

final class PartsDataCacheTests: XCTestCase {
    func testACachedLogIsTheParsedOneAndAChangedFileIsReadAgain() throws {
        let dir = try TemporaryDirectory("parts-cache")
        defer { dir.remove() }
        let csv = try dir.write("p.csv", "a,b [mm],Type,fail\n1,2,L,0\n3,4.5,H,1\n,7,L,0\n")
        let cache = DataCache(directory: dir.file("cache"))
        let derived = [try FeatureExpression(#"s = a + "b [mm]""#)]
        let plain = try PartsData.load(path: csv, target: "fail", positive: "1", derived: derived)
        let first = try PartsData.load(path: csv, target: "fail", positive: "1", derived: derived, cache: cache)
        let second = try PartsData.load(path: csv, target: "fail", positive: "1", derived: derived, cache: cache)
        XCTAssertEqual([cache.hits, cache.misses], [1, 1])
        for d in [first, second] {
            XCTAssertEqual(d.schema.names, plain.schema.names)
            XCTAssertEqual(d.schema.kinds, plain.schema.kinds)
            XCTAssertEqual(d.schema.inputs, plain.schema.inputs)
            XCTAssertEqual(d.schema.derived.map(\.source), plain.schema.derived.map(\.source))
            XCTAssertEqual(d.labels, plain.labels)
            XCTAssertEqual(d.rowsRead, plain.rowsRead)
            XCTAssertEqual(d.nonFiniteDerived, plain.nonFiniteDerived)
            for (x, y) in zip(d.columns, plain.columns) { XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern)) }
        }
        // Another expression is another entry; a changed file is read again.
        _ = try PartsData.load(path: csv, target: "fail", positive: "1", cache: cache)
        XCTAssertEqual(cache.misses, 2)
        Thread.sleep(forTimeInterval: 0.01)
        _ = try dir.write("p.csv", "a,b [mm],Type,fail\n1,2,L,0\n3,4.5,H,1\n")
        let changed = try PartsData.load(path: csv, target: "fail", positive: "1", derived: derived, cache: cache)
        XCTAssertEqual(changed.count, 2)
        // A file with a rejected row is never cached (the rejects' messages are not kept).
        let bad = try dir.write("bad.csv", "a,fail\n1,0\n2,1\n\"3\"x,1\n4,0\n")
        let r1 = try PartsData.load(path: bad, target: "fail", positive: "1", cache: cache)
        let r2 = try PartsData.load(path: bad, target: "fail", positive: "1", cache: cache)
        XCTAssertEqual(r1.rejected.count, r2.rejected.count)
        XCTAssertGreaterThan(r2.rejected.count, 0)
    }
}
