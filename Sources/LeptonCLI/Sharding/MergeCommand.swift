import ArgumentParser
import LeptonIO

/// `merge --output FILE [--rejects FILE] SHARD_OUTPUT…`, the same in every executable that
/// scores: joins shard outputs and their rejects files in input order and sums the counts
/// (read = written + rejected), refusing a missing, duplicated or foreign shard.
public struct MergeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the outputs (and rejects files) of the N shards of a score/classify job, in input order, checking that none is missing, twice or foreign.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The merged output to write (atomically).") var output: String
    @Option(help: "The merged rejects file (default: <output>.rejects.csv).") var rejects: String?
    @Option(help: "Largest tolerated share of rejected records over all shards; above it the exit code is 3.") var maxRejectRate = 0.01
    @Argument(help: "The shards' output files (each with its .shard.json beside it), in any order.") var shardOutputs: [String]

    public init() {}

    public func run() throws {
        let console = Console(options: common)
        let summary = try ShardMerge.merge(shardOutputs: shardOutputs, output: output, rejects: rejects, maxRejectRate: maxRejectRate)
        try summary.report(to: console, extra: [("shards", .int(shardOutputs.count))])
    }
}
