import LeptonCore
import LeptonIO

/// Held-out loans as one credit model sees them: the outcome, and the model's encoding of each
/// record (bins per characteristic; for a boosted model also its feature values), for
/// re-checking a compressed model and measuring its speed on real records.
public struct CreditHoldout: Sendable {
    public let path: String
    /// 1 for bad, 0 for good.
    public let labels: [Double]
    /// Row-major feature values of a boosted model (empty for a scorecard).
    let features: [Float]
    /// Row-major bins, one per characteristic of the model.
    let bins: [Int]
    /// Characteristics per row.
    let width: Int
    public let rowsRead: Int
    public let rejected: Int

    public var count: Int { labels.count }

    /// Reads every row of `path` with its outcome (a row whose outcome is missing or whose
    /// field is malformed is rejected and counted; an outcome that is neither value is an error).
    public static func read(path: String, model: CreditModel) throws -> CreditHoldout {
        let reader = try CSVReader(path: path)
        let scorer = try model.rowScorer(columns: reader.columns, path: path, reasonCount: 0)
        let outcome = model.outcome
        guard let target = reader.columns.firstIndex(of: outcome.column) else {
            throw DataError("\(path): no target column '\(outcome.column)' (the model was trained with it)",
                            hint: "give held-out loans with their outcome (--val or --calibration).")
        }
        let bad = Array(outcome.badValue.utf8), good = Array(outcome.goodValue.utf8)
        var labels: [Double] = [], features: [Float] = [], bins: [Int] = [], rejected = 0
        var rowBins = [Int](repeating: 0, count: scorer.characteristicCount)
        var thirdValue: DataError?
        let boosted = scorer as? BoostedRowScorer
        let counts = try reader.forEachRow { row in
            guard thirdValue == nil else { return }
            guard row.problemError == nil, !row.isMissing(at: target) else { rejected += 1; return }
            let field = Array(row.bytes(at: target))
            guard field == bad || field == good else {
                thirdValue = DataError("\(path): row \(row.number): the target '\(outcome.column)' is '\(String(decoding: field, as: UTF8.self))', neither '\(outcome.badValue)' (bad) nor '\(outcome.goodValue)' (good)",
                                       hint: "recode the outcome to the two values the model was trained with.")
                return
            }
            do {
                _ = try scorer.score(row, bins: &rowBins)
            } catch {
                rejected += 1
                return
            }
            labels.append(field == bad ? 1 : 0)
            bins += rowBins
            if let boosted { features += boosted.features }
        }
        if let thirdValue { throw thirdValue }
        guard !labels.isEmpty else {
            throw DataError("\(path): no usable held-out loan (\(counts.rows) rows read, \(rejected) rejected)",
                            hint: "give a CSV of loans with the outcome column.")
        }
        return CreditHoldout(path: path, labels: labels, features: features, bins: bins, width: scorer.characteristicCount,
                             rowsRead: counts.rows, rejected: rejected)
    }

    /// Loans already in memory (a split of the training file), encoded for `model`.
    public init(_ data: CreditDataset, model: CreditModel) {
        path = data.path
        labels = data.labels
        rowsRead = data.rowsRead
        rejected = data.rejected.count
        switch model {
        case let .scorecard(card):
            let columns = card.bins(of: data)
            width = columns.count
            bins = (0..<data.count).flatMap { i in columns.map { Int($0[i]) } }
            features = []
        case let .boosted(boosted):
            let (x, rowBins) = boosted.encode(data)
            width = x.columnCount
            bins = rowBins.map(Int.init)
            features = (0..<data.count).flatMap { x.row($0) }
        }
    }

    private init(path: String, labels: [Double], features: [Float], bins: [Int], width: Int, rowsRead: Int, rejected: Int) {
        self.path = path; self.labels = labels; self.features = features; self.bins = bins; self.width = width
        self.rowsRead = rowsRead; self.rejected = rejected
    }

    /// The feature values of rows `range` as columns (boosted models).
    func featureColumns(_ rows: Range<Int>, names: [String]) -> FeatureColumns {
        FeatureColumns(rows: rows.map { i in Array(features[(i * width)..<((i + 1) * width)]) }, names: names)
    }
}

