import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO

/// `lepton-bench tabular`: fit a tabular model on a CSV and report AUC (test file or 5-fold CV).
struct TabularBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tabular",
        abstract: "Fit a binary classifier on a CSV; AUC on --test, else stratified 5-fold cross-validation.")

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case logistic
        case gbdt
    }

    @Option(help: "Training CSV (column types inferred; text columns are categorical).") var train: String
    @Option(help: "Test CSV with the same columns; without it, 5-fold cross-validation on --train.") var test: String?
    @Option(help: "The outcome column.") var target: String
    @Option(help: "The outcome value meaning positive (default: the second of the two in sorted order).") var positive: String?
    @Option(help: "Columns to leave out, comma-separated.") var drop: String = ""
    @Option(help: "Model: \(Model.allCases.map(\.rawValue).joined(separator: ", ")).") var model: Model = .logistic
    @Option(help: "Seed for the folds and the model.") var seed: UInt64 = 0
    @Option(help: "Cores to use.") var threads = 2
    @Option(help: "Inverse L2 strength C of the logistic regression.") var c = 0.1
    @Flag(help: "Print one JSON object (auc, fit_seconds for one fit, rows, …).") var json = false

    func run() throws {
        let dropped = drop.split(separator: ",").map(String.init)
        let problem = try TabularProblem(path: train, target: target, positive: positive, drop: dropped)
        let evaluation = TabularEvaluation(model: model, seed: seed, threads: threads, c: c)
        let result: TabularEvaluation.Result
        if let test {
            let testProblem = try TabularProblem(path: test, target: target, positive: problem.positive, drop: dropped)
            result = try evaluation.onTestSet(train: problem, test: testProblem)
        } else {
            result = try evaluation.crossValidated(problem, folds: 5)
        }
        if json {
            var object: [String: Any] = ["auc": result.auc, "fit_seconds": result.fitSeconds, "rows": problem.labels.count,
                                         "model": model.rawValue, "positive": problem.positive,
                                         "features": problem.features.count, "rejected": problem.table.rejected.count]
            if !result.foldAUCs.isEmpty { object["fold_aucs"] = result.foldAUCs }
            printJSON(object)
        } else {
            print(String(format: "%@ on %@: AUC %.4f (%@), one fit %.3f s, %d rows, %d features",
                         model.rawValue, train, result.auc, test == nil ? "5-fold CV" : "test file", result.fitSeconds,
                         problem.labels.count, problem.features.count))
        }
    }
}

/// Fits a tabular model and measures its AUC, on a test set or by stratified k-fold CV.
struct TabularEvaluation {
    let model: TabularBench.Model
    let seed: UInt64
    let threads: Int
    let c: Double

    struct Result {
        var auc: Double
        var foldAUCs: [Double]
        /// Seconds for one fit (averaged over the folds in cross-validation).
        var fitSeconds: Double
    }

    func onTestSet(train: TabularProblem, test: TabularProblem) throws -> Result {
        let (scores, seconds) = try fitAndScore(train, trainRows: Array(train.labels.indices),
                                                scoring: test, rows: Array(test.labels.indices))
        return Result(auc: rocAUC(labels: test.labels, scores: scores) ?? .nan, foldAUCs: [], fitSeconds: seconds)
    }

    func crossValidated(_ problem: TabularProblem, folds k: Int) throws -> Result {
        let folds = problem.folds(k, seed: seed)
        var aucs: [Double] = []
        var seconds = 0.0
        for fold in 0..<k {
            let trainRows = folds.indices.filter { folds[$0] != fold }
            let testRows = folds.indices.filter { folds[$0] == fold }
            let (scores, fitSeconds) = try fitAndScore(problem, trainRows: trainRows, scoring: problem, rows: testRows)
            seconds += fitSeconds
            aucs.append(rocAUC(labels: testRows.map { problem.labels[$0] }, scores: scores) ?? .nan)
        }
        return Result(auc: aucs.reduce(0, +) / Double(k), foldAUCs: aucs, fitSeconds: seconds / Double(k))
    }

    /// Fits on `trainRows` of `problem` and returns scores for `rows` of `scoring`, and the fit time.
    private func fitAndScore(_ problem: TabularProblem, trainRows: [Int], scoring: TabularProblem,
                             rows: [Int]) throws -> ([Double], Double) {
        switch model {
        case .logistic:
            let encoder = OneHotEncoder(problem.features, rows: trainRows)
            let x = encoder.matrix(problem.features, rows: trainRows)
            var config = LogisticRegressionConfig(penalty: .l2, C: c)
            config.threads = threads
            let (fitted, seconds) = try secondsTaken {
                try LogisticRegression.fit(x, labels: trainRows.map { problem.labels[$0] }, config: config)
            }
            return (fitted.decisionFunction(encoder.matrix(scoring.features, rows: rows)), seconds)
        case .gbdt:
            let x = problem.featureColumns(rows: trainRows)
            let (fitted, seconds) = try secondsTaken {
                try GBDT(config: Self.gbdtDefaults(seed: seed, threads: threads)).fit(x, labels: trainRows.map { problem.labels[$0] })
            }
            return (fitted.predictRaw(scoring.featureColumns(rows: rows)), seconds)
        }
    }

    /// The GBDT settings used for small tabular data such as German credit: shallow trees,
    /// slow learning, row and column subsampling, regularised category ordering.
    static func gbdtDefaults(seed: UInt64, threads: Int) -> GBDTConfig {
        var config = GBDTConfig(objective: .binaryLogLoss, rounds: 300, learningRate: 0.03, maxLeaves: 6, seed: seed)
        config.minDataInLeaf = 10
        config.lambdaL2 = 1
        config.rowSubsample = 0.8
        config.colSubsample = 0.7
        config.minDataPerCategory = 10
        config.minCategoryCount = 1
        config.categoricalL2 = 1
        config.categoricalSmoothing = 5
        config.threads = threads
        return config
    }
}
