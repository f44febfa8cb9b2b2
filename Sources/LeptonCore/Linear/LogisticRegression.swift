import LeptonIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from fitting a linear model to data that cannot be fitted.
public enum LinearModelError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case invalidLabel(row: Int, value: Double)
    case singleClass
    case invalidConfig(String)
    /// A feature value that is ±∞ or NaN (row and column 0-based).
    case nonFiniteFeature(row: Int, column: Int, value: Double)
    /// A sample weight that is negative, ±∞ or NaN.
    case invalidWeight(row: Int, value: Double)
    /// A column whose values are finite but so large that its mean or spread overflows a Double.
    case featureOverflow(column: Int, largest: Double)
    /// The solver's objective or coefficients became non-finite.
    case diverged(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what): return "logistic regression: \(what)"
        case let .invalidLabel(row, value):
            return "logistic regression: label \(value) in row \(row) is not 0 or 1. Hint: encode the outcome as 0/1."
        case .singleClass:
            return "logistic regression: only one class among the labels with non-zero weight. Hint: both outcomes must occur."
        case let .invalidConfig(what): return "logistic regression: \(what)"
        case let .nonFiniteFeature(row, column, value):
            return "logistic regression: feature \(column) of row \(row) is \(value). Hint: every feature must be a finite number; treat ±inf and NaN as missing (impute) or cap them before fitting."
        case let .invalidWeight(row, value):
            return "logistic regression: sample weight \(value) in row \(row). Hint: weights must be finite and not negative."
        case let .featureOverflow(column, largest):
            return "logistic regression: feature \(column) holds values up to \(largest) in magnitude, too large to standardise without overflow. Hint: rescale the column (a log or a unit change) or cap it."
        case let .diverged(what):
            return "logistic regression: \(what). Hint: rescale or cap extreme features, or add an L2 penalty."
        }
    }
}

/// Binary logistic regression: P(y = 1 | x) = 1 / (1 + e^{−(x·β + b)}).
///
/// `fit` minimises the objective described in ``LogisticRegressionConfig`` — with L-BFGS for
/// no penalty and L2, with proximal Newton coordinate descent for L1 and elastic net — in
/// standardised coordinates, and returns a ``LogisticRegressionModel`` on the original scale.
public enum LogisticRegression {
    public static func fit(_ x: DesignMatrix, labels y: [Double], sampleWeights: [Double]? = nil,
                           config: LogisticRegressionConfig = LogisticRegressionConfig()) throws -> LogisticRegressionModel {
        let n = x.rows, p = x.columns
        guard y.count == n else { throw LinearModelError.shapeMismatch("\(y.count) labels for \(n) rows") }
        if let sampleWeights, sampleWeights.count != n {
            throw LinearModelError.shapeMismatch("\(sampleWeights.count) sample weights for \(n) rows")
        }
        guard config.C > 0 else { throw LinearModelError.invalidConfig("C must be positive (got \(config.C))") }
        for (i, label) in y.enumerated() where label != 0 && label != 1 {
            throw LinearModelError.invalidLabel(row: i, value: label)
        }
        try checkFinite(x)
        if let sampleWeights, let i = sampleWeights.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw LinearModelError.invalidWeight(row: i, value: sampleWeights[i])
        }
        // Sample weights times class weights.
        var weights = sampleWeights ?? [Double](repeating: 1, count: n)
        let positives = zip(y, weights).reduce(0.0) { $0 + ($1.0 == 1 ? $1.1 : 0) }
        let total = weights.reduce(0, +)
        guard positives > 0, positives < total else { throw LinearModelError.singleClass }
        let (negativeWeight, positiveWeight): (Double, Double)
        switch config.classWeighting {
        case .none: (negativeWeight, positiveWeight) = (1, 1)
        case .balanced:
            // W / (2·W_class) with W the total sample weight (scikit-learn weighs the counts too).
            (negativeWeight, positiveWeight) = (total / (2 * (total - positives)), total / (2 * positives))
        case let .custom(negative, positive): (negativeWeight, positiveWeight) = (negative, positive)
        }
        for i in 0..<n { weights[i] *= y[i] == 1 ? positiveWeight : negativeWeight }

        var (mean, scale) = config.standardize ? x.weightedMoments(weights: weights)
            : ([Double](repeating: 0, count: p), [Double](repeating: 1, count: p))
        if !config.fitIntercept { mean = [Double](repeating: 0, count: p) }
        try checkStandardizable(x, mean: mean, scale: scale)
        // Penalty multipliers in standardised coordinates: λ·(1/σⱼ) for L1 and λ·(1/σⱼ²) for L2
        // when the penalty is on the original scale.
        let (l1Share, l2Share): (Double, Double)
        switch config.penalty {
        case .none: (l1Share, l2Share) = (0, 0)
        case .l2: (l1Share, l2Share) = (0, 1)
        case .l1: (l1Share, l2Share) = (1, 0)
        case let .elasticNet(ratio):
            guard (0...1).contains(ratio) else { throw LinearModelError.invalidConfig("l1Ratio must be in [0, 1]") }
            (l1Share, l2Share) = (ratio, 1 - ratio)
        }
        let l1 = scale.map { l1Share * (config.penalizeStandardized ? 1 : 1 / $0) }
        let l2 = scale.map { l2Share * (config.penalizeStandardized ? 1 : 1 / ($0 * $0)) }
        let scaledWeights = weights.map { $0 * config.C }
        let prior = positives * positiveWeight / (positives * positiveWeight + (total - positives) * negativeWeight)

