import Foundation
import LeptonIO
import LeptonReport

/// The shape the event (bad) rate must take across a numeric characteristic's bins.
public enum MonotonicTrend: String, Codable, Sendable, CaseIterable {
    /// Ascending or descending, whichever keeps more information value.
    case auto
    /// Ascending, descending, one peak or one valley, whichever keeps most information value
    /// (a monotone trend when it keeps as much); optbinning's `auto` chooses among the same four.
    case autoUnimodal = "auto-unimodal"
    /// The bad rate rises with the value.
    case ascending
    /// The bad rate falls with the value.
    case descending
    /// Rises, then falls (one maximum).
    case peak
    /// Falls, then rises (one minimum).
    case valley
    /// No constraint.
    case none
}

/// Settings of optimal binning: plain values, no logic.
public struct BinningConfig: Codable, Sendable, Equatable {
    /// At most this many bins of regular values (missing and special values get bins of their own).
    public var maxBins = 6
    /// Every regular bin holds at least this share of all rows (optbinning's `min_bin_size`).
    public var minBinShare = 0.05
    /// Numeric values are first cut into at most this many fine classes, then merged.
    public var prebins = 20
    /// How the fine classes are cut: at quantiles, or where a classification tree splits.
    public var prebinning: Prebinning = .quantile
    /// With `cart` prebinning, every fine class holds at least this share of all rows.
    public var minPrebinShare = 0.05
    /// The default trend for numeric characteristics (a schema can set one per column).
    public var trend: MonotonicTrend = .auto
    /// Categories rarer than this share of rows are pooled into one "other" group, which also
    /// receives categories never seen in training.
    public var rareCategoryShare = 0.01

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxBins, minBinShare, prebins, prebinning, minPrebinShare, trend, rareCategoryShare
    }

    /// Decodes a configuration; keys added after the first model files (`prebinning`,
    /// `minPrebinShare`) take their defaults when absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxBins = try c.decode(Int.self, forKey: .maxBins)
        minBinShare = try c.decode(Double.self, forKey: .minBinShare)
        prebins = try c.decode(Int.self, forKey: .prebins)
        prebinning = try c.decodeIfPresent(Prebinning.self, forKey: .prebinning) ?? .quantile
        minPrebinShare = try c.decodeIfPresent(Double.self, forKey: .minPrebinShare) ?? 0.05
        trend = try c.decode(MonotonicTrend.self, forKey: .trend)
        rareCategoryShare = try c.decode(Double.self, forKey: .rareCategoryShare)
    }
}

/// One bin of a characteristic with its training counts, weight of evidence and information value.
public struct Bin: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Numeric values in [lower, upper).
        case range
        /// A group of categories.
        case categories
        /// The value is missing.
        case missing
        /// One special value (−999 "no bureau record").
        case special
        /// Categories never seen in training (when no regular group pools rare ones).
        case other
    }

    public var kind: Kind
    /// Plain words for reports and reason codes: `[12, 24)`, `A | B`, `Missing`, `Special -999`.
    public var label: String
    /// Inclusive lower bound of a range (nil: −∞).
    public var lower: Double?
    /// Exclusive upper bound of a range (nil: +∞).
    public var upper: Double?
    /// The categories of a `categories` bin.
    public var categories: [String]?
    /// Whether this categories bin also takes rare and unseen categories.
    public var includesOther: Bool?
    /// The special value of a `special` bin, as written.
    public var special: String?
    /// Training rows in the bin.
    public var count: Int
    /// Of those, bad ones.
    public var bads: Int
    /// Weight of evidence ln((bads_b / B) / (goods_b / G)); 0 for an empty bin.
    public var woe: Double
    /// The bin's share of information value (bads_b/B − goods_b/G) · WOE_b.
    public var iv: Double

    public var goods: Int { count - bads }
    /// bads / count (NaN for an empty bin).
    public var badRate: Double { count > 0 ? Double(bads) / Double(count) : .nan }
}

