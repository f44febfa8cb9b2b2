/// Batch normalisation over the channel axis, for (N, C) or (N, C, H, W) inputs — or
/// (N, H, W, C) with `layout: .channelsLast` (BatchNorm+ChannelsLast.swift).
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
///
/// Each (sample, channel) plane is summed in 8 float lanes (``Conv2D/sum(_:count:)``'s order) and
/// the planes' sums added in double precision, the mean first and then the squared deviations from
/// it (two passes, no cancellation); channels run on parallel threads, each in sample order, so
/// the thread count never changes a bit. BatchNorm+Naive.swift keeps the per-element double
/// twins the tests hold these to.
public final class BatchNorm: Layer {
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// Where the channel axis of an image batch is: 1 (channels first) or 3 (channels last).
    public let layout: ActivationLayout

    /// The input of the latest forward pass (shared storage, not a copy) and its per-channel
    /// mean and 1/√(σ² + ε): backward recomputes x̂ from them instead of keeping a copy.
    var input: Tensor?
    var batchMean: [Float] = []
    /// With a fused ReLU, the per-channel scale γ/√(σ² + ε) and shift β of the forward pass, so
    /// that backward recomputes the ReLU's mask `(x − μ)·scale + shift > 0` from the input it
    /// reads anyway instead of reading the output too (the same expression, so the same bits).
    var reluScaleShift: (scale: [Float], shift: [Float])?
    var inverseStd: [Float] = []
    var trainingMode = true
    var inputShape: [Int] = []

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, layout: ActivationLayout = .channelsFirst) {
        precondition(channels > 0, "BatchNorm needs at least one channel")
        self.channels = channels
        self.layout = layout
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
        runningMean = Parameter(.zeros([channels]), trainable: false)
        runningVariance = Parameter(.ones([channels]), trainable: false)
    }

    public func releaseWorkspaces() {
        input = nil
        reluScaleShift = nil
    }

    public var summary: String { "BatchNorm(\(channels)\(layout == .channelsLast ? ", channels last" : ""))" }
    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance)]
    }

    /// (N, C, area) view of the input shape: `area` values per sample and channel.
    func extent(_ s: [Int]) -> (n: Int, area: Int) {
        if layout == .channelsLast && s.count == 4 {
            precondition(s[3] == channels, "\(summary): input must be (N, \(channels)) or (N, H, W, \(channels)), got \(s)")
            return (s[0], s[1] * s[2])
        }
        precondition((s.count == 2 || s.count == 4) && s[1] == channels,
                     "\(summary): input must be (N, \(channels)) or (N, \(channels), H, W), got \(s)")
        return (s[0], s.count == 4 ? s[2] * s[3] : 1)
    }

    /// Whether a batch of this shape has its channels last (an image batch of a channels-last layer).
    func isChannelsLast(_ s: [Int]) -> Bool { layout == .channelsLast && s.count == 4 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, applyingReLU: false)
    }

    /// The forward pass, optionally with a following ReLU fused in, `max(0, γ x̂ + β)` (one pass
    /// over the activation fewer; ``Sequential`` uses it for BatchNorm → ReLU pairs).
    func forward(_ input: Tensor, training: Bool, applyingReLU: Bool) -> Tensor {
        let (n, area) = extent(input.shape)
        let c = channels, m = n * area
        precondition(!training || m > 1, "\(summary): training needs more than one value per channel")
        let mean: [Float], variance: [Float]
        if training {
            (mean, variance) = isChannelsLast(input.shape) ? channelsLastStatistics(input, samples: n, area: area)
                                                           : statistics(input, samples: n, area: area)
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
        let gamma = weight.value.scalars, beta = bias.value.scalars
        let scale = (0..<c).map { gamma[$0] * invStd[$0] }
        // y = γ·(x − μ)/√(σ² + ε) + β, every element written.
        let y = isChannelsLast(input.shape)
            ? channelsLastNormalize(input, rows: n * area, mean: mean, scale: scale, shift: beta, relu: applyingReLU)
            : normalize(input, samples: n, area: area, mean: mean, scale: scale, shift: beta, relu: applyingReLU)
        self.input = input
        batchMean = mean
        inverseStd = invStd
        reluScaleShift = applyingReLU ? (scale, beta) : nil
        trainingMode = training
        inputShape = input.shape
        return y
    }

    /// The batch mean and (biased) variance per channel of a channels-first batch: channels over
    /// threads, each channel's planes in sample order (lane sums in float, planes added in double),
    /// the mean first, then the squared deviations from it.
    private func statistics(_ input: Tensor, samples n: Int, area: Int) -> (mean: [Float], variance: [Float]) {
        let c = channels, m = Double(n * area)
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        input.withUnsafeBufferPointer { xp in
            mean.withUnsafeMutableBufferPointer { mp in
                variance.withUnsafeMutableBufferPointer { vp in
                    let box = UncheckedSendableBox((xp.baseAddress!, mp, vp))
                    parallelFor(c) { r in
                        let (x, mp, vp) = box.value
                        for ch in r {
                            var s = 0.0
                            for i in 0..<n { s += Double(Conv2D.sum(x + (i * c + ch) * area, count: area)) }
                            let mu = Float(s / m)
                            var ss = 0.0
                            for i in 0..<n {
                                ss += Double(BatchNorm.squaredDeviations(x + (i * c + ch) * area, count: area, from: mu))
                            }
                            mp[ch] = mu
                            vp[ch] = Float(ss / m)
                        }
                    }
                }
            }
        }
        return (mean, variance)
    }

    /// `y = (x − mean)·scale + shift` per channel of a channels-first batch, then the ReLU when fused.
    private func normalize(_ input: Tensor, samples n: Int, area: Int, mean: [Float], scale: [Float], shift: [Float],
                           relu: Bool) -> Tensor {
        let c = channels
        return Tensor(shape: input.shape) { yp in
            input.withUnsafeBufferPointer { xp in
                let box = UncheckedSendableBox((xp.baseAddress!, yp.baseAddress!))
                parallelFor(n) { r in
                    let (x, y) = box.value
                    for i in r {
                        for ch in 0..<c {
                            let base = (i * c + ch) * area
                            let (mu, k, b) = (mean[ch], scale[ch], shift[ch])
                            if relu {
                                for q in base..<(base + area) { y[q] = Swift.max((x[q] - mu) * k + b, 0) }
                            } else {
                                for q in base..<(base + area) { y[q] = (x[q] - mu) * k + b }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `Σ (p[q] − mean)²` over one plane, in 8 lanes then across (the order of ``Conv2D/sum(_:count:)``).
    @inline(__always)
    static func squaredDeviations(_ p: UnsafePointer<Float>, count: Int, from mean: Float) -> Float {
        var lanes = SIMD8<Float>(), q = 0
        let mu = SIMD8<Float>(repeating: mean)
        while q &+ 8 <= count {
            let d = UnsafeRawPointer(p + q).loadUnaligned(as: SIMD8<Float>.self) - mu
            lanes += d * d
            q &+= 8
        }
        var total = lanes.sum()
        while q < count {
            let d = p[q] - mean
            total += d * d
            q &+= 1
        }
        return total
    }

    /// `(Σ g, Σ g·(x − mean))` over one plane, in 8 lanes then across; through a fused ReLU, g is
    /// taken as 0 wherever the ReLU's output was ≤ 0 (or NaN): read from `mask` (that output), or
    /// recomputed from x with `relu`'s scale and shift, `(x − mean)·scale + shift`.
    @inline(__always)
    static func gradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                             relu: (scale: Float, shift: Float)?, count: Int, mean: Float) -> (Float, Float) {
        var a = SIMD8<Float>(), b = SIMD8<Float>(), q = 0
        let mu = SIMD8<Float>(repeating: mean)
        let scale = SIMD8<Float>(repeating: relu?.scale ?? 0), shift = SIMD8<Float>(repeating: relu?.shift ?? 0)
        while q &+ 8 <= count {
            var gv = UnsafeRawPointer(g + q).loadUnaligned(as: SIMD8<Float>.self)
            let d = UnsafeRawPointer(x + q).loadUnaligned(as: SIMD8<Float>.self) - mu
            if relu != nil {
                gv.replace(with: 0, where: .!(d * scale + shift .> 0))
            } else if let mask {
                gv.replace(with: 0, where: .!(UnsafeRawPointer(mask + q).loadUnaligned(as: SIMD8<Float>.self) .> 0))
            }
            a += gv
            b += gv * d
            q &+= 8
        }
        var (sa, sb) = (a.sum(), b.sum())
        while q < count {
            let d = x[q] - mean
            var gv = g[q]
            if let relu {
                if !(d * relu.scale + relu.shift > 0) { gv = 0 }
            } else if let mask, !(mask[q] > 0) {
                gv = 0
            }
            sa += gv
            sb += gv * d
            q &+= 1
        }
        return (sa, sb)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, reluOutput: nil)
    }

    /// Backward through this layer and the ReLU that followed it, given that ReLU's output `y`:
    /// the ReLU's mask `1[y > 0]` is applied while the gradient is read (``Sequential`` uses it for
    /// BatchNorm → ReLU pairs) — recomputed from the input when the forward pass had the ReLU
    /// fused (see `reluScaleShift`), else read from `y`.
    func backward(_ outputGradient: Tensor, throughReLUWithOutput y: Tensor) -> Tensor {
        precondition(y.shape == outputGradient.shape, "\(summary).backward: ReLU output \(y.shape) vs gradient \(outputGradient.shape)")
        return backward(outputGradient, reluOutput: y)
    }

    private func backward(_ outputGradient: Tensor, reluOutput: Tensor?) -> Tensor {
        let x = cached(input, summary)
        precondition(outputGradient.shape == inputShape, "\(summary).backward: gradient \(outputGradient.shape) vs \(inputShape)")
        let (n, area) = extent(inputShape)
        let c = channels, m = Float(n * area)
        let mean = batchMean, invStd = inverseStd
        // Σ g and Σ g·x̂ = (1/√(σ² + ε))·Σ g·(x − μ) per channel.
        // Through a fused ReLU: its mask from the input and the forward pass's scale and shift, or
        // (when the forward pass was not fused) from the ReLU's output.
        let relu = reluOutput != nil ? reluScaleShift : nil
        let masked = reluOutput != nil && relu == nil, mask = masked ? reluOutput! : Tensor(shape: [1])
        if isChannelsLast(inputShape) {
            return channelsLastBackward(outputGradient, input: x, samples: n, area: area, relu: relu, mask: masked ? mask : nil)
        }
        var sumG = [Float](repeating: 0, count: c), sumGX = [Float](repeating: 0, count: c)
        outputGradient.withUnsafeBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
              mask.withUnsafeBufferPointer { yp in
                sumG.withUnsafeMutableBufferPointer { sgp in
                    sumGX.withUnsafeMutableBufferPointer { sgxp in
                        // Channels over threads; each channel's sums in sample order, as on one thread.
                        let box = UncheckedSendableBox((gp.baseAddress!, xp.baseAddress!, yp.baseAddress!, sgp, sgxp))
                        parallelFor(c) { r in
                            let (g, x, y, sgp, sgxp) = box.value
                            for ch in r {
                                var a = 0.0, b = 0.0
                                for i in 0..<n {
                                    let base = (i * c + ch) * area
                                    let (pa, pb) = BatchNorm.gradientSums(g + base, x + base, mask: masked ? y + base : nil,
                                                                          relu: relu.map { ($0.scale[ch], $0.shift[ch]) },
                                                                          count: area, mean: mean[ch])
                                    a += Double(pa)
                                    b += Double(pb)
                                }
                                sgp[ch] = Float(a)
                                sgxp[ch] = Float(b) * invStd[ch]
                            }
                        }
                    }
                }
              }
            }
        }
        bias.gradient = Tensor(sumG)
        weight.gradient = Tensor(sumGX)
        let gamma = weight.value.scalars, training = trainingMode
        // Training: ∂L/∂x = k·(M·g − Σg − x̂·Σg·x̂), k = γ/(M√(σ² + ε)); inference: g·γ/√(r_var + ε).
        return Tensor(shape: inputShape) { dp in
            outputGradient.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    mask.withUnsafeBufferPointer { yp in
                        let box = UncheckedSendableBox((dp.baseAddress!, gp.baseAddress!, xp.baseAddress!, yp.baseAddress!))
                        parallelFor(n) { r in
                            let (dx, g, x, y) = box.value
                            for i in r {
                                for ch in 0..<c {
                                    let base = (i * c + ch) * area
                                    if training {
                                        let k = gamma[ch] * invStd[ch] / m, mu = mean[ch], sg = sumG[ch]
                                        let slope = sumGX[ch] * invStd[ch]
                                        if let relu {
                                            let (rs, rb) = (relu.scale[ch], relu.shift[ch])
                                            for q in base..<(base + area) {
                                                let d = x[q] - mu, gv = g[q]
                                                dx[q] = k * (m * (d * rs + rb > 0 ? gv : 0) - sg - d * slope)
                                            }
                                        } else if masked {
                                            for q in base..<(base + area) {
                                                let gv = g[q], yv = y[q]
                                                dx[q] = k * (m * (yv > 0 ? gv : 0) - sg - (x[q] - mu) * slope)
                                            }
                                        } else {
                                            for q in base..<(base + area) { dx[q] = k * (m * g[q] - sg - (x[q] - mu) * slope) }
                                        }
                                    } else {
                                        let k = gamma[ch] * invStd[ch]
                                        if let relu {
                                            let (mu, rs, rb) = (mean[ch], relu.scale[ch], relu.shift[ch])
                                            for q in base..<(base + area) {
                                                let gv = g[q]
                                                dx[q] = ((x[q] - mu) * rs + rb > 0 ? gv : 0) * k
                                            }
                                        } else if masked {
                                            for q in base..<(base + area) {
                                                let gv = g[q], yv = y[q]
                                                dx[q] = (yv > 0 ? gv : 0) * k
                                            }
                                        } else {
                                            for q in base..<(base + area) { dx[q] = g[q] * k }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
