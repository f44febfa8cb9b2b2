/// Per-element twins of BatchNorm's training passes, straight from the formulas in BatchNorm.swift
/// (statistics summed element by element in double precision, x̂ materialised), which the tests
/// hold the lane-summed passes to.
extension BatchNorm {
    /// Training forward: `y = γ x̂ + β` with the batch's biased statistics; also returns x̂.
    func naiveTrainingForward(_ x: Tensor) -> (y: Tensor, normalized: Tensor, mean: [Float], variance: [Float]) {
        let s = x.shape, n = s[0], c = channels, area = s.count == 4 ? s[2] * s[3] : 1
        let m = Double(n * area)
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        var xhat = x, y = x
        for ch in 0..<c {
            var sum = 0.0
            for i in 0..<n { for q in 0..<area { sum += Double(x[flat: (i * c + ch) * area + q]) } }
            let mu = sum / m
            var squares = 0.0
            for i in 0..<n { for q in 0..<area { squares += (Double(x[flat: (i * c + ch) * area + q]) - mu) * (Double(x[flat: (i * c + ch) * area + q]) - mu) } }
            mean[ch] = Float(mu)
            variance[ch] = Float(squares / m)
            let invStd = 1 / (variance[ch] + epsilon).squareRoot()
            for i in 0..<n {
                for q in 0..<area {
                    let index = (i * c + ch) * area + q
                    xhat[flat: index] = (x[flat: index] - mean[ch]) * invStd
                    y[flat: index] = weight.value[flat: ch] * xhat[flat: index] + bias.value[flat: ch]
                }
            }
        }
        return (y, xhat, mean, variance)
    }

    /// Training backward from ∂L/∂y `g`: `∂L/∂β = Σ g`, `∂L/∂γ = Σ g·x̂`,
    /// `∂L/∂x = γ / (M √(σ² + ε)) · (M·g − Σ g − x̂ · Σ g·x̂)`.
    func naiveTrainingBackward(input x: Tensor, outputGradient g: Tensor) -> (input: Tensor, weight: [Float], bias: [Float]) {
        let (_, xhat, _, variance) = naiveTrainingForward(x)
        let s = x.shape, n = s[0], c = channels, area = s.count == 4 ? s[2] * s[3] : 1
        let m = Float(n * area)
        var dBeta = [Float](repeating: 0, count: c), dGamma = [Float](repeating: 0, count: c)
        var dx = g
        for ch in 0..<c {
            var sumG = 0.0, sumGX = 0.0
            for i in 0..<n {
                for q in 0..<area {
                    let index = (i * c + ch) * area + q
                    sumG += Double(g[flat: index])
                    sumGX += Double(g[flat: index]) * Double(xhat[flat: index])
                }
            }
            dBeta[ch] = Float(sumG)
            dGamma[ch] = Float(sumGX)
            let k = weight.value[flat: ch] / (m * (variance[ch] + epsilon).squareRoot())
            for i in 0..<n {
                for q in 0..<area {
                    let index = (i * c + ch) * area + q
                    dx[flat: index] = k * (m * g[flat: index] - dBeta[ch] - xhat[flat: index] * dGamma[ch])
                }
            }
        }
        return (dx, dGamma, dBeta)
    }
}