/// The bins of one characteristic and how values map to them.
///
/// Bin order: the regular bins (ranges ascending, or category groups by rising bad rate), then
/// `Missing`, then one bin per special value, then `Other` for categorical characteristics whose
/// groups do not already take unseen categories. Every possible value falls in exactly one bin.
public struct CharacteristicBinning: Codable, Sendable {
    public let name: String
    public let kind: CharacteristicKind
    /// The trend the bins follow (resolved from `auto`); categorical groups ascend by construction.
    public let trend: MonotonicTrend
    public let bins: [Bin]
    /// Information value Σ_b (bads_b/B − goods_b/G) · WOE_b.
    public let iv: Double
    /// Smallest and largest regular training value (numeric), for counting out-of-range values.
    public let observedMin: Double?
    public let observedMax: Double?
    /// Why the bins fall short of what was asked, in plain words (a constant column, a tail too
    /// small for the minimum bin share, every category rare); empty when nothing fell short.
    public let notes: [String]

    // Lookups, rebuilt from `bins` on decoding.
    /// Upper bounds of the regular ranges except the last (ascending).
    let cuts: [Double]
    let missingBin: Int
    let otherBin: Int
    let specialNumbers: [(value: Double, bin: Int)]
    let specialTexts: [String: Int]
    let categoryBins: [String: Int]
    /// Categories as UTF-8 bytes with their bin, for allocation-free lookups while scoring.
    let categoryBytes: [([UInt8], Int)]

    enum CodingKeys: String, CodingKey {
        case name, kind, trend, bins, iv
        case observedMin = "observed_min"
        case observedMax = "observed_max"
        case notes
    }

    public init(name: String, kind: CharacteristicKind, trend: MonotonicTrend, bins: [Bin], iv: Double,
                observedMin: Double?, observedMax: Double?, notes: [String] = []) {
        self.name = name
        self.kind = kind
        self.trend = trend
        self.bins = bins
        self.iv = iv
        self.observedMin = observedMin
        self.observedMax = observedMax
        self.notes = notes
        var cuts: [Double] = []
        var missing = -1, other = -1
        var specialNumbers: [(Double, Int)] = []
        var specialTexts: [String: Int] = [:]
        var categoryBins: [String: Int] = [:]
        for (b, bin) in bins.enumerated() {
            switch bin.kind {
            case .range: if let upper = bin.upper { cuts.append(upper) }
            case .missing: missing = b
            case .other: other = b
            case .special:
                let text = bin.special ?? ""
                specialTexts[text] = b
                if kind == .numeric, let value = Double(text) { specialNumbers.append((value, b)) }
            case .categories:
                for category in bin.categories ?? [] { categoryBins[category] = b }
                if bin.includesOther == true { other = b }
            }
        }
        precondition(missing >= 0, "CharacteristicBinning '\(name)': no missing bin")
        precondition(kind == .numeric || other >= 0, "CharacteristicBinning '\(name)': no bin for unseen categories")
        self.cuts = cuts
        missingBin = missing
        otherBin = other
        self.specialNumbers = specialNumbers
        self.specialTexts = specialTexts
        self.categoryBins = categoryBins
        categoryBytes = categoryBins.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let bins = try c.decode([Bin].self, forKey: .bins)
        let kind = try c.decode(CharacteristicKind.self, forKey: .kind)
        let name = try c.decode(String.self, forKey: .name)
        guard bins.contains(where: { $0.kind == .missing }),
              kind == .numeric || bins.contains(where: { $0.kind == .other || $0.includesOther == true }) else {
            throw DataError("characteristic '\(name)' lacks its missing or other bin", hint: "the model file is damaged; train again.")
        }
        self.init(name: name, kind: kind, trend: try c.decode(MonotonicTrend.self, forKey: .trend), bins: bins,
                  iv: try c.decode(Double.self, forKey: .iv), observedMin: try c.decodeIfPresent(Double.self, forKey: .observedMin),
                  observedMax: try c.decodeIfPresent(Double.self, forKey: .observedMax),
                  notes: try c.decodeIfPresent([String].self, forKey: .notes) ?? [])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(trend, forKey: .trend)
        try c.encode(bins, forKey: .bins)
        try c.encode(iv, forKey: .iv)
        try c.encodeIfPresent(observedMin, forKey: .observedMin)
        try c.encodeIfPresent(observedMax, forKey: .observedMax)
        if !notes.isEmpty { try c.encode(notes, forKey: .notes) }
    }

    /// The index of the missing bin.
    public var missingBinIndex: Int { missingBin }

