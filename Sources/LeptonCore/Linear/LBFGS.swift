/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4) with a backtracking Armijo line
/// search, for smooth convex objectives.
///
/// Each iteration takes the direction d = −H·g from the two-loop recursion over the last
/// `memory` pairs (s = Δθ, y = Δg), scaled by γ = sᵀy / yᵀy, and steps θ ← θ + α·d with the
/// largest α ∈ {1, ½, ¼, …} satisfying f(θ + αd) ≤ f(θ) + 10⁻⁴·α·gᵀd. Pairs with sᵀy ≤ 0
/// are skipped, which keeps H positive definite.
struct LBFGS {
    var memory = 10
    var maxIterations = 1000
    /// Seconds after which the solve stops with "time limit reached" (nil: none).
    var timeLimit: Double?
    /// Converged when ‖g‖∞ ≤ tolerance · max(1, |f|).
    var tolerance = 1e-8

    struct Result {
        var theta: [Double]
        var value: Double
        var gradientNorm: Double
        var iterations: Int
        var evaluations: Int
        var converged: Bool
        var message: String
    }

    func minimize(from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
        var theta = start
        var (value, gradient) = objective(theta)
        var evaluations = 1
        var pairs: [(s: [Double], y: [Double], rho: Double)] = []
        let n = theta.count
        func maxAbs(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
        func dot(_ a: [Double], _ b: [Double]) -> Double {
            var sum = 0.0
            for i in 0..<a.count { sum += a[i] * b[i] }
            return sum
        }
        var stalled = 0
        let deadline = timeLimit.map { ContinuousClock.now + .seconds($0) }
        guard value.isFinite, gradient.allSatisfy(\.isFinite) else {
            return Result(theta: theta, value: value, gradientNorm: .nan, iterations: 0, evaluations: evaluations,
                          converged: false, message: "the objective is not finite at the start")
        }
        for iteration in 0..<maxIterations {
            let gradientNorm = maxAbs(gradient)
            if let deadline, ContinuousClock.now >= deadline {
                return Result(theta: theta, value: value, gradientNorm: gradientNorm, iterations: iteration,
                              evaluations: evaluations, converged: false, message: "time limit reached")
            }
            if gradientNorm <= tolerance * max(1, abs(value)) {
                return Result(theta: theta, value: value, gradientNorm: gradientNorm, iterations: iteration,
                              evaluations: evaluations, converged: true, message: "gradient below tolerance")
            }
            // Two-loop recursion: direction = −H·g.
            var q = gradient
            var alphas = [Double](repeating: 0, count: pairs.count)
            for k in stride(from: pairs.count - 1, through: 0, by: -1) {
                alphas[k] = pairs[k].rho * dot(pairs[k].s, q)
                for i in 0..<n { q[i] -= alphas[k] * pairs[k].y[i] }
            }
            let gamma = pairs.last.map { dot($0.s, $0.y) / dot($0.y, $0.y) } ?? (1 / max(gradientNorm, 1))
            for i in 0..<n { q[i] *= gamma }
            for k in 0..<pairs.count {
                let beta = pairs[k].rho * dot(pairs[k].y, q)
                for i in 0..<n { q[i] += pairs[k].s[i] * (alphas[k] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(gradient, direction)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                pairs.removeAll()
                direction = gradient.map { -$0 / max(gradientNorm, 1) }
                slope = dot(gradient, direction)
            }
            var step = 1.0
            var accepted = false
            var next = theta, nextValue = value, nextGradient = gradient
            for _ in 0..<60 {
                for i in 0..<n { next[i] = theta[i] + step * direction[i] }
                (nextValue, nextGradient) = objective(next)
                evaluations += 1
                // A non-finite value fails the test (NaN compares false) and shortens the step.
                if nextValue <= value + 1e-4 * step * slope, nextGradient.allSatisfy(\.isFinite) { accepted = true; break }
                step *= 0.5
            }
            guard accepted else {
                return Result(theta: theta, value: value, gradientNorm: gradientNorm, iterations: iteration,
                              evaluations: evaluations, converged: gradientNorm <= 1e-5 * max(1, abs(value)),
                              message: "line search found no decrease (at the limit of precision)")
            }
            var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                s[i] = next[i] - theta[i]
                y[i] = nextGradient[i] - gradient[i]
            }
            let sy = dot(s, y)
            if sy > 1e-12 * dot(y, y) {
                pairs.append((s, y, 1 / sy))
                if pairs.count > memory { pairs.removeFirst() }
            }
            stalled = value - nextValue <= 1e-16 * max(1, abs(value)) ? stalled + 1 : 0
            theta = next
            value = nextValue
            gradient = nextGradient
            if stalled >= 10 {
                let norm = maxAbs(gradient)
                return Result(theta: theta, value: value, gradientNorm: norm, iterations: iteration + 1,
                              evaluations: evaluations, converged: norm <= 1e-5 * max(1, abs(value)),
                              message: "objective stopped decreasing")
            }
        }
        return Result(theta: theta, value: value, gradientNorm: maxAbs(gradient), iterations: maxIterations,
                      evaluations: evaluations, converged: false, message: "iteration limit reached")
    }
}
