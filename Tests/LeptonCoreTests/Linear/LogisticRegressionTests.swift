@testable import LeptonCore
import XCTest

final class LogisticRegressionTests: XCTestCase {
    private let x = DesignMatrix(rows: LogisticFixture.rows, columns: LogisticFixture.columns, values: LogisticFixture.x)

    private func reference(_ name: String) -> (coefficients: [Double], intercept: Double) {
        let found = LogisticFixture.sklearn.first { $0.0 == name }!
        return (found.1, found.2)
    }

    private func assertClose(_ model: LogisticRegressionModel, _ name: String, relative: Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        let expected = reference(name)
        XCTAssertTrue(model.diagnostics.converged, "\(name): \(model.diagnostics)", file: file, line: line)
        for (ours, theirs) in zip(model.coefficients + [model.intercept], expected.coefficients + [expected.intercept]) {
            let tolerance = relative * max(abs(theirs), 1e-2)
            XCTAssertEqual(ours, theirs, accuracy: tolerance, "\(name)", file: file, line: line)
        }
    }

    /// scikit-learn's lbfgs solutions, exported once, to 1e-4 relative.
    func testMatchesScikitLearnL2AndNoPenalty() throws {
        for standardize in [true, false] {
            var config = LogisticRegressionConfig(penalty: .l2, C: 0.5)
            config.standardize = standardize
            assertClose(try LogisticRegression.fit(x, labels: LogisticFixture.y, config: config), "l2_C0.5", relative: 1e-4)
            config = LogisticRegressionConfig(penalty: .none)
            config.standardize = standardize
            assertClose(try LogisticRegression.fit(x, labels: LogisticFixture.y, config: config), "none", relative: 1e-4)
        }
    }

    func testMatchesScikitLearnWithClassAndSampleWeights() throws {
        var config = LogisticRegressionConfig(penalty: .l2, C: 2)
        config.classWeighting = .balanced
        let model = try LogisticRegression.fit(x, labels: LogisticFixture.y, sampleWeights: LogisticFixture.weights, config: config)
        assertClose(model, "l2_C2_balanced_weighted", relative: 1e-4)
    }

    /// L1 and elastic net: the same minimiser as scikit-learn's saga (to saga's precision),
    /// and the exact optimality (KKT) conditions of the objective.
    func testL1AndElasticNetSolveTheirObjective() throws {
        for (penalty, C, name) in [(LogisticRegressionConfig.Penalty.l1, 0.05, "l1_C0.05_saga"),
                                   (.elasticNet(l1Ratio: 0.5), 0.1, "elasticnet_C0.1_r0.5_saga")] {
            let model = try LogisticRegression.fit(x, labels: LogisticFixture.y, config: LogisticRegressionConfig(penalty: penalty, C: C))
            assertClose(model, name, relative: 2e-3)
            let ratio: Double = { if case let .elasticNet(r) = penalty { return r } else { return 1 } }()
            // ∂/∂βⱼ of C·Σ loss: for βⱼ ≠ 0 it equals −ρ·sign(βⱼ) − (1−ρ)βⱼ; for βⱼ = 0 it lies in [−ρ, ρ].
            let p = model.predictProbability(x)
            for j in 0..<x.columns {
                var g = 0.0
                for i in 0..<x.rows { g += C * (p[i] - LogisticFixture.y[i]) * x.values[i * x.columns + j] }
                let beta = model.coefficients[j]
                let scale = 1 + abs(g)
                if beta != 0 {
                    XCTAssertEqual(g + ratio * (beta > 0 ? 1 : -1) + (1 - ratio) * beta, 0, accuracy: 1e-5 * scale, "\(name) β\(j)")
                } else {
                    XCTAssertLessThanOrEqual(abs(g), ratio + 1e-6, "\(name) β\(j) = 0")
                }
            }
            XCTAssertTrue(model.coefficients.contains(0) || ratio < 1, "a strong L1 penalty zeroes some coefficient")
        }
    }

