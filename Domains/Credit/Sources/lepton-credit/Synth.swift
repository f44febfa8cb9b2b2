import ArgumentParser
import CreditScoring
import LeptonCLI
import LeptonReport

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write seeded synthetic applicants drawn from a loan file's distribution (for load tests and demos).",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The loan CSV to draw from.") var data: String
    @Option(help: "Applicants to write.") var rows = 100_000
    @Option(help: "The CSV to write.") var out: String

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows \(rows): not negative.") }
    }

    func run() throws {
        let bytes = try SyntheticApplicants.write(from: data, to: out, rows: rows, seed: common.seed)
        Console(options: common).result(human: ["wrote \(NumberFormat.integer(rows)) synthetic applicants drawn from \(data) to \(out) (\(NumberFormat.integer(bytes)) bytes)"],
                                        summary: [("rows", .int(rows)), ("bytes", .int(bytes)), ("out", .string(out)), ("seed", .int(Int(truncatingIfNeeded: common.seed)))])
    }
}
