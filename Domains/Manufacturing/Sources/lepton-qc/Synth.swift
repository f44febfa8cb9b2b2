import ArgumentParser
import LeptonCLI
import LeptonReport
import LineQuality

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a seeded synthetic log: per-part records with AI4I 2020's failure mechanisms, or a multi-machine time series with injected faults.",
        discussion: LeptonExitCode.helpText)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case parts, timeseries }

    @OptionGroup var common: CommonOptions
    @Option(help: "parts or timeseries.") var kind: Kind
    @Option(help: "Rows to write.") var rows = 10_000
    @Option(help: "The CSV to write.") var out: String

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows \(rows): at least 1.") }
    }

    func run() throws {
        switch kind {
        case .parts: try LineSynth.writeParts(to: out, rows: rows, seed: common.seed)
        case .timeseries: try LineSynth.writeTimeSeries(to: out, rows: rows, seed: common.seed)
        }
        // The time series has one row per machine (4) per step: whole steps only.
        let rows = kind == .timeseries ? max(1, self.rows / 4) * 4 : self.rows
        Console(options: common).result(human: ["wrote \(NumberFormat.integer(rows)) \(kind.rawValue) rows to \(out) (seed \(common.seed))"],
                                        summary: [("kind", .string(kind.rawValue)), ("rows", .int(rows)), ("out", .string(out))])
    }
}
