import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO

/// The options `compress` takes in every executable (the contract of the navigator issue):
/// `--model MODEL --method M --out MODEL2 [--calibration DATA] [--val DATA] [--tolerance T] --json`.
public struct CompressOptions: ParsableArguments, Sendable {
    @Option(help: "The model file to compress (what train writes).") public var model: String
    @Option(help: ArgumentHelp("How: int8, prune, cluster, distill, trees or characteristics (which apply depends on the model; see the README).",
                               valueName: "method"))
    public var method: String
    @Option(help: "The compressed model file to write.") public var out: String
    @Option(help: "Sample data for calibration and, without --val, for the before/after figures.") public var calibration: String?
    @Option(help: "Held-out data with outcomes for the before/after figures (else --calibration).") public var val: String?
    @Option(help: "Largest loss of the domain metric accepted when the method chooses its own size.") public var tolerance = 0.005

    public init() {}

    /// The data the figures are measured on: `--val`, else `--calibration`.
    public func holdout() throws -> String {
        guard let path = val ?? calibration else {
            throw ValidationError("compress measures the model before and after on held-out data: give --val (or --calibration).")
        }
        return path
    }

    public func validate() throws {
        guard tolerance.isFinite, tolerance >= 0, tolerance < 1 else {
            throw ValidationError("--tolerance \(tolerance): between 0 and 1. Hint: 0.005 is a usual AUC tolerance.")
        }
        guard model != out else { throw ValidationError("--out must differ from --model: compress never overwrites the original.") }
    }
}

/// What `compress` prints in every executable: size, the domain metric before and after with
/// the interval of its change, speed-up, and the domain's own re-checks.
public struct CompressionSummary: Sendable {
    public var method: String
    public var description: String
    /// The metric's name (`auc`).
    public var metricName: String
    public var bytesBefore: Int
    public var bytesAfter: Int
    public var metric: MetricChange
    /// Throughput after ÷ before at ``batchSize`` (interleaved runs, same threads).
    public var speedup: Double
    public var throughputBefore: Double
    public var throughputAfter: Double
    public var batchSize: Int
    public var threads: Int
    /// Domain re-checks: JSON key, value, and a line for people.
    public var checks: [(key: String, value: JSONValue, line: String)]
    public var outPath: String

    public init(method: String, description: String, metricName: String, bytesBefore: Int, bytesAfter: Int, metric: MetricChange,
                speedup: Double, throughputBefore: Double, throughputAfter: Double, batchSize: Int, threads: Int,
                checks: [(key: String, value: JSONValue, line: String)], outPath: String) {
        self.method = method; self.description = description; self.metricName = metricName
        self.bytesBefore = bytesBefore; self.bytesAfter = bytesAfter; self.metric = metric; self.speedup = speedup
        self.throughputBefore = throughputBefore; self.throughputAfter = throughputAfter; self.batchSize = batchSize
        self.threads = threads; self.checks = checks; self.outPath = outPath
    }

    /// The `--json` fields: `bytes`, `metric_before`, `metric_after` and `speedup` first.
    public var json: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("bytes", .int(bytesAfter)), ("metric_before", .double(metric.before)), ("metric_after", .double(metric.after)),
            ("speedup", .double(speedup)), ("method", .string(method)), ("description", .string(description)),
            ("metric", .string(metricName)), ("bytes_before", .int(bytesBefore)),
        ]
        if let d = metric.difference {
            fields += [("metric_change", .double(d.estimate)), ("metric_change_lower", .double(d.lower)), ("metric_change_upper", .double(d.upper))]
        }
        fields += [("throughput_before", .double(throughputBefore)), ("throughput_after", .double(throughputAfter)),
                   ("batch_size", .int(batchSize)), ("threads", .int(threads))]
        fields += checks.map { ($0.key, $0.value) }
        fields.append(("model", .string(outPath)))
        return fields
    }

    /// Lines for people.
    public var lines: [String] {
        var out = ["compressed (\(method)): \(description)",
                   String(format: "size: %@ → %@ bytes (%.2f×)", "\(bytesBefore)", "\(bytesAfter)", Double(bytesAfter) / Double(max(1, bytesBefore)))]
        var metricLine = String(format: "%@: %.4f → %.4f", metricName, metric.before, metric.after)
        if let d = metric.difference {
            metricLine += String(format: " (change %+.4f, %.0f%% CI %+.4f to %+.4f, paired bootstrap)", d.estimate, d.level * 100, d.lower, d.upper)
        }
        out.append(metricLine)
        out.append(String(format: "speed: %.3g → %.3g records/s at batch %d on %d thread(s): %.2f× (interleaved runs)",
                          throughputBefore, throughputAfter, batchSize, threads, speedup))
        out += checks.map(\.line).filter { !$0.isEmpty }
        out.append("wrote \(outPath)")
        return out
    }
}

/// The size of a file in bytes (what `compress` reports: the files as written).
public func fileSize(_ path: String) throws -> Int {
    guard let n = fileByteCount(path) else { throw DataError(file: path, message: "cannot read the file's size", hint: "check the path.") }
    return n
}

/// The options of `compress --method trees` in the tree domains (credit, qc).
public struct TreeCompressionOptions: ParsableArguments, Sendable {
    @Option(help: "Trees to keep (default: the fewest within --tolerance of the best held-out metric).") public var trees: Int?
    @Option(help: "Bits per leaf value: 8, 16 or 64.") public var leafBits = 8
    @Option(help: "Fewer leaves: merge bottom splits whose loss reduction is below this (default: keep every leaf).") public var minGain: Double?

    public init() {}

    public func validate() throws {
        guard [8, 16, 64].contains(leafBits) else { throw ValidationError("--leaf-bits \(leafBits): 8, 16 or 64.") }
        if let trees, trees < 1 { throw ValidationError("--trees \(trees): at least 1.") }
        if let minGain, !(minGain >= 0) { throw ValidationError("--min-gain \(minGain): a number ≥ 0.") }
    }

    public var leafPrecision: LeafPrecision { leafBits == 8 ? .int8 : (leafBits == 16 ? .float16 : .float64) }
}