    /// Standard errors and Wald p-values against statsmodels' unpenalised Logit.
    func testStandardErrorsAndPValuesMatchStatsmodels() throws {
        let model = try LogisticRegression.fit(x, labels: LogisticFixture.y, config: LogisticRegressionConfig(penalty: .none))
        let errors = try XCTUnwrap(model.standardErrors)
        XCTAssertEqual(model.interceptStandardError!, LogisticFixture.statsmodelsErrors[0], accuracy: 1e-4 * LogisticFixture.statsmodelsErrors[0])
        for j in 0..<x.columns {
            XCTAssertEqual(model.coefficients[j], LogisticFixture.statsmodelsParams[j + 1], accuracy: 1e-4 * abs(LogisticFixture.statsmodelsParams[j + 1]))
            XCTAssertEqual(errors[j], LogisticFixture.statsmodelsErrors[j + 1], accuracy: 1e-4 * LogisticFixture.statsmodelsErrors[j + 1])
            XCTAssertEqual(model.pValues![j], LogisticFixture.statsmodelsPValues[j + 1],
                           accuracy: 1e-4 * max(LogisticFixture.statsmodelsPValues[j + 1], 1e-12))
        }
    }

    func testBadInputIsRefusedClearly() {
        XCTAssertThrowsError(try LogisticRegression.fit(x, labels: [Double](repeating: 1, count: x.rows))) { error in
            XCTAssertEqual(error as? LinearModelError, .singleClass)
        }
        var labels = LogisticFixture.y
        labels[7] = 2
        XCTAssertThrowsError(try LogisticRegression.fit(x, labels: labels)) { error in
            XCTAssertEqual(error as? LinearModelError, .invalidLabel(row: 7, value: 2))
        }
        XCTAssertThrowsError(try LogisticRegression.fit(x, labels: [0, 1]))
        XCTAssertThrowsError(try LogisticRegression.fit(x, labels: LogisticFixture.y, config: LogisticRegressionConfig(penalty: .l2, C: 0)))
    }

    func testCollinearFeaturesGiveNoStandardErrorsButStillFitWithL2() throws {
        let n = 200
        var values: [Double] = []
        var labels: [Double] = []
        var state: UInt64 = 3
        for i in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let a = Double(state >> 33) / Double(1 << 31) - 0.5
            values += [a, 2 * a]
            labels.append(i % 3 == 0 || a > 0.3 ? 1 : 0)
        }
        let data = DesignMatrix(rows: n, columns: 2, values: values)
        let l2 = try LogisticRegression.fit(data, labels: labels)
        XCTAssertTrue(l2.diagnostics.converged)
        XCTAssertEqual(l2.coefficients[1], 2 * l2.coefficients[0], accuracy: 1e-6, "ridge splits collinear weight by scale")
        let plain = try LogisticRegression.fit(data, labels: labels, config: LogisticRegressionConfig(penalty: .none))
        XCTAssertNil(plain.standardErrors)
    }

    func testSameResultWithOneAndTwoThreadsAndDeterministic() throws {
        var config = LogisticRegressionConfig(penalty: .l2, C: 0.5)
        config.threads = 1
        let one = try LogisticRegression.fit(x, labels: LogisticFixture.y, config: config)
        config.threads = 2
        let two = try LogisticRegression.fit(x, labels: LogisticFixture.y, config: config)
        let again = try LogisticRegression.fit(x, labels: LogisticFixture.y, config: config)
        XCTAssertEqual(two, again)
        for (a, b) in zip(one.coefficients, two.coefficients) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(a))) }
    }

    func testCholeskyInverse() {
        let a: [Double] = [4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]
        let inverse = SymmetricMatrix.inverse(a, size: 3)!
        for i in 0..<3 {
            for j in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += a[i * 3 + k] * inverse[k * 3 + j] }
                XCTAssertEqual(sum, i == j ? 1 : 0, accuracy: 1e-12)
            }
        }
        XCTAssertNil(SymmetricMatrix.inverse([1, 2, 2, 4], size: 2))
    }
}
