@testable import CreditScoring
import Foundation
import LeptonCore
import XCTest

/// Optimal binning over generated shapes of data — one or two distinct values, zero inflation
/// with sparse tails, heavy skew, ties with missing, specials far outside the range, a single bad
/// or good, non-finite and extreme values, every category rare — under every trend, prebinning
/// and a spread of limits. Each case must finish (no trap, no hang) and its bins must keep the
/// invariants every later stage relies on.
final class BinningPropertyTests: XCTestCase {
    /// A generated numeric column shape.
    enum NumericShape: CaseIterable {
        case constant, twoValues, zeroInflatedTail, heavySkew, tiesWithMissing, specialsFarOut, nonFiniteAndExtreme,
             allMissing, signedZeros, continuous
    }

    /// Values of `shape` for `n` rows.
    static func numericValues(_ shape: NumericShape, n: Int, rng: inout SeededGenerator) -> [Double] {
        (0..<n).map { _ -> Double in
            let u = rng.uniform()
            switch shape {
            case .constant: return 7
            case .twoValues: return u < 0.3 ? 0 : 1
            case .zeroInflatedTail:
                // A delinquency count: mostly 0, a sparse tail, a bureau code 98.
                return u < 0.95 ? 0 : (u < 0.98 ? 1 : (u < 0.99 ? 2 : (u < 0.995 ? 3 : 98)))
            case .heavySkew: return exp(6 * rng.uniform() * rng.uniform() * 3)
            case .tiesWithMissing: return u < 0.3 ? .nan : Double(Int(u * 10))
            case .specialsFarOut: return u < 0.2 ? -999 : (u < 0.25 ? 1e9 : rng.uniform() * 10)
            case .nonFiniteAndExtreme:
                let pick = Int(u * 8)
                return [Double.infinity, -.infinity, 1e308, -1e308, .leastNonzeroMagnitude, -0.0, 1, 2][pick]
            case .allMissing: return .nan
            case .signedZeros: return [0.0, -0.0][Int(u * 2)]
            case .continuous: return rng.uniform() * 1000 - 500
            }
        }
    }

    /// Labels for `n` rows: a single bad, a single good, or a rate tied to the values.
    static func labels(_ values: [Double], kind: Int, rng: inout SeededGenerator) -> [Double] {
        let n = values.count
        switch kind {
        case 0: return (0..<n).map { $0 == n / 2 ? 1 : 0 }  // a single bad
        case 1: return (0..<n).map { $0 == n / 2 ? 0 : 1 }  // a single good
        case 2: return (0..<n).map { _ in rng.uniform() < 0.2 ? 1 : 0 }
        default:
            return values.map { v in
                let rate = v.isNaN ? 0.5 : (v > 0 ? 0.4 : 0.1)
                return rng.uniform() < rate ? 1 : 0
            }
        }
    }

    static func randomConfig(_ rng: inout SeededGenerator) -> BinningConfig {
        var config = BinningConfig()
        config.maxBins = [2, 3, 6, 20][Int(rng.next() % 4)]
        config.minBinShare = [0.001, 0.05, 0.2, 0.49][Int(rng.next() % 4)]
        config.prebins = [2, 5, 20, 50][Int(rng.next() % 4)]
        config.prebinning = Prebinning.allCases[Int(rng.next() % 2)]
        config.minPrebinShare = [0.01, 0.05][Int(rng.next() % 2)]
        config.rareCategoryShare = [0, 0.01, 0.3][Int(rng.next() % 3)]
        return config
    }