/// What a credit model does with held-out loans: PD, score, decision and the top reasons of
/// every decline.
public struct CreditHoldoutScores: Sendable {
    public var pd: [Double]
    public var scores: [Int]
    /// Per row, the characteristics of the top three reasons (empty for an approval).
    public var reasons: [[String]]
}

extension CreditModel {
    /// Scores held-out loans read for this model.
    public func score(_ holdout: CreditHoldout, reasonCount: Int = 3) -> CreditHoldoutScores {
        let n = holdout.count
        switch self {
        case let .scorecard(card):
            var out = CreditHoldoutScores(pd: [], scores: [], reasons: [])
            for i in 0..<n {
                let bins = Array(holdout.bins[(i * holdout.width)..<((i + 1) * holdout.width)])
                let s = card.score(bins: bins)
                out.scores.append(s)
                out.pd.append(card.probabilityOfDefault(score: s))
                out.reasons.append(s >= card.cutoff ? [] : card.reasons(bins: bins, count: reasonCount).map { card.entries[$0.entry].binning.name })
            }
            return out
        case let .boosted(model):
            let margins = model.trees.predictRaw(holdout.featureColumns(0..<n, names: model.trees.featureNames), threads: 1)
            let explainer = SHAPExplainer(model: model.trees)
            var reasons: [[String]] = []
            for i in 0..<n {
                guard model.score(margin: margins[i]) < model.spec.cutoff else { reasons.append([]); continue }
                let phi = explainer.contributions(row: Array(holdout.features[(i * holdout.width)..<((i + 1) * holdout.width)]))
                let top = phi.withUnsafeBufferPointer {
                    BoostedCreditModel.reasons(phi: UnsafeBufferPointer(rebasing: $0[0..<holdout.width]), count: reasonCount)
                }
                reasons.append(top.map { model.characteristicNames[$0.feature] })
            }
            return CreditHoldoutScores(pd: margins.map(model.probabilityOfDefault(margin:)), scores: margins.map(model.score(margin:)),
                                       reasons: reasons)
        }
    }

    /// A closure that scores a batch of the holdout's first `batch` rows (cycled), for timing:
    /// the model's scoring step on encoded records (reading the CSV is the same for every model).
    func batchScorer(_ holdout: CreditHoldout, batch: Int, threads: Int) -> () -> Void {
        let rows = (0..<batch).map { $0 % holdout.count }
        switch self {
        case let .scorecard(card):
            let bins = rows.map { i in Array(holdout.bins[(i * holdout.width)..<((i + 1) * holdout.width)]) }
            return {
                var total = 0
                for b in bins { total &+= card.score(bins: b) }
                blackHole(total)
            }
        case let .boosted(model):
            let x = FeatureColumns(rows: rows.map { i in Array(holdout.features[(i * holdout.width)..<((i + 1) * holdout.width)]) },
                                   names: model.trees.featureNames)
            return { blackHole(model.trees.predictRaw(x, threads: threads).count) }
        }
    }

    /// A closure that scores holdout row `i mod n` alone (batch 1), for latency.
    func singleScorer(_ holdout: CreditHoldout) -> (Int) -> Void {
        switch self {
        case let .scorecard(card):
            let bins = (0..<holdout.count).map { i in Array(holdout.bins[(i * holdout.width)..<((i + 1) * holdout.width)]) }
            return { i in blackHole(card.score(bins: bins[i % bins.count])) }
        case let .boosted(model):
            let rows = (0..<holdout.count).map { i in Array(holdout.features[(i * holdout.width)..<((i + 1) * holdout.width)]) }
            return { i in blackHole(Int(model.trees.predictRaw(row: rows[i % rows.count]).bitPattern & 1)) }
        }
    }

    /// Latency at batch 1 and throughput at `batch` records on `threads` threads, of the model's
    /// scoring step on encoded records: bins for a scorecard (a sum of points), feature values for
    /// boosted trees; reading the CSV and binning raw values are not in it.
    public func measureSpeed(on holdout: CreditHoldout, batch: Int = 1024, threads: Int = 1) -> SpeedMeasurement {
        SpeedMeter.measure(records: batch, threads: threads, warmup: 50, repeats: 1000, single: singleScorer(holdout),
                           batch: batchScorer(holdout, batch: batch, threads: threads))
    }
}

/// Keeps a computed value alive so the optimizer cannot drop the work that made it.
@inline(never)
func blackHole(_ value: Int) {
    if value == Int.min &+ 12345 { print("") }
}
