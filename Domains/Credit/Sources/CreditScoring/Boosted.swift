import LeptonIO
import Foundation
import LeptonCore

/// Settings of the gradient-boosted credit model: plain values, no logic. The defaults are the
/// small-tabular settings of `lepton-bench` (300 rounds at learning rate 0.03, 6 leaves, at
/// least 10 rows per leaf, λ₂ = 1, row and column subsampling 0.8 / 0.7, categorical L2 1 and
/// smoothing 5).
public struct BoostingConfig: Codable, Sendable, Equatable {
    /// Boosting rounds (trees).
    public var rounds = 300
    /// Shrinkage of every leaf value.
    public var learningRate = 0.03
    /// Most leaves per tree.
    public var maxLeaves = 6
    /// Fewest training rows in a leaf.
    public var minDataInLeaf = 10
    /// L2 regularisation λ₂ of leaf values.
    public var lambdaL2 = 1.0
    /// Share of rows sampled for each tree.
    public var rowSubsample = 0.8
    /// Share of characteristics sampled for each tree.
    public var colSubsample = 0.7
    /// Extra L2 regularisation of categorical splits.
    public var categoricalL2 = 1.0
    /// Smoothing of the category ordering in categorical splits.
    public var categoricalSmoothing = 5.0
    /// Seed of the row and column sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// The LeptonCore configuration with one monotone constraint per feature.
    public func gbdtConfig(constraints: [Int8], threads: Int) -> GBDTConfig {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: learningRate, maxLeaves: maxLeaves, seed: seed)
        c.minDataInLeaf = minDataInLeaf
        c.lambdaL2 = lambdaL2
        c.rowSubsample = rowSubsample
        c.colSubsample = colSubsample
        c.minDataPerCategory = 10
        c.minCategoryCount = 1
        c.categoricalL2 = categoricalL2
        c.categoricalSmoothing = categoricalSmoothing
        c.monotoneConstraints = constraints
        c.threads = max(1, threads)
        return c
    }
}

/// One characteristic as a feature of the trees: its binning (for reason-code labels and
/// CSI), its training categories (whose positions are the category codes) and its monotone
/// constraint.
///
/// Feature values: a numeric characteristic enters as its number, `NaN` when missing or one of
/// its special values (which the binning also sets apart from the ranges); a categorical one as
/// the position of its text in ``levels`` (`NaN` when missing), and a category not among the
/// training levels as ``unseenCode``, past every split's category set, so it takes each split's
/// branch for categories unseen or rare in training.
public struct BoostedFeature: Codable, Sendable {
    public var binning: CharacteristicBinning
    /// The training categories of a categorical characteristic, in code order (empty for numeric).
    public var levels: [String]
    /// +1: the predicted bad probability may only rise with the value; −1: only fall; 0: free.
    public var constraint: Int
    /// Category text → code, rebuilt on decoding.
    let codes: [String: Int]

    /// The code given to categories not seen in training.
    public static let unseenCode: Float = 1_000_000

    enum CodingKeys: String, CodingKey { case binning, levels, constraint }

    public init(binning: CharacteristicBinning, levels: [String], constraint: Int) {
        self.binning = binning
        self.levels = levels
        self.constraint = constraint
        codes = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(binning: try c.decode(CharacteristicBinning.self, forKey: .binning),
                  levels: try c.decode([String].self, forKey: .levels), constraint: try c.decode(Int.self, forKey: .constraint))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(binning, forKey: .binning)
        try c.encode(levels, forKey: .levels)
        try c.encode(constraint, forKey: .constraint)
    }

    public var name: String { binning.name }

    /// The feature value of a number (NaN: missing); special values become NaN.
    @inline(__always)
    public func value(number: Double) -> Float {
        if number.isNaN { return .nan }
        for special in binning.specialNumbers where special.value == number { return .nan }
        return Float(number)
    }

    /// The feature value of a category (nil: missing).
    public func value(category: String?) -> Float {
        guard let category else { return .nan }
        return codes[category].map { Float($0) } ?? BoostedFeature.unseenCode
    }

    /// The monotone constraint the binning's trend calls for: +1 for an ascending bad rate, −1
    /// for a descending one, on a numeric characteristic with at least two populated range bins
    /// (a single range shows no trend); 0 otherwise (categorical, peak, valley, none).
    public static func constraint(for binning: CharacteristicBinning) -> Int {
        guard binning.kind == .numeric,
              binning.bins.filter({ $0.kind == .range && $0.count > 0 }).count >= 2 else { return 0 }
        switch binning.trend {
        case .ascending: return 1
        case .descending: return -1
        default: return 0
        }
    }
}