    func testNumericBinningKeepsItsInvariantsOnEveryShape() throws {
        var rng = SeededGenerator(seed: 2026)
        var cases = 0
        for shape in NumericShape.allCases {
            for n in [1, 2, 3, 10, 97, 1_000, 5_000] {
                for trend in MonotonicTrend.allCases {
                    let values = Self.numericValues(shape, n: n, rng: &rng)
                    let labels = Self.labels(values, kind: Int(rng.next() % 4), rng: &rng)
                    var config = Self.randomConfig(&rng)
                    config.trend = trend
                    let specials = shape == .specialsFarOut ? ["-999", "1e9"] : (rng.next() % 3 == 0 ? ["-999"] : [])
                    let context = "\(shape) n=\(n) trend=\(trend) config=\(config) specials=\(specials)"
                    let binning = OptimalBinning.fit(numeric("x", values, specials: specials), labels: labels, config: config)
                    try checkNumericInvariants(binning, values: values, labels: labels, specials: specials, config: config, context)
                    cases += 1
                }
            }
        }
        XCTAssertEqual(cases, NumericShape.allCases.count * 7 * MonotonicTrend.allCases.count)
    }

    /// One million rows of a zero-inflated count: the shape that trapped, at scale.
    func testMillionRowZeroInflatedColumn() throws {
        var rng = SeededGenerator(seed: 7)
        let values = Self.numericValues(.zeroInflatedTail, n: 1_000_000, rng: &rng)
        let labels = Self.labels(values, kind: 3, rng: &rng)
        for prebinning in Prebinning.allCases {
            var config = BinningConfig()
            config.prebinning = prebinning
            let binning = OptimalBinning.fit(numeric("late", values), labels: labels, config: config)
            try checkNumericInvariants(binning, values: values, labels: labels, specials: [], config: config, "1M \(prebinning)")
        }
    }

    /// The file from the report: 0 for 950 goods and 50 bads, 1 for 20/12, 2 for 4/3, 3 for 1/1,
    /// 98 for 1/1. The tail (4.1 %) is below the default 5 % share, so one bin and a note saying so;
    /// at a 4 % share the tail becomes a bin of its own with the higher bad rate.
    func testDelinquencyCountFromTheReport() throws {
        var values: [Double] = [], labels: [Double] = []
        for (value, goods, bads) in [(0.0, 950, 50), (1, 20, 12), (2, 4, 3), (3, 1, 1), (98, 1, 1)] {
            values += [Double](repeating: value, count: goods + bads)
            labels += [Double](repeating: 0, count: goods) + [Double](repeating: 1, count: bads)
        }
        var config = BinningConfig()
        let oneBin = OptimalBinning.fit(numeric("late_60_89", values), labels: labels, config: config)
        XCTAssertEqual(oneBin.bins.filter { $0.kind == .range }.count, 1)
        XCTAssertTrue(oneBin.notes.first?.contains("--min-bin-share 0.041") ?? false, "\(oneBin.notes)")
        config.minBinShare = 0.04
        let split = OptimalBinning.fit(numeric("late_60_89", values), labels: labels, config: config)
        let ranges = split.bins.filter { $0.kind == .range }
        XCTAssertEqual(ranges.count, 2)
        XCTAssertEqual(ranges.first?.upper, 1)
        XCTAssertGreaterThan(split.iv, 0.1)
        XCTAssertTrue(split.notes.isEmpty)
    }

    /// A categorical column whose rare category cannot stand alone: the note names the share and
    /// says nothing of a trend (categories have none).
    func testCategoricalNoteNamesTheShare() {
        let codes: [Int32] = (0..<1_000).map { $0 < 970 ? 0 : 1 }
        let labels = (0..<1_000).map { $0 % 5 == 0 || $0 >= 985 ? 1.0 : 0 }
        let binning = OptimalBinning.fit(Characteristic(name: "foreign", kind: .categorical, values: .categorical(codes: codes, levels: ["yes", "no"]),
                                                        specialValues: [], trend: nil), labels: labels, config: BinningConfig())
        XCTAssertEqual(binning.notes.count, 1)
        XCTAssertTrue(binning.notes[0].contains("'yes' holds 97.0% of the rows and the rest only 30 (3.0%)"), binning.notes[0])
        XCTAssertTrue(binning.notes[0].contains("--min-bin-share 0.030"), binning.notes[0])
        XCTAssertFalse(binning.notes[0].contains("trend"), binning.notes[0])
    }

