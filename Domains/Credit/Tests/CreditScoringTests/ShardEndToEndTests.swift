import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// Batch scoring split over four processes as a Slurm job array or a Kubernetes Indexed Job
/// runs it, merged with `merge`: byte-identical to the one-process run, rejects included.
final class ShardEndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-shards") }
    override func tearDown() { dir.remove() }
    let credit = BuiltExecutable("lepton-credit")

    /// The German credit file three times over, with a few malformed rows (rejected).
    func input() throws -> String {
        let lines = try String(contentsOfFile: germanCreditPath, encoding: .utf8).split(whereSeparator: \.isNewline)
        var out = [String(lines[0])]
        for copy in 0..<3 {
            for (k, line) in lines.dropFirst().enumerated() where !line.isEmpty {
                if copy == 1 && k % 250 == 7 {
                    var fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                    fields[1] = "six"  // text in duration_in_month
                    out.append(fields.joined(separator: ","))
                } else {
                    out.append(String(line))
                }
            }
        }
        return try dir.write("applicants.csv", out.joined(separator: "\n") + "\n")
    }

    func testFourShardsMergedEqualOneProcessByteForByte() throws {
        let model = dir.file("card.lepton")
        let t = try credit.run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--out", model, "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        let data = try input()
        let whole = try credit.run(["score", "--model", model, "--input", data, "--output", dir.file("whole.csv"), "--max-reject-rate", "1", "--quiet"])
        XCTAssertEqual(whole.status, 0, whole.err)

        // Four processes at once, as `sbatch --array=3-6` starts them (a minimum other than 0).
        let credit = self.credit, folder = dir!
        let outcomes = onThreads(4) { k in
            (try? credit.run(["score", "--model", model, "--input", data, "--output", folder.file("slurm-\(k).csv"),
                                   "--max-reject-rate", "1", "--min-part-bytes", "10000", "--quiet"],
                                  environment: ["SLURM_ARRAY_TASK_ID": String(k + 3), "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"]))?.status ?? -1
        }
        XCTAssertEqual(outcomes, [0, 0, 0, 0])
        let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("slurm-2.csv.shard.json")))) as? [String: Any])
        XCTAssertEqual(sidecar["shard"] as? String, "3/4")
        XCTAssertTrue((sidecar["model_checksum"] as? String ?? "").hasPrefix("crc32:"))
        let m = try credit.run(["merge", "--output", dir.file("merged.csv"), "--max-reject-rate", "1", "--json"]
                               + [3, 1, 0, 2].map { dir.file("slurm-\($0).csv") })
        XCTAssertEqual(m.status, 0, m.err)
        let summary = try m.json()
        XCTAssertEqual(summary["read"] as? Int, 3_000)
        XCTAssertEqual((summary["written"] as? Int ?? 0) + (summary["rejected"] as? Int ?? 0), 3_000)
        XCTAssertGreaterThan(summary["rejected"] as? Int ?? 0, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv"))), try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv"))))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv.rejects.csv"))),
                       try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv.rejects.csv"))))

        // Kubernetes Indexed Job: JOB_COMPLETION_INDEX from 0 and the count from LEPTON_SHARD_COUNT.
        for k in 0..<4 {
            let r = try credit.run(["score", "--model", model, "--input", data, "--output", dir.file("k8s-\(k).csv"), "--max-reject-rate", "1", "--quiet"],
                                   environment: ["JOB_COMPLETION_INDEX": String(k), "LEPTON_SHARD_COUNT": "4"])
            XCTAssertEqual(r.status, 0, r.err)
        }
        XCTAssertEqual(try credit.run(["merge", "--output", dir.file("merged-k8s.csv"), "--max-reject-rate", "1", "--quiet"] + (0..<4).map { dir.file("k8s-\($0).csv") }).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged-k8s.csv"))), try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv"))))
        // Without a count, an Indexed Job's index is a clear usage error.
        let noCount = try credit.run(["score", "--model", model, "--input", data, "--output", dir.file("x.csv")], environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(noCount.status, 2)
        XCTAssertTrue(noCount.err.contains("--shard-count"), noCount.err)
        // --shard wins over the environment.
        let explicit = try credit.run(["score", "--model", model, "--input", data, "--output", dir.file("explicit.csv"), "--shard", "2/4",
                                       "--max-reject-rate", "1", "--quiet"], environment: ["JOB_COMPLETION_INDEX": "0", "LEPTON_SHARD_COUNT": "4"])
        XCTAssertEqual(explicit.status, 0, explicit.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("explicit.csv"))), try Data(contentsOf: URL(fileURLWithPath: dir.file("k8s-1.csv"))))

        // Refused: a missing shard, a shard twice, a shard of another model.
        let missing = try credit.run(["merge", "--output", dir.file("bad.csv")] + (0..<3).map { dir.file("k8s-\($0).csv") })
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("4/4"), missing.err)
        let twice = try credit.run(["merge", "--output", dir.file("bad.csv")] + [0, 1, 2, 3, 1].map { dir.file("k8s-\($0).csv") })
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.err.contains("twice"), twice.err)
        let other = dir.file("other.lepton")
        XCTAssertEqual(try credit.run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--out", other, "--kind", "gbdt", "--quiet"]).status, 0)
        XCTAssertEqual(try credit.run(["score", "--model", other, "--input", data, "--output", dir.file("foreign.csv"), "--shard", "4/4", "--max-reject-rate", "1", "--quiet"]).status, 0)
        let foreign = try credit.run(["merge", "--output", dir.file("bad.csv")] + (0..<3).map { dir.file("k8s-\($0).csv") } + [dir.file("foreign.csv")])
        XCTAssertEqual(foreign.status, 1)
        XCTAssertTrue(foreign.err.contains("another job"), foreign.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("bad.csv")))
    }
}