/// Everything of the gradient-boosted credit model except the trees: outcome, features,
/// scaling, cut-off and training score bands (stored as JSON in the model file's manifest).
public struct BoostedModelSpec: Codable, Sendable {
    /// The outcome column and its bad and good values.
    public var outcome: OutcomeDefinition
    /// The ID column carried through to scores.
    public var idColumn: String?
    /// Score scaling (PDO, base score, base odds), costs and the reason count; the selection
    /// settings are not used by the trees.
    public var config: ScorecardConfig
    /// The settings the trees were fitted with.
    public var boosting: BoostingConfig
    /// The characteristics, in the trees' feature order.
    public var features: [BoostedFeature]
    /// Approve at or above this score.
    public var cutoff: Int
    /// Score bands of the training data (for the population stability index).
    public var trainingBands: ScoreBands
    /// Training rows (bin counts are in the binnings) and, of those, bad ones.
    public var trainingRows: Int
    public var trainingBads: Int

    /// The names of the characteristics, in feature order.
    public var characteristicNames: [String] { features.map(\.name) }

    /// The feature values (column-major) and bins (row-major, one per feature) of every row of
    /// a dataset, characteristics matched by name (an absent one counts as missing).
    public func encode(_ data: CreditDataset) -> (features: FeatureColumns, bins: [Int32]) {
        let byName = Dictionary(data.characteristics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let n = data.count, p = features.count
        var values = [Float](repeating: .nan, count: n * p)
        var bins = [Int32](repeating: 0, count: n * p)
        for (j, feature) in features.enumerated() {
            let binning = feature.binning
            func set(_ i: Int, _ value: Float, _ bin: Int) {
                values[j * n + i] = value
                bins[i * p + j] = Int32(bin)
            }
            guard let c = byName[feature.name] else {
                for i in 0..<n { set(i, .nan, binning.missingBin) }
                continue
            }
            switch (binning.kind, c.values) {
            case (.numeric, .numeric(let numbers)):
                for i in 0..<n { set(i, feature.value(number: numbers[i]), binning.binIndex(number: numbers[i])) }
            case (.numeric, .categorical(let codes, let levels)):
                // Text in a column trained as numeric: numbers where they parse, otherwise missing.
                let numbers = levels.map { Double($0) ?? .nan }
                for i in 0..<n {
                    let v = codes[i] < 0 ? Double.nan : numbers[Int(codes[i])]
                    set(i, feature.value(number: v), binning.binIndex(number: v))
                }
            case (.categorical, .categorical(let codes, let levels)):
                let levelValues = levels.map { feature.value(category: $0) }
                let levelBins = levels.map { binning.binIndex(category: $0) }
                for i in 0..<n {
                    if codes[i] < 0 {
                        set(i, .nan, binning.missingBin)
                    } else {
                        set(i, levelValues[Int(codes[i])], levelBins[Int(codes[i])])
                    }
                }
            case (.categorical, .numeric(let numbers)):
                for i in 0..<n {
                    let text = numbers[i].isNaN ? nil : OptimalBinning.formatNumber(numbers[i])
                    set(i, feature.value(category: text), binning.binIndex(category: text))
                }
            }
        }
        return (FeatureColumns(columnMajor: values, rowCount: n, names: characteristicNames,
                               kinds: features.map { $0.binning.kind == .numeric ? .numeric : .categorical }), bins)
    }
}

/// A gradient-boosted alternative to the scorecard: trees on the raw characteristics with
/// monotone constraints from the binning trends, on the scorecard's points scale.
///
/// The trees give the log-odds of default f(x) = ln(pd / (1 − pd)); the score uses the same
/// scaling as the scorecard (`offset`, `factor` from PDO, base score and base odds):
///
///     pd(x)    = 1 / (1 + e^(−f(x)))
///     score(x) = round(offset − factor · f(x))       (= offset + factor · ln(odds_good), rounded)
///
/// so that both models put an applicant with the same odds on the same number of points.
/// Reason codes are the characteristics with the largest positive SHAP contributions φⱼ (in
/// log-odds toward default) against the average applicant, with the applicant's bin.
public struct BoostedCreditModel: Sendable {
    public var spec: BoostedModelSpec
    public let trees: GBDTModel
    /// How the trees were compressed (`compress --method trees`), nil for a trained model: the
    /// model file then stores them compactly (LeptonCore `CompactTreeFile`).
    public var compression: TreeCompression?

    public init(spec: BoostedModelSpec, trees: GBDTModel, compression: TreeCompression? = nil) {
        self.spec = spec
        self.trees = trees
        self.compression = compression
    }

    /// score = round(offset − factor · f) for the log-odds of default f.
    @inline(__always)
    public func score(margin f: Double) -> Int {
        let s = spec.config.offset - spec.config.factor * f
        return Int(max(-1e9, min(1e9, s)).rounded())
    }

    /// pd = 1 / (1 + e^(−f)).
    @inline(__always)
    public func probabilityOfDefault(margin f: Double) -> Double { 1 / (1 + exp(-f)) }

    /// The names of the characteristics, in feature order.
    public var characteristicNames: [String] { spec.features.map(\.name) }

    /// The binnings of the characteristics, in feature order.
    public var binnings: [CharacteristicBinning] { spec.features.map(\.binning) }

