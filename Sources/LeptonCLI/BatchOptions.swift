import ArgumentParser

/// Part K of N of an input (K from 1 to N), for splitting one big file across machines: a
/// Kubernetes indexed Job, a Slurm array or Spark's `RDD.pipe` each run one shard, and the
/// shards' outputs together equal the unsharded output.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based index of this part.
    public let index: Int
    /// Number of parts.
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 1, index <= count else {
            throw ValidationError("shard \(index)/\(count): K must be between 1 and N. Hint: with N machines, machine K (counting from 1) passes --shard K/N, e.g. --shard 1/\(max(count, 1)).")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0].trimmingSpaces), let n = Int(parts[1].trimmingSpaces) else {
            throw ValidationError("shard '\(text)' is not of the form K/N. Hint: write e.g. --shard 2/8 for the second of eight parts; with a Kubernetes indexed Job use --shard $((JOB_COMPLETION_INDEX+1))/N, with Slurm --shard $SLURM_ARRAY_TASK_ID/N.")
        }
        return try Shard(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Options of batch commands (scoring, checking a file): sharding, the rejects file and the
/// largest tolerated share of rejected records.
public struct BatchOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Process only part K of N of the input (K from 1 to N), so that N machines can split one file; the parts' outputs together equal the whole output.",
                               valueName: "K/N"),
            transform: Shard.parse)
    public var shard: Shard?

    @Option(help: ArgumentHelp("Where to write rejected records with their row number and reason (default: <output>.rejects.csv).",
                               valueName: "file"))
    public var rejects: String?

    @Option(help: ArgumentHelp("Largest tolerated share of rejected records, from 0 to 1; above it the job still writes its outputs but exits with code 3.",
                               valueName: "rate"))
    public var maxRejectRate: Double = 0.01

    @Option(help: ArgumentHelp("Split the input (or its shard) across threads only when it holds at least this many bytes of data; smaller inputs run on one thread.",
                               valueName: "bytes"))
    public var minPartBytes = 4 << 20

    public init() {}

    public func validate() throws {
        guard maxRejectRate.isFinite, maxRejectRate >= 0, maxRejectRate <= 1 else {
            throw ValidationError("--max-reject-rate \(maxRejectRate) is not between 0 and 1. Hint: 0.01 tolerates 1% rejected records; 1 tolerates any number.")
        }
        guard minPartBytes >= 1 else { throw ValidationError("--min-part-bytes \(minPartBytes): at least 1. Hint: the default, 4194304, suits most files.") }
    }
}
