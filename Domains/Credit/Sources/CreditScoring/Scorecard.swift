import Foundation
import LeptonCore
import LeptonIO

/// How log-odds become points, and the costs that set the cut-off: plain values.
///
/// The score is linear in the log-odds of being good:
///
///     score = offset + factor · ln(odds_good),   factor = PDO / ln 2,
///     offset = baseScore − factor · ln(baseOdds)
///
/// so that `baseScore` points mean odds of `baseOdds` : 1 (good : bad) and every `pdo` more
/// points double the odds.
public struct ScorecardConfig: Codable, Sendable, Equatable {
    /// Points to double the odds.
    public var pdo = 20.0
    /// The score at which the good:bad odds equal `baseOdds`.
    public var baseScore = 600.0
    public var baseOdds = 50.0
    public var binning = BinningConfig()
    public var selection = SelectionConfig()
    /// Cost of accepting an applicant who defaults (German credit documentation: 5).
    public var costBadAccepted = 5.0
    /// Cost of rejecting an applicant who would have repaid (German credit documentation: 1).
    public var costGoodRejected = 1.0
    /// A fixed cut-off score (approve at or above); nil: the cost-optimal cut-off on the training data.
    public var cutoff: Int?
    /// Reason codes per declined applicant.
    public var reasonCount = 4

    public init() {}

    /// factor = PDO / ln 2.
    public var factor: Double { pdo / log(2.0) }
    /// offset = baseScore − factor · ln(baseOdds).
    public var offset: Double { baseScore - factor * log(baseOdds) }
}

/// One characteristic of the scorecard: its bins, logistic coefficient and integer points per bin.
public struct ScorecardEntry: Codable, Sendable {
    public var binning: CharacteristicBinning
    /// β_j of the WOE logistic regression (positive: higher WOE, more risk).
    public var coefficient: Double
    /// points_b = round(−factor · β_j · WOE_b), one per bin.
    public var points: [Int]

    /// The most points any bin with training rows gives (the "best attainable bin" of reason codes).
    public var bestPoints: Int {
        zip(binning.bins, points).filter { $0.0.count > 0 }.map(\.1).max() ?? points.max() ?? 0
    }
}

/// A WOE logistic-regression scorecard: an integer number of points per bin of each
/// characteristic; an applicant's score is the base points plus the points of their bins,
///
///     score = basePoints + Σ_j points_j(bin_j),  basePoints = round(offset − factor · b₀)
///
/// where b₀ is the intercept of the logistic regression of "bad" on the WOE values.
/// The probability of default implied by a score inverts the scaling:
///
///     pd(score) = 1 / (1 + exp((score − offset) / factor))
public struct Scorecard: Codable, Sendable {
    public var outcome: OutcomeDefinition
    public var idColumn: String?
    public var config: ScorecardConfig
    public var entries: [ScorecardEntry]
    public var intercept: Double
    public var basePoints: Int
    /// Approve at or above this score.
    public var cutoff: Int
    /// Characteristics binned but left out, with the reason.
    public var excluded: [ExcludedCharacteristic]
    /// Score bands of the training data (for the population stability index).
    public var trainingBands: ScoreBands
    /// Bin counts of the training data per entry are in the bins themselves; this is the training size.
    public var trainingRows: Int
    public var trainingBads: Int

    /// The score of an applicant whose bin of entry j is `bins[j]`.
    @inline(__always)
    public func score(bins: [Int]) -> Int {
        var total = basePoints
        for j in entries.indices { total += entries[j].points[bins[j]] }
        return total
    }

    /// pd(score) = 1 / (1 + exp((score − offset) / factor)).
    public func probabilityOfDefault(score: Int) -> Double {
        1 / (1 + exp((Double(score) - config.offset) / config.factor))
    }

    /// pd(score) of every score: the same values as ``probabilityOfDefault(score:)``, computed
    /// once per score of the card's range (one exponential per score, not per row).
    public func probabilitiesOfDefault(scores: [Int]) -> [Double] {
        let range = scoreRange
        guard range.count <= 4 * scores.count + 4096 else { return scores.map { probabilityOfDefault(score: $0) } }
        let table = range.map { probabilityOfDefault(score: $0) }
        return scores.map { range.contains($0) ? table[$0 - range.lowerBound] : probabilityOfDefault(score: $0) }
    }

    /// The lowest and highest score the scorecard can give.
    public var scoreRange: ClosedRange<Int> {
        let low = entries.reduce(basePoints) { $0 + ($1.points.min() ?? 0) }
        let high = entries.reduce(basePoints) { $0 + ($1.points.max() ?? 0) }
        return low...high
    }

    /// Reason codes: the entries where the applicant lost the most points against the best
    /// attainable bin (lost_j = best_j − points_j(bin_j) > 0), largest first (ties in scorecard
    /// order), at most `count`.
    public func reasons(bins: [Int], count: Int) -> [(entry: Int, lost: Int)] {
        var losses: [(entry: Int, lost: Int)] = []
        for j in entries.indices {
            let lost = entries[j].bestPoints - entries[j].points[bins[j]]
            if lost > 0 { losses.append((j, lost)) }
        }
        losses.sort { $0.lost != $1.lost ? $0.lost > $1.lost : $0.entry < $1.entry }
        return Array(losses.prefix(count))
    }

