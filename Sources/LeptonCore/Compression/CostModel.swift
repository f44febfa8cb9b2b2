/// Turns measured CPU time into money.
///
/// cost per million predictions = CPU-seconds per prediction × 10⁶ / 3600 × price per CPU-hour.
///
/// The default price, US$ 0.0446 per vCPU-hour, is AWS EC2's on-demand price of a
/// `c7i.large` (2 vCPUs, US$ 0.0893 per hour, US East (N. Virginia), Linux, as listed on
/// aws.amazon.com/ec2/pricing/on-demand in 2026) divided by its two vCPUs. Give your own
/// with `--cpu-hour-price`.
public struct CostModel: Sendable, Equatable, Codable {
    /// Currency per CPU-hour.
    public var cpuHourPrice: Double

    /// US$ per vCPU-hour of an on-demand c7i.large (see the type's documentation).
    public static let defaultCPUHourPrice = 0.0893 / 2

    public init(cpuHourPrice: Double = CostModel.defaultCPUHourPrice) {
        precondition(cpuHourPrice.isFinite && cpuHourPrice >= 0, "a CPU-hour price is a finite non-negative number")
        self.cpuHourPrice = cpuHourPrice
    }

    /// Currency per million predictions at `cpuSecondsPerPrediction`.
    public func costPerMillion(cpuSecondsPerPrediction: Double) -> Double {
        cpuSecondsPerPrediction * 1e6 / 3600 * cpuHourPrice
    }

    /// Currency for `cpuSeconds` of compute (a training run).
    public func cost(cpuSeconds: Double) -> Double { cpuSeconds / 3600 * cpuHourPrice }
}