    /// The bin of a numeric value (NaN: missing).
    @inline(__always)
    public func binIndex(number value: Double) -> Int {
        if value.isNaN { return missingBin }
        for special in specialNumbers where special.value == value { return special.bin }
        var lo = 0, hi = cuts.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cuts[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The bin of a category (nil: missing); unseen categories go to the other bin.
    public func binIndex(category: String?) -> Int {
        guard let category else { return missingBin }
        if let b = specialTexts[category] { return b }
        return categoryBins[category] ?? otherBin
    }

    /// The bin of a category given as UTF-8 bytes, and whether it was unseen in training.
    @inline(__always)
    func binIndex(categoryBytes field: UnsafeBufferPointer<UInt8>) -> (bin: Int, unseen: Bool) {
        for (bytes, bin) in categoryBytes where bytes.count == field.count {
            if bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, field.baseAddress!, field.count) == 0 }) { return (bin, false) }
        }
        if !specialTexts.isEmpty, let text = String(validating: field, as: UTF8.self), let b = specialTexts[text] {
            return (b, false)
        }
        return (otherBin, true)
    }

    /// Bin indices of every training row of `values`.
    public func binIndices(_ values: CharacteristicValues) -> [Int32] {
        switch values {
        case let .numeric(numbers) where specialNumbers.isEmpty:
            // binIndex(number:) without special values, over raw buffers: NaN to the missing bin,
            // otherwise the number of cuts at or below the value.
            let missing = Int32(missingBin)
            return cuts.withUnsafeBufferPointer { cuts in
                numbers.map { value -> Int32 in
                    if value.isNaN { return missing }
                    var lo = 0, hi = cuts.count
                    while lo < hi {
                        let mid = (lo + hi) >> 1
                        if cuts[mid] <= value { lo = mid + 1 } else { hi = mid }
                    }
                    return Int32(lo)
                }
            }
        case let .numeric(numbers):
            return numbers.map { Int32(binIndex(number: $0)) }
        case let .categorical(codes, levels):
            let levelBins = levels.map { binIndex(category: $0) }
            return codes.map { $0 < 0 ? Int32(missingBin) : Int32(levelBins[Int($0)]) }
        }
    }

    /// The WOE of every training row.
    public func woeValues(_ values: CharacteristicValues) -> [Double] {
        binIndices(values).map { bins[Int($0)].woe }
    }
}

/// Optimal binning: fine classing at quantiles (numeric) or by category, then the merge into
/// at most `maxBins` contiguous groups that maximises information value subject to a minimum
/// bin share and the monotonic trend of the bad rate — solved exactly by dynamic programming
/// over the fine classes (the same optimum optbinning's solver seeks).
///
/// Deterministic: ties are broken by position, never by chance or hash order.
public enum OptimalBinning {
    /// Bins one characteristic against `labels` (1 = bad).
    public static func fit(_ characteristic: Characteristic, labels: [Double], config: BinningConfig) -> CharacteristicBinning {
        precondition(characteristic.values.count == labels.count, "OptimalBinning: values and labels differ in length")
        let totalBads = labels.reduce(0, +)
        let totals = Totals(rows: labels.count, bads: Int(totalBads))
        let minCount = max(1, Int((config.minBinShare * Double(labels.count)).rounded(.up)))
        let trend = characteristic.trend ?? config.trend
        switch characteristic.values {
        case let .numeric(values):
            return fitNumeric(name: characteristic.name, values: values, labels: labels, specials: characteristic.specialValues,
                              totals: totals, minCount: minCount, config: config, trend: trend)
        case let .categorical(codes, levels):
            return fitCategorical(name: characteristic.name, codes: codes, levels: levels, labels: labels,
                                  specials: characteristic.specialValues, totals: totals, minCount: minCount, config: config)
        }
    }

    /// Bins every characteristic, on all cores (each characteristic on its own; results in input order).
    public static func fitAll(_ characteristics: [Characteristic], labels: [Double], config: BinningConfig,
                              threads: Int = ThreadCount.auto.resolved) -> [CharacteristicBinning] {
        Parallel.map(characteristics.count, threads: threads) { k in fit(characteristics[k], labels: labels, config: config) }
    }

    struct Totals {
        let rows: Int
        let bads: Int
        var goods: Int { rows - bads }
    }

    /// A fine class: its rows and bads.
    struct Fine {
        var count: Int
        var bads: Int
    }

