import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO

struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a credit model smaller and faster, and re-check it on held-out loans: AUC change with its CI, calibration, cut-off, reason codes, monotone trends.",
        discussion: "Methods: trees (a boosted model: the first N trees, 8- or 16-bit leaves, exact threshold indices) and characteristics (a scorecard refitted on the characteristics of highest IV; needs --data). "
            + "int8, prune, cluster and distill apply to neural networks (lepton-scan).\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: CompressOptions
    @OptionGroup var treeOptions: TreeCompressionOptions
    @Option(help: "Characteristics to keep (default: the fewest within --tolerance of the best held-out AUC).") var keep: Int?
    @Option(help: "Training CSV (a scorecard is refitted on it).") var data: String?
    @Option(help: "JSON schema of the training data (as given to train).") var schema: String?
    @Flag(help: "Keep the model's cut-off instead of storing the cost-optimal one re-selected on the held-out loans.") var keepCutoff = false

    func validate() throws {
        if let keep, keep < 1 { throw ValidationError("--keep \(keep): at least 1.") }
    }

    func run() throws {
        let console = Console(options: common)
        guard let method = CreditCompressionMethod(rawValue: options.method) else {
            let known = CreditCompressionMethod.navigatorMethods.contains(options.method)
            throw DataError(known ? "--method \(options.method) applies to neural networks, not to credit models"
                                  : "--method \(options.method) is not a compression method",
                            hint: "credit models take --method trees (boosted) or --method characteristics (scorecard).")
        }
        let holdout = try options.holdout()
        let model = try CreditModel.read(path: options.model)
        var settings = CreditCompressionSettings()
        settings.tolerance = options.tolerance
        settings.trees = treeOptions.trees
        settings.minGain = treeOptions.minGain
        settings.keep = keep
        settings.leafPrecision = treeOptions.leafPrecision
        settings.threads = 1
        settings.seed = common.seed
        settings.reselectCutoff = !keepCutoff
        if method == .characteristics, let data {
            settings.training = try CreditDataset.load(path: data, target: model.outcome.column, bad: model.outcome.badValue,
                                                       id: model.idColumn,
                                                       schema: try schema.map { try CreditSchema.read(path: $0) } ?? CreditSchema(),
                                                       threads: common.threads.resolved)
        }
        // Sizes are chosen on --calibration when both are given, so the figures on --val are not biased by the choice.
        let choice = options.val != nil ? options.calibration : nil
        let r = try CreditCompression.compress(model, method: method, holdoutPath: holdout, choicePath: choice, settings: settings)
        if r.choiceOnHoldout {
            console.warning("the size was chosen on the same held-out loans the figures are measured on, so the figures after compression are optimistic; give other labelled loans with --calibration to choose on them.")
        }
        let provenance = RunProvenance.current(tool: "lepton-credit", seed: common.seed, dataFile: holdout)
        try r.model.write(to: options.out, metrics: ["holdout_auc": r.auc.after], provenance: provenance)
        var checks: [(key: String, value: JSONValue, line: String)] = [
            ("ece_before", .double(r.eceBefore), ""), ("ece_after", .double(r.eceAfter),
              String(format: "calibration (ECE of PD, 10 bins): %.4f → %.4f", r.eceBefore, r.eceAfter)),
            ("cutoff", .int(r.cutoffStored), ""), ("cutoff_revalidated_before", .int(r.cutoffRevalidatedBefore), ""),
            ("cutoff_revalidated_after", .int(r.cutoffRevalidatedAfter), ""), ("cutoff_after", .int(r.cutoffUsed),
             "cut-off: \(r.cutoffStored) stored → \(r.cutoffUsed) in the compressed model (cost-optimal on the held-out loans: \(r.cutoffRevalidatedBefore) before, \(r.cutoffRevalidatedAfter) after)"),
            ("decisions_changed", .int(r.decisionsChanged), "decisions changed: \(r.decisionsChanged) of \(r.holdoutRows)"),
            ("reason_agreement", .double(r.reasonAgreement),
             String(format: "top-3 reason codes agreement over %d declines: %.1f%%", r.declinesCompared, r.reasonAgreement * 100)),
            ("declines_compared", .int(r.declinesCompared), ""),
            ("holdout_rows", .int(r.holdoutRows), ""), ("chosen_on_holdout", .bool(r.choiceOnHoldout), ""),
        ]
        if let m = r.monotoneHolds {
            checks.append(("monotone_holds", .bool(m), m ? "monotone trends: every constraint still holds (swept on held-out records)"
                                                         : "monotone trends: a constraint is violated"))
        }
        let summary = CompressionSummary(method: method.rawValue, description: r.description, metricName: "auc",
                                         bytesBefore: try fileSize(options.model), bytesAfter: try fileSize(options.out), metric: r.auc, speedup: r.speedup,
                                         throughputBefore: r.throughputBefore, throughputAfter: r.throughputAfter,
                                         batchSize: r.batchSize, threads: 1, checks: checks, outPath: options.out)
        console.result(human: summary.lines, summary: summary.json)
    }
}
