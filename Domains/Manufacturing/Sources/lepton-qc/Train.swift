import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport
import LineQuality

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a failure model (boosted trees on labelled parts) or an anomaly model (isolation forest) and choose its alert threshold.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The per-part CSV.") var data: String
    @Option(help: "The outcome column (gbdt; optional for iforest).") var target: String?
    @Option(help: "The outcome value meaning failure.") var positive: String?
    @Option(help: "Columns to leave out, comma-separated (names may contain spaces and brackets).") var drop: String?
    @Option(help: "An ID column carried through to alerts (never a feature).") var id: String?
    @Option(name: .customLong("feature"), help: ArgumentHelp("A derived feature, NAME = EXPRESSION (repeatable).", valueName: "NAME = EXPR"))
    var features: [String] = []
    @Option(help: "gbdt (failure prediction) or iforest (anomaly scoring).") var kind: FailureModelKind = .gbdt
    @Option(help: "Alert threshold: flag at most this share of normal parts (on out-of-fold scores).") var falseAlarmRate = 0.01
    @Option(help: "Cost of a missed failure (with --inspection-cost: the cost-optimal threshold instead).") var missCost: Double?
    @Option(help: "Cost of inspecting a flagged part.") var inspectionCost: Double?
    @Option(help: "Weight of a failure against a good part in the boosting loss.") var positiveWeight = 1.0
    @Option(help: "Boosting rounds (trees).") var rounds = FailureConfig().rounds
    @Option(help: "Shrinkage of every tree.") var learningRate = FailureConfig().learningRate
    @Option(help: "Most leaves per tree.") var maxLeaves = FailureConfig().maxLeaves
    @Option(help: "The model file to write.") var out: String
    @Option(help: "Write the training report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?

    func validate() throws {
        guard falseAlarmRate > 0, falseAlarmRate < 1 else { throw ValidationError("--false-alarm-rate \(falseAlarmRate): between 0 and 1. Hint: 0.01 flags 1% of good parts.") }
        guard (missCost == nil) == (inspectionCost == nil) else { throw ValidationError("--miss-cost and --inspection-cost go together.") }
        if kind == .gbdt, target == nil || positive == nil { throw ValidationError("--kind gbdt needs --target and --positive. Hint: --target 'Machine failure' --positive 1.") }
    }

    @OptionGroup var caching: CacheOptions

    func run() throws {
        let console = Console(options: common)
        let cache = caching.cache()
        let expressions = try features.map { try FeatureExpression($0) }
        let dropped = (drop ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } + (id.map { [$0] } ?? [])
        let parts = try PartsData.load(path: data, target: target, positive: positive, drop: dropped, derived: expressions,
                                       threads: common.threads.resolved, cache: cache)
        var config = FailureConfig()
        config.kind = kind
        config.seed = common.seed
        config.threads = common.threads.resolved
        (config.positiveWeight, config.rounds, config.learningRate, config.maxLeaves) = (positiveWeight, rounds, learningRate, maxLeaves)
        if let missCost, let inspectionCost { config.threshold = .cost(miss: missCost, inspection: inspectionCost) } else { config.threshold = .falseAlarmRate(falseAlarmRate) }
        let result = try FailureTraining.fit(parts, config: config, target: target, positive: positive, idColumn: id)
        let outcome = TrainedFailureModel(result: result, data: parts, falseAlarmRate: falseAlarmRate, seed: common.seed)
        outcome.warnings.forEach(console.warning)
        let provenance = RunProvenance.current(tool: "lepton-qc", seed: common.seed, dataFile: data)
        try FailureModelFile.write(result.model, to: out, metrics: outcome.metrics, provenance: provenance)
        if let report { try ReportFiles.write(outcome.report(provenance: Provenance(provenance, modelFile: out)), to: report) }
        console.result(human: outcome.lines + [CacheOptions.line(cache)].compactMap { $0 } + ["wrote " + ([out] + (report.map { [$0] } ?? [])).joined(separator: " and ")],
                       summary: [("kind", .string(kind.rawValue)), ("model", .string(out))] + outcome.jsonFields + [CacheOptions.summary(cache)])
    }
}