        let objective = LogisticObjective(x: x, y: y, scaledWeights: scaledWeights, mean: mean, scale: scale,
                                          fitIntercept: config.fitIntercept, ridge: l2, threads: ThreadCount.resolve(config.threads))
        var start = [Double](repeating: 0, count: objective.parameterCount)
        if config.fitIntercept { start[p] = log(prior / (1 - prior)) }

        let theta: [Double]
        let diagnostics: LogisticRegressionModel.Diagnostics
        if l1Share == 0 {
            var solver = LBFGS()
            solver.tolerance = config.tolerance
            solver.maxIterations = config.maxIterations
            solver.timeLimit = config.timeLimit
            let result = solver.minimize(from: start, objective.valueAndGradient)
            theta = result.theta
            diagnostics = .init(solver: "lbfgs", iterations: result.iterations, converged: result.converged,
                                objective: result.value, finalGradientNorm: result.gradientNorm, message: result.message)
        } else {
            var columns = [[Double]](repeating: [Double](repeating: 0, count: n), count: p)
            x.values.withUnsafeBufferPointer { values in
                for i in 0..<n {
                    for j in 0..<p { columns[j][i] = (values[i * p + j] - mean[j]) / scale[j] }
                }
            }
            var solver = CoordinateDescent(columns: columns, rows: n, y: y, scaledWeights: scaledWeights,
                                           fitIntercept: config.fitIntercept, l1: l1, l2: l2)
            solver.tolerance = config.tolerance
            solver.maxIterations = config.maxIterations
            solver.timeLimit = config.timeLimit
            let result = solver.minimize(from: start)
            theta = result.theta
            diagnostics = .init(solver: "coordinate-descent", iterations: result.iterations, converged: result.converged,
                                objective: result.objective, finalGradientNorm: result.maxChange, message: result.message)
        }
        let (beta, intercept) = objective.originalScale(theta)
        guard diagnostics.objective.isFinite, intercept.isFinite, beta.allSatisfy(\.isFinite) else {
            throw LinearModelError.diverged("the solver ended with a non-finite objective or coefficients (\(diagnostics.message))")
        }
        // L2 curvature of the penalty on the original scale, per coefficient, divided by C.
        let ridgeOriginal = (0..<p).map { l2[$0] * scale[$0] * scale[$0] / config.C }
        let errors = standardErrors(x: x, weights: weights, beta: beta, intercept: intercept,
                                    fitIntercept: config.fitIntercept, ridge: ridgeOriginal)
        return LogisticRegressionModel(coefficients: beta, intercept: intercept, config: config,
                                       diagnostics: diagnostics, standardErrors: errors.coefficients,
                                       interceptStandardError: errors.intercept)
    }

    /// Throws at the first feature value that is ±∞ or NaN.
    static func checkFinite(_ x: DesignMatrix) throws {
        let bad: Int? = x.values.withUnsafeBufferPointer { values in
            // A sum of x·0 is NaN exactly when some x is ±∞ or NaN: one cheap pass, then a search.
            var probe = 0.0
            for v in values { probe += v * 0 }
            return probe == 0 ? nil : values.firstIndex { !$0.isFinite }
        }
        if let bad { throw LinearModelError.nonFiniteFeature(row: bad / x.columns, column: bad % x.columns, value: x.values[bad]) }
    }

    /// Throws when a column's mean or spread overflowed, or when its standardised values
    /// (x − μ)/σ would (finite values near ±1.8e308 can do either).
    static func checkStandardizable(_ x: DesignMatrix, mean: [Double], scale: [Double]) throws {
        for j in 0..<x.columns where !(mean[j].isFinite && scale[j].isFinite) || abs(mean[j]) > 1e300 || scale[j] > 1e300 {
            var largest = 0.0
            for i in 0..<x.rows { largest = max(largest, abs(x.values[i * x.columns + j])) }
            throw LinearModelError.featureOverflow(column: j, largest: largest)
        }
        for j in 0..<x.columns {
            var largest = 0.0
            for i in 0..<x.rows { largest = max(largest, abs(x.values[i * x.columns + j])) }
            if !((largest + abs(mean[j])) / scale[j]).isFinite || largest > 1e300 {
                throw LinearModelError.featureOverflow(column: j, largest: largest)
            }
        }
    }

    /// Standard errors from the inverse of the observed information
    /// I = Σᵢ sᵢpᵢ(1−pᵢ)·x̂ᵢx̂ᵢᵀ + diag(ridge) with x̂ = (x, 1); nil when I is singular.
    static func standardErrors(x: DesignMatrix, weights: [Double], beta: [Double], intercept: Double,
                               fitIntercept: Bool, ridge: [Double]) -> (coefficients: [Double]?, intercept: Double?) {
        let p = x.columns
        let m = p + (fitIntercept ? 1 : 0)
        var information = [Double](repeating: 0, count: m * m)
        x.values.withUnsafeBufferPointer { values in
            var row = [Double](repeating: 1, count: m)
            for i in 0..<x.rows where weights[i] != 0 {
                var z = intercept
                for j in 0..<p {
                    row[j] = values[i * p + j]
                    z += row[j] * beta[j]
                }
                let probability = 1 / (1 + exp(-z))
                let w = weights[i] * probability * (1 - probability)
                for a in 0..<m {
                    let wa = w * row[a]
                    for b in a..<m { information[a * m + b] += wa * row[b] }
                }
            }
        }
        for a in 0..<m { for b in 0..<a { information[a * m + b] = information[b * m + a] } }
        for j in 0..<p { information[j * m + j] += ridge[j] }
        guard let covariance = SymmetricMatrix.inverse(information, size: m) else { return (nil, nil) }
        let coefficientErrors = (0..<p).map { covariance[$0 * m + $0].squareRoot() }
        return (coefficientErrors, fitIntercept ? covariance[p * m + p].squareRoot() : nil)
    }
}

