import ArgumentParser
import LeptonIO
import LeptonCore

/// The options `tune` takes in every executable: where to write, the budget, the constraints
/// and the price of a CPU-hour. Each domain adds its data options (`--data`, `--val`…).
public struct TuneOptions: ParsableArguments, Sendable {
    @Option(help: "Folder for the Pareto table (pareto.csv, pareto.json), the report (report.html) and the chosen model (chosen.lepton).")
    public var out: String
    @Option(help: "Stop exploring after this many minutes (what is measured by then is kept).") public var budgetMinutes = 10.0
    @Option(help: "Smallest acceptable value of the domain metric.") public var minMetric: Double?
    @Option(help: "Largest acceptable p50 latency of one record, in microseconds.") public var maxLatencyUs: Double?
    @Option(help: "Largest acceptable model file, in KB.") public var maxSizeKb: Double?
    @Option(help: "Largest acceptable cost per million predictions (currency of --cpu-hour-price).") public var maxCostPerMillion: Double?
    @Option(help: "Price of one CPU-hour (default: US$ 0.04465, an AWS c7i.large on-demand vCPU-hour; see ARCHITECTURE.md).")
    public var cpuHourPrice = CostModel.defaultCPUHourPrice
    @Option(help: "Choose the cheapest candidate within this much of the best metric (default: the domain's).") public var tolerance: Double?

    public init() {}

    public func validate() throws {
        guard budgetMinutes.isFinite, budgetMinutes > 0 else { throw ValidationError("--budget-minutes \(budgetMinutes): a positive number.") }
        guard cpuHourPrice.isFinite, cpuHourPrice >= 0 else { throw ValidationError("--cpu-hour-price \(cpuHourPrice): a non-negative number.") }
        for (name, v) in [("--min-metric", minMetric), ("--max-latency-us", maxLatencyUs), ("--max-size-kb", maxSizeKb),
                          ("--max-cost-per-million", maxCostPerMillion), ("--tolerance", tolerance)] {
            if let v, !v.isFinite { throw ValidationError("\(name) \(v): a finite number.") }
        }
    }

    /// The constraints, with a domain's extra minimums (e.g. `sensitivity_lower_ci`).
    public func constraints(minimums: [String: Double] = [:]) -> NavigatorConstraints {
        NavigatorConstraints(minMetric: minMetric, maxLatencyMicroseconds: maxLatencyUs, maxSizeKB: maxSizeKb,
                             maxCostPerMillion: maxCostPerMillion, minimums: minimums)
    }

    public var costModel: CostModel { CostModel(cpuHourPrice: cpuHourPrice) }
}

/// `--cache-dir` and `--no-cache`: where decoded and preprocessed data are kept between runs
/// (LeptonCore `DataCache`), and the `data_cache` summary fields.
public struct CacheOptions: ParsableArguments, Sendable {
    @Option(help: "Folder of the on-disk cache of decoded data (default: $LEPTON_CACHE_DIR, else ~/.cache/lepton).") public var cacheDir: String?
    @Option(help: "Largest size of the cache folder, in MB (least recently used entries go first).") public var cacheMaxMb = 1024
    @Flag(help: "Decode the data again instead of reading the on-disk cache.") public var noCache = false

    public init() {}

    /// The cache, or nil with `--no-cache`.
    public func cache() -> DataCache? {
        noCache ? nil : DataCache(directory: cacheDir ?? DataCache.defaultDirectory, maxBytes: max(1, cacheMaxMb) << 20)
    }

    /// `data_cache`: hits, misses, hit rate and seconds saved (an empty object without a cache).
    public static func summary(_ cache: DataCache?) -> (String, JSONValue) {
        guard let cache else { return ("data_cache", .object([])) }
        return ("data_cache", .object([("hits", .int(cache.hits)), ("misses", .int(cache.misses)), ("hit_rate", .double(cache.hitRate)),
                                       ("seconds_saved", .double(cache.secondsSaved)), ("folder", .string(cache.directory))]))
    }

    /// A line for people.
    public static func line(_ cache: DataCache?) -> String? {
        guard let cache, cache.hits + cache.misses > 0 else { return nil }
        return String(format: "data cache: %d hit(s), %d miss(es), %.2f s saved (%@)", cache.hits, cache.misses, cache.secondsSaved, cache.directory)
    }
}