    /// A reason in plain words: `duration_in_month in [36, +inf): 31 points below the best bin`.
    public func reasonText(entry j: Int, bin b: Int, lost: Int) -> String {
        "\(entries[j].binning.name) \(entries[j].binning.describe(bin: b)): \(lost) points below the best bin"
    }

    /// The names of the characteristics used.
    public var characteristicNames: [String] { entries.map(\.binning.name) }
}

/// Score bands of a reference population: edges and the share of rows in each band.
public struct ScoreBands: Codable, Sendable, Equatable {
    /// Band b holds scores in [edges[b−1], edges[b]) with edges[−1] = −∞ and a last band up to +∞.
    public var edges: [Double]
    public var shares: [Double]

    /// Bands at the deciles (or `count`-iles) of `scores`, merged where ties make them equal.
    public init(scores: [Double], count: Int = 10) {
        let sorted = scores.sorted()
        var edges: [Double] = []
        if !sorted.isEmpty {
            for q in 1..<count {
                let e = sorted[q * sorted.count / count]
                if e > sorted[0] && e != edges.last { edges.append(e) }
            }
        }
        self.edges = edges
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for s in sorted { counts[ScoreBands.band(of: s, edges: edges)] += 1 }
        shares = counts.map { $0 / Double(max(sorted.count, 1)) }
    }

    /// The same bands of integer scores, by counting (``ScoreHistogram``) when their range allows.
    public init(integerScores scores: [Int], count: Int = 10) {
        guard let histogram = ScoreHistogram(labels: [], scores: scores) else {
            self.init(scores: scores.map(Double.init), count: count)
            return
        }
        var edges: [Double] = []
        let lowest = Double(histogram.lowest)
        for q in 1..<count {
            let e = Double(histogram.score(atRank: q * scores.count / count))
            if e > lowest && e != edges.last { edges.append(e) }
        }
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for (k, c) in histogram.counts.enumerated() where c > 0 {
            counts[ScoreBands.band(of: Double(histogram.lowest + k), edges: edges)] += Double(c)
        }
        self.init(edges: edges, shares: counts.map { $0 / Double(scores.count) })
    }

    private init(edges: [Double], shares: [Double]) {
        self.edges = edges
        self.shares = shares
    }

    /// The band of a score.
    public static func band(of score: Double, edges: [Double]) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[mid] <= score { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The share of `scores` in each band.
    public func sharesOf(_ scores: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for s in scores { counts[ScoreBands.band(of: s, edges: edges)] += 1 }
        return counts.map { $0 / Double(max(scores.count, 1)) }
    }

    /// `[560, 580)` style labels of the bands.
    public var labels: [String] {
        (0...edges.count).map { b in
            OptimalBinning.rangeLabel(b == 0 ? nil : edges[b - 1], b == edges.count ? nil : edges[b])
        }
    }
}

/// Fits scorecards: optimal binning → selection → logistic regression on WOE → points.
public enum ScorecardTrainer {
    /// The result of training, with what the command reports.
    public struct Result: Sendable {
        public var scorecard: Scorecard
        /// Every characteristic's binning (selected or not), in file order.
        public var binnings: [CharacteristicBinning]
        /// Training scores, one per row.
        public var scores: [Int]
        public var regression: LogisticRegressionModel
    }

