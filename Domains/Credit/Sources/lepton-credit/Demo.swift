import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonIO
import LeptonReport

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a scorecard on the embedded German credit data, validate it, write the report, then batch-score synthetic applicants.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "The German credit CSV (default: data/credit/germancredit.csv beside the working folder or the executable).")
    var data: String?
    @Option(help: "Where to write the model, report and scored files.") var outDir = NSTemporaryDirectory() + "lepton-credit-demo"
    @Option(help: "Synthetic applicants to generate and score.") var rows = 1_000_000
    @Option(help: "Put text in credit_amount of every N-th synthetic applicant, to show the rejects (0: never).")
    var corruptEvery = 10_000

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows \(rows): not negative.") }
        guard corruptEvery >= 0 else { throw ValidationError("--corrupt-every \(corruptEvery): not negative.") }
    }

    /// The embedded data: in the working folder, or two folders above the executable (.build/release).
    func locateData() throws -> String {
        if let data { return data }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [FileManager.default.currentDirectoryPath + "/data/credit/germancredit.csv"]
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.path + "/data/credit/germancredit.csv")
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw DataError("the embedded German credit data is not at \(candidates[0])",
                              hint: "run from the repository folder, or pass --data path/to/germancredit.csv.")
        }
        return found
    }

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let source = try locateData()
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let modelPath = outDir + "/german-scorecard.lepton", reportPath = outDir + "/german-scorecard-report.html"
        var out: [String] = []
        func say(_ line: String) {
            out.append(line)
            if !common.json { print(line) }
        }

        // 1. Train on German credit (1,000 loans, 'bad' = default).
        let t0 = Date()
        let dataset = try CreditDataset.load(path: source, target: "creditability", bad: "bad")
        let result = try ScorecardTrainer.fit(dataset, config: ScorecardConfig(), threads: threads)
        let card = result.scorecard
        let trainSeconds = Date().timeIntervalSince(t0)
        let cv = try CreditCrossValidation.run(dataset, kind: .scorecard, folds: 5, seed: common.seed, threads: threads)
        let e = ScorecardEvaluation(labels: dataset.labels, scores: result.scores,
                                    pd: card.probabilitiesOfDefault(scores: result.scores), cutoff: card.cutoff,
                                    costBadAccepted: card.config.costBadAccepted, costGoodRejected: card.config.costGoodRejected)
        try ScorecardFile.write(card, to: modelPath, metrics: Dictionary(e.summary + [("cv_auc", cv.meanAUC)], uniquingKeysWith: { a, _ in a }),
                                dataFingerprint: fileFingerprint(source), seed: common.seed)
        say("== German credit (\(source)): \(dataset.count) loans, \(dataset.badCount) bad")
        say(String(format: "scorecard with %d of %d characteristics, binned and fitted in %.3f s", card.entries.count,
                   dataset.characteristics.count, trainSeconds))
        say(String(format: "5-fold cross-validated AUC %.4f (folds %@); gate ≥ 0.78", cv.meanAUC,
                   cv.foldAUCs.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        say(String(format: "training data: AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f  log-loss %.4f  Hosmer–Lemeshow p %.3f",
                   e.auc, e.gini, e.ks, e.brier, e.logLoss, e.hosmerLemeshow.pValue))
        say(String(format: "cut-off %d (cost-optimal, bad accepted 5, good rejected 1): approve %.1f%%, bad rate of approved %.1f%%",
                   card.cutoff, e.atCutoff.approvalRate * 100, e.atCutoff.acceptedBadRate * 100))
        say("")
        say("validation table (training data, score bands riskiest first):")
        e.bandLines.forEach(say)
        say("")
        say("part of the scorecard (base points \(card.basePoints)):")
        for entry in card.entries.prefix(3) {
            for (b, bin) in entry.binning.bins.enumerated() where bin.count > 0 {
                let label = bin.label.count > 60 ? String(bin.label.prefix(59)) + "…" : bin.label
                say("  " + entry.binning.name.padding(toLength: 38, withPad: " ", startingAt: 0)
                    + label.padding(toLength: 62, withPad: " ", startingAt: 0) + String(format: "%5d points", entry.points[b]))
            }
        }
        say("  … \(card.entries.count - min(3, card.entries.count)) more characteristics in the report")
        var report = CreditReports.evaluation(e, scorecard: card, labels: dataset.labels, scores: result.scores,
                                              provenance: Provenance(tool: "lepton-credit", toolVersion: creditToolVersion,
                                                                     modelFile: modelPath, dataFile: source,
                                                                     dataFingerprint: fileFingerprint(source), seed: common.seed,
                                                                     command: commandLine, created: now),
                                              title: "German credit scorecard (demo)")
        report.addParagraph(String(format: "Stratified 5-fold cross-validated AUC (binning and fit on each training fold): %.4f.", cv.meanAUC))
        try ReportFiles.writeHTML(report, to: reportPath)
        say("wrote \(modelPath) and the report \(reportPath)")

        // 2. Synthetic applicants drawn from the training distribution, batch-scored on every core.
        var summary: [(String, JSONValue)] = [("cv_auc", .double(cv.meanAUC)), ("auc", .double(e.auc)), ("ks", .double(e.ks)),
                                              ("model", .string(modelPath)), ("report", .string(reportPath))]
        if rows > 0 {
            let applicants = outDir + "/applicants.csv", scores = outDir + "/scores.csv"
            let t1 = Date()
            let bytes = try SyntheticApplicants.write(from: source, to: applicants, rows: rows, seed: common.seed,
                                                      corruptEvery: corruptEvery > 0 ? corruptEvery : nil,
                                                      corruptColumn: "credit_amount")
            let generateSeconds = Date().timeIntervalSince(t1)
            say("")
            say(String(format: "generated %@ synthetic applicants (%.0f MB) in %.2f s", grouped(rows), Double(bytes) / 1e6, generateSeconds)
                + (corruptEvery > 0 ? "; every \(grouped(corruptEvery))th has text in credit_amount, to show the rejects" : ""))
            let t2 = Date()
            let s = try scoreApplicants(.scorecard(card), input: applicants,
                                        configuration: BatchConfiguration(outputPath: scores, rejectsPath: outDir + "/scores.rejects.csv"),
                                        reasons: nil, threads: threads, console: console)
            let seconds = Date().timeIntervalSince(t2)
            say(String(format: "scored %@ applicants on %d cores in %.2f s: %@ rows/s, %.0f MB/s", grouped(s.read), threads, seconds,
                       grouped(Int(Double(s.read) / seconds)), Double(bytes) / 1e6 / seconds))
            say("written \(grouped(s.written)) to \(scores); rejected \(grouped(s.rejected)) to \(s.rejectsPath)")
            summary += [("rows", .int(s.read)), ("written", .int(s.written)), ("rejected", .int(s.rejected)),
                        ("score_seconds", .double(seconds)), ("rows_per_second", .double(Double(s.read) / seconds))]
        }
        if common.json { console.result(human: [], summary: summary) }
    }
}

/// 1,000,000 → "1,000,000".
func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}
