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
        var foldAUCs: [Double] = []
        var fitSeconds = 0.0
        let auc: Double
        if let test {
            let testProblem = try TabularProblem(path: test, target: target, positive: problem.positive, drop: dropped)
            let (scores, seconds) = try fitAndScore(problem, trainRows: Array(problem.labels.indices),
                                                    scoring: testProblem, rows: Array(testProblem.labels.indices))
            fitSeconds = seconds
            auc = rocAUC(labels: testProblem.labels, scores: scores) ?? .nan
        } else {
            let folds = problem.folds(5, seed: seed)
            for k in 0..<5 {
                let trainRows = folds.indices.filter { folds[$0] != k }
                let testRows = folds.indices.filter { folds[$0] == k }
                let (scores, seconds) = try fitAndScore(problem, trainRows: trainRows, scoring: problem, rows: testRows)
                fitSeconds += seconds
                foldAUCs.append(rocAUC(labels: testRows.map { problem.labels[$0] }, scores: scores) ?? .nan)
            }
            auc = foldAUCs.reduce(0, +) / Double(foldAUCs.count)
            fitSeconds /= Double(foldAUCs.count)  // one fit, averaged over the folds
        }
        if json {
            var object: [String: Any] = ["auc": auc, "fit_seconds": fitSeconds, "rows": problem.labels.count,
                                         "model": model.rawValue, "positive": problem.positive,
                                         "features": problem.features.count, "rejected": problem.table.rejected.count]
            if !foldAUCs.isEmpty { object["fold_aucs"] = foldAUCs }
            printJSON(object)
        } else {
            print(String(format: "%@ on %@: AUC %.4f (%@), fit %.3f s, %d rows, %d features",
                         model.rawValue, train, auc, test == nil ? "5-fold CV" : "test file", fitSeconds,
                         problem.labels.count, problem.features.count))
        }
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
            throw BenchError("--model gbdt: the gradient-boosted trees are not merged into this build yet")
        }
    }
}
