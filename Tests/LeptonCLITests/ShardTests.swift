import ArgumentParser
@testable import LeptonCLI
import XCTest

final class ShardTests: XCTestCase {
    func testTheEnvironmentNamesTheShardOfAJobArray() throws {
        XCTAssertNil(try Shard.fromEnvironment([:], shardCount: nil))
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"], shardCount: nil),
                       try Shard(index: 3, count: 4))
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"], shardCount: nil), try Shard(index: 1, count: 2))
        // --array=0-15:4 runs tasks 0, 4, 8, 12: shards 1…4 of 4.
        for (task, k) in [("0", 1), ("4", 2), ("8", 3), ("12", 4)] {
            XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": task, "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "4",
                                                      "SLURM_ARRAY_TASK_COUNT": "4"], shardCount: nil), try Shard(index: k, count: 4))
        }
        XCTAssertEqual(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], shardCount: 4), try Shard(index: 4, count: 4))
        XCTAssertEqual(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "LEPTON_SHARD_COUNT": "8"], shardCount: nil), try Shard(index: 1, count: 8))
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"], shardCount: nil))
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], shardCount: 4))
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"], shardCount: nil))
    }

    /// Property: for any count, alignment and N, the shards' ranges are contiguous, in order,
    /// cover every item once, and cut only at multiples of the alignment.
    func testRangesPartitionAtAlignedCuts() throws {
        for count in [0, 1, 2, 7, 100, 1_001] {
            for alignment in [1, 3, 256] {
                for n in [1, 2, 3, 4, 7] {
                    var next = 0
                    for k in 1...n {
                        let range = try Shard(index: k, count: n).range(of: count, alignment: alignment)
                        XCTAssertEqual(range.lowerBound, next)
                        XCTAssertTrue(range.lowerBound % alignment == 0 || range.lowerBound == count)
                        next = range.upperBound
                    }
                    XCTAssertEqual(next, count, "count \(count) alignment \(alignment) n \(n)")
                }
            }
        }
    }
}
