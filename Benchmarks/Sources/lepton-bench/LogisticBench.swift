import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO

/// `lepton-bench logistic`: time an L2 logistic-regression fit on a numeric CSV (0/1 target).
struct LogisticBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logistic", abstract: "Time fitting an L2 logistic regression (L-BFGS) on a numeric CSV.")

    @Option(help: "Numeric CSV (make one with `lepton-bench generate-linear`).") var file: String
    @Option(help: "The 0/1 outcome column.") var target = "y"
    @Option(help: "Inverse regularisation strength C.") var c = 1.0
    @Option(help: "Cores to use.") var threads = 2
    @Option(help: "Stop when ‖∇f‖∞ ≤ tolerance·max(1, |f|).") var tolerance = 1e-6
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        // Read as Double, as the peer does (NumericTable would round to Float32).
        let table = try TabularTable.read(path: file)
        let outcome = try table.column(target)
        let features = table.columns.filter { $0.name != target && $0.kind == .numeric }
        let n = table.rowCount, p = features.count
        var values = [Double](repeating: 0, count: n * p)
        for (k, column) in features.enumerated() {
            for i in 0..<n { values[i * p + k] = column.numbers[i] }
        }
        let x = DesignMatrix(rows: n, columns: p, values: values)
        let y = outcome.kind == .numeric ? outcome.numbers : outcome.codes.map { Double($0) }
        var config = LogisticRegressionConfig(penalty: .l2, C: c)
        config.threads = threads
        config.tolerance = tolerance
        let (model, seconds) = try secondsTaken { try LogisticRegression.fit(x, labels: y, config: config) }
        let auc = rocAUC(labels: y, scores: model.decisionFunction(x)) ?? .nan
        if json {
            printJSON(["tool": "lepton", "fit_seconds": seconds, "rows": n, "features": p, "auc": auc,
                       "objective": model.diagnostics.objective, "iterations": model.diagnostics.iterations,
                       "converged": model.diagnostics.converged])
        } else {
            print(String(format: "lepton logistic: %d × %d fitted in %.3f s (%d iterations, objective %.6f, AUC %.4f)",
                         n, p, seconds, model.diagnostics.iterations, model.diagnostics.objective, auc))
        }
    }
}

/// `lepton-bench generate-linear`: a seeded numeric CSV with a logistic outcome `y`.
struct GenerateLinear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-linear", abstract: "Write a seeded numeric CSV with a 0/1 outcome from a logistic model.")

    @Option(help: "Output path.") var out: String
    @Option(help: "Rows.") var rows = 1_000_000
    @Option(help: "Feature columns.") var columns = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        var rng = SeededGenerator(seed: seed)
        let weights = (0..<columns).map { j in j % 3 == 2 ? 0 : Double.random(in: -1...1, using: &rng) }
        let scales = (0..<columns).map { j in [1.0, 10, 0.1][j % 3] }
        let file = try AtomicFile(path: out)
        try file.write(((1...columns).map { "x\($0)" } + ["y"]).joined(separator: ",") + "\n")
        var line = ""
        for _ in 0..<rows {
            line.removeAll(keepingCapacity: true)
            var z = -0.5
            for j in 0..<columns {
                let v = Double.random(in: -2...2, using: &rng) * scales[j]
                let rounded = (v * 10_000).rounded() / 10_000
                z += weights[j] * rounded / scales[j]
                line += String(rounded)
                line += ","
            }
            let probability = 1 / (1 + exp(-z))
            line += Double.random(in: 0..<1, using: &rng) < probability ? "1\n" : "0\n"
            try file.write(line)
        }
        try file.commit()
        print("wrote \(out): \(rows) rows, \(columns) features")
    }
}