    /// WOE and IV of a bin with `bads` of `count`, zero counts replaced by ½ (0 for an empty bin):
    ///
    ///     b' = max(bads, ½),  g' = max(goods, ½),  WOE = ln((b'/B) / (g'/G)),  IV = (b'/B − g'/G) · WOE
    ///
    /// The same smoothed shares in both factors keep every bin's IV ≥ 0 (a bin of two bads and
    /// no goods among many bads would otherwise get a negative one).
    static func woeAndIV(count: Int, bads: Int, totals: Totals) -> (woe: Double, iv: Double) {
        guard count > 0, totals.bads > 0, totals.goods > 0 else { return (0, 0) }
        let badShare = max(Double(bads), 0.5) / Double(totals.bads), goodShare = max(Double(count - bads), 0.5) / Double(totals.goods)
        let woe = log(badShare) - log(goodShare)
        return (woe, (badShare - goodShare) * woe)
    }

    static func fitNumeric(name: String, values: [Double], labels: [Double], specials: [String], totals: Totals,
                           minCount: Int, config: BinningConfig, trend: MonotonicTrend) -> CharacteristicBinning {
        let specialValues = specials.map { Double($0) ?? .nan }  // aligned with `specials`
        let distinct = DistinctValues(values: values, labels: labels, specials: specialValues)
        // Fine classes: at quantiles of the regular values, or where a tree on the outcome splits.
        let fineCuts: [Double]
        switch config.prebinning {
        case .quantile:
            fineCuts = distinct.quantileCuts(prebins: config.prebins)
        case .cart:
            let minLeaf = max(1, Int((config.minPrebinShare * Double(labels.count)).rounded(.up)))
            fineCuts = distinct.cartCuts(maxLeaves: max(2, config.prebins), minLeaf: minLeaf)
        }
        var fine = [Fine](repeating: Fine(count: 0, bads: 0), count: fineCuts.count + 1)
        var c = 0
        for (k, v) in distinct.values.enumerated() {
            while c < fineCuts.count && fineCuts[c] <= v { c += 1 }
            fine[c].count += distinct.counts[k]
            fine[c].bads += distinct.bads[k]
        }
        let missing = distinct.missing, special = distinct.special
        if distinct.values.isEmpty { fine = [] }
        let (starts, resolved) = bestMerge(fine, totals: totals, minCount: minCount, maxBins: config.maxBins, trend: trend)
        var bins: [Bin] = []
        for (g, start) in starts.enumerated() {
            let end = g + 1 < starts.count ? starts[g + 1] : fine.count
            let count = fine[start..<end].reduce(0) { $0 + $1.count }, bads = fine[start..<end].reduce(0) { $0 + $1.bads }
            let lower = start == 0 ? nil : fineCuts[start - 1]
            let upper = end == fine.count ? nil : fineCuts[end - 1]
            bins.append(makeBin(.range, label: rangeLabel(lower, upper), count: count, bads: bads, totals: totals,
                                lower: lower, upper: upper))
        }
        if bins.isEmpty {
            bins.append(makeBin(.range, label: rangeLabel(nil, nil), count: 0, bads: 0, totals: totals))
        }
        bins.append(makeBin(.missing, label: "Missing", count: missing.count, bads: missing.bads, totals: totals))
        for (s, text) in specials.enumerated() {
            var bin = makeBin(.special, label: "Special \(text)", count: special[s].count, bads: special[s].bads, totals: totals)
            bin.special = text
            bins.append(bin)
        }
        var notes: [String] = []
        let regular = distinct.regularCount
        if regular == 0 {
            notes.append("no regular values: every row is missing or special")
        } else if distinct.values.count == 1 {
            notes.append("one value (\(formatNumber(distinct.values[0]))) in every regular row: one bin, no information")
        } else if regular < minCount {
            notes.append(shareNote(regular, of: totals.rows, minCount: minCount, what: "rows with a regular value"))
        } else if starts.count == 1 {
            let largest = distinct.counts.indices.max { distinct.counts[$0] < distinct.counts[$1] }!
            notes.append(oneBinNote(largest: "value \(formatNumber(distinct.values[largest]))", count: distinct.counts[largest],
                                    regular: regular, rows: totals.rows, minCount: minCount, trend: resolved))
        }
        // ±∞ count as the most extreme values; the observed range is that of the finite ones.
        return CharacteristicBinning(name: name, kind: .numeric, trend: resolved, bins: bins, iv: bins.reduce(0) { $0 + $1.iv },
                                     observedMin: distinct.values.first(where: \.isFinite),
                                     observedMax: distinct.values.last(where: \.isFinite), notes: notes)
    }

