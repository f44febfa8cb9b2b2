@testable import LeptonCore
import XCTest

/// The iterative solvers over generated shapes of columns — constant, two values, ties, heavy
/// skew, separable, extremes near ±1.8e308, ±∞ and NaN, 1 to 20,000 rows — with every penalty.
/// Each fit must end (no trap, no hang: iteration bounds, finite-input checks) either with a
/// typed error that says what to do, or with a finite model whose probabilities lie in [0, 1].
final class SolverPropertyTests: XCTestCase {
    enum Shape: CaseIterable {
        case constant, twoValues, ties, heavySkew, separable, extreme, infinite, notANumber, continuous
    }

    static func column(_ shape: Shape, n: Int, labels: [Double], rng: inout SeededGenerator) -> [Double] {
        (0..<n).map { i -> Double in
            let u = Double(rng.nextUniform())
            switch shape {
            case .constant: return 3
            case .twoValues: return u < 0.5 ? 0 : 1
            case .ties: return Double(Int(u * 4))
            case .heavySkew: return exp(u * u * 40)
            case .separable: return labels[i] * 10 + u
            case .extreme: return [1e308, -1e308, 0, 1][Int(u * 4)]
            case .infinite: return i % 7 == 0 ? .infinity : u
            case .notANumber: return i % 5 == 0 ? .nan : u
            case .continuous: return u * 2 - 1
            }
        }
    }

    func testLogisticRegressionEndsWithAModelOrAClearError() {
        var rng = SeededGenerator(seed: 5)
        let penalties: [LogisticRegressionConfig.Penalty] = [.none, .l2, .l1, .elasticNet(l1Ratio: 0.5)]
        for shape in Shape.allCases {
            for n in [1, 2, 5, 100, 2_000] {
                for penalty in penalties {
                    let labels = (0..<n).map { i in n == 1 ? 1 : Double(i % 3 == 0 ? 1 : 0) }
                    let other = Self.column(.continuous, n: n, labels: labels, rng: &rng)
                    let tested = Self.column(shape, n: n, labels: labels, rng: &rng)
                    let x = DesignMatrix(columns: [tested, other])
                    var config = LogisticRegressionConfig(penalty: penalty, C: 1)
                    config.maxIterations = 200
                    let context = "\(shape) n=\(n) \(penalty)"
                    do {
                        let model = try LogisticRegression.fit(x, labels: labels, config: config)
                        XCTAssertTrue(model.coefficients.allSatisfy(\.isFinite) && model.intercept.isFinite, context)
                        XCTAssertLessThanOrEqual(model.diagnostics.iterations, config.maxIterations, context)
                        for p in model.predictProbability(x) { XCTAssertTrue(p >= 0 && p <= 1, "\(context): p = \(p)") }
                    } catch let error as LinearModelError {
                        // Only data that cannot be fitted may fail, and the message says what to do.
                        switch error {
                        case .singleClass: XCTAssertEqual(n, 1, context)
                        case .nonFiniteFeature, .featureOverflow:
                            XCTAssertTrue([.extreme, .infinite, .notANumber].contains(shape), "\(context): \(error)")
                        default: XCTFail("\(context): \(error)")
                        }
                        XCTAssertTrue(error.description.contains("Hint:"), "\(context): \(error)")
                    } catch {
                        XCTFail("\(context): unexpected \(error)")
                    }
                }
            }
        }
    }

    func testTimeLimitEndsTheSolve() throws {
        var rng = SeededGenerator(seed: 9)
        let n = 20_000
        let labels = (0..<n).map { _ in rng.nextUniform() < 0.3 ? 1.0 : 0 }
        let columns = (0..<8).map { _ in Self.column(.continuous, n: n, labels: labels, rng: &rng) }
        var config = LogisticRegressionConfig(penalty: .l1, C: 1)
        config.timeLimit = 0
        let model = try LogisticRegression.fit(DesignMatrix(columns: columns), labels: labels, config: config)
        XCTAssertFalse(model.diagnostics.converged)
        XCTAssertEqual(model.diagnostics.message, "time limit reached")
        config.penalty = .l2
        let lbfgs = try LogisticRegression.fit(DesignMatrix(columns: columns), labels: labels, config: config)
        XCTAssertEqual(lbfgs.diagnostics.message, "time limit reached")
    }

    func testBoostedTreesAndIsolationForestEndOnEveryShape() {
        var rng = SeededGenerator(seed: 17)
        for shape in Shape.allCases {
            for n in [1, 2, 50, 3_000] {
                let labels = (0..<n).map { i in Double(i % 4 == 0 ? 1 : 0) }
                let tested = Self.column(shape, n: n, labels: labels, rng: &rng).map(Float.init)
                let other = Self.column(.ties, n: n, labels: labels, rng: &rng).map(Float.init)
                var config = GBDTConfig()
                config.rounds = 20
                let context = "\(shape) n=\(n)"
                do {
                    let model = try GBDT(config: config).fit(FeatureColumns(columns: [tested, other]), labels: labels)
                    let p = model.predictProbability(FeatureColumns(columns: [tested, other]))
                    XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= 1 }, context)
                } catch let error as GBDTError {
                    XCTAssertFalse(error.description.isEmpty, context)
                } catch {
                    XCTFail("\(context): unexpected \(error)")
                }
                do {
                    var forest = IsolationForestConfig()
                    forest.trees = 10
                    let model = try IsolationForest.fit([tested, other], config: forest)
                    let scores = try model.scores([tested, other])
                    XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 <= 1 }, "\(context): \(scores.prefix(4))")
                } catch let error as IsolationForestError {
                    // ±1e308 is ±∞ as a Float.
                    XCTAssertTrue([.infinite, .notANumber, .extreme].contains(shape), "\(context): \(error)")
                    XCTAssertTrue(error.description.contains("Hint:"), context)
                } catch {
                    XCTFail("\(context): unexpected \(error)")
                }
            }
        }
    }
}