    func testCategoricalBinningKeepsItsInvariantsOnEveryShape() throws {
        var rng = SeededGenerator(seed: 99)
        for shape in 0..<6 {
            for n in [1, 2, 10, 500, 3_000] {
                let levels: [String]
                let codes: [Int32] = (0..<n).map { i in
                    let u = rng.uniform()
                    switch shape {
                    case 0: return 0  // one category
                    case 1: return Int32(i)  // every row its own category
                    case 2: return u < 0.2 ? -1 : Int32(u * 2)  // two categories with missing
                    case 3: return Int32(min(40, Int(1 / max(u, 0.02))))  // Zipf-like skew
                    case 4: return u < 0.5 ? 0 : 1  // one of them declared special below
                    default: return Int32(u * 30)
                    }
                }
                switch shape {
                case 1: levels = (0..<n).map { "c\($0)" }
                case 3: levels = (0...40).map { "z\($0)" }
                case 4: levels = ["-999", "A"]
                default: levels = (0..<30).map { "L\($0)" }
                }
                let labels = (0..<n).map { i -> Double in
                    let rate = codes[i] < 0 ? 0.5 : 0.05 + 0.02 * Double(codes[i] % 20)
                    return rng.uniform() < rate ? 1 : 0
                }
                let config = Self.randomConfig(&rng)
                let specials = shape == 4 ? ["-999"] : []
                let characteristic = Characteristic(name: "c", kind: .categorical, values: .categorical(codes: codes, levels: levels),
                                                    specialValues: specials, trend: nil)
                let binning = OptimalBinning.fit(characteristic, labels: labels, config: config)
                let context = "shape \(shape) n=\(n) config=\(config)"
                try checkCommonInvariants(binning, labels: labels, config: config, context)
                // Every training row lands in a bin that counts it.
                let rowBins = binning.binIndices(.categorical(codes: codes, levels: levels))
                try checkRecount(binning, rowBins: rowBins, labels: labels, context)
                XCTAssertEqual(binning.binIndex(category: "never seen"), binning.binIndex(category: "never seen either"), context)
                let groups = binning.bins.filter { $0.kind == .categories }
                let rates = groups.filter { $0.count > 0 }.map(\.badRate)
                XCTAssertTrue(Self.trendHolds(rates, .ascending), "\(context): \(rates)")
            }
        }
    }

    // MARK: - Invariants

