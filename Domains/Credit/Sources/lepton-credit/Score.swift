import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonIO

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Batch-score an applicant CSV: ID, pd, score, decision and reason codes per applicant.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var batch: BatchOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "The applicant CSV (columns the model does not use are ignored).") var input: String
    @Option(help: "The scores CSV to write.") var output: String
    @Option(help: "Reason codes per declined applicant (default: the model's).") var reasons: Int?

    func validate() throws {
        if let reasons, reasons < 0 || reasons > 20 { throw ValidationError("--reasons \(reasons): between 0 and 20.") }
    }

    func run() throws {
        let console = Console(options: common)
        let (creditModel, identity) = try ModelIdentity.loading(model) { try CreditModel.read(path: $0) }
        let started = Date()
        let summary = try scoreApplicants(creditModel, input: input, configuration: BatchConfiguration(outputPath: output, options: batch),
                                          reasons: reasons, threads: common.threads.resolved, console: console)
        let seconds = Date().timeIntervalSince(started)
        if let note = batch.sharding.environmentNote { console.note(note) }
        try ShardSidecar.write(tool: "lepton-credit", summary: summary, model: model, modelIdentity: identity, input: input)
        let unseen = summary.tallies.first { $0.name == "unseen_categories" }?.count ?? 0
        let outside = summary.tallies.first { $0.name == "out_of_range" }?.count ?? 0
        if unseen > 0 || outside > 0 {
            console.note("\(unseen) categories not seen in training went to their 'other' bins; \(outside) numbers outside the training range went to the outer bins.")
        }
        try summary.report(to: console, extra: [
            ("seconds", .double(seconds)), ("rows_per_second", .double(Double(summary.read) / max(seconds, 1e-9))),
        ])
    }
}

/// Batch-scores `input` with `model` on `threads` threads (LeptonCLI's batch job with the
/// model's per-thread worker).
func scoreApplicants(_ model: CreditModel, input: String, configuration: BatchConfiguration, reasons: Int?, threads: Int,
                     console: Console) throws -> BatchSummary {
    let reader = try CSVReader(path: input)
    let columns = try model.batchWorker(columns: reader.columns, path: input, reasonCount: reasons).scorer.columns  // fails early
    return try BatchJob.run(input: reader, outputColumns: columns, configuration: configuration, threads: threads,
                            firstFieldIsRowNumber: model.writesRowNumbers(forColumns: reader.columns),
                            progress: console.progress("scoring", unit: "rows")) {
        try model.batchWorker(columns: reader.columns, path: input, reasonCount: reasons)
    }
}
