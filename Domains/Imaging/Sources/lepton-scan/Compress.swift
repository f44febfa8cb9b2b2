import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import ScanDiagnosis

struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a scan classifier smaller or faster (int8, prune, cluster, distill) and re-check it on held-out scans: AUC change with its CI, sensitivity at the operating point with its CI, calibration, speed.",
        discussion: "int8 needs --calibration scans; structured pruning fine-tunes on --data; distill trains a cnn-small student on --data. "
            + "Figures are measured on --val (else --calibration); the throughput ratio is at batch 256 on the same threads, interleaved.\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var options: CompressOptions
    @Option(help: "Training scans (folder or manifest) for fine-tuning after pruning and for distillation.") var data: String?
    @Option(help: "prune: share of filters (channels) or weights (unstructured) removed, in (0, 1).") var ratio = 0.5
    @Option(help: "prune: channels (filters removed: smaller and faster) or unstructured (weights zeroed: a sparse file, the same speed).") var structure = "channels"
    @Option(help: "prune --structure unstructured: layer (each tensor loses the ratio) or global (one threshold).") var scope = "layer"
    @Option(help: "cluster: centroids per weight tensor (16, 32 or 64; 2 to 256).") var clusters = 16
    @Option(help: "int8: activation ranges by minmax, percentile or entropy.") var calibrationMethod = "percentile"
    @Option(help: "prune: fine-tuning epochs (0: none).") var epochs = 5
    @Option(help: "distill: student training epochs.") var studentEpochs = 20
    @Option(help: "distill: the student cnn-small's three widths, e.g. 8,16,32.") var studentChannels = "8,16,32"
    @Option(help: "distill: softmax temperature.") var temperature: Float = 4
    @Option(help: "distill: weight of the teacher's soft targets (the labels get 1 − alpha).") var alpha: Float = 0.7
    @Flag(help: "Keep the stored operating threshold instead of re-selecting it (by the model's rule) on the held-out scans.") var keepThreshold = false

    func run() throws {
        let console = Console(options: common)
        Threading.setCount(common.threads.resolved)
        guard let method = ScanCompressionMethod(rawValue: options.method) else {
            let known = ["trees", "characteristics"].contains(options.method)
            throw DataError(known ? "--method \(options.method) compresses tree and scorecard models, not scan classifiers"
                                  : "--method \(options.method) is not a compression method",
                            hint: "scan classifiers take --method int8, prune, cluster or distill.")
        }
        guard let calibrationMethod = ActivationCalibration(rawValue: calibrationMethod) else {
            throw DataError("--calibration-method \(calibrationMethod) is not a calibration", hint: "give minmax, percentile or entropy.")
        }
        guard let scope = MagnitudePruning.Scope(rawValue: scope), ["channels", "unstructured"].contains(structure) else {
            throw DataError("--structure \(structure) --scope \(scope)", hint: "--structure channels or unstructured; --scope layer or global.")
        }
        let widths = studentChannels.split(separator: ",").compactMap { Int($0) }
        guard widths.count == 3, widths.allSatisfy({ $0 >= 1 && $0 <= 512 }) else {
            throw DataError("--student-channels \(studentChannels) is not three widths", hint: "give three numbers such as 8,16,32.")
        }
        let model = try ScanModel.read(path: options.model)
        let holdoutPath = try options.holdout()
        func load(_ path: String) throws -> ImageFolder {
            try ImageFolder.load(source: path, classNames: model.spec.classNames)
        }
        let holdout = try load(holdoutPath)
        // Calibration scans need no labels: any folder (or manifest) of scans of the model's size.
        let calibration = try options.calibration.map { try ImageFolder.load(source: $0) }
        let training = try data.map(load)
        var settings = ScanCompressionSettings()
        settings.ratio = ratio
        settings.structure = structure
        settings.scope = scope
        settings.clusters = clusters
        settings.calibration = calibrationMethod
        settings.epochs = epochs
        settings.studentEpochs = studentEpochs
        settings.studentChannels = widths
        settings.temperature = temperature
        settings.alpha = alpha
        settings.seed = common.seed
        settings.threads = common.threads.resolved
        settings.reselectThreshold = !keepThreshold
        let r = try ScanCompression.compress(model, method: method, holdout: holdout, calibration: calibration, training: training, settings: settings)
        r.notes.forEach(console.warning)
        if r.thresholdOnHoldout {
            console.warning("the threshold was re-selected on the held-out scans the figures are measured on, so the figures at it are optimistic; give labelled --calibration scans (class subfolders) to re-select on them.")
        }
        let provenance = RunProvenance.current(tool: "lepton-scan", seed: common.seed, dataFile: holdoutPath)
        try r.model.write(to: options.out, metrics: ["holdout_auc": r.auc.after], provenance: provenance)
        func ci(_ e: ScanEvaluation, _ name: String) -> (Double, ConfidenceInterval?) {
            let f = e.figures.first { $0.name == name }
            return (f?.value ?? .nan, f?.interval)
        }
        let (sb, sbi) = ci(r.before, "sensitivity"), (sa, sai) = ci(r.after, "sensitivity")
        let (pb, _) = ci(r.before, "specificity"), (pa, _) = ci(r.after, "specificity")
        let (ss, ssi) = ci(r.afterAtStoredThreshold, "sensitivity")
        func range(_ i: ConfidenceInterval?) -> String { i.map { String(format: "[%.3f, %.3f]", $0.lower, $0.upper) } ?? "" }
        var checks: [(key: String, value: JSONValue, line: String)] = [
            ("sensitivity_before", .double(sb), ""), ("sensitivity_after", .double(sa),
             String(format: "sensitivity at each model's operating point: %.3f %@ → %.3f %@ (95%% bootstrap CIs)", sb, range(sbi), sa, range(sai))),
            ("sensitivity_lower_ci_after", .double(sai?.lower ?? .nan), ""),
            ("sensitivity_after_at_stored_threshold", .double(ss),
             String(format: "sensitivity of the compressed model at the stored threshold %.4f: %.3f %@", r.thresholdBefore, ss, range(ssi))),
            ("specificity_before", .double(pb), ""), ("specificity_after", .double(pa), String(format: "specificity: %.3f → %.3f", pb, pa)),
            ("threshold_before", .double(r.thresholdBefore), ""), ("threshold_after", .double(r.thresholdAfter),
             String(format: "operating threshold: %.4f → %.4f%@", r.thresholdBefore, r.thresholdAfter,
                    keepThreshold ? " (kept)" : (r.thresholdOnHoldout ? " (re-selected on the held-out scans)" : " (re-selected on the calibration scans)"))),
            ("ece_before", .double(r.before.ece), ""), ("ece_after", .double(r.after.ece),
             String(format: "calibration (ECE): %.4f → %.4f", r.before.ece, r.after.ece)),
            ("holdout_scans", .int(r.before.n), ""), ("threshold_on_holdout", .bool(r.thresholdOnHoldout), ""),
        ]
        if method == .int8 { checks.append(("kernel_path", .string(Int8KernelPath.best.rawValue), "int8 kernels: \(Int8KernelPath.best.rawValue)")) }
        let summary = CompressionSummary(method: method.rawValue, description: r.description, metricName: "auc",
                                         bytesBefore: try fileSize(options.model), bytesAfter: try fileSize(options.out), metric: r.auc,
                                         speedup: r.speedup, throughputBefore: r.throughputBefore, throughputAfter: r.throughputAfter,
                                         batchSize: r.batchSize, threads: r.threads, checks: checks, outPath: options.out)
        console.result(human: summary.lines, summary: summary.json)
    }
}
