import Foundation

/// The scorecard as tables for other systems: CSV, JSON and one SQL statement.
public enum ScorecardExport {
    /// The missing-value tokens the scorer recognises (compared case-insensitively after trimming).
    public static let missingTokens = ["", "na", "nan", "?", "null"]

    /// One row per bin: characteristic, kind, bin label and bounds, categories (`|`-separated),
    /// training counts, bad rate, WOE, IV, coefficient and points; a first row holds the base points.
    public static func csvRows(_ card: Scorecard) -> [[String]] {
        var rows = [["characteristic", "kind", "bin", "bin_kind", "lower", "upper", "categories", "special", "count", "bads",
                     "bad_rate", "woe", "iv", "coefficient", "points"]]
        rows.append(["(base points)", "", "", "base", "", "", "", "", "", "", "", "", "", String(card.intercept), String(card.basePoints)])
        for entry in card.entries {
            for (b, bin) in entry.binning.bins.enumerated() {
                rows.append([entry.binning.name, entry.binning.kind.rawValue, bin.label, bin.kind.rawValue,
                             bin.lower.map(OptimalBinning.formatNumber) ?? "", bin.upper.map(OptimalBinning.formatNumber) ?? "",
                             (bin.categories ?? []).joined(separator: "|"), bin.special ?? "", String(bin.count), String(bin.bads),
                             bin.count > 0 ? String(bin.badRate) : "", String(bin.woe), String(bin.iv), String(entry.coefficient),
                             String(entry.points[b])])
            }
        }
        return rows
    }

