import ArgumentParser
import Foundation
import LeptonCore
import LineQuality
import LeptonIO

/// `lepton-bench chart-speed`: an X̄–R or I-MR chart with every Nelson rule on N seeded normal points (in memory).
struct ChartSpeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chart-speed",
                                                    abstract: "Time an X̄–R or I-MR chart with all Nelson rules on N points in memory.")

    @Option(help: "Points.") var points = 10_000_000
    @Option(help: "xbar-r (subgroups of 5) or imr.") var type: String = "xbar-r"
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var rng = SeededGenerator(seed: seed)
        let values = (0..<points).map { _ in rng.normal() }
        let chartType: ChartType = type == "imr" ? .imr : .xbarR
        let size = chartType == .imr ? 1 : 5
        let (result, seconds) = try secondsTaken { () -> (charts: [PlottedChart], limits: ChartLimits) in
            let subgroups = Subgroups(values: values, size: size)
            var settings = ChartSettings(type: chartType)
            settings.rules = .nelson
            return try ControlCharts.compute(subgroups, settings: settings)
        }
        let violations = result.charts.map(\.violations.count).reduce(0, +)
        if json {
            printJSON(["tool": "lepton", "seconds": seconds, "points": points, "violations": violations, "center": result.limits.center])
        } else {
            print(String(format: "lepton %@ chart, %d points, Nelson rules: %.3f s, %d violations", type, points, seconds, violations))
        }
    }
}

/// `lepton-bench iforest`: isolation forest fit + score on a numeric CSV (the label column only for the AUC).
struct IsolationForestBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iforest", abstract: "Time an isolation forest fit and score; AUC against a label column.")

    @Option(help: "Numeric CSV.") var file: String
    @Option(help: "The 0/1 label column (not a feature).") var label: String
    @Option(help: "The feature columns, comma-separated.") var columns: String
    @Option(help: "Trees.") var trees = 100
    @Option(help: "Cores to use.") var threads = 2
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let names = columns.split(separator: ",").map(String.init) + [label]
        let table = try LeptonIO.NumericTable.read(path: file, columns: names, threads: threads)
        guard let labelIndex = table.columns.firstIndex(of: label) else { throw ValidationError("no column \(label)") }
        let features = table.values.indices.filter { $0 != labelIndex }.map { table.values[$0] }
        var config = IsolationForestConfig()
        (config.trees, config.threads, config.seed) = (trees, threads, 0)
        let (scores, seconds) = try secondsTaken { () -> [Double] in
            let model = try IsolationForest.fit(features, config: config)
            return try model.scores(features)
        }
        let auc = rocAUC(labels: table.values[labelIndex].map(Double.init), scores: scores) ?? .nan
        if json {
            printJSON(["tool": "lepton", "seconds": seconds, "auc": auc, "rows": table.values[labelIndex].count])
        } else {
            print(String(format: "lepton isolation forest: fit + score in %.3f s, AUC %.4f", seconds, auc))
        }
    }
}
