import ArgumentParser
import CreditScoring
import LeptonCLI
import LeptonCore
import LeptonReport

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a model on a labelled CSV: AUC, Gini, KS, Brier, calibration, costs, strategy.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A CSV with the model's characteristics and its target column.") var data: String
    @Option(help: "Write the validation report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?

    func run() throws {
        let console = Console(options: common)
        let creditModel = try CreditModel.read(path: model)
        let validation = try CreditValidation(model: creditModel, path: data)
        if let warning = validation.warning { console.warning(warning) }
        if let report {
            let provenance = Provenance(.current(tool: "lepton-credit", seed: nil, dataFile: data), modelFile: model)
            try ReportFiles.write(validation.report(model: creditModel, provenance: provenance), to: report)
        }
        console.result(human: validation.lines(path: data) + (report.map { ["wrote \($0)"] } ?? []), summary: validation.jsonFields)
    }
}