    static func fitCategorical(name: String, codes: [Int32], levels: [String], labels: [Double], specials: [String],
                               totals: Totals, minCount: Int, config: BinningConfig) -> CharacteristicBinning {
        var perLevel = [Fine](repeating: Fine(count: 0, bads: 0), count: levels.count)
        var missing = Fine(count: 0, bads: 0)
        for (i, code) in codes.enumerated() {
            let bad = labels[i] == 1 ? 1 : 0
            if code < 0 { missing.count += 1; missing.bads += bad } else { perLevel[Int(code)].count += 1; perLevel[Int(code)].bads += bad }
        }
        // Fine classes: each common category alone; rare ones pooled into "other".
        struct Group {
            var categories: [String]
            var other: Bool
            var fine: Fine
        }
        let rareLimit = config.rareCategoryShare * Double(totals.rows)
        var groups: [Group] = []
        var pooled = Group(categories: [], other: true, fine: Fine(count: 0, bads: 0))
        var special = [Fine](repeating: Fine(count: 0, bads: 0), count: specials.count)
        for (l, level) in levels.enumerated() where perLevel[l].count > 0 {
            if let s = specials.firstIndex(of: level) {
                special[s] = perLevel[l]
            } else if Double(perLevel[l].count) < rareLimit {
                pooled.categories.append(level)
                pooled.fine.count += perLevel[l].count
                pooled.fine.bads += perLevel[l].bads
            } else {
                groups.append(Group(categories: [level], other: false, fine: perLevel[l]))
            }
        }
        pooled.categories.sort()
        let hasPool = pooled.fine.count > 0
        if hasPool { groups.append(pooled) }
        // Order by bad rate (exact integer comparison), ties by the first category's name.
        groups.sort { a, b in
            let left = a.fine.bads * b.fine.count, right = b.fine.bads * a.fine.count
            if left != right { return left < right }
            return (a.categories.first ?? "") < (b.categories.first ?? "")
        }
        // Too many categories for the exact merge: pre-merge neighbours (in bad-rate order) to about `prebins` groups.
        let limit = max(2, config.prebins)
        if groups.count > limit {
            let target = Double(groups.reduce(0) { $0 + $1.fine.count }) / Double(limit)
            var merged: [Group] = []
            for group in groups {
                if var last = merged.last, Double(last.fine.count) < target {
                    last.categories += group.categories
                    last.other = last.other || group.other
                    last.fine.count += group.fine.count
                    last.fine.bads += group.fine.bads
                    merged[merged.count - 1] = last
                } else {
                    merged.append(group)
                }
            }
            groups = merged
        }
        let (starts, _) = bestMerge(groups.map(\.fine), totals: totals, minCount: minCount, maxBins: config.maxBins,
                                    trend: .ascending)
        var bins: [Bin] = []
        for (g, start) in starts.enumerated() {
            let end = g + 1 < starts.count ? starts[g + 1] : groups.count
            let members = groups[start..<end]
            let categories = members.flatMap(\.categories)
            let other = members.contains { $0.other }
            var bin = makeBin(.categories, label: categories.joined(separator: " | ") + (other ? " (and other)" : ""),
                              count: members.reduce(0) { $0 + $1.fine.count }, bads: members.reduce(0) { $0 + $1.fine.bads },
                              totals: totals)
            bin.categories = categories
            bin.includesOther = other
            bins.append(bin)
        }
        bins.append(makeBin(.missing, label: "Missing", count: missing.count, bads: missing.bads, totals: totals))
        for (s, text) in specials.enumerated() {
            var bin = makeBin(.special, label: "Special \(text)", count: special[s].count, bads: special[s].bads, totals: totals)
            bin.special = text
            bins.append(bin)
        }
        if !hasPool {
            bins.append(makeBin(.other, label: "Other (not seen in training)", count: 0, bads: 0, totals: totals))
        }
        var notes: [String] = []
        let regular = groups.reduce(0) { $0 + $1.fine.count }
        let categoryCount = groups.reduce(0) { $0 + $1.categories.count }
        if regular == 0 {
            notes.append("no regular values: every row is missing or special")
        } else if categoryCount == 1 {
            notes.append("one category ('\(groups[0].categories[0])') in every regular row: one bin, no information")
        } else if groups.count == 1 && hasPool {
            notes.append(String(format: "all %d categories are rarer than %.1f%% of the rows (rareCategoryShare): pooled into one bin, no information",
                                categoryCount, config.rareCategoryShare * 100))
        } else if regular < minCount {
            notes.append(shareNote(regular, of: totals.rows, minCount: minCount, what: "rows with a regular category"))
        } else if starts.count == 1 {
            let largest = groups.indices.max { groups[$0].fine.count < groups[$1].fine.count }!
            notes.append(oneBinNote(largest: "'\(groups[largest].categories.joined(separator: " | "))'", count: groups[largest].fine.count,
                                    regular: regular, rows: totals.rows, minCount: minCount, trend: nil))
        }
        return CharacteristicBinning(name: name, kind: .categorical, trend: .ascending, bins: bins,
                                     iv: bins.reduce(0) { $0 + $1.iv }, observedMin: nil, observedMax: nil, notes: notes)
    }

