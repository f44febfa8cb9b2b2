import Foundation
import LeptonCore
import LeptonIO

/// The part of `tune` every executable shares: the budget and SIGINT, the search, the chosen
/// model's file name, the Pareto table, report and summary. A domain gives its candidates'
/// evaluation and how to save one of them.
public enum TuneRun {
    /// The rungs of successive halving: a ninth, a third, then all of the training (rounds or
    /// epochs); with η = 3 the full rung sees a ninth of the candidates, so the search spends
    /// about a third of what training every candidate fully would.
    public static let fidelities = [1.0 / 9, 1.0 / 3, 1]

    /// Where the chosen model goes: `DIR/chosen.lepton`, or, when no candidate meets the
    /// constraints, `DIR/closest-fails-constraints.lepton` (the name says it is not a pass).
    public static func chosenPath(_ dir: String, meetsConstraints: Bool) -> String {
        meetsConstraints ? "\(dir)/chosen.lepton" : "\(dir)/closest-fails-constraints.lepton"
    }

    /// Copies a candidate's model file (written while it was measured) to `path`, atomically.
    public static func copyCandidate(_ file: String?, to path: String) throws {
        guard let file else { return }
        try AtomicFile.write(Array(try Data(contentsOf: URL(fileURLWithPath: file))), to: path)
    }

    /// Runs the search and writes everything; returns the summary fields and lines.
    public static func run(options: TuneOptions, common: CommonOptions, domain: String, metricName: String, defaultTolerance: Double,
                           names: [String], fidelities: [Double] = TuneRun.fidelities, minimums: [String: Double] = [:], dataFile: String,
                           extraSummary: () -> [(String, JSONValue)] = { [] },
                           evaluate: (Int, Double) throws -> (candidate: NavigatorCandidate, computeSeconds: Double),
                           save: (_ index: Int, _ path: String, _ provenance: RunProvenance) throws -> Void) throws {
        let console = Console(options: common)
        try NavigatorOutput.makeFolder(options.out)
        StopSignals.install()
        let started = SpeedMeter.now()
        let deadline = started + options.budgetMinutes * 60
        let tolerance = options.tolerance ?? defaultTolerance
        let constraints = options.constraints(minimums: minimums)
        var done = 0
        var runPeak = PeakMemory.residentMegabytes
        let result = NavigatorSearch.run(count: names.count, fidelities: fidelities, constraints: constraints, tolerance: tolerance,
                                         shouldStop: { StopSignals.requested || SpeedMeter.now() > deadline }) { i, fidelity in
            // Each candidate's own peak resident memory (fitting, compressing and measuring it).
            // The reset also resets getrusage's maximum on Linux, so the run's peak is kept here.
            runPeak = max(runPeak, PeakMemory.residentMegabytes)
            let peakResets = PeakMemory.resetPeak()
            var r = try evaluate(i, fidelity)
            if peakResets, let peak = PeakMemory.residentMegabytesSinceReset { r.candidate.extra["peak_rss_mb"] = peak }
            runPeak = max(runPeak, PeakMemory.residentMegabytes)
            let c = r.candidate
            done += 1
            console.note(String(format: "[%d] %@ at fidelity %.2f: %@ %.4f, p50 %.1f µs, %d bytes", done, c.name, fidelity, metricName,
                                c.metric, c.speed.latencyP50Microseconds, c.bytes))
            return r
        }
        let provenance = RunProvenance.current(tool: "lepton-\(domain == "credit" ? "credit" : (domain == "imaging" ? "scan" : "qc"))",
                                               seed: common.seed, dataFile: dataFile)
        var written: [String] = []
        var summary: [(String, JSONValue)] = []
        if let choice = result.choice {
            let path = chosenPath(options.out, meetsConstraints: choice.meetsConstraints)
            try save(choice.index, path, provenance)
            written.append(path)
            summary.append(("chosen_model", .string(path)))
        }
        written += try NavigatorOutput.write(result, descriptions: names, metricName: metricName, domain: domain, constraints: constraints,
                                             tolerance: tolerance, cost: options.costModel, dir: options.out, provenance: provenance)
        let rows = NavigatorOutput.rows(result, descriptions: names)
        summary = [("pareto", .array(rows))] + summary
        if let choice = result.choice, let c = result.measured[choice.index] {
            summary += [("chosen", .string(c.name)), ("meets_constraints", .bool(choice.meetsConstraints)), ("reason", .string(choice.reason)),
                        ("violations", .array(choice.violations.map { .string($0) })), ("chosen_at_full_fidelity", .bool(result.choiceAtFullFidelity))]
        }
        summary += [("candidates", .int(names.count)), ("peak_rss_mb", .double(max(runPeak, PeakMemory.residentMegabytes))), ("measured", .int(result.measured.compactMap { $0 }.count)),
                    ("tolerance", .double(tolerance)), ("cpu_hour_price", .double(options.cpuHourPrice)),
                    ("training_compute_seconds", .double(result.computeSeconds)), ("seconds", .double(SpeedMeter.now() - started)),
                    ("stopped_early", .bool(result.stoppedEarly)), ("interrupted", .bool(StopSignals.requested))]
        summary += extraSummary()
        summary.append(("written", .array(written.map { .string($0) })))
        var lines = NavigatorOutput.lines(result, metricName: metricName)
        if StopSignals.requested { lines.append("interrupted: the table and the choice cover what was measured before the signal") }
        lines.append("wrote " + written.joined(separator: ", "))
        console.result(human: lines, summary: summary)
    }
}
