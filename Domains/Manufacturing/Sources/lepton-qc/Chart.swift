import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport
import LineQuality

struct Chart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Control charts with run-rule violations (Western Electric or Nelson) and process capability.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The CSV of measurements or counts.") var data: String
    @Option(help: "The column to chart (names with spaces or brackets as written).") var column: String
    @Option(help: "Chart: \(ChartType.allCases.map(\.rawValue).joined(separator: ", ")).") var type: ChartType
    @Option(help: "Consecutive subgroups of this many values (X̄–R, X̄–S; default 5).") var subgroupSize: Int?
    @Option(help: "Rows with the same value in this column form a subgroup.") var subgroup: String?
    @Option(help: "The sample-size column (p, np, u charts).") var size: String?
    @Option(help: ArgumentHelp("Only rows where COLUMN holds VALUE (one machine of a log).", valueName: "COLUMN=VALUE")) var filter: String?
    @Option(help: "A timestamp column (ISO 8601 or epoch): chart in time order (out-of-order rows sorted, duplicates dropped, gaps counted).") var timestamp: String?
    @Option(help: "The machine column the time order is kept within.") var machine: String?
    @Option(help: ArgumentHelp("Phase I subgroups (points for individuals and counts), 1-based, inclusive.", valueName: "FIRST:LAST")) var phase1: String?
    @Flag(help: "Drop Phase I subgroups beyond the limits and estimate again until none is.") var excludeOutOfControl = false
    @Option(help: "Save the Phase I estimates here (JSON), to chart later data against them.") var limitsOut: String?
    @Option(help: "Chart against Phase I estimates saved with --limits-out (Phase II).") var limits: String?
    @Option(help: "Run rules: western-electric or nelson.") var rules: RuleSet = .westernElectric
    @Option(help: "Lower specification limit.") var lsl: Double?
    @Option(help: "Upper specification limit.") var usl: Double?
    @Option(help: "Target value (for Cpm).") var target: Double?
    @Option(help: "EWMA weight λ.") var lambda = 0.2
    @Option(help: "EWMA limit width L (in σ of the EWMA).") var ewmaWidth = 3.0
    @Option(help: "CUSUM reference value k (in σ).") var cusumK = 0.5
    @Option(help: "CUSUM decision interval h (in σ).") var cusumH = 5.0
    @Option(help: "Write the report here (HTML; Markdown with its charts as SVG files beside it when the name ends in .md).") var report: String?

    func validate() throws {
        if let lsl, let usl, !(lsl < usl) { throw ValidationError("--lsl \(lsl) is not below --usl \(usl). Hint: the lower specification limit comes first.") }
        if let subgroupSize, subgroupSize < 1 { throw ValidationError("--subgroup-size \(subgroupSize): at least 1.") }
        if let phase1 { _ = try Chart.parseRange(phase1) }
        guard lambda > 0, lambda <= 1 else { throw ValidationError("--lambda \(lambda): in (0, 1]. Hint: 0.1–0.3 is usual.") }
    }

    /// `FIRST:LAST`, 1-based inclusive, as a 0-based half-open range.
    static func parseRange(_ text: String) throws -> Range<Int> {
        let parts = text.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first >= 1, last >= first else {
            throw ValidationError("--phase1 '\(text)' is not FIRST:LAST with 1 ≤ FIRST ≤ LAST. Hint: --phase1 1:25 takes the first 25 subgroups.")
        }
        return (first - 1)..<last
    }

    func run() throws {
        let console = Console(options: common)
        var settings = ChartSettings(type: type)
        settings.rules = rules
        settings.phase1 = try phase1.map(Chart.parseRange)
        settings.excludeOutOfControl = excludeOutOfControl
        (settings.lambda, settings.ewmaWidth, settings.cusumK, settings.cusumH) = (lambda, ewmaWidth, cusumK, cusumH)
        settings.limits = try limits.map { try ChartLimits.read(path: $0, type: type) }
        var input = ChartInput(path: data, column: column)
        (input.subgroupSize, input.subgroupColumn, input.sizeColumn) = (subgroupSize, subgroup, size)
        (input.timestampColumn, input.machineColumn) = (timestamp, machine)
        if let filter {
            guard let equals = filter.firstIndex(of: "=") else { throw ValidationError("--filter '\(filter)' is not COLUMN=VALUE. Hint: --filter machine=M1.") }
            input.filter = (String(filter[..<equals]), String(filter[filter.index(after: equals)...]))
        }
        let job = try ChartJob.run(input, settings: settings, lsl: lsl, usl: usl, target: target)
        if job.rowsSkipped > 0 { console.warning("\(job.rowsSkipped) of \(job.rowsRead) rows left out (first: \(job.firstSkip ?? "?")).") }
        if let limitsOut { try job.limits.write(to: limitsOut) }
        if let report {
            let provenance = Provenance(.current(tool: "lepton-qc", seed: nil, dataFile: data), modelFile: limits)
            try ReportFiles.write(job.report(title: "Control chart: \(column)", provenance: provenance, lsl: lsl, usl: usl), to: report)
        }
        console.result(human: job.lines(path: data, column: column), summary: job.jsonFields)
    }
}
