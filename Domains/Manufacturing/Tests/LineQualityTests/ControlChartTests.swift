import Foundation
import LeptonCore
@testable import LineQuality
import LeptonTestSupport
import XCTest

/// The reference values R produced (Fixtures/spc_reference.R: qcc's formulas and tables in base
/// R, and r-cran-spc's ARLs).
struct SPCReference {
    let json: [String: Any]

    static func load() throws -> SPCReference {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/spc_reference", withExtension: "json"))
        return SPCReference(json: try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])
    }

    func object(_ key: String) -> [String: Any] { json[key] as! [String: Any] }
    func numbers(_ key: String, in object: [String: Any]) -> [Double] { (object[key] as! [NSNumber]).map(\.doubleValue) }
    func number(_ key: String, in object: [String: Any]) -> Double { (object[key] as! NSNumber).doubleValue }
}

final class ControlChartTests: XCTestCase {
    func testConstantsMatchTheIntegralsAndThePublishedTables() throws {
        let ref = try SPCReference.load()
        let exact = ref.object("constants"), table = ref.object("qcc_constants")
        let ns = ref.numbers("n", in: exact).map { Int($0) }
        for (k, n) in ns.enumerated() {
            XCTAssertEqual(ControlConstants.d2(n), ref.numbers("d2", in: exact)[k], accuracy: 1e-7, "d2(\(n))")
            XCTAssertEqual(ControlConstants.d3(n), ref.numbers("d3", in: exact)[k], accuracy: 1e-6, "d3(\(n))")
            XCTAssertEqual(ControlConstants.c4(n), ref.numbers("c4", in: exact)[k], accuracy: 1e-12, "c4(\(n))")
            // The published tables round d2 to three decimals.
            XCTAssertEqual(ControlConstants.d2(n), ref.numbers("d2", in: table)[k], accuracy: 5e-4, "table d2(\(n))")
            XCTAssertEqual(ControlConstants.a2(n), ref.numbers("A2", in: exact)[k], accuracy: 1e-6, "A2(\(n))")
            XCTAssertEqual(ControlConstants.d4Factor(n), ref.numbers("D4", in: exact)[k], accuracy: 1e-6, "D4(\(n))")
            XCTAssertEqual(ControlConstants.b4(n), ref.numbers("B4", in: exact)[k], accuracy: 1e-9, "B4(\(n))")
        }
        XCTAssertEqual(ControlConstants.d2(2), 1.128, accuracy: 5e-4)
    }

    var pistonRings: [[Double]] {
        get throws { (try SPCReference.load().json["pistonrings"] as! [[NSNumber]]).map { $0.map(\.doubleValue) } }
    }

    /// Montgomery's piston-ring diameters, samples 1–25 as Phase I: X̄–R and X̄–S limits as qcc's
    /// (to its three-decimal d2), and samples 37–39 beyond the limits in Phase II.
    func testPistonRingsAgreeWithQcc() throws {
        let ref = try SPCReference.load()
        let rings = try pistonRings
        var settings = ChartSettings(type: .xbarR)
        settings.phase1 = 0..<25
        let (charts, limits) = try ControlCharts.compute(rings, settings: settings)
        let xr = ref.object("xbar_r"), exact = xr["exact_constants"] as! [String: Any]
        XCTAssertEqual(limits.center, ref.number("xbar_center", in: xr), accuracy: 1e-9)
        XCTAssertEqual(charts[0].ucl[0], ref.number("xbar_ucl", in: exact), accuracy: 1e-9)
        XCTAssertEqual(charts[0].lcl[0], ref.number("xbar_lcl", in: exact), accuracy: 1e-9)
        XCTAssertEqual(charts[1].ucl[0], ref.number("r_ucl", in: exact), accuracy: 1e-9)
        // qcc rounds d2 to 1.128…2.326: the limits agree to that rounding.
        XCTAssertEqual(charts[0].ucl[0], ref.number("xbar_ucl", in: xr), accuracy: 2e-5)
        XCTAssertEqual(charts[1].ucl[0], ref.number("r_ucl", in: xr), accuracy: 2e-5)
        XCTAssertEqual(charts[1].center[0], ref.number("r_center", in: xr), accuracy: 1e-12)
        let beyond = charts[0].violations.filter { $0.rule == 1 }.map(\.index)
        XCTAssertEqual(beyond, (ref.object("xbar_newdata")["beyond_limits"] as! [NSNumber]).map(\.intValue))

        settings.type = .xbarS
        let s = try ControlCharts.compute(rings, settings: settings)
        let xs = ref.object("xbar_s")
        XCTAssertEqual(s.charts[0].ucl[0], ref.number("xbar_ucl", in: xs), accuracy: 1e-9)
        XCTAssertEqual(s.charts[1].center[0], ref.number("s_center", in: xs), accuracy: 1e-9)
        XCTAssertEqual(s.charts[1].ucl[0], ref.number("s_ucl", in: xs), accuracy: 1e-9)
    }

