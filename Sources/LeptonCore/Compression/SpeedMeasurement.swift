import Foundation

/// Latency of one record and throughput of a batch, measured on the machine that runs it.
///
/// Latency: `warmup` calls are discarded, then `repeats` calls are timed one by one with a
/// monotonic clock; p50 and p99 are order statistics of those times (nearest rank,
/// `v₍⌈q·m⌉₎`). Throughput: records per second of whole batches, the best of `rounds` timed
/// rounds after one warm-up round (the best, because a shared machine only ever adds time).
public struct SpeedMeasurement: Sendable, Equatable, Codable {
    /// Median time of one record at batch 1, in microseconds.
    public var latencyP50Microseconds: Double
    /// 99th percentile of the same times.
    public var latencyP99Microseconds: Double
    /// Records per second at ``batchSize``.
    public var throughput: Double
    /// Records per batch of the throughput measurement.
    public var batchSize: Int
    /// Threads the measured code was allowed to use.
    public var threads: Int

    public init(latencyP50Microseconds: Double, latencyP99Microseconds: Double, throughput: Double, batchSize: Int, threads: Int) {
        self.latencyP50Microseconds = latencyP50Microseconds
        self.latencyP99Microseconds = latencyP99Microseconds
        self.throughput = throughput
        self.batchSize = batchSize
        self.threads = threads
    }

    /// CPU-seconds one record costs at the measured throughput: `threads / throughput`
    /// (every thread is billed while the batch runs).
    public var cpuSecondsPerRecord: Double { throughput > 0 ? Double(threads) / throughput : .infinity }
}

/// Timing helpers behind ``SpeedMeasurement``.
public enum SpeedMeter {
    /// Seconds on the monotonic clock.
    @inline(__always)
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// Times `repeats` single-record calls (after `warmup` untimed ones) and returns
    /// (p50, p99) in microseconds; `body(i)` scores record i (callers cycle through their sample).
    public static func latency(warmup: Int = 20, repeats: Int = 200, _ body: (Int) -> Void) -> (p50: Double, p99: Double) {
        precondition(repeats >= 1 && warmup >= 0, "latency: at least one timed call")
        for i in 0..<warmup { body(i) }
        var times = [Double](repeating: 0, count: repeats)
        for i in 0..<repeats {
            let t0 = now()
            body(warmup + i)
            times[i] = (now() - t0) * 1e6
        }
        times.sort()
        return (nearestRank(times, 0.5), nearestRank(times, 0.99))
    }

    /// Records per second of `body`, which scores one batch of `records` records: the best of
    /// `rounds` timed rounds after one warm-up, each round repeated until it lasts at least
    /// `minimumSeconds`.
    public static func throughput(records: Int, rounds: Int = 3, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        precondition(records >= 1 && rounds >= 1, "throughput: at least one record and one round")
        body()
        var best = 0.0
        for _ in 0..<rounds {
            var calls = 0
            let t0 = now()
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = now() - t0
            } while elapsed < minimumSeconds
            best = max(best, Double(calls * records) / max(elapsed, 1e-9))
        }
        return best
    }

    /// Throughput of `b` divided by that of `a`, measured in alternating rounds (a, b, a, b…) so
    /// that a change in the machine's load falls on both alike; the ratio of the two medians.
    public static func interleavedSpeedup(records: Int, rounds: Int = 5, minimumSeconds: Double = 0.05,
                                          a: () -> Void, b: () -> Void) -> (speedup: Double, throughputA: Double, throughputB: Double) {
        var ta: [Double] = [], tb: [Double] = []
        a(); b()
        for _ in 0..<max(1, rounds) {
            ta.append(throughput(records: records, rounds: 1, minimumSeconds: minimumSeconds, a))
            tb.append(throughput(records: records, rounds: 1, minimumSeconds: minimumSeconds, b))
        }
        ta.sort(); tb.sort()
        let ma = ta[ta.count / 2], mb = tb[tb.count / 2]
        return (ma > 0 ? mb / ma : .nan, ma, mb)
    }

    /// The nearest-rank q-quantile of sorted values: `v₍⌈q·m⌉₎` (1-based).
    public static func nearestRank(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
