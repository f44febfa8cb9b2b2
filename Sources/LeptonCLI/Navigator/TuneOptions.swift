import ArgumentParser
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
