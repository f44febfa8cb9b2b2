import ArgumentParser
import CreditScoring
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a scorecard on the embedded German credit data, validate it out of sample, write the report, then batch-score synthetic applicants.",
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

    func run() throws {
        let console = Console(options: common)
        let threads = common.threads.resolved
        let source = try data ?? EmbeddedData.locate("credit/germancredit.csv")
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let modelPath = outDir + "/german-scorecard.lepton", reportPath = outDir + "/german-scorecard-report.html"
        var out: [String] = []
        func say(_ lines: [String]) {
            out += lines
            if !common.json { lines.forEach { print($0) } }
        }

        // 1. Train on German credit (1,000 loans, 'bad' = default), validate by 5-fold cross-validation.
        let t0 = Date()
        let dataset = try CreditDataset.load(path: source, target: "creditability", bad: "bad")
        let trained = try CreditTraining.run(dataset, kinds: [.scorecard], config: ScorecardConfig(), cvFolds: 5, seed: common.seed,
                                             threads: threads)[0]
        let provenance = RunProvenance.current(tool: "lepton-credit", seed: common.seed, dataFile: source)
        try trained.write(to: modelPath, provenance: provenance)
        try ReportFiles.writeHTML(trained.report(provenance: Provenance(provenance, modelFile: modelPath)), to: reportPath)
        say(CreditDemoSummary.lines(source: source, data: dataset, trained: trained, seconds: Date().timeIntervalSince(t0)))
        say(["wrote \(modelPath) and the report \(reportPath)"])
        let cv = trained.crossValidation!
        // `auc` and `ks` are in-sample (as before); the validation figures are `cv_auc` and `out_of_fold_auc`.
        var summary: [(String, JSONValue)] = [("cv_auc", .double(cv.meanAUC)), ("auc", .double(trained.training.auc)),
                                              ("ks", .double(trained.training.ks)), ("model", .string(modelPath)), ("report", .string(reportPath)),
                                              ("out_of_fold_auc", .double(CreditMetrics.auc(labels: dataset.labels, scores: cv.outOfFoldScores) ?? .nan))]

        // 2. Synthetic applicants drawn from the training distribution, batch-scored on every core.
        if rows > 0, case let .scorecard(card) = trained.model {
            let applicants = outDir + "/applicants.csv", scores = outDir + "/scores.csv"
            let t1 = Date()
            let bytes = try SyntheticApplicants.write(from: source, to: applicants, rows: rows, seed: common.seed,
                                                      corruptEvery: corruptEvery > 0 ? corruptEvery : nil, corruptColumn: "credit_amount")
            say(["", String(format: "generated %@ synthetic applicants (%.0f MB) in %.2f s", NumberFormat.integer(rows), Double(bytes) / 1e6,
                            Date().timeIntervalSince(t1))
                + (corruptEvery > 0 ? "; every \(NumberFormat.integer(corruptEvery))th has text in credit_amount, to show the rejects" : "")])
            let t2 = Date()
            let s = try scoreApplicants(.scorecard(card), input: applicants,
                                        configuration: BatchConfiguration(outputPath: scores, rejectsPath: outDir + "/scores.rejects.csv"),
                                        reasons: nil, threads: threads, console: console)
            let seconds = Date().timeIntervalSince(t2)
            say([String(format: "scored %@ applicants on %d cores in %.2f s: %@ rows/s, %.0f MB/s", NumberFormat.integer(s.read), threads, seconds,
                        NumberFormat.integer(Int(Double(s.read) / seconds)), Double(bytes) / 1e6 / seconds),
                 "written \(NumberFormat.integer(s.written)) to \(scores); rejected \(NumberFormat.integer(s.rejected)) to \(s.rejectsPath)"])
            summary += [("rows", .int(s.read)), ("written", .int(s.written)), ("rejected", .int(s.rejected)),
                        ("score_seconds", .double(seconds)), ("rows_per_second", .double(Double(s.read) / seconds))]
        }
        // 3. The navigator (shown without --json): a boosted model on three quarters of the loans,
        //    compressed and re-checked on the other quarter; then tune over every candidate.
        if !common.json {
            let (trainCSV, heldOut) = (outDir + "/german-train.csv", outDir + "/german-heldout.csv")
            let (n, m) = try DemoSplit.write(source, every: 4, train: trainCSV, heldOut: heldOut)
            print("", "== The speed/cost navigator: a boosted model on \(n) loans, compressed and re-checked on \(m) held-out ones (lepton-credit compress)")
            let gbdt = outDir + "/german-gbdt.lepton"
            let train = try Train.parse(["--data", trainCSV, "--target", "creditability", "--bad", "bad", "--kind", "gbdt", "--out", gbdt, "--quiet"])
            try train.run()
            let compress = try Compress.parse(["--model", gbdt, "--method", "trees", "--val", heldOut, "--out", outDir + "/german-gbdt-small.lepton", "--quiet"])
            try compress.run()
            print("", "== Tune: scorecards and boosted models, compressed or not, on 1 or 2 threads (lepton-credit tune)")
            let tune = try Tune.parse(["--data", trainCSV, "--val", heldOut, "--target", "creditability", "--bad", "bad", "--out", outDir + "/tune",
                                       "--budget-minutes", "3", "--quiet", "--seed", String(common.seed)])
            try tune.run()
        }
        if common.json { console.result(human: [], summary: summary) }
    }
}
