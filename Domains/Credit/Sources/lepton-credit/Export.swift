import ArgumentParser
import CreditScoring
import LeptonCLI

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the scorecard as a CSV or JSON table or one SQL statement; a boosted model's summary as CSV or JSON.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "csv, json or sql.") var format: CreditExport.Format
    @Option(help: "The file to write.") var out: String
    @Option(help: "The table the SQL statement reads.") var table = "applicants"

    func run() throws {
        let console = Console(options: common)
        let creditModel = try CreditModel.read(path: model)
        let line = try CreditExport.write(creditModel, from: model, format: format, to: out, table: table)
        console.result(human: [line], summary: [("format", .string(format.rawValue)), ("out", .string(out)),
                                                ("characteristics", .int(creditModel.binnings.count)), ("kind", .string(creditModel.kindName))])
    }
}