    func testIndividualsAndCountCharts() throws {
        let ref = try SPCReference.load()
        let ind = ref.object("individuals")
        let data = ref.numbers("data", in: ind)
        let (charts, limits) = try ControlCharts.compute(data.map { [$0] }, settings: ChartSettings(type: .imr))
        XCTAssertEqual(limits.center, ref.number("center", in: ind), accuracy: 1e-12)
        XCTAssertEqual(limits.sigma!, ref.number("sigma_exact_d2", in: ind), accuracy: 1e-9)
        XCTAssertEqual(charts[0].ucl[0], ref.number("ucl", in: ind), accuracy: 5e-4 * ref.number("sigma", in: ind) * 3)
        assertArraysClose(charts[1].points, ref.numbers("moving_ranges", in: ind), "moving ranges", accuracy: 1e-12)
        XCTAssertEqual(charts[0].violations.filter { $0.rule == 1 }.map(\.index), (ind["beyond_limits"] as! [NSNumber]).map(\.intValue))

        for (type, key, valuesKey) in [(ChartType.p, "p_chart", "defectives"), (.u, "u_chart", "counts")] {
            let obj = ref.object(key)
            let result = try ControlCharts.compute(ref.numbers(valuesKey, in: obj).map { [$0] }, sizes: ref.numbers("sizes", in: obj),
                                                   settings: ChartSettings(type: type))
            XCTAssertEqual(result.limits.center, ref.number("center", in: obj), accuracy: 1e-12, key)
            assertArraysClose(result.charts[0].lcl, ref.numbers("lcl", in: obj), key, accuracy: 1e-12)
            assertArraysClose(result.charts[0].ucl, ref.numbers("ucl", in: obj), key, accuracy: 1e-12)
            XCTAssertEqual(result.charts[0].violations.filter { $0.rule == 1 }.map(\.index), (obj["beyond_limits"] as! [NSNumber]).map(\.intValue), key)
        }
    }

