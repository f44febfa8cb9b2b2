import ArgumentParser
import CreditScoring
import Foundation
import LeptonCore

/// `lepton-bench navigator`: successive halving against exhaustive search on a grid of 27
/// boosted credit models (rounds 100/300/600 × leaves 4/8/16 × learning rate 0.02/0.05/0.1,
/// small enough to train every one fully): the best full-fidelity held-out AUC each finds and
/// the training compute each spends (`lepton-credit tune`'s machinery: a fidelity f boosts f of
/// √f of the rounds on a share f of the rows).
struct NavigatorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "navigator",
        abstract: "Successive halving vs exhaustive search over 27 boosted credit models: best held-out AUC found and training compute.")

    @Option(help: "A loan CSV with the outcome column (German credit).") var data: String
    @Option(help: "The outcome column.") var target = "creditability"
    @Option(help: "The bad value.") var bad = "bad"
    @Option(help: "Seeds to repeat the comparison with (different held-out quarters).") var seeds = 3
    @Flag(help: "Print one JSON object.") var json = false

    /// The 27 boosted models.
    var grid: [CreditTuneCandidate] {
        var out: [CreditTuneCandidate] = []
        for rounds in [100, 300, 600] {
            for leaves in [4, 8, 16] {
                for rate in [0.02, 0.05, 0.1] { out.append(CreditTuneCandidate(kind: .gbdt, rounds: rounds, maxLeaves: leaves, learningRate: rate)) }
            }
        }
        return out
    }

    func run() throws {
        let dataset = try CreditDataset.load(path: data, target: target, bad: bad)
        var rows: [[String: Any]] = []
        for seed in 0..<UInt64(seeds) {
            func search(_ fidelities: [Double]) -> (best: Double, seconds: Double, name: String) {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lepton-navigator-\(getpid())").path
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let tuning = CreditTuning(data: dataset, holdout: nil, config: ScorecardConfig(), seed: seed, cost: CostModel(), folder: folder,
                                          candidates: grid)
                let r = NavigatorSearch.run(count: tuning.candidates.count, fidelities: fidelities, constraints: NavigatorConstraints(),
                                            tolerance: 0, shouldStop: { false }) { try tuning.evaluate($0, fidelity: $1) }
                let best = r.finalists.compactMap { r.measured[$0] }.max { $0.metric < $1.metric }
                return (best?.metric ?? .nan, r.computeSeconds, best?.name ?? "")
            }
            let halving = search([1.0 / 9, 1.0 / 3, 1]), exhaustive = search([1])
            rows.append(["seed": seed, "halving_best_auc": halving.best, "exhaustive_best_auc": exhaustive.best,
                         "auc_gap": exhaustive.best - halving.best, "halving_seconds": halving.seconds, "exhaustive_seconds": exhaustive.seconds,
                         "compute_ratio": halving.seconds / exhaustive.seconds, "halving_best": halving.name, "exhaustive_best": exhaustive.name])
            if !json {
                print(String(format: "seed %d: halving best AUC %.4f (%@) in %.2f s; exhaustive %.4f (%@) in %.2f s: gap %.4f, compute %.0f%%",
                             seed, halving.best, halving.name, halving.seconds, exhaustive.best, exhaustive.name, exhaustive.seconds,
                             exhaustive.best - halving.best, 100 * halving.seconds / exhaustive.seconds))
            }
        }
        if json {
            let worstGap = rows.map { $0["auc_gap"] as! Double }.max() ?? .nan
            let ratio = rows.map { $0["halving_seconds"] as! Double }.reduce(0, +) / rows.map { $0["exhaustive_seconds"] as! Double }.reduce(0, +)
            let gaps = rows.map { $0["auc_gap"] as! Double }
            let o: [String: Any] = ["runs": rows, "worst_auc_gap": worstGap, "mean_auc_gap": gaps.reduce(0, +) / Double(gaps.count),
                                    "seeds_within_0_005": gaps.filter { $0 <= 0.005 }.count, "seeds": gaps.count, "compute_ratio": ratio]
            print(String(data: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), encoding: .utf8)!)
        }
    }
}
