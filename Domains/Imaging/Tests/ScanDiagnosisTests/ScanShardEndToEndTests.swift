import Foundation
import LeptonTestSupport
import XCTest

/// `classify` over four shards (cut at whole batches) merged: byte-identical to one run.
final class ScanShardEndToEndTests: XCTestCase {
    let scan = BuiltExecutable("lepton-scan")

    func testFourShardsMergedEqualOneRun() throws {
        let dir = try TemporaryDirectory("scan-shards")
        defer { dir.remove() }
        let train = dir.file("train"), scans = dir.file("scans")
        XCTAssertEqual(try scan.run(["synth", "--count", "80", "--size", "16", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try scan.run(["synth", "--count", "37", "--size", "16", "--seed", "2", "--out", scans, "--quiet"]).status, 0)
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: scans + "/broken.png"))
        let model = dir.file("m.lepton")
        XCTAssertEqual(try scan.run(["train", "--data", train, "--model", "cnn-small", "--epochs", "1", "--positive", "finding", "--out", model, "--quiet"]).status, 0)
        let common = ["classify", "--model", model, "--input", scans, "--batch-size", "4", "--max-reject-rate", "1", "--quiet"]
        XCTAssertEqual(try scan.run(common + ["--output", dir.file("whole.csv")]).status, 0)
        for k in 1...4 {
            let r = try scan.run(common + ["--output", dir.file("part-\(k).csv"), "--shard", "\(k)/4"])
            XCTAssertEqual(r.status, 0, r.err)
        }
        let m = try scan.run(["merge", "--output", dir.file("merged.csv"), "--max-reject-rate", "1", "--quiet"] + (1...4).map { dir.file("part-\($0).csv") })
        XCTAssertEqual(m.status, 0, m.err)
        for suffix in ["", ".rejects.csv"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv" + suffix))),
                           try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv" + suffix))), suffix)
        }
        // A shard cut with another --batch-size covers other scans: refused, not silently merged.
        let other = common.map { $0 == "4" ? "8" : $0 }
        XCTAssertEqual(try scan.run(other + ["--output", dir.file("part-2b.csv"), "--shard", "2/4"]).status, 0)
        let mixed = try scan.run(["merge", "--output", dir.file("mixed.csv")] + [1, 3, 4].map { dir.file("part-\($0).csv") } + [dir.file("part-2b.csv")])
        XCTAssertEqual(mixed.status, 1)
        XCTAssertTrue(mixed.err.contains("batches of 8"), mixed.err)
    }
}
