import ArgumentParser
import CreditScoring
import LeptonCLI
import LeptonCore
import LeptonReport

struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Population stability (PSI of the score) and characteristic stability (CSI) of a new file against the training data.",
        discussion: LeptonExitCode.helpText + "\n\nReading: < 0.1 stable, 0.1–0.25 watch, > 0.25 act.")

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A CSV of recent applicants (the outcome is not needed).") var data: String
    @Option(help: "Write the stability report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?

    func run() throws {
        let console = Console(options: common)
        let creditModel = try CreditModel.read(path: model)
        let (stability, scored) = try StabilityReport.measure(model: creditModel, path: data)
        var human = stability.lines(path: data, rejected: scored.rejected)
        if let report {
            let provenance = Provenance(.current(tool: "lepton-credit", seed: nil, dataFile: data), modelFile: model)
            try ReportFiles.write(stability.report(model: creditModel, provenance: provenance), to: report)
            human.append("wrote \(report)")
        }
        console.result(human: human, summary: stability.jsonFields(scored: scored))
    }
}
