import Foundation
import LeptonCore
import LeptonIO

/// When to replace a tool: a Markov decision process over tool-wear states, solved by value
/// iteration and cross-checked by tabular Q-learning.
///
/// States are wear bins b = 0…B−1 of `step` minutes. Each part produced in bin b fails with
/// probability h_b (the hazard); a failure costs `failure + downtime` and the tool is replaced
/// (state 0). Otherwise the tool wears on: it moves to bin b+1 with probability δ/step, δ the
/// mean wear added per part. Before a part, the engineer may replace the tool (`replacement`,
/// state 0). The policy minimises the long-run average cost per part g (relative value iteration):
///
///     V(b) = min( c(b) + Σ P(b'|b)·V(b'),  replacement + c(0) + Σ P(b'|0)·V(b') ) − g,   c(b) = h_b·(failure + downtime)
///
/// The optimal policy replaces at the first bin where replacing is cheaper: "replace the tool at
/// N minutes of wear". Its cost per 1,000 parts is set against running to failure and against a
/// fixed schedule.
public struct MaintenancePolicy: Sendable {
    public struct Costs: Sendable, Equatable {
        public var failure: Double
        public var replacement: Double
        public var downtime: Double
        public init(failure: Double = 1000, replacement: Double = 100, downtime: Double = 500) {
            (self.failure, self.replacement, self.downtime) = (failure, replacement, downtime)
        }
    }

    /// Per-part failure probability in each wear bin.
    public var hazard: [Double]
    /// Minutes of wear per bin.
    public var step: Double
    /// Mean wear added per part (minutes).
    public var wearPerPart: Double
    public var costs: Costs

    /// Replace before a part at bin ≥ this (nil: never, run to failure).
    public typealias Threshold = Int?

    /// The average cost per part of replacing at `threshold` (bins), by relative value iteration on that policy.
    public func averageCost(replacingAt threshold: Threshold) -> Double {
        solve(policy: threshold).gain
    }

    /// The optimal threshold (bins) and its average cost per part, by relative value iteration over both actions.
    public func optimal() -> (threshold: Threshold, gain: Double) {
        let result = solve(policy: nil, optimise: true)
        return (result.threshold, result.gain)
    }

    func solve(policy: Threshold, optimise: Bool = false) -> (gain: Double, threshold: Threshold) {
        // At most 0.99 per part: a small chance to stay keeps the chain aperiodic, so relative value iteration converges.
        let bins = hazard.count, advance = min(0.99, wearPerPart / step)
        let failureCost = costs.failure + costs.downtime
        var value = [Double](repeating: 0, count: bins)
        var gain = 0.0
        var replaceFrom: Int? = nil
        func produce(_ b: Int, _ v: [Double]) -> Double {
            let h = hazard[b]
            let next = b + 1 < bins ? b + 1 : b
            return h * (failureCost + v[0]) + (1 - h) * (advance * v[next] + (1 - advance) * v[b])
        }
        for _ in 0..<100_000 {
            var updated = [Double](repeating: 0, count: bins)
            var firstReplace: Int? = nil
            let fresh = costs.replacement + produce(0, value)
            for b in 0..<bins {
                let keep = produce(b, value)
                let replace: Bool
                if optimise { replace = b > 0 && fresh < keep - 1e-12 } else { replace = policy.map { b >= $0 && b > 0 } ?? false }
                updated[b] = replace ? fresh : keep
                if replace && firstReplace == nil { firstReplace = b }
            }
            // Relative values: subtract the value of state 0; its change converges to the gain.
            let reference = updated[0]
            let change = zip(updated, value).map { abs(($0 - reference) - $1) }.max() ?? 0
            gain = reference
            value = updated.map { $0 - reference }
            replaceFrom = firstReplace
            if change < 1e-10 * max(1, abs(gain)) { break }
        }
        return (gain, optimise ? replaceFrom : policy)
    }

    /// The hazard by wear bin from a model's scores of `data` (their mean in each bin: the model's
    /// risk as a function of wear, the other readings as they come), and the mean wear per part
    /// (the median positive step of the wear column, in file order).
    public static func fromModel(scores: [Double], wear: [Double], step: Double) throws -> (hazard: [Double], wearPerPart: Double) {
        try binned(wear: wear, step: step) { rows in rows.map { scores[$0] }.reduce(0, +) / Double(rows.count) }
    }

