#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Logistic regression with an L1 or elastic-net penalty by proximal Newton steps (glmnet,
/// Friedman, Hastie & Tibshirani 2010): around the current θ the log-loss is replaced by its
/// quadratic model with weights wᵢ = C·sᵢ·pᵢ(1−pᵢ), the penalised quadratic is minimised by
/// cyclic coordinate descent with soft-thresholding,
///
///     θⱼ ← S(aⱼθⱼ − ∇ⱼ, λ₁ⱼ) / (aⱼ + λ₂ⱼ),   aⱼ = Σᵢ wᵢx̃ᵢⱼ²,   S(v, λ) = sign(v)·max(|v| − λ, 0),
///
/// and the step to the minimiser is shortened until the true objective decreases.
/// Works on standardised columns x̃ = (x − μ)/σ, column-major.
struct CoordinateDescent {
    let columns: [[Double]]
    let rows: Int
    let y: [Double]
    /// C · sample weight · class weight.
    let scaledWeights: [Double]
    let fitIntercept: Bool
    /// L1 and L2 penalty multipliers per feature, in standardised coordinates.
    let l1: [Double]
    let l2: [Double]
    var tolerance = 1e-8
    var maxIterations = 1000
    /// Seconds after which the solve stops with "time limit reached" (nil: none).
    var timeLimit: Double?

    struct Result {
        var theta: [Double]
        var objective: Double
        var iterations: Int
        var converged: Bool
        var maxChange: Double
        var message: String
    }

    private var p: Int { columns.count }

    /// Linear predictor for parameters θ (features, then the intercept).
    func linearPredictor(_ theta: [Double]) -> [Double] {
        var z = [Double](repeating: fitIntercept ? theta[p] : 0, count: rows)
        for j in 0..<p where theta[j] != 0 {
            let t = theta[j]
            columns[j].withUnsafeBufferPointer { column in
                for i in 0..<rows { z[i] += t * column[i] }
            }
        }
        return z
    }

    /// The full objective: weighted log-loss plus both penalties.
    func objective(_ theta: [Double]) -> Double {
        let z = linearPredictor(theta)
        var value = 0.0
        for i in 0..<rows where scaledWeights[i] != 0 {
            value += scaledWeights[i] * (max(z[i], 0) + log1p(exp(-abs(z[i]))) - y[i] * z[i])
        }
        for j in 0..<p { value += l1[j] * abs(theta[j]) + 0.5 * l2[j] * theta[j] * theta[j] }
        return value
    }

    func minimize(from start: [Double]) -> Result {
        var theta = start
        var current = objective(theta)
        var maxChange = Double.infinity
        let deadline = timeLimit.map { ContinuousClock.now + .seconds($0) }
        guard current.isFinite else {
            return Result(theta: theta, objective: current, iterations: 0, converged: false, maxChange: .nan,
                          message: "the objective is not finite at the start")
        }
        for iteration in 0..<maxIterations {
            if let deadline, ContinuousClock.now >= deadline {
                return Result(theta: theta, objective: current, iterations: iteration, converged: false,
                              maxChange: maxChange, message: "time limit reached")
            }
            let z = linearPredictor(theta)
            var w = [Double](repeating: 0, count: rows)
            var r = [Double](repeating: 0, count: rows)
            for i in 0..<rows {
                let probability = z[i] >= 0 ? 1 / (1 + exp(-z[i])) : exp(z[i]) / (1 + exp(z[i]))
                w[i] = max(scaledWeights[i] * probability * (1 - probability), 1e-12 * scaledWeights[i])
                r[i] = scaledWeights[i] * (probability - y[i])
            }
            var gradient = [Double](repeating: 0, count: p)
            var curvature = [Double](repeating: 0, count: p)
            for j in 0..<p {
                columns[j].withUnsafeBufferPointer { column in
                    var g = 0.0, a = 0.0
                    for i in 0..<rows {
                        g += r[i] * column[i]
                        a += w[i] * column[i] * column[i]
                    }
                    gradient[j] = g
                    curvature[j] = a
                }
            }
            let interceptGradient = r.reduce(0, +)
            let interceptCurvature = w.reduce(0, +)
            // Coordinate descent on the penalised quadratic model; u = X̃δ (+ δ_b).
            var delta = [Double](repeating: 0, count: p + 1)
            var u = [Double](repeating: 0, count: rows)
            for _ in 0..<200 {
                var sweepChange = 0.0
                if fitIntercept {
                    var g = interceptGradient
                    for i in 0..<rows { g += w[i] * u[i] }
                    let step = -g / interceptCurvature
                    if step != 0 {
                        delta[p] += step
                        for i in 0..<rows { u[i] += step }
                        sweepChange = max(sweepChange, step * step * interceptCurvature)
                    }
                }
                for j in 0..<p where curvature[j] > 0 {
                    let step: Double = columns[j].withUnsafeBufferPointer { column in
                        var g = gradient[j]
                        for i in 0..<rows { g += w[i] * column[i] * u[i] }
                        let old = theta[j] + delta[j]
                        let v = curvature[j] * old - g
                        let shrunk = v > l1[j] ? v - l1[j] : (v < -l1[j] ? v + l1[j] : 0)
                        let new = shrunk / (curvature[j] + l2[j])
                        let step = new - old
                        if step != 0 { for i in 0..<rows { u[i] += step * column[i] } }
                        return step
                    }
                    delta[j] += step
                    sweepChange = max(sweepChange, step * step * curvature[j])
                }
                if sweepChange <= tolerance * tolerance * max(1, interceptCurvature) { break }
            }
            // Shorten the step until the true objective decreases.
            var scale = 1.0
            var candidate = theta
            var candidateValue = current
            var improved = false
            for _ in 0..<40 {
                for j in 0..<theta.count { candidate[j] = theta[j] + scale * delta[j] }
                candidateValue = objective(candidate)
                if candidateValue <= current + 1e-12 * max(1, abs(current)) { improved = true; break }
                scale *= 0.5
            }
            maxChange = 0
            let size = max(1, theta.reduce(0) { max($0, abs($1)) })
            for j in 0..<theta.count { maxChange = max(maxChange, abs(scale * delta[j]) / size) }
            if !improved {
                return Result(theta: theta, objective: current, iterations: iteration, converged: maxChange <= 1e-6,
                              maxChange: maxChange, message: "no further decrease (at the limit of precision)")
            }
            theta = candidate
            current = candidateValue
            if maxChange <= tolerance {
                return Result(theta: theta, objective: current, iterations: iteration + 1, converged: true,
                              maxChange: maxChange, message: "coefficient change below tolerance")
            }
        }
        return Result(theta: theta, objective: current, iterations: maxIterations, converged: false,
                      maxChange: maxChange, message: "iteration limit reached")
    }
}
