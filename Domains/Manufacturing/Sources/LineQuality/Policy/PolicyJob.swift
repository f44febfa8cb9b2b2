import Foundation
import LeptonCore
import LeptonIO
import LeptonReport

/// `lepton-qc policy`: the replacement policy from a model's risk by wear, its costs against
/// running to failure and a fixed schedule, and the Q-learning cross-check on a simulated log.
public struct PolicyJob: Sendable {
    public var policy: MaintenancePolicy
    public var replaceAt: Double?
    public var costPer1000: Double
    public var costRunToFailure: Double
    public var costFixedSchedule: Double
    public var fixedSchedule: Double
    /// The cross-check on a log simulated by `synth`: value iteration and Q-learning on its observed failures.
    public var simulatedValueIteration: Double?
    public var simulatedQLearning: Double?
    /// The simulated log's cost per 1,000 parts under each of the two policies (exact, by policy evaluation).
    public var simulatedValueIterationCost: Double
    public var simulatedQLearningCost: Double
    /// Whether Q-learning's policy costs at most `tolerance` (relative) more than value iteration's on the simulated log.
    public var checkAgrees: Bool
    public var tolerance: Double

    public static func run(model: FailureModel, path: String, wearColumn: String, costs: MaintenancePolicy.Costs, step: Double = 10,
                           fixedSchedule: Double = 200, seed: UInt64, threads: Int = ThreadCount.auto.resolved) throws -> PolicyJob {
        guard model.spec.kind == .gbdt else {
            throw DataError(file: path, message: "an anomaly model's scores are not failure probabilities",
                            hint: "give a failure model (train --kind gbdt) to compute a replacement policy.")
        }
        let data = try PartsData.load(path: path, target: nil, positive: nil, schema: model.spec.schema, threads: threads)
        let wear = try TabularTable.read(path: path, kinds: [wearColumn: .numeric], threads: threads).column(wearColumn).numbers
        guard wear.count == data.count else {
            throw DataError(file: path, field: wearColumn, message: "rows with text in a reading were left out, so wear and scores do not line up",
                            hint: "fix or remove the rejected rows first.")
        }
        let scores = try model.scores(data.features, threads: threads)
        let fitted = try MaintenancePolicy.fromModel(scores: scores, wear: wear, step: step)
        let policy = MaintenancePolicy(hazard: fitted.hazard, step: step, wearPerPart: fitted.wearPerPart, costs: costs)
        let best = policy.optimal()
        let fixedBin = Int((fixedSchedule / step).rounded(.up))
        // The cross-check: a simulated log's observed failures by wear, solved both ways.
        let folder = NSTemporaryDirectory() + "lepton-qc-policy-\(getpid())-\(seed)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let simulated = folder + "/parts.csv"
        try LineSynth.writeParts(to: simulated, rows: 100_000, seed: seed)
        let table = try TabularTable.read(path: simulated, kinds: ["Tool wear [min]": .numeric, "Machine failure": .numeric], threads: threads)
        let empirical = try MaintenancePolicy.fromOutcomes(labels: try table.column("Machine failure").numbers,
                                                           wear: try table.column("Tool wear [min]").numbers, step: step)
        let simulatedPolicy = MaintenancePolicy(hazard: empirical.hazard, step: step, wearPerPart: empirical.wearPerPart, costs: costs)
        let viBest = simulatedPolicy.optimal(), qThreshold = simulatedPolicy.qLearning(parts: 10_000_000, seed: seed)
        let viCost = 1000 * viBest.gain, qCost = 1000 * simulatedPolicy.averageCost(replacingAt: qThreshold)
        // Near the optimum the cost curve is flat, so the two are compared by what their policies cost.
        let tolerance = 0.02
        let agrees = qCost <= viCost * (1 + tolerance) + 1e-9
        return PolicyJob(policy: policy, replaceAt: best.threshold.map { Double($0) * step }, costPer1000: 1000 * best.gain,
                         costRunToFailure: 1000 * policy.averageCost(replacingAt: nil),
                         costFixedSchedule: 1000 * policy.averageCost(replacingAt: fixedBin), fixedSchedule: fixedSchedule,
                         simulatedValueIteration: viBest.threshold.map { Double($0) * step }, simulatedQLearning: qThreshold.map { Double($0) * step },
                         simulatedValueIterationCost: viCost, simulatedQLearningCost: qCost, checkAgrees: agrees, tolerance: tolerance)
    }

    public var jsonFields: [(String, JSONValue)] {
        [("replace_at", replaceAt.map { .double($0) } ?? .null), ("cost_per_1000", .double(costPer1000)),
         ("cost_run_to_failure", .double(costRunToFailure)), ("cost_fixed_schedule", .double(costFixedSchedule)),
         ("fixed_schedule", .double(fixedSchedule)), ("wear_per_part", .double(policy.wearPerPart)),
         ("hazard", .array(policy.hazard.map { .double($0) })),
         ("check", .object([("value_iteration_replace_at", simulatedValueIteration.map { .double($0) } ?? .null),
                            ("q_learning_replace_at", simulatedQLearning.map { .double($0) } ?? .null),
                            ("value_iteration_cost_per_1000", .double(simulatedValueIterationCost)),
                            ("q_learning_cost_per_1000", .double(simulatedQLearningCost)),
                            ("relative_tolerance", .double(tolerance)), ("agrees", .bool(checkAgrees))]))]
    }

    public var lines: [String] {
        func at(_ v: Double?) -> String { v.map { "\(NumberFormat.exact($0)) minutes of wear" } ?? "never (run to failure)" }
        return ["replace the tool at \(at(replaceAt)): \(String(format: "%.1f", costPer1000)) per 1,000 parts",
                String(format: "run to failure: %.1f per 1,000 parts; fixed schedule (every %@ minutes): %.1f per 1,000 parts",
                       costRunToFailure, NumberFormat.exact(fixedSchedule), costFixedSchedule),
                String(format: "risk per part by wear (%@-minute bins, %.2f minutes of wear per part): %@", NumberFormat.exact(policy.step), policy.wearPerPart,
                       policy.hazard.map { String(format: "%.4f", $0) }.joined(separator: " ")),
                String(format: "check on a simulated log: value iteration replaces at %@ (%.1f per 1,000), Q-learning at %@ (%.1f per 1,000) — %@",
                       at(simulatedValueIteration), simulatedValueIterationCost, at(simulatedQLearning), simulatedQLearningCost,
                       checkAgrees ? "agree within \(Int(tolerance * 100))% of the cost" : "DISAGREE by more than \(Int(tolerance * 100))% of the cost")]
    }
}