    /// The same from observed outcomes (1 = failure): the empirical hazard.
    public static func fromOutcomes(labels: [Double], wear: [Double], step: Double) throws -> (hazard: [Double], wearPerPart: Double) {
        try binned(wear: wear, step: step) { rows in rows.map { labels[$0] }.reduce(0, +) / Double(rows.count) }
    }

    static func binned(wear: [Double], step: Double, _ mean: ([Int]) -> Double) throws -> (hazard: [Double], wearPerPart: Double) {
        let finite = wear.indices.filter { wear[$0].isFinite && wear[$0] >= 0 }
        guard let top = finite.map({ wear[$0] }).max(), step > 0, !finite.isEmpty else {
            throw DataError("no usable tool-wear values", hint: "name the wear column with --wear-column; it must hold minutes of wear.")
        }
        guard top / step < 10_000 else {
            throw DataError("tool wear up to \(top) minutes in \(step)-minute states is over 10,000 states",
                            hint: "check the wear column for sentinel values, or widen --wear-step.")
        }
        let bins = Int(top / step) + 1
        var rows = [[Int]](repeating: [], count: bins)
        for i in finite { rows[Int(wear[i] / step)].append(i) }
        var hazard = [Double](repeating: .nan, count: bins)
        for b in 0..<bins where !rows[b].isEmpty { hazard[b] = min(1, max(0, mean(rows[b]))) }
        // Empty bins take their left neighbour's hazard (the first known one at the start).
        let firstKnown = hazard.first { !$0.isNaN } ?? 0
        for b in 0..<bins where hazard[b].isNaN { hazard[b] = b > 0 ? hazard[b - 1] : firstKnown }
        let steps = zip(finite, finite.dropFirst()).map { wear[$1] - wear[$0] }.filter { $0 > 0 }.sorted()
        guard !steps.isEmpty else { throw DataError("the wear column never increases from one part to the next", hint: "give parts in production order.") }
        return (hazard, steps[steps.count / 2])
    }

    /// Tabular relative-value Q-learning (RVI Q-learning, Abounadi, Bertsekas & Borkar 2001) on
    /// parts simulated from `hazard`: a seeded ε-greedy agent produces `parts` parts, updating
    ///
    ///     Q(s, a) ← Q(s, a) + αₙ·(cost + min_a' Q(s', a') − Q(0, keep) − Q(s, a)),   αₙ = (1 + n(s, a))^−0.65
    ///
    /// (Q(0, keep) → the average cost per part); returns the greedy threshold it learnt. Used to
    /// check value iteration on logs the project simulates.
    public func qLearning(parts: Int, seed: UInt64, epsilon: Double = 0.2) -> Threshold {
        var rng = SeededGenerator(seed: seed)
        let bins = hazard.count, advance = min(0.99, wearPerPart / step)
        var q = [[Double]](repeating: [0, 0], count: bins)  // cost-to-go of [keep, replace]
        var visits = [[Double]](repeating: [0, 0], count: bins)
        var state = 0
        for _ in 0..<parts {
            let greedy = state > 0 && q[state][1] < q[state][0] ? 1 : 0
            let action = state == 0 ? 0 : (rng.uniform() < epsilon ? Int(rng.next() % 2) : greedy)
            var cost = action == 1 ? costs.replacement : 0
            let from = action == 1 ? 0 : state
            let next: Int
            if rng.uniform() < hazard[from] {
                cost += costs.failure + costs.downtime
                next = 0
            } else {
                next = rng.uniform() < advance ? min(from + 1, bins - 1) : from
            }
            let best = next == 0 ? q[0][0] : min(q[next][0], q[next][1])
            visits[state][action] += 1
            let alpha = pow(1 + visits[state][action], -0.65)
            q[state][action] += alpha * (cost + best - q[0][0] - q[state][action])
            state = next
        }
        return (1..<bins).first { q[$0][1] < q[$0][0] }
    }
}
