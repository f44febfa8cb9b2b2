import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LineQuality

struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a failure model smaller and faster (fewer trees, 8- or 16-bit leaves) and re-check it on held-out parts: ROC-AUC and PR-AUC changes with CIs, recall at the target false-alarm rate, calibration, speed.",
        discussion: "Method: trees (a failure model of boosted trees). int8, prune, cluster and distill apply to neural networks (lepton-scan).\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: CompressOptions
    @OptionGroup var treeOptions: TreeCompressionOptions
    @Flag(help: "Keep the stored alert threshold instead of re-selecting it (by the model's rule) on the held-out parts.") var keepThreshold = false

    func run() throws {
        let console = Console(options: common)
        guard options.method == "trees" else {
            let known = ["int8", "prune", "cluster", "distill"].contains(options.method)
            throw DataError(known ? "--method \(options.method) applies to neural networks, not to failure models"
                                  : "--method \(options.method) is not a compression method for failure models",
                            hint: "failure models take --method trees.")
        }
        let model = try FailureModelFile.read(path: options.model)
        let holdoutPath = try options.holdout()
        guard let target = model.spec.target, let positive = model.spec.positive else {
            throw DataError(file: options.model, message: "the model has no outcome column (an anomaly model)",
                            hint: "compress a failure model (train --kind gbdt --target … --positive …).")
        }
        let holdout = try PartsData.load(path: holdoutPath, target: target, positive: positive, schema: model.spec.schema,
                                         threads: common.threads.resolved)
        // The tree count is chosen on --calibration when both are given, so the figures on --val are not biased by the choice.
        let choice = try options.val != nil ? options.calibration.map {
            try PartsData.load(path: $0, target: target, positive: positive, schema: model.spec.schema, threads: common.threads.resolved)
        } : nil
        let r = try FailureCompression.compress(model, holdout: holdout, choice: choice, trees: treeOptions.trees,
                                                leafPrecision: treeOptions.leafPrecision, tolerance: options.tolerance,
                                                minGain: treeOptions.minGain, reselectThreshold: !keepThreshold, seed: common.seed)
        if r.choiceOnHoldout {
            console.warning("the tree count was chosen on the same held-out parts the figures are measured on, so the figures after compression are optimistic; give other labelled parts with --calibration to choose on them.")
        }
        try FailureModelFile.write(r.model, to: options.out, metrics: ["holdout_pr_auc": r.prAUC.after],
                                   provenance: RunProvenance.current(tool: "lepton-qc", seed: common.seed, dataFile: holdoutPath))
        var checks: [(key: String, value: JSONValue, line: String)] = [
            ("roc_auc_before", .double(r.rocAUC.before), ""), ("roc_auc_after", .double(r.rocAUC.after),
             String(format: "ROC-AUC: %.4f → %.4f%@", r.rocAUC.before, r.rocAUC.after,
                    r.rocAUC.difference.map { String(format: " (change %+.4f, 95%% CI %+.4f to %+.4f)", $0.estimate, $0.lower, $0.upper) } ?? "")),
            ("chosen_on_holdout", .bool(r.choiceOnHoldout), ""),
            ("threshold_before", .double(r.thresholdBefore), ""), ("threshold_after", .double(r.thresholdAfter),
             String(format: "alert threshold: %.4f → %.4f%@", r.thresholdBefore, r.thresholdAfter, keepThreshold ? " (kept)" : " (re-selected on the held-out parts)")),
            ("ece_before", .double(r.eceBefore), ""), ("ece_after", .double(r.eceAfter), String(format: "calibration (ECE): %.4f → %.4f", r.eceBefore, r.eceAfter)),
            ("parts", .int(r.parts), ""),
        ]
        if let rate = r.targetFalseAlarmRate {
            checks += [("target_false_alarm_rate", .double(rate), ""), ("recall_before", .double(r.recallBefore ?? .nan), ""),
                       ("recall_after", .double(r.recallAfter ?? .nan),
                        String(format: "recall at the target false-alarm rate %.3g: %.3f → %.3f", rate, r.recallBefore ?? .nan, r.recallAfter ?? .nan))]
        }
        let summary = CompressionSummary(method: "trees", description: r.description, metricName: "pr_auc",
                                         bytesBefore: try fileSize(options.model), bytesAfter: try fileSize(options.out), metric: r.prAUC,
                                         speedup: r.speedup, throughputBefore: r.throughputBefore, throughputAfter: r.throughputAfter,
                                         batchSize: r.batchSize, threads: 1, checks: checks, outPath: options.out)
        console.result(human: summary.lines, summary: summary.json)
    }
}
