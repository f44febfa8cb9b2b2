@testable import CreditScoring
import LeptonCore
import XCTest

/// A seeded numeric characteristic whose bad rate follows `risk(x)` for x uniform in 0..<100.
func syntheticNumeric(_ n: Int, seed: UInt64, risk: (Double) -> Double) -> (values: [Double], labels: [Double]) {
    var rng = SeededGenerator(seed: seed)
    var values: [Double] = [], labels: [Double] = []
    for _ in 0..<n {
        let x = Double(rng.next() % 100)
        values.append(x)
        labels.append(rng.uniform() < risk(x) ? 1 : 0)
    }
    return (values, labels)
}

func numeric(_ name: String, _ values: [Double], specials: [String] = [], trend: MonotonicTrend? = nil) -> Characteristic {
    Characteristic(name: name, kind: .numeric, values: .numeric(values), specialValues: specials, trend: trend)
}

final class BinningTests: XCTestCase {
    func testAscendingRiskGivesAscendingBinsWithinLimits() {
        let (values, labels) = syntheticNumeric(20_000, seed: 1) { 0.05 + 0.4 * $0 / 100 }
        var config = BinningConfig()
        config.maxBins = 5
        let binning = OptimalBinning.fit(numeric("x", values), labels: labels, config: config)
        let ranges = binning.bins.filter { $0.kind == .range }
        XCTAssertEqual(binning.trend, .ascending)
        XCTAssertLessThanOrEqual(ranges.count, 5)
        XCTAssertGreaterThanOrEqual(ranges.count, 3)
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            XCTAssertLessThan(a.badRate, b.badRate)
            XCTAssertEqual(a.upper, b.lower)
        }
        for bin in ranges { XCTAssertGreaterThanOrEqual(Double(bin.count), 0.05 * 20_000) }
        XCTAssertNil(ranges.first?.lower)
        XCTAssertNil(ranges.last?.upper)
        // Counts add up; IV is the sum of the bins' and positive.
        XCTAssertEqual(binning.bins.reduce(0) { $0 + $1.count }, 20_000)
        XCTAssertEqual(binning.iv, binning.bins.reduce(0) { $0 + $1.iv }, accuracy: 1e-12)
        XCTAssertGreaterThan(binning.iv, 0.1)
        // WOE = ln((bads_b/B)/(goods_b/G)).
        let bads = labels.reduce(0, +), goods = Double(labels.count) - bads
        let first = ranges[0]
        XCTAssertEqual(first.woe, log((Double(first.bads) / bads) / (Double(first.goods) / goods)), accuracy: 1e-12)
    }

    func testDescendingAndPeakTrends() {
        let (values, labels) = syntheticNumeric(20_000, seed: 2) { 0.5 - 0.4 * $0 / 100 }
        let auto = OptimalBinning.fit(numeric("x", values), labels: labels, config: BinningConfig())
        XCTAssertEqual(auto.trend, .descending)
        let rates = auto.bins.filter { $0.kind == .range }.map(\.badRate)
        XCTAssertEqual(rates, rates.sorted(by: >))

        let (pv, pl) = syntheticNumeric(30_000, seed: 3) { 0.1 + 0.4 * (1 - abs($0 - 50) / 50) }
        let peak = OptimalBinning.fit(numeric("x", pv, trend: .peak), labels: pl, config: BinningConfig())
        let peakRates = peak.bins.filter { $0.kind == .range }.map(\.badRate)
        let top = peakRates.indices.max { peakRates[$0] < peakRates[$1] }!
        XCTAssert(top > 0 && top < peakRates.count - 1, "a peak inside: \(peakRates)")
        XCTAssertEqual(Array(peakRates[...top]), peakRates[...top].sorted())
        XCTAssertEqual(Array(peakRates[top...]), peakRates[top...].sorted(by: >))
        // Forcing ascending on peaked data still gives ascending bins (fewer of them).
        let forced = OptimalBinning.fit(numeric("x", pv, trend: .ascending), labels: pl, config: BinningConfig())
        let forcedRates = forced.bins.filter { $0.kind == .range }.map(\.badRate)
        XCTAssertEqual(forcedRates, forcedRates.sorted())
        XCTAssertLessThan(forced.iv, peak.iv)
    }

    func testMissingAndSpecialValuesGetTheirOwnBins() {
        var (values, labels) = syntheticNumeric(5_000, seed: 4) { 0.1 + 0.3 * $0 / 100 }
        for i in stride(from: 0, to: 5_000, by: 10) { values[i] = -999; labels[i] = 1 }  // no bureau record: risky
        for i in stride(from: 3, to: 5_000, by: 25) { values[i] = .nan }  // never on a multiple of 10
        let binning = OptimalBinning.fit(numeric("bureau", values, specials: ["-999"]), labels: labels, config: BinningConfig())
        let special = binning.bins.first { $0.kind == .special }!
        XCTAssertEqual(special.count, 500)
        XCTAssertEqual(special.special, "-999")
        XCTAssertEqual(binning.bins.first { $0.kind == .missing }!.count, 200)
        XCTAssertEqual(binning.bins[binning.binIndex(number: -999)].kind, .special)
        XCTAssertEqual(binning.bins[binning.binIndex(number: .nan)].kind, .missing)
        // -999 must not have pulled the first range's lower end down: ranges see only regular values.
        XCTAssertEqual(binning.observedMin, 0)
        XCTAssertEqual(binning.bins[binning.binIndex(number: -5)].kind, .range)
    }

    func testDeterministic() {
        let (values, labels) = syntheticNumeric(10_000, seed: 5) { 0.2 + 0.2 * sin($0 / 20) }
        let a = OptimalBinning.fit(numeric("x", values), labels: labels, config: BinningConfig())
        let b = OptimalBinning.fit(numeric("x", values), labels: labels, config: BinningConfig())
        XCTAssertEqual(a.bins, b.bins)
        let parallel = OptimalBinning.fitAll([numeric("x", values), numeric("y", values.reversed())], labels: labels,
                                             config: BinningConfig(), threads: 2)
        XCTAssertEqual(parallel[0].bins, a.bins)
    }

    /// The dynamic programme against every grouping of up to 9 fine classes (the naive twin).
    func testMergeIsOptimalAgainstBruteForce() {
        var rng = SeededGenerator(seed: 6)
        for trial in 0..<60 {
            let p = 3 + trial % 7
            let fine = (0..<p).map { _ -> OptimalBinning.Fine in
                let count = 20 + Int(rng.next() % 200)
                return .init(count: count, bads: Int(rng.next() % UInt64(count / 2 + 1)))
            }
            let totals = OptimalBinning.Totals(rows: fine.reduce(0) { $0 + $1.count } + 100, bads: fine.reduce(0) { $0 + $1.bads } + 20)
            let minCount = 40 + trial % 50, maxBins = 2 + trial % 4
            for trend in [MonotonicTrend.ascending, .descending, .peak, .valley, .none, .auto, .autoUnimodal] {
                let (starts, _) = OptimalBinning.bestMerge(fine, totals: totals, minCount: minCount, maxBins: maxBins, trend: trend)
                var best = -Double.infinity
                for mask in 0..<(1 << (p - 1)) {
                    let cut = [0] + (1..<p).filter { mask & (1 << ($0 - 1)) != 0 }
                    guard cut.count <= maxBins else { continue }
                    let groups = cut.enumerated().map { g, s in fine[s..<(g + 1 < cut.count ? cut[g + 1] : p)] }
                    let counts = groups.map { $0.reduce(0) { $0 + $1.count } }, bads = groups.map { $0.reduce(0) { $0 + $1.bads } }
                    guard counts.allSatisfy({ $0 >= minCount }) else { continue }
                    let rates = zip(bads, counts).map { Double($0) / Double($1) }
                    guard follows(rates, trend) else { continue }
                    best = max(best, OptimalBinning.groupIV(fine, cut, totals))
                }
                if best == -.infinity {
                    XCTAssertEqual(starts, [0], "no feasible grouping: one group")
                } else {
                    XCTAssertEqual(OptimalBinning.groupIV(fine, starts, totals), best, accuracy: 1e-9, "trial \(trial) \(trend)")
                }
            }
        }
    }

    func follows(_ rates: [Double], _ trend: MonotonicTrend) -> Bool {
        let steps = zip(rates, rates.dropFirst()).map { $1 > $0 ? 1 : ($1 < $0 ? -1 : 0) }
        switch trend {
        case .ascending: return steps.allSatisfy { $0 == 1 }
        case .descending: return steps.allSatisfy { $0 == -1 }
        case .peak:
            guard !steps.contains(0) else { return false }
            let firstDown = steps.firstIndex(of: -1) ?? steps.count
            return steps[firstDown...].allSatisfy { $0 == -1 }
        case .valley:
            guard !steps.contains(0) else { return false }
            let firstUp = steps.firstIndex(of: 1) ?? steps.count
            return steps[firstUp...].allSatisfy { $0 == 1 }
        case .auto: return follows(rates, .ascending) || follows(rates, .descending)
        case .autoUnimodal: return follows(rates, .peak) || follows(rates, .valley)
        case .none: return true
        }
    }

    func testCategoriesGroupedByBadRateWithRareAndUnseenInOther() {
        // Levels: A (bad rate 10%), B (40%), C (10%), D (70%), and "once" seen a single time.
        var codes: [Int32] = [], labels: [Double] = []
        func add(_ code: Int32, _ n: Int, bads: Int) {
            for i in 0..<n { codes.append(code); labels.append(i < bads ? 1 : 0) }
        }
        add(0, 400, bads: 40); add(1, 300, bads: 120); add(2, 250, bads: 25); add(3, 100, bads: 70); add(4, 1, bads: 1)
        codes.append(-1); labels.append(0)
        let c = Characteristic(name: "grade", kind: .categorical, values: .categorical(codes: codes, levels: ["A", "B", "C", "D", "once"]),
                               specialValues: [], trend: nil)
        let binning = OptimalBinning.fit(c, labels: labels, config: BinningConfig())
        let groups = binning.bins.filter { $0.kind == .categories }
        XCTAssertEqual(groups.first?.categories, ["A", "C"], "equal bad rates merge, lowest first")
        let rates = groups.map(\.badRate)
        XCTAssertEqual(rates, rates.sorted())
        // The category seen once is pooled as rare; unseen categories land with it.
        let onceBin = binning.binIndex(category: "once")
        XCTAssertEqual(binning.bins[onceBin].includesOther, true)
        XCTAssertEqual(binning.binIndex(category: "never seen"), onceBin)
        XCTAssertEqual(binning.bins[binning.binIndex(category: nil)].kind, .missing)
        XCTAssertEqual(binning.bins[binning.binIndex(category: nil)].count, 1)
    }

    func testCategoricalWithoutRareLevelsHasAnEmptyNeutralOtherBin() {
        let codes: [Int32] = (0..<1000).map { Int32($0 % 2) }
        let labels = (0..<1000).map { $0 % 4 == 0 ? 1.0 : 0.0 }
        let c = Characteristic(name: "flag", kind: .categorical, values: .categorical(codes: codes, levels: ["yes", "no"]),
                               specialValues: [], trend: nil)
        let binning = OptimalBinning.fit(c, labels: labels, config: BinningConfig())
        let other = binning.bins[binning.binIndex(category: "maybe")]
        XCTAssertEqual(other.kind, .other)
        XCTAssertEqual(other.woe, 0)
        XCTAssertEqual(other.count, 0)
    }

    func testBinningAMillionRowsIsQuick() {
        let (values, labels) = syntheticNumeric(1_000_000, seed: 7) { 0.05 + 0.3 * $0 / 100 }
        let start = Date()
        let binning = OptimalBinning.fit(numeric("x", values), labels: labels, config: BinningConfig())
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(binning.bins.reduce(0) { $0 + $1.count }, 1_000_000)
        XCTAssertLessThan(seconds, 5, "one characteristic on 1M rows in debug")
    }
}