    /// "the 42 rows with a regular value (4.0 %) are fewer than the minimum bin share …".
    static func shareNote(_ count: Int, of rows: Int, minCount: Int, what: String) -> String {
        String(format: "the %d %@ (%.1f%%) are fewer than the minimum bin share (%d rows): one bin below that share",
               count, what, 100 * Double(count) / Double(max(rows, 1)), minCount)
    }

    /// Why the merge kept a single bin: no cut leaves the minimum share on both sides with the trend.
    static func oneBinNote(largest: String, count: Int, regular: Int, rows: Int, minCount: Int, trend: MonotonicTrend?) -> String {
        let rest = regular - count
        var note = String(format: "one bin: no cut leaves %d rows (the minimum bin share) on both sides", minCount)
        if let trend { note += " with a bad rate following the \(trend.rawValue) trend" }
        if rest < minCount {
            let share = (Double(rest) / Double(max(rows, 1)) * 1000).rounded(.down) / 1000
            note += String(format: "; %@ holds %.1f%% of the rows and the rest only %d (%.1f%%)",
                           largest, 100 * Double(count) / Double(max(rows, 1)), rest, 100 * Double(rest) / Double(max(rows, 1)))
            if share > 0 { note += String(format: " (--min-bin-share %.3f or lower would let them stand apart)", share) }
        }
        return note
    }

    static func makeBin(_ kind: Bin.Kind, label: String, count: Int, bads: Int, totals: Totals,
                        lower: Double? = nil, upper: Double? = nil) -> Bin {
        let (woe, iv) = woeAndIV(count: count, bads: bads, totals: totals)
        return Bin(kind: kind, label: label, lower: lower, upper: upper, categories: nil, includesOther: nil, special: nil,
                   count: count, bads: bads, woe: woe, iv: iv)
    }