    /// Reason codes from one row's SHAP contributions (`phi[j]` for feature j): the features
    /// with φⱼ > 0, largest first (ties in feature order), at most `count`.
    public static func reasons(phi: UnsafeBufferPointer<Double>, count: Int) -> [(feature: Int, logOdds: Double)] {
        var positive: [(feature: Int, logOdds: Double)] = []
        for j in phi.indices where phi[j] > 0 { positive.append((j, phi[j])) }
        positive.sort { $0.logOdds != $1.logOdds ? $0.logOdds > $1.logOdds : $0.feature < $1.feature }
        return Array(positive.prefix(count))
    }

    /// A reason in plain words:
    /// `duration_in_month in [36, +inf): +0.412 log-odds of default (8 points)`.
    public func reasonText(feature j: Int, bin b: Int, logOdds: Double) -> String {
        let binning = spec.features[j].binning
        return "\(binning.name) \(binning.describe(bin: b)): +\(fixed(logOdds, 3)) log-odds of default (\(Int((spec.config.factor * logOdds).rounded())) points)"
    }

    /// The feature values (column-major) and bins (row-major, one per feature) of every row of
    /// a dataset (see ``BoostedModelSpec/encode(_:)``).
    public func encode(_ data: CreditDataset) -> (features: FeatureColumns, bins: [Int32]) { spec.encode(data) }

    /// Integer scores and PDs of every row of a dataset.
    public func scores(of data: CreditDataset, threads: Int = ThreadCount.auto.resolved) -> (scores: [Int], pd: [Double]) {
        let margins = trees.predictRaw(encode(data).features, threads: threads)
        return (margins.map(score(margin:)), margins.map(probabilityOfDefault(margin:)))
    }
}

extension CharacteristicBinning {
    /// Where a value of bin `b` lies, in words: `in [12, 24)`, `is A | B`, `is missing`,
    /// `is the special value -999`, `is a value not seen in training`.
    public func describe(bin b: Int) -> String {
        let bin = bins[b]
        switch bin.kind {
        case .range: return "in \(bin.label)"
        case .categories: return "is \(bin.label)"
        case .missing: return "is missing"
        case .special: return "is the special value \(bin.special ?? "")"
        case .other: return "is a value not seen in training"
        }
    }
}

/// Fits the gradient-boosted credit model: optimal binning (for the trends, the reason-code
/// labels and CSI) → monotone constraints → boosted trees on the raw characteristics.
public enum BoostedTrainer {
    /// The result of training, with what the command reports.
    public struct Result: Sendable {
        public var model: BoostedCreditModel
        /// Every characteristic's binning, in file order (the model's features).
        public var binnings: [CharacteristicBinning]
        /// Training scores and PDs, one per row.
        public var scores: [Int]
        public var pd: [Double]
    }

    /// Trains the boosted model on `data`. Every characteristic is a feature; the cut-off is
    /// `config.cutoff` or the cost-optimal one on the training scores.
    public static func fit(_ data: CreditDataset, config: ScorecardConfig = ScorecardConfig(),
                           boosting: BoostingConfig = BoostingConfig(), threads: Int = ThreadCount.auto.resolved) throws -> Result {
        guard data.badCount > 0, data.badCount < data.count else {
            throw DataError("\(data.path): the training data has \(data.badCount) bad loans of \(data.count)",
                              hint: "both outcomes must occur.")
        }
        let binnings = OptimalBinning.fitAll(data.characteristics, labels: data.labels, config: config.binning, threads: threads)
        let features = zip(binnings, data.characteristics).map { binning, c -> BoostedFeature in
            var levels: [String] = []
            if case let .categorical(_, l) = c.values { levels = l }
            return BoostedFeature(binning: binning, levels: levels, constraint: BoostedFeature.constraint(for: binning))
        }
        var spec = BoostedModelSpec(outcome: data.outcome, idColumn: data.idColumn, config: config, boosting: boosting,
                                    features: features, cutoff: 0, trainingBands: ScoreBands(scores: []),
                                    trainingRows: data.count, trainingBads: data.badCount)
        let (x, _) = spec.encode(data)
        let trees: GBDTModel
        do {
            trees = try GBDT(config: boosting.gbdtConfig(constraints: features.map { Int8($0.constraint) }, threads: threads))
                .fit(x, labels: data.labels)
        } catch let error as GBDTError {
            throw DataError("\(data.path): \(error)", hint: "check the boosting settings.")
        }
        var model = BoostedCreditModel(spec: spec, trees: trees)
        let margins = trees.predictRaw(x, threads: threads)
        let scores = margins.map(model.score(margin:))
        spec.cutoff = config.cutoff ?? CreditMetrics.costOptimalCutoff(labels: data.labels, scores: scores,
                                                                         costBadAccepted: config.costBadAccepted,
                                                                         costGoodRejected: config.costGoodRejected)
        spec.trainingBands = ScoreBands(scores: scores.map(Double.init))
        model.spec = spec
        return Result(model: model, binnings: binnings, scores: scores, pd: margins.map(model.probabilityOfDefault(margin:)))
    }
}