    /// Run lengths of in-control and shifted normal data against fixed limits (μ = 0, σ = 1), by
    /// simulation: the 3σ Shewhart chart's in-control ARL ≈ 370, and EWMA and CUSUM ARLs as spc computes them.
    func testAverageRunLengthsBySimulation() throws {
        let ref = try SPCReference.load()
        func averageRunLength(_ type: ChartType, shift: Double, runs: Int, segment: Int, seed: UInt64,
                              configure: (inout ChartSettings, inout ChartLimits) -> Void) throws -> Double {
            var rng = SeededGenerator(seed: seed)
            var settings = ChartSettings(type: type)
            var limits = ChartLimits(type: type, center: 0, sigma: 1)
            configure(&settings, &limits)
            settings.limits = limits
            var total = 0.0
            for _ in 0..<runs {
                let points = (0..<segment).map { _ in [rng.normal() + shift] }
                let chart = try ControlCharts.compute(points, settings: settings).charts[0]
                total += Double(chart.violations.first?.index ?? segment)
            }
            return total / Double(runs)
        }
        // The ARL of a 3σ chart counts rule 1 only (rules 2–4 shorten it).
        var rng = SeededGenerator(seed: 2)
        var lengths = 0.0
        for _ in 0..<700 {
            let points = (0..<3000).map { _ in [rng.normal()] }
            var settings = ChartSettings(type: .imr)
            settings.limits = ChartLimits(type: .imr, center: 0, sigma: 1)
            let chart = try ControlCharts.compute(points, settings: settings).charts[0]
            lengths += Double(chart.violations.first { $0.rule == 1 }?.index ?? 3000)
        }
        XCTAssertEqual(lengths / 700, (ref.object("shewhart_arl")["arl0"] as! NSNumber).doubleValue, accuracy: 0.12 * 370)

        for entry in (ref.json["ewma_arl"] as! [[String: NSNumber]]) where entry["lambda"]!.doubleValue == 0.2 && entry["mu"]!.doubleValue <= 1 {
            let mu = entry["mu"]!.doubleValue, expected = entry["arl"]!.doubleValue
            let arl = try averageRunLength(.ewma, shift: mu, runs: mu == 0 ? 500 : 800, segment: mu == 0 ? 3000 : 300, seed: 3) { settings, limits in
                (limits.lambda, limits.width) = (0.2, entry["L"]!.doubleValue)
                settings.ewmaAsymptoticLimits = true
            }
            XCTAssertEqual(arl, expected, accuracy: (mu == 0 ? 0.15 : 0.08) * expected, "EWMA λ 0.2, shift \(mu)")
        }
        for entry in (ref.json["cusum_arl"] as! [[String: Any]]) where (entry["sided"] as! String) == "two" && (entry["h"] as! NSNumber).doubleValue == 4 {
            let mu = (entry["mu"] as! NSNumber).doubleValue, expected = (entry["arl"] as! NSNumber).doubleValue
            guard mu <= 1 else { continue }
            let arl = try averageRunLength(.cusum, shift: mu, runs: mu == 0 ? 600 : 800, segment: mu == 0 ? 2000 : 250, seed: 4) { _, limits in
                (limits.k, limits.h) = (0.5, 4)
            }
            XCTAssertEqual(arl, expected, accuracy: (mu == 0 ? 0.12 : 0.08) * expected, "CUSUM h 4, shift \(mu)")
        }
    }

    /// Each rule on a pattern made for it, and nothing on a quiet series.
    func testRunRulesFlagTheirPatterns() {
        func flagged(_ points: [Double], _ set: RuleSet) -> Set<Int> {
            let n = points.count
            return Set(set.violations(points: points, center: Array(repeating: 0, count: n), lcl: Array(repeating: -3, count: n),
                                      ucl: Array(repeating: 3, count: n)).map(\.rule))
        }
        let quiet = (0..<30).map { [0.3, 0.1, -0.4, -0.2, 0.5, 0.2, -0.1, -0.5][$0 % 8] }
        XCTAssertEqual(flagged(quiet, .nelson).subtracting([7]), [])
        XCTAssertEqual(flagged(quiet, .westernElectric), [])
        XCTAssertTrue(flagged([0, 0, 3.5], .westernElectric).contains(1))
        XCTAssertTrue(flagged([0, 2.5, 0.1, 2.4], .westernElectric).contains(2))
        XCTAssertTrue(flagged([1.5, 1.2, 0.1, 1.3, 1.1], .westernElectric).contains(3))
        XCTAssertTrue(flagged(Array(repeating: 0.2, count: 8), .westernElectric).contains(4))
        XCTAssertFalse(flagged(Array(repeating: 0.2, count: 7), .westernElectric).contains(4))
        XCTAssertTrue(flagged(Array(repeating: 0.2, count: 9), .nelson).contains(2))
        XCTAssertFalse(flagged(Array(repeating: 0.2, count: 8), .nelson).contains(2))
        XCTAssertTrue(flagged([-1, -0.8, -0.5, 0, 0.4, 0.9], .nelson).contains(3))
        XCTAssertFalse(flagged([-1, -0.8, -0.5, 0, 0.4], .nelson).contains(3))
        XCTAssertTrue(flagged((0..<14).map { $0 % 2 == 0 ? 0.5 : -0.5 }, .nelson).contains(4))
        XCTAssertFalse(flagged((0..<13).map { $0 % 2 == 0 ? 0.5 : -0.5 }, .nelson).contains(4))
        XCTAssertTrue(flagged([2.2, 0, 2.5], .nelson).contains(5))
        XCTAssertTrue(flagged([1.2, 1.5, 0, 1.1, 1.3], .nelson).contains(6))
        XCTAssertTrue(flagged(Array(repeating: 0.1, count: 15).enumerated().map { $0.offset % 2 == 0 ? 0.1 : -0.1 }, .nelson).contains(7))
        XCTAssertTrue(flagged((0..<8).map { $0 % 2 == 0 ? 1.5 : -1.5 }, .nelson).contains(8))
        XCTAssertFalse(flagged(Array(repeating: 1.5, count: 8), .nelson).contains(8), "rule 8 needs both sides")
    }