    /// `[12, 24)`, `(-inf, 12)`, `[24, +inf)`.
    static func rangeLabel(_ lower: Double?, _ upper: Double?) -> String {
        "\(lower.map { "[" + formatNumber($0) } ?? "(-inf"), \(upper.map { formatNumber($0) } ?? "+inf"))"
    }

    /// Shortest exact text of a number: `12`, `0.25`, `1e-07` (``NumberFormat/exact(_:)``).
    public static func formatNumber(_ v: Double) -> String { NumberFormat.exact(v) }

    /// The best grouping of `fine` classes into contiguous groups: the start index of each group
    /// and the trend it follows. Maximises Σ IV(group) subject to count(group) ≥ `minCount`,
    /// at most `maxBins` groups and the trend of the bad rate between consecutive groups
    /// (strict). Falls back to one group when no grouping meets the constraints.
    static func bestMerge(_ fine: [Fine], totals: Totals, minCount: Int, maxBins: Int,
                          trend: MonotonicTrend) -> (starts: [Int], trend: MonotonicTrend) {
        guard !fine.isEmpty else { return ([], trend == .auto || trend == .autoUnimodal ? .ascending : trend) }
        if trend == .auto || trend == .autoUnimodal {
            // The first of the candidate trends with the most information value.
            let candidates: [MonotonicTrend] = trend == .auto ? [.ascending, .descending] : [.ascending, .descending, .peak, .valley]
            var best: (starts: [Int], trend: MonotonicTrend)?
            var bestIV = -Double.infinity
            for candidate in candidates {
                let merged = bestMerge(fine, totals: totals, minCount: minCount, maxBins: maxBins, trend: candidate)
                let iv = groupIV(fine, merged.starts, totals)
                if iv > bestIV + 1e-12 {
                    best = merged
                    bestIV = iv
                }
            }
            return best!
        }
        let p = fine.count, k = max(1, maxBins)
        var countPrefix = [0], badPrefix = [0]
        for f in fine {
            countPrefix.append(countPrefix.last! + f.count)
            badPrefix.append(badPrefix.last! + f.bads)
        }
        func count(_ j: Int, _ i: Int) -> Int { countPrefix[i] - countPrefix[j] }
        func bads(_ j: Int, _ i: Int) -> Int { badPrefix[i] - badPrefix[j] }
        var ivOf = [Double](repeating: 0, count: (p + 1) * (p + 1))
        for j in 0..<p { for i in (j + 1)...p { ivOf[j * (p + 1) + i] = woeAndIV(count: count(j, i), bads: bads(j, i), totals: totals).iv } }
        // best[((g * (p+1) + i) * (p+1) + j) * 2 + phase]: g+1 groups covering 0..<i, the last one j..<i.
        let phases = 2
        let size = k * (p + 1) * (p + 1) * phases
        var best = [Double](repeating: -.infinity, count: size)
        var back = [Int32](repeating: -1, count: size)  // previous group's start j' and phase, packed
        func index(_ g: Int, _ i: Int, _ j: Int, _ phase: Int) -> Int { ((g * (p + 1) + i) * (p + 1) + j) * phases + phase }
        for i in 1...p where count(0, i) >= minCount {
            best[index(0, i, 0, 0)] = ivOf[i]
        }
        // The phase after a step from rate a (previous group) to rate b (new group), or nil when not allowed.
        func step(_ phase: Int, up: Bool, down: Bool) -> Int? {
            switch trend {
            case .ascending: return phase == 0 && up ? 0 : nil
            case .descending: return phase == 0 && down ? 0 : nil
            case .peak: return up ? (phase == 0 ? 0 : nil) : (down ? 1 : nil)
            case .valley: return down ? (phase == 0 ? 0 : nil) : (up ? 1 : nil)
            case .none, .auto, .autoUnimodal: return 0
            }
        }
        if k > 1 && p > 1 {  // one fine class: only the single group below
            for g in 1..<k {
                for i in 2...p {
                    for j in 1..<i where count(j, i) >= minCount {
                        let newCount = count(j, i), newBads = bads(j, i)
                        for jp in 0..<j {
                            for phase in 0..<phases {
                                let previous = best[index(g - 1, j, jp, phase)]
                                guard previous > -.infinity else { continue }
                                let oldCount = count(jp, j), oldBads = bads(jp, j)
                                let left = newBads * oldCount, right = oldBads * newCount
                                guard let next = step(phase, up: left > right, down: left < right) else { continue }
                                let value = previous + ivOf[j * (p + 1) + i]
                                let slot = index(g, i, j, next)
                                if value > best[slot] + 1e-12 {
                                    best[slot] = value
                                    back[slot] = Int32(jp * phases + phase)
                                }
                            }
                        }
                    }
                }
            }
        }
        var bestSlot = -1, bestValue = -Double.infinity, bestG = 0, bestJ = 0, bestPhase = 0
        for g in 0..<k {
            for j in 0..<p {
                for phase in 0..<phases {
                    let slot = index(g, p, j, phase)
                    if best[slot] > bestValue + 1e-12 {
                        bestValue = best[slot]; bestSlot = slot; bestG = g; bestJ = j; bestPhase = phase
                    }
                }
            }
        }
        guard bestSlot >= 0 else { return ([0], trend) }
        var starts: [Int] = []
        var g = bestG, i = p, j = bestJ, phase = bestPhase
        while true {
            starts.append(j)
            if g == 0 { break }
            let packed = Int(back[index(g, i, j, phase)])
            i = j
            j = packed / phases
            phase = packed % phases
            g -= 1
        }
        return (starts.reversed(), trend)
    }

    static func groupIV(_ fine: [Fine], _ starts: [Int], _ totals: Totals) -> Double {
        var total = 0.0
        for (g, start) in starts.enumerated() {
            let end = g + 1 < starts.count ? starts[g + 1] : fine.count
            total += woeAndIV(count: fine[start..<end].reduce(0) { $0 + $1.count },
                              bads: fine[start..<end].reduce(0) { $0 + $1.bads }, totals: totals).iv
        }
        return total
    }
}
