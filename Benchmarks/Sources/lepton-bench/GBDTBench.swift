import ArgumentParser
import Foundation
import LeptonCore

/// `lepton-bench gbdt`: fit and predict on the generated binary task of `peers/gbdt_bench.py`.
struct GBDTBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gbdt",
        abstract: "Time gradient-boosted trees on a generated binary task (same task as peers/gbdt_bench.py).")

    @Option(help: "Training rows.") var rows = 1_000_000
    @Option(help: "Test rows (AUC and prediction throughput).") var testRows = 200_000
    @Option(help: "Features.") var features = 30
    @Option(help: "Boosting rounds.") var rounds = 100
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Seed of the generated task.") var seed: UInt64 = 7
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let (x, y) = SyntheticGBDTTask.generate(start: 0, count: rows, features: features, seed: seed)
        let (tx, ty) = SyntheticGBDTTask.generate(start: rows, count: testRows, features: features, seed: seed)
        // The hyperparameters of peers/gbdt_bench.py.
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: 0.1, maxLeaves: 31, seed: seed)
        c.minDataInLeaf = 20; c.minHessianInLeaf = 1e-3; c.maxBins = 255; c.threads = threads
        let (model, fit) = try secondsTaken { try GBDT(config: c).fit(x, labels: y) }
        let (scores, predict) = secondsTaken { model.predictRaw(tx, threads: threads) }
        let auc = rocAUC(labels: ty, scores: scores) ?? .nan
        var checksum = 0.0
        for i in 0..<min(1000, rows) where !x[i, 0].isNaN { checksum += Double(x[i, 0]) }
        if json {
            printJSON(["tool": "lepton", "rows": rows, "threads": threads, "fit_seconds": fit, "auc": auc,
                       "predict_rows_per_s": Double(testRows) / predict,
                       "positive_rate": y.reduce(0, +) / Double(rows), "checksum_x00": checksum])
        } else {
            print(String(format: "lepton gbdt: %d rows × %d features, %d rounds: fit %.2f s, test AUC %.4f, predict %.0f rows/s",
                         rows, features, rounds, fit, auc, Double(testRows) / predict))
        }
    }
}

/// The generated task, with the formulas of `peers/gbdt_bench.py`:
/// `U(k) = (splitmix64(seed + (k+1)·γ) >> 11)·2⁻⁵³`; `x_ij = Float(4U(64i + j) − 2)`, missing
/// when `U(64i + 32 + j) < 0.05`; `y_i = [U(64i + 63) < σ(logit_i)]` with the logit of the script.
enum SyntheticGBDTTask {
    @inline(__always)
    static func uniform(_ key: UInt64, seed: UInt64) -> Double {
        var z = seed &+ (key &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        return Double(z >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    static func generate(start: Int, count: Int, features: Int, seed: UInt64) -> (FeatureColumns, [Double]) {
        precondition(features >= 20 && features <= 32, "the task needs 20…32 features")
        var values = [Float](repeating: 0, count: count * features)
        var y = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { v in
            y.withUnsafeMutableBufferPointer { yp in
                let box = UnsafeSendable((v, yp))
                DispatchQueue.concurrentPerform(iterations: 8) { part in
                    let (v, yp) = box.value
                    let lo = count * part / 8, hi = count * (part + 1) / 8
                    var x = [Double](repeating: 0, count: features)
                    for i in lo..<hi {
                        let key = UInt64(start + i) * 64
                        for j in 0..<features { x[j] = Double(Float(4 * uniform(key + UInt64(j), seed: seed) - 2)) }
                        var logit = 0.8 * x[0] - 0.6 * x[1] + 0.5 * x[2] * x[3] - 0.7 * x[4] * x[5] + sin(2 * x[6])
                        logit += (x[7] > 0.5 ? 0.8 : 0) * x[8] + 0.3 * x[9] * x[9] - 0.6
                        var linear = 0.0
                        for j in 10..<20 { linear += x[j] }
                        logit += 0.1 * linear
                        yp[i] = uniform(key + 63, seed: seed) < 1 / (1 + exp(-logit)) ? 1 : 0
                        for j in 0..<features {
                            v[j * count + i] = uniform(key + 32 + UInt64(j), seed: seed) < 0.05 ? .nan : Float(x[j])
                        }
                    }
                }
            }
        }
        return (FeatureColumns(columnMajor: values, rowCount: count, names: (0..<features).map { "x\($0)" }), y)
    }
}

/// Carries pointers into a concurrent loop whose iterations write disjoint ranges.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