    /// Trains a scorecard on `data`.
    ///
    /// Logistic regression without penalty on the selected WOE columns; a characteristic whose
    /// coefficient comes out non-positive (against its own WOE, a sign of collinearity) is
    /// dropped and the regression refitted, as scorecard practice requires.
    public static func fit(_ data: CreditDataset, config: ScorecardConfig = ScorecardConfig(), threads: Int = ThreadCount.auto.resolved) throws -> Result {
        guard data.badCount > 0, data.badCount < data.count else {
            throw DataError("\(data.path): the training data has \(data.badCount) bad loans of \(data.count)",
                              hint: "both outcomes must occur.")
        }
        let binnings = OptimalBinning.fitAll(data.characteristics, labels: data.labels, config: config.binning, threads: threads)
        // Selection and regression run on the distinct patterns of bins of the characteristics
        // that pass the IV threshold (the same sums as over the rows; see BinPatterns).
        let candidates = binnings.indices.filter { binnings[$0].iv >= config.selection.minIV }
        let rowBins = binIndices(of: candidates, binnings: binnings, data: data, threads: threads)
        let patterns = BinPatterns(columns: rowBins, labels: data.labels)
        var woe = [[Double]](repeating: [], count: binnings.count)
        for (position, j) in candidates.enumerated() {
            woe[j] = patterns.column(position).map { binnings[j].bins[Int($0)].woe }
        }
        var (kept, excluded) = CharacteristicSelection.select(ivs: binnings.map(\.iv), names: binnings.map(\.name), woe: woe,
                                                              weights: patterns.counts, config: config.selection)
        guard !kept.isEmpty else {
            // Say why the strongest characteristics carry no information (a tail below the minimum bin share…).
            let why = binnings.sorted { $0.iv > $1.iv }.prefix(3).flatMap { b in b.notes.map { "'\(b.name)': \($0)" } }
            throw DataError("\(data.path): no characteristic reaches the IV threshold \(config.selection.minIV) (best IV \(fixed(binnings.map(\.iv).max() ?? 0, 4)))"
                              + (why.isEmpty ? "" : "; " + why.joined(separator: "; ")),
                              hint: "lower the threshold with --min-iv or the minimum bin share with --min-bin-share, or check that --target and --bad are right.")
        }
        var lrConfig = LogisticRegressionConfig(penalty: .none)
        lrConfig.threads = threads
        let weighted = patterns.weightedRows()
        var model: LogisticRegressionModel
        while true {
            let matrix = DesignMatrix(columns: kept.map { j in weighted.patterns.map { woe[j][$0] } })
            model = try LogisticRegression.fit(matrix, labels: weighted.labels, sampleWeights: weighted.weights, config: lrConfig)
            guard let worst = model.coefficients.indices.min(by: { model.coefficients[$0] < model.coefficients[$1] }),
                  model.coefficients[worst] <= 0, kept.count > 1 else { break }
            let j = kept.remove(at: worst)
            excluded.append(.init(name: binnings[j].name, iv: binnings[j].iv,
                                  reason: "coefficient \(fixed(model.coefficients[worst], 3)) not positive on its own WOE (collinear with others)"))
        }
        let factor = config.factor
        var entries: [ScorecardEntry] = []
        for (position, j) in kept.enumerated() {
            let beta = model.coefficients[position]
            entries.append(ScorecardEntry(binning: binnings[j], coefficient: beta,
                                          points: binnings[j].bins.map { Int((-factor * beta * $0.woe).rounded()) }))
        }
        let basePoints = Int((config.offset - factor * model.intercept).rounded())
        var card = Scorecard(outcome: data.outcome, idColumn: data.idColumn, config: config, entries: entries,
                             intercept: model.intercept, basePoints: basePoints, cutoff: 0, excluded: excluded,
                             trainingBands: ScoreBands(scores: []), trainingRows: data.count, trainingBads: data.badCount)
        // Scores: one per pattern, then per row.
        let keptPositions = kept.map { j in candidates.firstIndex(of: j)! }
        var bins = [Int](repeating: 0, count: kept.count)
        let patternScores = (0..<patterns.count).map { p -> Int in
            for (k, position) in keptPositions.enumerated() { bins[k] = Int(patterns.bins[p * patterns.width + position]) }
            return card.score(bins: bins)
        }
        let scores = patterns.rowPattern.map { patternScores[Int($0)] }
        card.cutoff = config.cutoff ?? CreditMetrics.costOptimalCutoff(labels: data.labels, scores: scores,
                                                                         costBadAccepted: config.costBadAccepted,
                                                                         costGoodRejected: config.costGoodRejected)
        card.trainingBands = ScoreBands(integerScores: scores)
        return Result(scorecard: card, binnings: binnings, scores: scores, regression: model)
    }

    /// The bin of every row in each of the characteristics `which`, on `threads` cores.
    static func binIndices(of which: [Int], binnings: [CharacteristicBinning], data: CreditDataset, threads: Int) -> [[Int32]] {
        Parallel.map(which.count, threads: threads) { k in binnings[which[k]].binIndices(data.characteristics[which[k]].values) }
    }
}

extension Scorecard {
    /// The scores of every row of a dataset (characteristics matched by name; a characteristic
    /// absent from the data counts as missing).
    public func scores(of data: CreditDataset) -> [Int] {
        let binIndices = bins(of: data)
        var bins = [Int](repeating: 0, count: entries.count)
        return (0..<data.count).map { i in
            for j in entries.indices { bins[j] = Int(binIndices[j][i]) }
            return score(bins: bins)
        }
    }

    /// Each entry's bin of every row of a dataset, one column per entry (matched as in ``scores(of:)``).
    public func bins(of data: CreditDataset) -> [[Int32]] {
        let byName = Dictionary(data.characteristics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let binIndices: [[Int32]] = entries.map { entry in
            guard let c = byName[entry.binning.name] else {
                return [Int32](repeating: Int32(entry.binning.missingBinIndex), count: data.count)
            }
            switch (entry.binning.kind, c.values) {
            case (.numeric, .categorical(let codes, let levels)):
                // Text in a column trained as numeric: numbers where they parse, otherwise missing.
                let numbers = levels.map { Double($0) ?? .nan }
                return codes.map { Int32(entry.binning.binIndex(number: $0 < 0 ? .nan : numbers[Int($0)])) }
            case (.categorical, .numeric(let values)):
                return values.map { Int32(entry.binning.binIndex(category: $0.isNaN ? nil : OptimalBinning.formatNumber($0))) }
            default:
                return entry.binning.binIndices(c.values)
            }
        }
        return binIndices
    }
}

