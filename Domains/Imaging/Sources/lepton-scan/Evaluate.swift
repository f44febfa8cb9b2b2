import ArgumentParser
import LeptonCLI
import LeptonIO
import LeptonReport
import ScanDiagnosis

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clinical evaluation on labelled scans: AUC, accuracy, sensitivity, specificity, PPV, NPV, F1, MCC with 95% bootstrap intervals, calibration.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "Labelled scans: a folder with one subfolder per class, or a CSV manifest path,label.") var data: String
    @Option(help: "Write the evaluation report here (HTML: figures with intervals, ROC, reliability diagram, confusion matrix, confident cases with occlusion maps; Markdown with its charts as SVG files when the name ends in .md).") var report: String?

    func run() throws {
        let scanModel = try ScanModel.read(path: model)
        let spec = scanModel.spec
        let folder = try ImageFolder.load(source: data, classNames: spec.classNames,
                                          resize: spec.resize)
        let labels = folder.binaryLabels(positive: scanModel.spec.positiveClass)
        let scores = scanModel.probabilities(folder.images)
        let e = ScanEvaluation(labels: labels, scores: scores, threshold: scanModel.spec.threshold, seed: common.seed)
        if let report {
            let provenance = Provenance(.current(tool: "lepton-scan", seed: common.seed, dataFile: data, fingerprint: .some(nil)), modelFile: model)
            try ReportFiles.write(ScanReport.evaluation(e, model: scanModel, images: folder.images, names: folder.paths, labels: labels,
                                                            scores: scores, provenance: provenance), to: report)
        }
        Console(options: common).result(human: e.lines + (report.map { ["wrote \($0)"] } ?? []), summary: e.jsonFields)
    }
}
