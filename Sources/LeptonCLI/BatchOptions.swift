import ArgumentParser
import Foundation

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

    /// This shard's part of `count` items in a row (files of a folder, say): a contiguous range,
    /// the parts in order covering all items once, cut only at multiples of `alignment` so that
    /// batches of that size are the same with or without sharding.
    public func range(of count: Int, alignment: Int = 1) -> Range<Int> {
        let step = max(1, alignment)
        let blocks = (count + step - 1) / step
        let firstBlock = blocks * (index - 1) / self.count, endBlock = blocks * index / self.count
        return min(count, firstBlock * step)..<min(count, endBlock * step)
    }

    /// The shard a job array's environment names, or nil outside one:
    /// - Slurm job arrays: shard `(SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP + 1`
    ///   of `SLURM_ARRAY_TASK_COUNT` (the step is 1 unless the array has one);
    /// - Kubernetes Indexed Jobs: shard `JOB_COMPLETION_INDEX + 1` of `shardCount` (`--shard-count`)
    ///   or `LEPTON_SHARD_COUNT`, since the Job gives no count.
    public static func fromEnvironment(_ environment: [String: String], shardCount: Int?) throws -> Shard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"], let count = environment["SLURM_ARRAY_TASK_COUNT"] {
            guard let task = Int(id), let n = Int(count), let low = Int(environment["SLURM_ARRAY_TASK_MIN"] ?? "0"),
                  let step = Int(environment["SLURM_ARRAY_TASK_STEP"] ?? "1"), step >= 1 else {
                throw ValidationError("SLURM_ARRAY_TASK_ID=\(id), SLURM_ARRAY_TASK_COUNT=\(count): not whole numbers. Hint: run under `sbatch --array=0-N`, or pass --shard K/N.")
            }
            // A stepped array (--array=0-15:4) numbers its tasks MIN, MIN+STEP, …
            return try Shard(index: (task - low) / step + 1, count: n)
        }
        if let index = environment["JOB_COMPLETION_INDEX"] {
            guard let k = Int(index) else { throw ValidationError("JOB_COMPLETION_INDEX=\(index) is not a whole number.") }
            guard let n = shardCount ?? environment["LEPTON_SHARD_COUNT"].flatMap({ Int($0) }) else {
                throw ValidationError("JOB_COMPLETION_INDEX=\(index) is set (a Kubernetes Indexed Job) but not the number of shards. Hint: pass --shard-count N or set LEPTON_SHARD_COUNT to the Job's completions.")
            }
            return try Shard(index: k + 1, count: n)
        }
        return nil
    }
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
    @OptionGroup public var sharding: ShardOptions

    /// `--shard`, when given.
    public var shard: Shard? { sharding.shard }
    /// The shard to process (see ``ShardOptions/resolvedShard``).
    public var resolvedShard: Shard? { sharding.resolvedShard }

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

/// Which part of the input a batch command processes: `--shard K/N`, or the shard a Slurm job
/// array or a Kubernetes Indexed Job names in the environment (``Shard/fromEnvironment(_:shardCount:)``).
public struct ShardOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Process only part K of N of the input (K from 1 to N), so that N machines can split one job; the parts' outputs merged (`merge`) equal the whole output. Without it, a Slurm array's or a Kubernetes Indexed Job's variables name the shard.",
                               valueName: "K/N"),
            transform: Shard.parse)
    public var shard: Shard?

    @Option(help: ArgumentHelp("The number of shards when the shard index comes from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, which gives no count); LEPTON_SHARD_COUNT also sets it.",
                               valueName: "N"))
    public var shardCount: Int?

    public init() {}

    /// The shard to process: `--shard` when given (it wins); otherwise the one the environment
    /// names; nil for the whole input.
    public var resolvedShard: Shard? {
        shard ?? (try? Shard.fromEnvironment(ProcessInfo.processInfo.environment, shardCount: shardCount))
    }

    public func validate() throws {
        if shard == nil { _ = try Shard.fromEnvironment(ProcessInfo.processInfo.environment, shardCount: shardCount) }
    }

    /// A note saying so when the shard came from the environment (a job array's variables), not
    /// from `--shard`: a run inside an array that meant to process its whole input should hear it.
    public var environmentNote: String? {
        guard shard == nil, let from = resolvedShard else { return nil }
        return "processing shard \(from) of the input, as the job array's environment says (SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX); pass --shard 1/1 to process all of it."
    }
}