/// A fitted logistic regression on the original feature scale.
public struct LogisticRegressionModel: Sendable, Codable, Equatable {
    /// How the solver ended.
    public struct Diagnostics: Sendable, Codable, Equatable {
        public var solver: String
        public var iterations: Int
        public var converged: Bool
        /// The objective at the solution (see ``LogisticRegressionConfig``).
        public var objective: Double
        /// L-BFGS: ‖∇f‖∞ at the end; coordinate descent: the last relative coefficient change.
        public var finalGradientNorm: Double
        public var message: String
    }

    public let coefficients: [Double]
    public let intercept: Double
    public let config: LogisticRegressionConfig
    public let diagnostics: Diagnostics
    /// Standard errors of the coefficients (nil when the information matrix is singular,
    /// e.g. perfectly collinear features). With a penalty they are those of the penalised fit.
    public let standardErrors: [Double]?
    public let interceptStandardError: Double?

    /// Wald statistics zⱼ = βⱼ / SE(βⱼ).
    public var waldZ: [Double]? {
        standardErrors.map { errors in zip(coefficients, errors).map { $0 / $1 } }
    }

    /// Two-sided Wald p-values 2·(1 − Φ(|zⱼ|)) = erfc(|zⱼ|/√2).
    public var pValues: [Double]? { waldZ?.map { erfc(abs($0) / 2.0.squareRoot()) } }

    /// The linear predictor x·β + b for each row (log-odds).
    public func decisionFunction(_ x: DesignMatrix) -> [Double] {
        precondition(x.columns == coefficients.count, "model has \(coefficients.count) features, data \(x.columns)")
        var z = [Double](repeating: intercept, count: x.rows)
        x.values.withUnsafeBufferPointer { values in
            for i in 0..<x.rows {
                var sum = intercept
                for j in 0..<x.columns { sum += values[i * x.columns + j] * coefficients[j] }
                z[i] = sum
            }
        }
        return z
    }

    /// P(y = 1 | x) for each row.
    public func predictProbability(_ x: DesignMatrix) -> [Double] {
        decisionFunction(x).map { $0 >= 0 ? 1 / (1 + exp(-$0)) : exp($0) / (1 + exp($0)) }
    }
}

/// Small dense symmetric positive-definite algebra (the information matrix of a linear model).
enum SymmetricMatrix {
    /// The inverse of a symmetric positive-definite `size × size` matrix by Cholesky
    /// factorisation A = LLᵀ, or nil when A is not positive definite (to working precision).
    static func inverse(_ a: [Double], size n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        let largest = (0..<n).reduce(0.0) { max($0, abs(a[$1 * n + $1])) }
        for j in 0..<n {
            var diagonal = a[j * n + j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            guard diagonal > 1e-12 * max(largest, 1e-300) else { return nil }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = sum / root
            }
        }
        // Invert L (lower triangular), then A⁻¹ = L⁻ᵀL⁻¹.
        var inverseL = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            inverseL[j * n + j] = 1 / l[j * n + j]
            for i in (j + 1)..<max(j + 1, n) {
                var sum = 0.0
                for k in j..<i { sum -= l[i * n + k] * inverseL[k * n + j] }
                inverseL[i * n + j] = sum / l[i * n + i]
            }
        }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = 0.0
                for k in i..<n { sum += inverseL[k * n + i] * inverseL[k * n + j] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }
}