    func checkNumericInvariants(_ binning: CharacteristicBinning, values: [Double], labels: [Double], specials: [String],
                                config: BinningConfig, _ context: String) throws {
        try checkCommonInvariants(binning, labels: labels, config: config, context)
        let ranges = binning.bins.filter { $0.kind == .range }
        // The ranges cover the line: (−∞, c₁), [c₁, c₂), …, [c_k, +∞) with finite, rising cuts.
        XCTAssertFalse(ranges.isEmpty, context)
        XCTAssertNil(ranges.first?.lower, context)
        XCTAssertNil(ranges.last?.upper, context)
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            XCTAssertEqual(a.upper, b.lower, context)
            let cut = try XCTUnwrap(a.upper, context)
            XCTAssertTrue(cut.isFinite, context)
            if let lower = a.lower { XCTAssertLessThan(lower, cut, context) }
        }
        // The trend holds over the non-empty ranges.
        let rates = ranges.filter { $0.count > 0 }.map(\.badRate)
        if binning.trend != .auto && binning.trend != .autoUnimodal {
            XCTAssertTrue(Self.trendHolds(rates, binning.trend), "\(context): \(binning.trend) \(rates)")
        } else {
            XCTFail("\(context): the resolved trend is still \(binning.trend)")
        }
        if let low = binning.observedMin { XCTAssertTrue(low.isFinite, context) }
        if let high = binning.observedMax { XCTAssertTrue(high.isFinite, context) }
        // Every value lands in the bin whose range holds it (or its special or missing bin), and
        // counting the rows per bin gives back the bins' counts.
        let rowBins = binning.binIndices(.numeric(values))
        let specialNumbers = specials.compactMap(Double.init)
        for (i, v) in values.enumerated() {
            let bin = binning.bins[Int(rowBins[i])]
            if v.isNaN {
                XCTAssertEqual(bin.kind, .missing, context)
            } else if specialNumbers.contains(v) {
                XCTAssertEqual(bin.kind, .special, context)
            } else {
                XCTAssertEqual(bin.kind, .range, context)
                if let lower = bin.lower { XCTAssertGreaterThanOrEqual(v, lower, context) }
                if let upper = bin.upper { XCTAssertLessThan(v, upper, context) }
            }
            if i > 2_000 { break }  // the recount below covers every row
        }
        try checkRecount(binning, rowBins: rowBins, labels: labels, context)
    }

    func checkCommonInvariants(_ binning: CharacteristicBinning, labels: [Double], config: BinningConfig, _ context: String) throws {
        let n = labels.count
        XCTAssertEqual(binning.bins.reduce(0) { $0 + $1.count }, n, context)
        XCTAssertEqual(binning.bins.reduce(0) { $0 + $1.bads }, Int(labels.reduce(0, +)), context)
        XCTAssertTrue(binning.iv.isFinite && binning.iv >= -1e-12, "\(context): IV \(binning.iv)")
        for bin in binning.bins { XCTAssertTrue(bin.woe.isFinite && bin.iv.isFinite, context) }
        let regular = binning.bins.filter { $0.kind == .range || $0.kind == .categories }
        XCTAssertLessThanOrEqual(regular.count, max(1, config.maxBins), context)
        // The minimum bin share holds, or the binning says why it cannot.
        let minCount = max(1, Int((config.minBinShare * Double(n)).rounded(.up)))
        if regular.contains(where: { $0.count > 0 && $0.count < minCount }) {
            XCTAssertEqual(regular.count, 1, context)
            let reasons = ["fewer than the minimum bin share", "one value", "one category", "rarer than"]
            XCTAssertTrue(binning.notes.contains { note in reasons.contains { note.contains($0) } },
                          "\(context): a bin below the minimum share without its reason: \(binning.notes)")
        }
        // The model file can hold it (no ±∞ anywhere) and reads back the same.
        let data = try JSONEncoder().encode(binning)
        let back = try JSONDecoder().decode(CharacteristicBinning.self, from: data)
        XCTAssertEqual(back.bins, binning.bins, context)
        XCTAssertEqual(back.notes, binning.notes, context)
    }

    func checkRecount(_ binning: CharacteristicBinning, rowBins: [Int32], labels: [Double], _ context: String) throws {
        var counts = [Int](repeating: 0, count: binning.bins.count), bads = counts
        for (i, b) in rowBins.enumerated() {
            counts[Int(b)] += 1
            bads[Int(b)] += labels[i] == 1 ? 1 : 0
        }
        XCTAssertEqual(counts, binning.bins.map(\.count), context)
        XCTAssertEqual(bads, binning.bins.map(\.bads), context)
    }

    /// Whether bad rates follow `trend` strictly.
    static func trendHolds(_ rates: [Double], _ trend: MonotonicTrend) -> Bool {
        let steps = zip(rates, rates.dropFirst()).map { $1 - $0 }
        switch trend {
        case .ascending: return steps.allSatisfy { $0 > 0 }
        case .descending: return steps.allSatisfy { $0 < 0 }
        case .peak:
            let turn = steps.firstIndex { $0 < 0 } ?? steps.count
            return steps[..<turn].allSatisfy { $0 > 0 } && steps[turn...].allSatisfy { $0 < 0 }
        case .valley:
            let turn = steps.firstIndex { $0 > 0 } ?? steps.count
            return steps[..<turn].allSatisfy { $0 < 0 } && steps[turn...].allSatisfy { $0 > 0 }
        case .none, .auto, .autoUnimodal: return true
        }
    }
}
