/// Batch normalisation over the channel axis, for (N, C) or (N, C, H, W) inputs.
///
/// Statistics are taken per channel c over the M = N·H·W values of that channel.
/// - Forward (training): `μ = mean(x)`, `σ² = mean((x − μ)²)` (biased), `x̂ = (x − μ)/√(σ² + ε)`,
///   `y = γ x̂ + β`; running statistics are updated as `r ← (1 − m)·r + m·batch`, with the
///   unbiased variance σ²·M/(M − 1) (PyTorch's convention, m = ``momentum``).
/// - Forward (inference): the same with the running mean and variance.
/// - Backward (training): `∂L/∂β = Σ g`, `∂L/∂γ = Σ g·x̂`,
///   `∂L/∂x = γ / (M √(σ² + ε)) · (M·g − Σ g − x̂ · Σ g·x̂)`;
///   (inference): `∂L/∂x = g · γ / √(r_var + ε)`.
///
/// Parameters: `weight` γ (C), `bias` β (C); tracked state (saved, not optimised):
/// `runningMean` (C), `runningVariance` (C).
public final class BatchNorm: Layer {
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter

    private var normalized: Tensor?
    private var inverseStd: [Float] = []
    private var trainingMode = true
    private var inputShape: [Int] = []

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(channels > 0, "BatchNorm needs at least one channel")
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
        runningMean = Parameter(.zeros([channels]), trainable: false)
        runningVariance = Parameter(.ones([channels]), trainable: false)
    }

    public var summary: String { "BatchNorm(\(channels))" }
    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance)]
    }

    /// (N, C, area) view of the input shape.
    private func layout(_ s: [Int]) -> (n: Int, area: Int) {
        precondition((s.count == 2 || s.count == 4) && s[1] == channels,
                     "\(summary): input must be (N, \(channels)) or (N, \(channels), H, W), got \(s)")
        return (s[0], s.count == 4 ? s[2] * s[3] : 1)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (n, area) = layout(input.shape)
        let c = channels, m = n * area
        precondition(!training || m > 1, "\(summary): training needs more than one value per channel")
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        if training {
            input.withUnsafeBufferPointer { xp in
                mean.withUnsafeMutableBufferPointer { mp in
                    variance.withUnsafeMutableBufferPointer { vp in
                        let box = UncheckedSendableBox((xp, mp, vp))
                        parallelFor(c) { r in
                            let (xp, mp, vp) = box.value
                            for ch in r {
                                var s = 0.0
                                for i in 0..<n { for q in 0..<area { s += Double(xp[(i * c + ch) * area + q]) } }
                                let mu = s / Double(m)
                                var ss = 0.0
                                for i in 0..<n { for q in 0..<area {
                                    let d = Double(xp[(i * c + ch) * area + q]) - mu
                                    ss += d * d
                                } }
                                mp[ch] = Float(mu)
                                vp[ch] = Float(ss / Double(m))
                            }
                        }
                    }
                }
            }
            var rm = runningMean.value, rv = runningVariance.value
            for ch in 0..<c {
                rm[flat: ch] = (1 - momentum) * rm[flat: ch] + momentum * mean[ch]
                rv[flat: ch] = (1 - momentum) * rv[flat: ch] + momentum * variance[ch] * Float(m) / Float(m - 1)
            }
            runningMean.value = rm
            runningVariance.value = rv
        } else {
            mean = runningMean.value.scalars
            variance = runningVariance.value.scalars
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var xhat = input
        var y = input
        let gamma = weight.value.scalars, beta = bias.value.scalars
        xhat.withUnsafeMutableBufferPointer { hp in
            y.withUnsafeMutableBufferPointer { yp in
                let box = UncheckedSendableBox((hp, yp))
                parallelFor(n) { r in
                    let (hp, yp) = box.value
                    for i in r {
                        for ch in 0..<c {
                            let base = (i * c + ch) * area
                            for q in 0..<area {
                                let h = (hp[base + q] - mean[ch]) * invStd[ch]
                                hp[base + q] = h
                                yp[base + q] = gamma[ch] * h + beta[ch]
                            }
                        }
                    }
                }
            }
        }
        normalized = xhat
        inverseStd = invStd
        trainingMode = training
        inputShape = input.shape
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let xhat = cached(normalized, summary)
        precondition(outputGradient.shape == inputShape, "\(summary).backward: gradient \(outputGradient.shape) vs \(inputShape)")
        let (n, area) = layout(inputShape)
        let c = channels, m = Float(n * area)
        var sumG = [Float](repeating: 0, count: c), sumGX = [Float](repeating: 0, count: c)
        outputGradient.withUnsafeBufferPointer { gp in
            xhat.withUnsafeBufferPointer { hp in
                sumG.withUnsafeMutableBufferPointer { sgp in
                    sumGX.withUnsafeMutableBufferPointer { sgxp in
                        // Channels over threads; each channel's sums in sample order, as on one thread.
                        let box = UncheckedSendableBox((gp, hp, sgp, sgxp))
                        parallelFor(c) { r in
                            let (gp, hp, sgp, sgxp) = box.value
                            for ch in r {
                                for i in 0..<n {
                                    let base = (i * c + ch) * area
                                    var a: Float = 0, b: Float = 0
                                    for q in 0..<area { a += gp[base + q]; b += gp[base + q] * hp[base + q] }
                                    sgp[ch] += a
                                    sgxp[ch] += b
                                }
                            }
                        }
                    }
                }
            }
        }
        bias.gradient = Tensor(sumG)
        weight.gradient = Tensor(sumGX)
        let gamma = weight.value.scalars, invStd = inverseStd, training = trainingMode
        var dx = outputGradient
        dx.withUnsafeMutableBufferPointer { dp in
            xhat.withUnsafeBufferPointer { hp in
                let box = UncheckedSendableBox((dp, hp))
                parallelFor(n) { r in
                    let (dp, hp) = box.value
                    for i in r {
                        for ch in 0..<c {
                            let base = (i * c + ch) * area
                            if training {
                                let k = gamma[ch] * invStd[ch] / m
                                for q in 0..<area {
                                    dp[base + q] = k * (m * dp[base + q] - sumG[ch] - hp[base + q] * sumGX[ch])
                                }
                            } else {
                                let k = gamma[ch] * invStd[ch]
                                for q in 0..<area { dp[base + q] *= k }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
