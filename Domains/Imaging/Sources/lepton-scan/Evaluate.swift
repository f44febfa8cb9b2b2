import ArgumentParser
import LeptonCLI
import LeptonIO
import ScanDiagnosis

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clinical evaluation on labelled scans: AUC, accuracy, sensitivity, specificity, PPV, NPV, F1, MCC with 95% bootstrap intervals, calibration.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "Labelled scans: a folder with one subfolder per class.") var data: String

    func run() throws {
        let scanModel = try ScanModel.read(path: model)
        let folder = try ImageFolder.load(data, classNames: scanModel.spec.classNames)
        guard folder.images.shape[2] == scanModel.spec.height, folder.images.shape[3] == scanModel.spec.width else {
            throw DataError(file: data, message: "scans are \(folder.images.shape[3])×\(folder.images.shape[2]), the model takes \(scanModel.spec.width)×\(scanModel.spec.height)",
                            hint: "evaluate on scans of the model's size.")
        }
        let labels = folder.labels.map { $0 == scanModel.spec.positiveClass ? 1.0 : 0 }
        let e = ScanEvaluation(labels: labels, scores: scanModel.probabilities(folder.images), threshold: scanModel.spec.threshold, seed: common.seed)
        Console(options: common).result(human: e.lines, summary: e.jsonFields)
    }
}