    /// The scorecard as a JSON document a scoring system can apply without Lepton:
    /// `score = base_points + Σ points of the matching bin`, bins tested in order (missing,
    /// specials, ranges `lower ≤ x < upper`, category lists, `other` for unseen categories).
    public static func json(_ card: Scorecard) throws -> String {
        struct BinOut: Encodable {
            let kind: String, label: String, lower: Double?, upper: Double?, categories: [String]?, includes_other: Bool?
            let special: String?, count: Int, bads: Int, woe: Double, points: Int
        }
        struct CharacteristicOut: Encodable {
            let name: String, kind: String, trend: String, iv: Double, coefficient: Double, bins: [BinOut]
        }
        struct CardOut: Encodable {
            let format: String, id_column: String?, target: String, bad_value: String, good_value: String
            let intercept: Double, base_points: Int, cutoff: Int, pdo: Double, base_score: Double, base_odds: Double, factor: Double, offset: Double
            let missing_tokens: [String], characteristics: [CharacteristicOut]
        }
        let out = CardOut(
            format: "lepton-credit-scorecard/1", id_column: card.idColumn, target: card.outcome.column,
            bad_value: card.outcome.badValue, good_value: card.outcome.goodValue, intercept: card.intercept,
            base_points: card.basePoints,
            cutoff: card.cutoff, pdo: card.config.pdo, base_score: card.config.baseScore, base_odds: card.config.baseOdds,
            factor: card.config.factor, offset: card.config.offset, missing_tokens: missingTokens,
            characteristics: card.entries.map { e in
                CharacteristicOut(name: e.binning.name, kind: e.binning.kind.rawValue, trend: e.binning.trend.rawValue,
                                  iv: e.binning.iv, coefficient: e.coefficient,
                                  bins: e.binning.bins.enumerated().map { b, bin in
                                      BinOut(kind: bin.kind.rawValue, label: bin.label, lower: bin.lower, upper: bin.upper,
                                             categories: bin.categories, includes_other: bin.includesOther, special: bin.special,
                                             count: bin.count, bads: bin.bads, woe: bin.woe, points: e.points[b])
                                  })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(out), as: UTF8.self) + "\n"
    }

    /// One SQL statement that computes the score inside a database:
    ///
    ///     SELECT "<id>", (<base points> + CASE … END + CASE … END …) AS score FROM <table>;
    ///
    /// Each CASE tests missing (NULL, or a missing token as text), then special values, then
    /// the ranges (`CAST(x AS REAL) < upper`, in order) or category lists, so it works whether
    /// the columns are typed or hold the raw CSV text. Without an ID column the row number
    /// (header = 1, as in our outputs) is selected as "row".
    public static func sql(_ card: Scorecard, table: String = "applicants") -> String {
        var terms: [String] = []
        for entry in card.entries {
            let column = quoteIdentifier(entry.binning.name)
            let bins = entry.binning.bins
            var lines: [String] = []
            let tokens = missingTokens.map(quoteLiteral).joined(separator: ", ")
            lines.append("WHEN \(column) IS NULL OR LOWER(TRIM(CAST(\(column) AS TEXT))) IN (\(tokens)) THEN \(entry.points[entry.binning.missingBin])")
            for (b, bin) in bins.enumerated() where bin.kind == .special {
                let text = bin.special ?? ""
                if entry.binning.kind == .numeric, let value = Double(text) {
                    lines.append("WHEN CAST(\(column) AS REAL) = \(OptimalBinning.formatNumber(value)) THEN \(entry.points[b])")
                } else {
                    lines.append("WHEN \(column) = \(quoteLiteral(text)) THEN \(entry.points[b])")
                }
            }
            var elsePoints = 0
            switch entry.binning.kind {
            case .numeric:
                let ranges = bins.enumerated().filter { $0.element.kind == .range }
                for (b, bin) in ranges {
                    if let upper = bin.upper {
                        lines.append("WHEN CAST(\(column) AS REAL) < \(OptimalBinning.formatNumber(upper)) THEN \(entry.points[b])")
                    } else {
                        elsePoints = entry.points[b]
                    }
                }
            case .categorical:
                for (b, bin) in bins.enumerated() where bin.kind == .categories && !(bin.categories ?? []).isEmpty {
                    lines.append("WHEN \(column) IN (\((bin.categories ?? []).map(quoteLiteral).joined(separator: ", "))) THEN \(entry.points[b])")
                }
                elsePoints = entry.points[entry.binning.otherBin]
            }
            terms.append("CASE\n    " + lines.joined(separator: "\n    ") + "\n    ELSE \(elsePoints)\n  END")
        }
        let idSelect = card.idColumn.map(quoteIdentifier) ?? "rowid + 1 AS \"row\""
        let sum = ([String(card.basePoints)] + terms).joined(separator: "\n  + ")
        return "-- Scorecard of lepton-credit: score = base points + points of each characteristic's bin.\n"
            + "SELECT \(idSelect),\n  (\(sum)) AS score\nFROM \(quoteIdentifier(table));\n"
    }

    /// `"name"` with inner quotes doubled.
    static func quoteIdentifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    /// `'text'` with inner quotes doubled.
    static func quoteLiteral(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}

/// Population and characteristic stability of a new file against the training data.
public struct StabilityReport: Sendable {
    /// Population stability index of the score over the training score bands.
    public let psi: Double
    public let bandLabels: [String]
    public let expectedShares: [Double]
    public let actualShares: [Double]
    /// Characteristic stability index of each scorecard characteristic over its bins.
    public let csi: [(name: String, value: Double)]
    public let rows: Int

    /// PSI = Σ (a − e) ln(a / e) over the training score bands; CSI the same over each
    /// characteristic's bins (expected shares: the training bin counts).
    public init(scorecard: Scorecard, scored: ScoredFile) {
        self.init(model: .scorecard(scorecard), scored: scored)
    }

    /// The same for either kind of model: CSI over the bins of each characteristic the model
    /// uses (the boosted model's over every characteristic's binning).
    public init(model: CreditModel, scored: ScoredFile) {
        let bands = model.trainingBands
        psi = CreditMetrics.psi(expected: bands.shares, actual: bands.sharesOf(scored.scores.map(Double.init)))
        bandLabels = bands.labels
        expectedShares = bands.shares
        actualShares = bands.sharesOf(scored.scores.map(Double.init))
        rows = scored.scores.count
        let binnings = model.binnings
        let p = binnings.count
        let total = Double(max(model.trainingRows, 1))
        csi = binnings.enumerated().map { j, binning in
            let expected = binning.bins.map { Double($0.count) / total }
            var counts = [Double](repeating: 0, count: binning.bins.count)
            var i = j
            while i < scored.bins.count {
                counts[Int(scored.bins[i])] += 1
                i += p
            }
            let n = Double(max(scored.scores.count, 1))
            return (binning.name, CreditMetrics.psi(expected: expected, actual: counts.map { $0 / n }))
        }
    }
}

/// The boosted model as tables: what can honestly be exported without the trees — each
/// characteristic's importance, constraint and binning, and the score scaling. The trees
/// themselves live in the model file (LeptonCore's exact tree format); there is no SQL form.
public enum BoostedExport {
    /// One characteristic's importance and constraint.
    public struct ImportanceRow: Sendable {
        public var name: String
        public var kind: String
        /// Total split gain over all trees, its share of the total, and the number of splits.
        public var gain: Double
        public var gainShare: Double
        public var splits: Int
        public var constraint: Int
        public var trend: String
        public var iv: Double
    }

    /// Every characteristic, most important (gain) first, ties in feature order.
    public static func importance(_ model: BoostedCreditModel) -> [ImportanceRow] {
        let gain = model.trees.featureImportance(.gain), splits = model.trees.featureImportance(.splitCount)
        let total = max(gain.reduce(0, +), 1e-300)
        let rows = model.spec.features.enumerated().map { j, f in
            ImportanceRow(name: f.name, kind: f.binning.kind.rawValue, gain: gain[j], gainShare: gain[j] / total, splits: Int(splits[j]),
                          constraint: f.constraint,
                          trend: f.binning.kind == .numeric ? f.binning.trend.rawValue : "(categorical)", iv: f.binning.iv)
        }
        return rows.enumerated().sorted { $0.element.gain != $1.element.gain ? $0.element.gain > $1.element.gain : $0.offset < $1.offset }
            .map(\.element)
    }

    /// One row per characteristic: name, kind, gain, gain share, splits, monotone constraint,
    /// binning trend, IV and number of bins.
    public static func csvRows(_ model: BoostedCreditModel) -> [[String]] {
        var rows = [["characteristic", "kind", "gain", "gain_share", "splits", "monotone_constraint", "binning_trend", "iv", "bins"]]
        let bins = Dictionary(model.spec.features.map { ($0.name, $0.binning.bins.count) }, uniquingKeysWith: { a, _ in a })
        for r in importance(model) {
            rows.append([r.name, r.kind, String(r.gain), String(r.gainShare), String(r.splits), String(r.constraint), r.trend,
                         String(r.iv), String(bins[r.name] ?? 0)])
        }
        return rows
    }

    /// The model summary as JSON: score scaling and cut-off, boosting settings, and per
    /// characteristic the importance, constraint and bins (the labels reason codes use). The
    /// trees are not in it: scoring needs the model file and lepton-credit.
    public static func json(_ model: BoostedCreditModel) throws -> String {
        struct FeatureOut: Encodable {
            let name: String, kind: String, gain: Double, gain_share: Double, splits: Int, monotone_constraint: Int
            let binning_trend: String, iv: Double, bins: [String]
        }
        struct ModelOut: Encodable {
            let format: String, note: String, id_column: String?, target: String, bad_value: String, good_value: String
            let score_formula: String, pdo: Double, base_score: Double, base_odds: Double, factor: Double, offset: Double
            let cutoff: Int, trees: Int, boosting: BoostingConfig, training_rows: Int, training_bads: Int
            let characteristics: [FeatureOut]
        }
        let s = model.spec
        let byName = Dictionary(s.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let out = ModelOut(
            format: "lepton-credit-gbdt-summary/1",
            note: "a summary: the trees are in the model file; score with lepton-credit score",
            id_column: s.idColumn, target: s.outcome.column, bad_value: s.outcome.badValue, good_value: s.outcome.goodValue,
            score_formula: "score = round(offset - factor * log_odds_of_default), pd = 1 / (1 + exp(-log_odds_of_default))",
            pdo: s.config.pdo, base_score: s.config.baseScore, base_odds: s.config.baseOdds, factor: s.config.factor,
            offset: s.config.offset, cutoff: s.cutoff, trees: model.trees.trees.count, boosting: s.boosting,
            training_rows: s.trainingRows, training_bads: s.trainingBads,
            characteristics: importance(model).map { r in
                FeatureOut(name: r.name, kind: r.kind, gain: r.gain, gain_share: r.gainShare, splits: r.splits,
                           monotone_constraint: r.constraint, binning_trend: r.trend, iv: r.iv,
                           bins: byName[r.name]?.binning.bins.map(\.label) ?? [])
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(out), as: UTF8.self) + "\n"
    }
}
