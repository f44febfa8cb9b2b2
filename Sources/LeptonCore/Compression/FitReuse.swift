/// Models fitted during one `tune` run, by what fits them (family, size, fidelity): every
/// candidate that only compresses or re-times a model reuses it instead of fitting it again.
public final class FitReuse<Model>: @unchecked Sendable {  // used from one thread
    private var fits: [String: (model: Model, seconds: Double)] = [:]
    /// Lookups answered from a model already fitted, and the fitting seconds they did not spend.
    public private(set) var hits = 0
    public private(set) var secondsSaved = 0.0

    public init() {}

    /// The model fitted under `key`, fitting it with `fit` the first time; with the seconds its
    /// fit took and whether it was reused.
    public func model(_ key: String, fit: () throws -> Model) rethrows -> (model: Model, seconds: Double, reused: Bool) {
        if let hit = fits[key] {
            hits += 1
            secondsSaved += hit.seconds
            return (hit.model, hit.seconds, true)
        }
        let t0 = SpeedMeter.now()
        let model = try fit()
        let fitted = (model: model, seconds: SpeedMeter.now() - t0)
        fits[key] = fitted
        return (fitted.model, fitted.seconds, false)
    }
}

extension SpeedMeter {
    /// p50/p99 latency of `single(i)` (one record) and throughput of `batch()` (`records` records)
    /// on `threads` threads: the one measurement every `tune` makes of a candidate.
    public static func measure(records: Int, threads: Int, warmup: Int = 20, repeats: Int = 500, minimumSeconds: Double = 0.05,
                               single: (Int) -> Void, batch: () -> Void) -> SpeedMeasurement {
        let latency = SpeedMeter.latency(warmup: warmup, repeats: repeats, single)
        let throughput = SpeedMeter.throughput(records: records, rounds: 3, minimumSeconds: minimumSeconds, batch)
        return SpeedMeasurement(latencyP50Microseconds: latency.p50, latencyP99Microseconds: latency.p99, throughput: throughput,
                                batchSize: records, threads: threads)
    }
}
