import ArgumentParser
import Foundation
import LeptonCLI
import LeptonIO
import LineQuality

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a log: an alerts CSV with the score, the alert flag and the top 3 contributing readings of each alert.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var batch: BatchOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "The log CSV.") var input: String
    @Option(help: "The alerts CSV to write.") var output: String
    @Flag(help: "Follow the log as it grows (like tail -F): score each line as it is appended, until SIGINT or SIGTERM.") var follow = false
    @Option(help: "With --follow: stop after this many seconds without a new line.") var idleSeconds: Double?
    @Option(help: "How many contributing readings each alert lists (columns top_1 …; SHAP for trees, robust z-scores for an anomaly model); 0 writes only the ID, score and alert.")
    var topReadings = 3

    func validate() throws {
        guard (0...50).contains(topReadings) else { throw ValidationError("--top-readings takes 0 to 50.") }
    }

    func run() throws {
        let console = Console(options: common)
        let (failureModel, identity) = try ModelIdentity.loading(model) { try FailureModelFile.read(path: $0) }
        if follow { return try runFollowing(failureModel, console: console) }
        let reader = try CSVReader(path: input)
        _ = try AlertWorker(model: failureModel, header: reader.columns, path: input)  // fails early on missing columns
        let started = Date()
        let summary = try BatchJob.run(input: reader, outputColumns: AlertWorker.columns(for: failureModel, header: reader.columns, topCount: topReadings),
                                       configuration: BatchConfiguration(outputPath: output, options: batch), threads: common.threads.resolved,
                                       firstFieldIsRowNumber: failureModel.spec.idColumn.map { !reader.columns.contains($0) } ?? true,
                                       progress: console.progress("scoring", unit: "rows")) {
            try AlertWorker(model: failureModel, header: reader.columns, path: input, topCount: topReadings)
        }
        let seconds = Date().timeIntervalSince(started)
        if let note = batch.sharding.environmentNote { console.note(note) }
        try ShardSidecar.write(tool: "lepton-qc", summary: summary, model: model, modelIdentity: identity, input: input)
        try summary.report(to: console, extra: [("seconds", .double(seconds)), ("rows_per_second", .double(Double(summary.read) / max(seconds, 1e-9)))])
    }

    /// `--follow`: alerts written as lines are appended, until a stop signal or the idle time.
    func runFollowing(_ failureModel: FailureModel, console: Console) throws {
        StopSignals.install()
        var settings = FollowSettings()
        settings.idleSeconds = idleSeconds
        let started = Date()
        settings.maxRejectRate = batch.maxRejectRate
        let summary = try BatchJob.follow(path: input, outputColumns: { AlertWorker.columns(for: failureModel, header: $0, topCount: topReadings) }, output: output,
                                          rejects: batch.rejects, settings: settings, progress: console.progress("following", unit: "rows"),
                                          shouldStop: { StopSignals.requested }) { header in
            try AlertWorker(model: failureModel, header: header, path: input, topCount: topReadings)
        }
        let seconds = Date().timeIntervalSince(started)
        try summary.report(to: console, extra: [("seconds", .double(seconds)), ("follow", .bool(true))])
    }
}
