import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LineQuality

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the failure model that meets a quality bar at the lowest measured latency, size and cost: boosted models of four sizes, compressed or not, on 1 or 2 threads.",
        discussion: "Candidates are explored by successive halving (a ninth of the rounds, then a third, then all) with promotion by Pareto rank over PR-AUC, latency, size and cost. "
            + "Without --val a seeded stratified quarter of --data is held out for the measurements; of the rest, a fifth chooses the compressions' tree counts and the models are fitted on the other four fifths. "
            + "Without constraints the cheapest candidate within \(FailureTuning.defaultTolerance) PR-AUC of the best is chosen; recall at the target false-alarm rate is reported beside it.\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tune: TuneOptions
    @OptionGroup var caching: CacheOptions
    @Option(help: "The per-part CSV with the outcome column.") var data: String
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning failure.") var positive: String
    @Option(help: "Columns to leave out, comma-separated.") var drop: String?
    @Option(name: .customLong("feature"), help: ArgumentHelp("A derived feature, NAME = EXPRESSION (repeatable).", valueName: "NAME = EXPR"))
    var features: [String] = []
    @Option(help: "Alert threshold rule: flag at most this share of normal parts.") var falseAlarmRate = 0.01
    @Option(help: "Held-out parts to measure on (default: a quarter of --data).") var val: String?

    func run() throws {
        let derived = try features.map { try FeatureExpression($0) }
        let dropped = (drop ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let threads = common.threads.resolved
        let cache = caching.cache()
        let data = try PartsData.load(path: data, target: target, positive: positive, drop: dropped, derived: derived, threads: threads, cache: cache)
        let holdout = try val.map { try PartsData.load(path: $0, target: target, positive: positive, schema: data.schema, threads: threads, cache: cache) }
        var config = FailureConfig()
        config.seed = common.seed
        config.threshold = .falseAlarmRate(falseAlarmRate)
        let folder = "\(tune.out)/candidates"
        try NavigatorOutput.makeFolder(tune.out)
        try NavigatorOutput.makeFolder(folder)
        let tuning = FailureTuning(data: data, holdout: holdout, config: config, target: target, positive: positive, cost: tune.costModel, folder: folder)
        let counts = tuning.counts
        try TuneRun.run(options: tune, common: common, domain: "manufacturing", metricName: FailureTuning.metricName,
                        defaultTolerance: FailureTuning.defaultTolerance, names: tuning.candidates.map(\.name), 
                        dataFile: self.data,
                        extraSummary: { [("training_parts", .int(counts.train)), ("choice_parts", .int(counts.choice)), ("holdout_parts", .int(counts.holdout)),
                                         ("training_cache_hits", .int(tuning.fits.hits)), ("training_seconds_saved", .double(tuning.fits.secondsSaved)),
                                         CacheOptions.summary(cache)] },
                        evaluate: { try tuning.evaluate($0, fidelity: $1) },
                        save: { i, path, _ in try TuneRun.copyCandidate(tuning.files[i], to: path) })
    }
}
