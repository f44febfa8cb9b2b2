/// The logistic-regression objective evaluated on raw features for coefficients given in
/// standardised coordinates, without materialising standardised data.
///
/// Standardised parameters θ = (β̃, b̃) map to the original scale by βⱼ = β̃ⱼ/σⱼ and
/// b = b̃ − Σⱼ μⱼβⱼ, so zᵢ = xᵢ·β + b. With rᵢ = C·sᵢ·(pᵢ − yᵢ) and pᵢ = 1/(1+e^{−zᵢ}):
///
///     f(θ)      = C Σᵢ sᵢ [softplus(zᵢ) − yᵢzᵢ] + R(θ)
///     ∂f/∂β̃ⱼ   = (Σᵢ rᵢxᵢⱼ − μⱼ Σᵢ rᵢ)/σⱼ + ∂R/∂β̃ⱼ
///     ∂f/∂b̃    = Σᵢ rᵢ
struct LogisticObjective {
    let x: DesignMatrix
    let y: [Double]
    /// Sample weight times class weight, times C.
    let scaledWeights: [Double]
    let mean: [Double]
    let scale: [Double]
    let fitIntercept: Bool
    /// Per-feature multiplier of the smooth (L2) penalty ½·λⱼ·β̃ⱼ² in standardised coordinates.
    let ridge: [Double]
    let threads: Int

    var featureCount: Int { x.columns }
    var parameterCount: Int { x.columns + (fitIntercept ? 1 : 0) }

    /// Original-scale coefficients and intercept for standardised parameters θ.
    func originalScale(_ theta: [Double]) -> (beta: [Double], intercept: Double) {
        var beta = [Double](repeating: 0, count: featureCount)
        var intercept = fitIntercept ? theta[featureCount] : 0
        for j in 0..<featureCount {
            beta[j] = theta[j] / scale[j]
            intercept -= mean[j] * beta[j]
        }
        return (beta, intercept)
    }

    /// Standardised parameters for original-scale coefficients.
    func standardized(beta: [Double], intercept: Double) -> [Double] {
        var theta = [Double](repeating: 0, count: parameterCount)
        var b = intercept
        for j in 0..<featureCount {
            theta[j] = beta[j] * scale[j]
            b += mean[j] * beta[j]
        }
        if fitIntercept { theta[featureCount] = b }
        return theta
    }

    /// The smooth part of the objective and its gradient in standardised coordinates.
    func valueAndGradient(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let (beta, intercept) = originalScale(theta)
        let p = featureCount
        let n = x.rows
        let blocks = threads
        var partialLoss = [Double](repeating: 0, count: blocks)
        var partialGradient = [Double](repeating: 0, count: blocks * (p + 1))
        partialLoss.withUnsafeMutableBufferPointer { lossOut in
            partialGradient.withUnsafeMutableBufferPointer { gradientOut in
                x.values.withUnsafeBufferPointer { xs in
                    y.withUnsafeBufferPointer { ys in
                        scaledWeights.withUnsafeBufferPointer { ws in
                            beta.withUnsafeBufferPointer { bs in
                                let lossOut = UncheckedSendableBox(lossOut)
                                let gradientOut = UncheckedSendableBox(gradientOut)
                                forEachRowBlock(rows: n, blocks: blocks) { block, range in
                                    // Each block writes only its own slots.
                                    let g = gradientOut.value.baseAddress! + block * (p + 1)
                                    var loss = 0.0
                                    for i in range {
                                        let row = xs.baseAddress! + i * p
                                        var z = intercept
                                        for j in 0..<p { z += row[j] * bs[j] }
                                        let w = ws[i]
                                        if w == 0 { continue }
                                        // softplus(z) − y·z, stably.
                                        loss += w * (max(z, 0) + log1p(exp(-abs(z))) - ys[i] * z)
                                        let probability = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                                        let r = w * (probability - ys[i])
                                        for j in 0..<p { g[j] += r * row[j] }
                                        g[p] += r
                                    }
                                    lossOut.value[block] = loss
                                }
                            }
                        }
                    }
                }
            }
        }
        var value = 0.0
        var raw = [Double](repeating: 0, count: p + 1)
        for b in 0..<blocks {
            value += partialLoss[b]
            for j in 0...p { raw[j] += partialGradient[b * (p + 1) + j] }
        }
        var gradient = [Double](repeating: 0, count: parameterCount)
        for j in 0..<p {
            gradient[j] = (raw[j] - mean[j] * raw[p]) / scale[j] + ridge[j] * theta[j]
            value += 0.5 * ridge[j] * theta[j] * theta[j]
        }
        if fitIntercept { gradient[p] = raw[p] }
        return (value, gradient)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
