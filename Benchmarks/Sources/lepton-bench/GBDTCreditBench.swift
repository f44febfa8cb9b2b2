import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO

/// `lepton-bench gbdt-credit`: k-fold cross-validated AUC of gradient-boosted trees on the
/// German credit data (text columns become categorical codes, numbers stay numeric).
struct GBDTCreditBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gbdt-credit", abstract: "Cross-validated AUC of GBDT on the German credit CSV.")

    @Option(help: "The German credit CSV.") var file = "../shared/datasets/german-credit/germancredit.csv"
    @Option(help: "Target column; the value `bad` is the positive class.") var target = "creditability"
    @Option(help: "Folds.") var folds = 5
    @Option(help: "Seed of the fold assignment and of the model.") var seed: UInt64 = 1
    @Option(help: "Boosting rounds.") var rounds = 300
    @Option(help: "Learning rate.") var learningRate = 0.03
    @Option(help: "Maximum leaves per tree.") var maxLeaves = 6
    @Option(help: "Minimum rows per leaf.") var minDataInLeaf = 10
    @Option(help: "L2 regularisation of leaf outputs.") var lambdaL2 = 1.0
    @Option(help: "Row subsample per tree.") var rowSubsample = 0.8
    @Option(help: "Feature subsample per tree.") var colSubsample = 0.7
    @Option(help: "Minimum rows of a category for it to be ordered in a node.") var minDataPerCategory = 10
    @Option(help: "Extra L2 regularisation of categorical splits.") var categoricalL2 = 1.0
    @Option(help: "Smoothing of the category ordering statistic.") var categoricalSmoothing = 5.0
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let (x, y) = try Self.load(path: file, target: target)
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: learningRate, maxLeaves: maxLeaves, seed: seed)
        c.minDataInLeaf = minDataInLeaf; c.lambdaL2 = lambdaL2; c.rowSubsample = rowSubsample; c.colSubsample = colSubsample
        c.minDataPerCategory = minDataPerCategory; c.minCategoryCount = 1
        c.categoricalL2 = categoricalL2; c.categoricalSmoothing = categoricalSmoothing
        // Stratified folds: positives and negatives are each shuffled and dealt round-robin.
        var rng = SeededGenerator(seed: seed)
        var fold = [Int](repeating: 0, count: x.rowCount)
        for label in [0.0, 1.0] {
            let members = y.indices.filter { y[$0] == label }
            for (k, p) in rng.permutation(members.count).enumerated() { fold[members[p]] = k % folds }
        }
        var aucs: [Double] = []
        var pooledScores = [Double](repeating: 0, count: x.rowCount)
        for k in 0..<folds {
            let train = fold.indices.filter { fold[$0] != k }, test = fold.indices.filter { fold[$0] == k }
            let model = try GBDT(config: c).fit(x.selecting(rows: train), labels: train.map { y[$0] })
            let scores = model.predictRaw(x.selecting(rows: test))
            aucs.append(benchAUC(labels: test.map { y[$0] }, scores: scores))
            for (i, r) in test.enumerated() { pooledScores[r] = scores[i] }
        }
        let mean = aucs.reduce(0, +) / Double(folds)
        if json {
            printJSON(["tool": "lepton", "folds": folds, "mean_auc": mean, "fold_aucs": aucs, "rows": x.rowCount,
                       "features": x.columnCount, "categorical": x.kinds.filter { $0 == .categorical }.count])
        } else {
            print(String(format: "lepton gbdt-credit: %d rows, %d features (%d categorical), %d-fold CV AUC %.4f (folds %@)",
                         x.rowCount, x.columnCount, x.kinds.filter { $0 == .categorical }.count, folds, mean,
                         aucs.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        }
    }

    /// Reads the CSV: columns whose every value is a number are numeric, the others are
    /// categorical with codes in sorted order of their distinct strings.
    static func load(path: String, target: String) throws -> (FeatureColumns, [Double]) {
        let reader = try CSVReader(path: path)
        let targetIndex = try reader.context.index(of: target)
        var fields = [[String]](repeating: [], count: reader.columns.count)
        _ = try reader.forEachRow { row in
            if let error = row.problemError { throw error }
            for i in 0..<row.count { fields[i].append(try row.string(at: i)) }
        }
        var columns: [[Float]] = [], names: [String] = [], kinds: [FeatureColumns.Kind] = []
        for (i, name) in reader.columns.enumerated() where i != targetIndex {
            let values = fields[i]
            names.append(name)
            if values.allSatisfy({ Float($0) != nil }) {
                columns.append(values.map { Float($0)! })
                kinds.append(.numeric)
            } else {
                let codes = Dictionary(uniqueKeysWithValues: Set(values).sorted().enumerated().map { ($1, Float($0)) })
                columns.append(values.map { codes[$0]! })
                kinds.append(.categorical)
            }
        }
        let labels = fields[targetIndex].map { $0 == "bad" ? 1.0 : 0.0 }
        return (FeatureColumns(columns: columns, names: names, kinds: kinds), labels)
    }
}
