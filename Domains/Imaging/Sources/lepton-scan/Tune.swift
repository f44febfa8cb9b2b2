import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import ScanDiagnosis

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the scan classifier that meets a quality bar at the lowest measured latency, size and cost: cnn-small at two widths, int8, pruned, clustered and distilled, on 1 or 2 threads.",
        discussion: "Candidates are explored by successive halving (a ninth of the epochs, then a third, then all) with promotion by Pareto rank over AUC, latency, size and cost. "
            + "Without --val a seeded fifth of --data is held out for the measurements; the rest is split into training and early-stopping scans. "
            + "Without constraints the cheapest candidate within \(ScanTuning.defaultTolerance) AUC of the best is chosen. "
            + "--min-sensitivity-lower-ci bounds the lower end of the 95% CI of the sensitivity at each candidate's operating point.\n\n" + LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tune: TuneOptions
    @OptionGroup var caching: CacheOptions
    @Option(help: "Training scans: a folder with one subfolder per class, or a CSV manifest.") var data: String
    @Option(help: "Held-out scans to measure on (default: a fifth of --data).") var val: String?
    @Option(help: "Most epochs of the full-fidelity base networks.") var epochs = 30
    @Option(help: "Smallest acceptable lower bound of the sensitivity's 95% CI at the operating point.") var minSensitivityLowerCi: Double?

    func run() throws {
        Threading.setCount(common.threads.resolved)
        let cache = caching.cache()
        let dataset = try ImageFolder.load(source: data, cache: cache)
        let holdout = try val.map { try ImageFolder.load(source: $0, classNames: dataset.classNames, cache: cache) }
        var recipe = CNNRecipe()
        recipe.epochs = epochs
        recipe.threads = common.threads.resolved
        let candidatesFolder = "\(tune.out)/candidates"
        try NavigatorOutput.makeFolder(tune.out)
        try NavigatorOutput.makeFolder(candidatesFolder)
        let tuning = ScanTuning(data: dataset, holdout: holdout, recipe: recipe, seed: common.seed, cost: tune.costModel, folder: candidatesFolder)
        // The budget and SIGINT also end a base network's training between epochs (an evaluation can take minutes).
        let deadline = SpeedMeter.now() + tune.budgetMinutes * 60
        tuning.shouldStop = { StopSignals.requested || SpeedMeter.now() > deadline }
        let counts = tuning.counts
        try TuneRun.run(options: tune, common: common, domain: "imaging", metricName: ScanTuning.metricName,
                        defaultTolerance: ScanTuning.defaultTolerance, names: tuning.candidates.map(\.name), 
                        minimums: minSensitivityLowerCi.map { ["sensitivity_lower_ci": $0] } ?? [:], dataFile: data,
                        extraSummary: { [("training_scans", .int(counts.train)), ("early_stopping_scans", .int(counts.val)),
                                         ("holdout_scans", .int(counts.holdout)), ("training_cache_hits", .int(tuning.fits.hits)),
                                         ("training_seconds_saved", .double(tuning.fits.secondsSaved)), CacheOptions.summary(cache)] },
                        evaluate: { try tuning.evaluate($0, fidelity: $1) },
                        save: { i, path, _ in try TuneRun.copyCandidate(tuning.files[i], to: path) })
    }
}
