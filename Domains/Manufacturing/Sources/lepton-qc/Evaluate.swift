import ArgumentParser
import LeptonCLI
import LeptonCore
import LeptonReport
import LineQuality

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a failure model on labelled parts: ROC-AUC, PR-AUC with intervals, precision, recall, F1, false alarms per 1,000 parts.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A per-part CSV with the model's columns and its outcome column.") var data: String
    @Option(help: "Write the validation report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?
    @Option(help: "For a time-series log: the timestamp column (ISO 8601 or epoch), to measure the detection lead time.") var timestamp: String?
    @Option(help: "For a time-series log: the machine or line id column.") var machine: String?
    @Option(help: "How far back (seconds) an alarm counts as a warning of a failure episode.") var horizon = 86_400.0

    func run() throws {
        let console = Console(options: common)
        let failureModel = try FailureModelFile.read(path: model)
        let validation = try FailureValidation(model: failureModel, path: data, seed: common.seed, timestamp: timestamp, machine: machine,
                                               horizon: horizon, threads: common.threads.resolved)
        validation.warnings.forEach(console.warning)
        if let report {
            let provenance = Provenance(.current(tool: "lepton-qc", seed: common.seed, dataFile: data), modelFile: model)
            try ReportFiles.write(validation.report(provenance: provenance), to: report)
        }
        console.result(human: validation.lines + (report.map { ["wrote \($0)"] } ?? []), summary: validation.jsonFields)
    }
}
