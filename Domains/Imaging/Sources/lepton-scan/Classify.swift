import ArgumentParser
import Foundation
import LeptonCLI
import LeptonIO
import ScanDiagnosis

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify scans (a folder searched recursively, a list file or a CSV manifest): probability and decision per scan, rejects with reasons.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOptions
    @Option(help: "The model file.") var model: String
    @Option(help: "A folder of PNG scans, a list file or a CSV manifest with a 'path' column.") var input: String
    @Option(help: "The CSV to write (path, probability, decision, flag).") var output: String
    @Option(help: "Where to write unreadable scans with their reason (default: <output>.rejects.csv).") var rejects: String?
    @Option(help: "Largest tolerated share of rejected scans; above it the outputs are written and the exit code is 3.") var maxRejectRate = 0.01
    @Option(help: "Scans per inference batch (the next batch decodes while one is classified).") var batchSize = 256
    @Option(help: "Write a saliency overlay (PNG) for every flagged scan into this folder.") var saliency: String?
    @Option(help: "Saliency map: gradcam (the last convolutional block; occlusion for models without one) or occlusion.") var saliencyMethod = "gradcam"

    func run() throws {
        let console = Console(options: common)
        let (scanModel, identity) = try ModelIdentity.loading(model) { try ScanModel.read(path: $0) }
        guard let method = SaliencyMethod(rawValue: saliencyMethod) else {
            throw DataError("--saliency-method \(saliencyMethod) is not a method", hint: "give gradcam or occlusion.")
        }
        // Batches decode on fresh threads; one malloc arena keeps 100,000 scans in the memory of 2,000.
        MallocArenas.limit(to: 1)
        let started = Date()  // throughput counts finding the files too, as a user waits for it
        let progress = console.progress("classifying", unit: "scans")
        let shard = sharding.resolvedShard
        let s: ScanClassification.Summary
        var listed: Int?
        if let shard {
            // A shard: its contiguous run of the listed scans, cut at whole batches (so the merged
            // shards' probabilities equal an unsharded run's to the bit).
            let files = try ScanSource.files(input)
            listed = files.count
            s = try ScanClassification.run(model: scanModel, files: Array(files[shard.range(of: files.count, alignment: max(1, batchSize))]),
                                           output: output, rejects: rejects ?? output + ".rejects.csv", threads: common.threads.resolved,
                                           batchSize: max(1, batchSize), saliency: saliency, saliencyMethod: method) { progress.update(items: $0) }
        } else {
            s = try ScanClassification.run(model: scanModel, input: input, output: output, rejects: rejects ?? output + ".rejects.csv",
                                           threads: common.threads.resolved, batchSize: max(1, batchSize), saliency: saliency, saliencyMethod: method) { progress.update(items: $0) }
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let summary = BatchSummary(read: s.read, written: s.written, rejected: s.rejected, outputPath: output,
                                   rejectsPath: rejects ?? output + ".rejects.csv", shard: shard, maxRejectRate: maxRejectRate)
        if let note = sharding.environmentNote { console.note(note) }
        try ShardSidecar.write(tool: "lepton-scan", summary: summary, model: model, modelIdentity: identity, input: input,
                               cut: "batches of \(max(1, batchSize)) scans", inputRecords: listed)
        try summary.report(to: console, extra: [("flagged", .int(s.flagged)), ("seconds", .double(seconds)),
                                                ("images_per_second", .double(Double(s.read) / max(seconds, 1e-9)))])
    }
}