    /// The one-pass rules against their naive twin on random series with runs, trends, ties and NaN.
    func testRulesEqualTheirNaiveTwin() {
        var rng = SeededGenerator(seed: 12)
        for trial in 0..<200 {
            let n = Int(rng.next() % 300)
            var points: [Double] = []
            for i in 0..<n {
                switch trial % 4 {
                case 0: points.append(rng.normal() * 1.5)
                case 1: points.append(Double(i % 17) * 0.2 - 1.5 + rng.normal() * 0.1)
                case 2: points.append(i % 2 == 0 ? 0.5 : -0.5)
                default: points.append(rng.uniform() < 0.05 ? .nan : Double(Int(rng.uniform() * 7)) - 3)
                }
            }
            let center = Array(repeating: 0.0, count: n), lcl = Array(repeating: -3.0, count: n), ucl = Array(repeating: 3.0, count: n)
            for set in RuleSet.allCases {
                let fast = set.violations(points: points, center: center, lcl: lcl, ucl: ucl)
                let naive = set.violationsNaive(points: points, center: center, lcl: lcl, ucl: ucl)
                XCTAssertTrue(fast.elementsEqual(naive) { $0.index == $1.index && $0.rule == $1.rule }, "trial \(trial) \(set)")
            }
        }
    }

    func testBadInputGivesClearErrors() {
        XCTAssertThrowsError(try ControlCharts.compute([[1, 2], [3]], settings: ChartSettings(type: .xbarR))) { error in
            XCTAssertTrue("\(error)".contains("subgroup 2 has 1 value"), "\(error)")
        }
        XCTAssertThrowsError(try ControlCharts.compute((0..<10).map { _ in [4.0] }, settings: ChartSettings(type: .imr))) { error in
            XCTAssertTrue("\(error)".contains("constant"), "\(error)")
            XCTAssertTrue("\(error)".contains("Hint:"), "\(error)")
        }
        XCTAssertThrowsError(try Capability.compute(values: [1, 2, 3], center: 2, withinSigma: 1, lsl: 5, usl: 1)) { error in
            XCTAssertTrue("\(error)".contains("reversed"), "\(error)")
        }
        XCTAssertThrowsError(try ControlCharts.compute([[1], [2]], settings: ChartSettings(type: .p))) { error in
            XCTAssertTrue("\(error)".contains("sample sizes"), "\(error)")
        }
    }

    /// Capability of a centred normal process with σ = 1 and limits ±3: Cp ≈ Cpk ≈ 1, intervals that cover 1.
    func testCapabilityOfAKnownProcess() throws {
        var rng = SeededGenerator(seed: 8)
        let values = (0..<2_000).map { _ in rng.normal() }
        let c = try Capability.compute(values: values, center: 0, withinSigma: 1, lsl: -3, usl: 3, target: 0)
        XCTAssertEqual(c.cp!, 1, accuracy: 1e-12)
        XCTAssertEqual(c.cpk, 1, accuracy: 1e-12)
        XCTAssertTrue(c.cpInterval!.contains(1) && c.cpkInterval.contains(1))
        XCTAssertEqual(c.pp!, 1, accuracy: 0.05)
        XCTAssertEqual(c.cpm!, 1, accuracy: 1e-12)
        XCTAssertEqual(c.percentilePp!, 1, accuracy: 0.15)
        let oneSided = try Capability.compute(values: values, center: 0.5, withinSigma: 1, lsl: nil, usl: 3)
        XCTAssertNil(oneSided.cp)
        XCTAssertEqual(oneSided.cpk, 2.5 / 3, accuracy: 1e-12)
    }
}
