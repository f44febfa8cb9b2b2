import ArgumentParser
import CreditScoring
import LeptonCLI
import LeptonCore
import LeptonIO

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the credit model that meets a quality bar at the lowest measured latency, size and cost: scorecards and boosted models, compressed or not, on 1 or 2 threads.",
        discussion: "Candidates are explored by successive halving (rungs at a ninth, a third and all of the training: a fidelity f fits √f of the rounds on a share f of the rows) with promotion by Pareto rank over AUC, latency, size and cost. "
            + "Without --val a seeded stratified quarter of --data is held out for the measurements; of the rest, a fifth chooses the compressions' sizes and the models are fitted on the other four fifths. "
            + "Without constraints the cheapest candidate within \(CreditTuning.defaultTolerance) AUC of the best is chosen.\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tune: TuneOptions
    @Option(help: "CSV of past loans with the outcome column.") var data: String
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning default (bad).") var bad: String
    @Option(help: "An ID column (never a characteristic).") var id: String?
    @Option(help: "A JSON schema overriding column types (see README).") var schema: String?
    @Option(help: "Held-out loans to measure on (default: a quarter of --data).") var val: String?

    func run() throws {
        let threads = common.threads.resolved
        let schema = try self.schema.map { try CreditSchema.read(path: $0) } ?? CreditSchema()
        let dataset = try CreditDataset.load(path: data, target: target, bad: bad, id: id, schema: schema, threads: threads)
        let holdout = try val.map { try CreditDataset.load(path: $0, target: target, bad: bad, id: id, schema: schema, threads: threads) }
        let folder = "\(tune.out)/candidates"
        try NavigatorOutput.makeFolder(tune.out)
        try NavigatorOutput.makeFolder(folder)
        let tuning = CreditTuning(data: dataset, holdout: holdout, config: ScorecardConfig(), seed: common.seed, cost: tune.costModel, folder: folder)
        try TuneRun.run(options: tune, common: common, domain: "credit", metricName: CreditTuning.metricName,
                        defaultTolerance: CreditTuning.defaultTolerance, names: tuning.candidates.map(\.name),
                         dataFile: data,
                        extraSummary: { [("training_rows", .int(tuning.trainingRows)), ("choice_rows", .int(tuning.choiceRows)), ("holdout_rows", .int(tuning.holdoutRows)),
                                         ("training_cache_hits", .int(tuning.fits.hits)), ("training_seconds_saved", .double(tuning.fits.secondsSaved))] },
                        evaluate: { try tuning.evaluate($0, fidelity: $1) },
                        save: { i, path, _ in try TuneRun.copyCandidate(tuning.files[i], to: path) })
    }
}
