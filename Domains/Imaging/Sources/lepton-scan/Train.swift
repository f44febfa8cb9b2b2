import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport
import ScanDiagnosis

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a scan classifier (the core's registry: logistic, mlp, cnn-small, resnet18) and choose its operating point on validation scans.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var caching: CacheOptions
    @Option(help: "Training scans: a folder with one subfolder of PNGs per class, or a CSV manifest path,label[,patient_id] (patients are never split).") var data: String
    @Option(help: "Validation scans, folder or manifest (default: a seeded stratified fifth of --data, by patient when the manifest has patient ids).") var val: String?
    @Option(help: "Model: logistic, mlp, cnn-small, resnet18.") var model = "cnn-small"
    @Option(help: "Most epochs (early stopping on validation AUC).") var epochs = 30
    @Option(help: "Batch size.") var batchSize = 128
    @Option(help: "Adam's learning rate.") var learningRate: Float = 1e-3
    @Option(help: "The positive class (default: the second in sorted order).") var positive: String?
    @Option(help: "Operating point: youden, or a target sensitivity or specificity as sensitivity=0.95 / specificity=0.9.") var operatingPoint = "youden"
    @Option(help: "The model file to write.") var out: String
    @Option(help: "Write the validation report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?
    @Option(name: .customLong("init"), help: "Start from this model file's weights (same --model; another data set or resolution: tensors of another shape start fresh).") var initModel: String?
    @Option(help: "Decoupled weight decay (AdamW) when above 0; 0: Adam.") var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule: plateau (constant, cut on plateaus of validation AUC) or cosine (warm-up, then cosine decay).") var schedule = "plateau"
    @Option(help: "Warm-up epochs of the cosine schedule.") var warmupEpochs = 2
    @Option(help: "Class weights in the loss: none, or balanced (every class weighs the same).") var classWeights = "none"
    @Option(help: "Calibration fitted on the validation scans: platt (σ(a·m + b)), temperature (σ(m / T)) or none.") var calibration = "platt"
    @Option(help: "Bring every scan to this size, N or WxH (default: the scans' own size, which must then be one).") var size: String?
    @Option(help: "How scans of another size or aspect ratio are resized: stretch, letterbox or crop (centre); stored in the model.") var fit = "stretch"
    @Option(help: "Per-scan intensity window: none, minmax, or percentiles LOW-HIGH such as p1-p99 (for 16-bit scans); stored in the model.") var window = "none"
    @Flag(help: "Invert intensities (MONOCHROME1-style scans, bone dark); stored in the model.") var invert = false
    @Option(help: "Networks to train with seeds S, S+1, … and average (an ensemble in one model file).") var ensemble = 1
    @Option(help: "Keep the first N blocks (layers with weights) fixed; with --init, fine-tune only the rest.") var freeze = 0
    @Option(help: "Also report stratified k-fold cross-validated AUC of the recipe on --data (0: no).") var cvFolds = 0
    @Flag(help: "Augment training scans: shift each by up to 2 pixels and vary brightness (±0.1) and contrast (±10%) in standardised units (off by default: on PneumoniaMNIST 5-fold CV AUC was 0.9856 with it, 0.9871 without).") var augment = false

    func validate() throws { _ = try Train.rule(operatingPoint) }

    static func rule(_ text: String) throws -> OperatingPointRule {
        if text == "youden" { return .youden }
        let parts = text.split(separator: "=")
        if parts.count == 2, let v = Double(parts[1]), v > 0, v < 1 {
            if parts[0] == "sensitivity" { return .sensitivity(v) }
            if parts[0] == "specificity" { return .specificity(v) }
        }
        throw ValidationError("--operating-point '\(text)': youden, sensitivity=X or specificity=X with X in (0, 1). Hint: sensitivity=0.95 for screening.")
    }

    func run() throws {
        let console = Console(options: common)
        guard let fitMode = ScanResize.Fit(rawValue: fit) else {
            throw DataError("--fit \(fit) is not a fit", hint: "give stretch, letterbox or crop.")
        }
        let requested = try size.map { text -> ScanResize in
            guard let s = ScanResize.parseSize(text) else { throw DataError("--size \(text) is not a size", hint: "give N (square) or WxH, e.g. 28 or 64x48.") }
            return ScanResize(width: s.width, height: s.height, fit: fitMode)
        }
        let cache = caching.cache()
        let folder = try ImageFolder.load(source: data, resize: requested, cache: cache)
        let target = ScanResize(width: folder.images.shape[3], height: folder.images.shape[2], fit: fitMode)
        let (train, validation) = try val.map { (folder, try ImageFolder.load(source: $0, classNames: folder.classNames, resize: target, cache: cache)) }
            ?? ScanTraining.split(folder, seed: common.seed)
        (ScanTraining.dataLines(train, validation) + [ScanTraining.bitDepthLine(folder)].compactMap { $0 }).forEach(console.note)
        var recipe = CNNRecipe()
        (recipe.model, recipe.epochs, recipe.batchSize, recipe.learningRate) = (model, epochs, batchSize, learningRate)
        (recipe.seed, recipe.threads) = (common.seed, common.threads.resolved)
        if let initModel {
            let initial = try NeuralNetwork.load(from: initModel).network
            guard initial.architecture.name == model else {
                throw DataError(file: initModel, message: "the --init model is \(initial.architecture.name), --model is \(model)",
                                hint: "pass --model \(initial.architecture.name), or start from a \(model) model.")
            }
            recipe.initial = initial
        }
        guard freeze >= 0 else { throw DataError("--freeze \(freeze) is negative", hint: "give the number of leading blocks to keep fixed (0: none).") }
        recipe.frozenBlocks = freeze
        guard ensemble >= 1 else { throw DataError("--ensemble \(ensemble) is below 1", hint: "give the number of networks to average (1: one network).") }
        recipe.ensembleSize = ensemble
        guard weightDecay >= 0, weightDecay.isFinite else { throw DataError("--weight-decay \(weightDecay) is negative", hint: "give 0 (Adam) or a small positive decay such as 1e-4.") }
        recipe.weightDecay = weightDecay
        switch schedule {
        case "plateau": recipe.cosineWarmupEpochs = nil
        case "cosine":
            guard warmupEpochs >= 0 else { throw DataError("--warmup-epochs \(warmupEpochs) is negative", hint: "give 0 or more epochs.") }
            recipe.cosineWarmupEpochs = warmupEpochs
        default: throw DataError("--schedule \(schedule) is not a schedule", hint: "give plateau or cosine.")
        }
        switch classWeights {
        case "none": recipe.balanceClasses = false
        case "balanced": recipe.balanceClasses = true
        default: throw DataError("--class-weights \(classWeights) is not a choice", hint: "give none or balanced.")
        }
        guard let parsedWindow = IntensityNormalization.parseWindow(window) else {
            throw DataError("--window \(window) is not a window", hint: "give none, minmax, or percentiles LOW-HIGH with 0 ≤ LOW < HIGH ≤ 100, e.g. p1-p99.")
        }
        if parsedWindow != nil || invert {
            recipe.intensity = IntensityNormalization(window: parsedWindow != nil, lowPercentile: parsedWindow?.low ?? 0,
                                                      highPercentile: parsedWindow?.high ?? 100, invert: invert)
        }
        if augment {
            var augmentation = XRayAugmentation()
            augmentation.seed = common.seed
            recipe.augmentation = augmentation
        }
        let cv = cvFolds >= 2 ? try ScanTraining.crossValidate(folder, recipe: recipe, positive: positive, folds: cvFolds, seed: common.seed) : nil
        guard let calibrationMethod = CalibrationMethod(rawValue: calibration) else {
            throw DataError("--calibration \(calibration) is not a method", hint: "give platt, temperature or none.")
        }
        var result = try ScanTraining.run(train: train, val: validation, recipe: recipe, positive: positive, rule: try Train.rule(operatingPoint),
                                          seed: common.seed, calibration: calibrationMethod)
        let provenance = RunProvenance.current(tool: "lepton-scan", seed: common.seed, dataFile: data, fingerprint: .some(nil))
        result.model.spec.fit = fitMode
        try result.model.write(to: out, metrics: ["val_auc": result.validation.value("auc")], provenance: provenance)
        if let report {
            let labels = validation.binaryLabels(positive: result.model.spec.positiveClass)
            try ReportFiles.write(ScanReport.evaluation(result.validation, model: result.model, images: validation.images, names: validation.paths,
                                                            labels: labels, scores: result.model.probabilities(validation.images),
                                                            provenance: Provenance(provenance, modelFile: out), title: "Scan classifier: validation"),
                                      to: report)
        }
        let lines = ScanTraining.dataLines(train, validation)
            + ["\(model): best epoch \(result.bestEpoch) of \(result.epochs), \(String(format: "%.2f", result.secondsPerEpoch)) s per epoch",
               "validation (the operating point is chosen on these scans):"] + result.validation.lines.map { "  " + $0 }
            + (cv.map { [String(format: "%d-fold cross-validated AUC on --data %.4f (folds %@)", cvFolds, $0.mean,
                                $0.foldValues.map { String(format: "%.4f", $0) }.joined(separator: " "))] } ?? []) + [CacheOptions.line(cache)].compactMap { $0 } + ["wrote \(out)"] + (report.map { ["wrote \($0)"] } ?? [])
        console.result(human: lines, summary: [("model", .string(out)), ("architecture", .string(model)), ("train_images", .int(result.trainCount)),
                                               ("val_images", .int(result.valCount)), ("epochs", .int(result.epochs)), ("best_epoch", .int(result.bestEpoch)),
                                               ("seconds_per_epoch", .double(result.secondsPerEpoch)),
                                               ("cv_auc", cv.map { .double($0.mean) } ?? .null), CacheOptions.summary(cache)]
                           + result.validation.jsonFields.map { ("val_" + $0.0, $0.1) })
    }
}
