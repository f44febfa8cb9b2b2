import Foundation
import LeptonCore
@testable import LineQuality
import LeptonTestSupport
import XCTest

/// Every chart type and both rule sets over generated shapes of data — one or two distinct
/// values, ties, heavy skew, outliers, extremes near ±1e300, subgroups of unequal size (a size of
/// one among them), counts with zero sizes, 1 to 20,000 points. Each computation ends with a
/// chart or a ChartError with a hint (never a trap), and its invariants hold: one centre and limit
/// pair per point, LCL ≤ centre ≤ UCL, violations inside the plotted range, rule numbers within the set.
final class ChartPropertyTests: XCTestCase {
    enum Shape: CaseIterable { case normal, constant, twoValues, ties, skewed, outliers, extreme, drifting }

    static func value(_ shape: Shape, _ i: Int, _ rng: inout SeededGenerator) -> Double {
        switch shape {
        case .normal: return rng.normal()
        case .constant: return 5
        case .twoValues: return rng.uniform() < 0.5 ? 1 : 2
        case .ties: return Double(Int(rng.uniform() * 3))
        case .skewed: return exp(3 * rng.normal())
        case .outliers: return rng.uniform() < 0.02 ? 1e6 : rng.normal()
        case .extreme: return rng.uniform() < 0.5 ? 1e300 : -1e300
        case .drifting: return Double(i) * 0.01 + rng.normal()
        }
    }

    func testEveryChartEndsWithItsInvariantsOrAClearError() {
        var rng = SeededGenerator(seed: 31)
        var charted = 0, refused = 0
        for type in ChartType.allCases {
            for shape in Shape.allCases {
                for count in [1, 2, 3, 25, 400] + (shape == .normal ? [20_000] : []) {
                    let counts = [ChartType.p, .np, .c, .u].contains(type)
                    let subgroups: [[Double]] = (0..<count).map { i in
                        if counts {
                            let v: Double = abs(Self.value(shape, i, &rng)).truncatingRemainder(dividingBy: 50)
                            return [v.rounded(.down)]
                        }
                        // A subgroup of one (refused by X̄–R/X̄–S) only in the 25-point cases; unequal sizes everywhere.
                        let size = [.xbarR, .xbarS].contains(type) ? (count == 25 && i == 6 ? 1 : 2 + i % 4) : 1
                        return (0..<size).map { _ in Self.value(shape, i, &rng) }
                    }
                    var sizes: [Double]?
                    if counts {
                        sizes = (0..<count).map { (i: Int) -> Double in
                            let size: Double = count == 25 && i == 10 ? 0 : 50 + Double(i % 5) * 10
                            return size
                        }
                    }
                    for rules in RuleSet.allCases {
                        var settings = ChartSettings(type: type)
                        settings.rules = rules
                        settings.phase1 = 0..<max(1, count / 2)
                        settings.excludeOutOfControl = count % 2 == 1
                        let context = "\(type) \(shape) n=\(count) \(rules)"
                        do {
                            let (charts, _) = try ControlCharts.compute(subgroups, sizes: sizes, settings: settings)
                            charted += 1
                            for chart in charts {
                                let n = chart.points.count
                                XCTAssertTrue(chart.center.count == n && chart.lcl.count == n && chart.ucl.count == n, context)
                                for i in 0..<n where chart.lcl[i].isFinite && chart.ucl[i].isFinite {
                                    XCTAssertLessThanOrEqual(chart.lcl[i], chart.center[i] + 1e-9 * abs(chart.center[i]), context)
                                    XCTAssertLessThanOrEqual(chart.center[i], chart.ucl[i] + 1e-9 * abs(chart.center[i]), context)
                                }
                                let limit = rules == .nelson ? 8 : 4
                                for v in chart.violations {
                                    XCTAssertTrue((1...n).contains(v.index), "\(context): index \(v.index) of \(n)")
                                    XCTAssertTrue((1...limit).contains(v.rule), "\(context): rule \(v.rule)")
                                }
                            }
                        } catch let error as ChartError {
                            refused += 1
                            XCTAssertFalse(error.hint.isEmpty, context)
                        } catch {
                            XCTFail("\(context): unexpected \(error)")
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(charted, 300, "most shapes chart, large ones included")
        XCTAssertGreaterThan(refused, 10, "constant columns, subgroups of one and zero sample sizes are refused")
    }

    func testCapabilityOnAnyShapeIsFiniteOrRefused() {
        var rng = SeededGenerator(seed: 5)
        for shape in Shape.allCases {
            for count in [1, 2, 10, 1_000] {
                let values = (0..<count).map { Self.value(shape, $0, &rng) }
                for (lsl, usl) in [(Double?(-3), Double?(3)), (nil, 3), (-3, nil), (3, -3), (nil, nil)] {
                    do {
                        let sigma = ControlCharts.sd(values)
                        let c = try Capability.compute(values: values, center: ControlCharts.mean(values), withinSigma: sigma, lsl: lsl, usl: usl)
                        XCTAssertFalse(c.cpk.isNaN, "\(shape) \(count) \(String(describing: lsl)) \(String(describing: usl))")
                        XCTAssertTrue(c.cpkInterval.lowerBound <= c.cpkInterval.upperBound)
                    } catch let error as ChartError {
                        XCTAssertFalse(error.hint.isEmpty)
                    } catch {
                        XCTFail("\(shape) \(count): unexpected \(error)")
                    }
                }
            }
        }
    }

    /// Random strings near the expression grammar parse or fail with a position inside the text;
    /// what parses evaluates to a number or NaN, never a trap.
    func testExpressionsParseOrPointInsideTheText() {
        var rng = SeededGenerator(seed: 77)
        let pieces = ["a", "\"b [x]\"", "1", "2.5", "1e3", "pi", "+", "-", "*", "/", "(", ")", "abs(", "min(", "max(", "log(", "sqrt(",
                      "exp(", ",", " ", "\"", "=", "#", "9e", "."]
        for _ in 0..<3_000 {
            let length = Int(rng.next() % 12)
            let body = (0..<length).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let text = "f = " + body
            do {
                let e = try FeatureExpression(text)
                let v = e.evaluate { $0 == "a" ? 2 : -1 }
                XCTAssertTrue(v.isNaN || v.isFinite, text)
            } catch let error as FeatureExpressionError {
                XCTAssertTrue(error.position >= 0 && error.position <= text.count, "\(text): \(error.position)")
            } catch {
                XCTFail("\(text): unexpected \(error)")
            }
        }
    }
}
