import Foundation

/// Post-training static quantization of a residual network (`resnet18`, pruned or not) to an
/// ``Int8ResidualNet``.
extension Int8Quantizer {
    /// The layers of a quantizable residual network, all channels last: ChannelsLast, a 3×3 /
    /// stride 1 / padding 1 convolution, BatchNorm, ReLU; BasicBlocks (3×3 convolution, BN, ReLU,
    /// 3×3 / stride 1 convolution, BN; identity or 1×1 convolution + BN shortcut); a global average
    /// pool and a dense layer.
    struct ResidualPattern {
        struct Block {
            var conv1: (Conv2D, BatchNorm), conv2: (Conv2D, BatchNorm), projection: (Conv2D, BatchNorm)?
            var layer: ResidualBlock
        }
        var stem: (Conv2D, BatchNorm)
        var blocks: [Block]
        var dense: Dense
    }

    static func matchResidual(_ model: Sequential) -> ResidualPattern? {
        let layers = model.layers
        func convolution(_ layer: any Layer, kernel: Int, stride: Int? = nil) -> Conv2D? {
            guard let c = layer as? Conv2D, c.layout == .channelsLast, c.kernelHeight == kernel, c.kernelWidth == kernel,
                  c.padding == (kernel == 3 ? 1 : 0), stride.map({ c.stride == $0 }) ?? (c.stride >= 1) else { return nil }
            return c
        }
        func norm(_ layer: any Layer, _ channels: Int) -> BatchNorm? {
            guard let b = layer as? BatchNorm, b.layout == .channelsLast, b.channels == channels else { return nil }
            return b
        }
        guard layers.count >= 7, layers[0] is ChannelsLast, let stem = convolution(layers[1], kernel: 3, stride: 1),
              let stemNorm = norm(layers[2], stem.outChannels), layers[3] is ReLU else { return nil }
        var blocks: [ResidualPattern.Block] = []
        var channels = stem.outChannels
        var i = 4
        while i < layers.count, let block = layers[i] as? ResidualBlock {
            let m = block.main.layers
            guard m.count == 5, let c1 = convolution(m[0], kernel: 3), c1.inChannels == channels, let n1 = norm(m[1], c1.outChannels),
                  m[2] is ReLU, let c2 = convolution(m[3], kernel: 3, stride: 1), c2.inChannels == c1.outChannels,
                  let n2 = norm(m[4], c2.outChannels) else { return nil }
            var projection: (Conv2D, BatchNorm)?
            if let s = block.shortcut {
                guard s.layers.count == 2, let p = convolution(s.layers[0], kernel: 1, stride: c1.stride), p.inChannels == channels,
                      p.outChannels == c2.outChannels, let pn = norm(s.layers[1], p.outChannels) else { return nil }
                projection = (p, pn)
            } else {
                guard c1.stride == 1, c2.outChannels == channels else { return nil }
            }
            blocks.append(.init(conv1: (c1, n1), conv2: (c2, n2), projection: projection, layer: block))
            channels = c2.outChannels
            i += 1
        }
        guard !blocks.isEmpty, i + 2 == layers.count, let gap = layers[i] as? GlobalAvgPool, gap.layout == .channelsLast,
              let dense = layers[i + 1] as? Dense, dense.inputFeatures == channels else { return nil }
        return ResidualPattern(stem: (stem, stemNorm), blocks: blocks, dense: dense)
    }

    /// A convolution with the BatchNorm after it folded in: `g = γ / √(σ² + ε)`, weights `g·W`,
    /// bias `β + g·(b − μ)` (inference statistics).
    static func folded(_ pair: (Conv2D, BatchNorm), h: Int, w: Int, narrow: Bool, first: Bool = false) -> Int8Convolution {
        let (conv, norm) = pair
        let gamma = norm.weight.value.scalars, beta = norm.bias.value.scalars
        let mean = norm.runningMean.value.scalars, variance = norm.runningVariance.value.scalars
        let g = (0..<conv.outChannels).map { gamma[$0] / (variance[$0] + norm.epsilon).squareRoot() }
        let perChannel = conv.inChannels * conv.kernelHeight * conv.kernelWidth
        var weights = conv.weight.value.scalars
        for o in 0..<conv.outChannels { for j in 0..<perChannel { weights[o * perChannel + j] *= g[o] } }
        let convBias = conv.bias?.value.scalars ?? [Float](repeating: 0, count: conv.outChannels)
        let bias = (0..<conv.outChannels).map { beta[$0] + g[$0] * (convBias[$0] - mean[$0]) }
        return Int8Convolution(weights: weights, bias: bias, cin: conv.inChannels, cout: conv.outChannels, kernel: conv.kernelHeight,
                               stride: conv.stride, h: h, w: w, narrow: narrow, first: first)
    }

    /// The quantized convolutions of `pattern` for an (H, W) input, scales 1 (a skeleton until
    /// calibrated or loaded).
    static func residualNet(_ pattern: ResidualPattern, h: Int, w: Int, narrow: Bool) -> Int8ResidualNet {
        let stem = folded(pattern.stem, h: h, w: w, narrow: narrow, first: true)
        var (bh, bw) = (stem.outH, stem.outW)
        var blocks: [Int8ResidualNet.Block] = []
        for b in pattern.blocks {
            let conv1 = folded(b.conv1, h: bh, w: bw, narrow: narrow)
            let conv2 = folded(b.conv2, h: conv1.outH, w: conv1.outW, narrow: narrow)
            let projection = b.projection.map { folded($0, h: bh, w: bw, narrow: narrow) }
            blocks.append(.init(conv1: conv1, conv2: conv2, projection: projection, inputScale: 1, middleScale: 1))
            (bh, bw) = (conv2.outH, conv2.outW)
        }
        return Int8ResidualNet(stem: stem, inputScale: 1, inputZero: 0, blocks: blocks,
                               denseWeight: pattern.dense.weight.value.scalars, denseBias: pattern.dense.bias.value.scalars)
    }

    /// Quantizes a residual network: the float network runs on the calibration images (at most
    /// 256, evenly spaced), in chunks small enough that one activation of a chunk stays within
    /// 16M values; each activation's range comes from `method` on up to 4M of its values, evenly
    /// spaced within every chunk.
    static func quantizeResidual(_ model: Sequential, _ pattern: ResidualPattern, inputShape: [Int], calibration: Tensor,
                                 method: ActivationCalibration, narrow: Bool) -> Int8ResidualNet {
        let net = residualNet(pattern, h: inputShape[1], w: inputShape[2], narrow: narrow)
        let n = calibration.shape[0]
        let images = n > 256 ? calibration.gatherBatch((0..<256).map { $0 * n / 256 }) : calibration
        let count = images.shape[0], cap = 1 << 22
        let largest = ([net.stem] + net.blocks.map(\.conv1)).map { $0.outH * $0.outW * $0.cout }.max() ?? 1
        let chunk = max(1, min(count, (1 << 24) / max(1, largest)))
        var inputs: [Float] = [], blockInputs = [[Float]](repeating: [], count: pattern.blocks.count), middles = blockInputs
        for start in stride(from: 0, to: count, by: chunk) {
            let range = start..<min(count, start + chunk), quota = max(1, cap * range.count / count)
            var x = images.sliceBatch(range)
            inputs += sampled(x.scalars, cap: quota)
            for layer in model.layers[0...3] { x = layer.forward(x, training: false) }
            for (k, b) in pattern.blocks.enumerated() {
                blockInputs[k] += sampled(x.scalars, cap: quota)
                var middle = x
                for layer in b.layer.main.layers[0...2] { middle = layer.forward(middle, training: false) }
                middles[k] += sampled(middle.scalars, cap: quota)
                x = b.layer.forward(x, training: false)
            }
        }
        func scale(_ values: [Float]) -> Float { min(max(method.threshold(values) / 127, 1e-8), .greatestFiniteMagnitude) }
        (net.inputScale, net.inputZero) = inputQuantization(inputs, method: method)
        for k in net.blocks.indices {
            net.blocks[k].inputScale = scale(blockInputs[k])
            net.blocks[k].middleScale = scale(middles[k])
        }
        return net
    }

    /// At most `cap` of `values`, evenly spaced (thresholds from sorting or histograms of a sample).
    static func sampled(_ values: [Float], cap: Int = 1 << 22) -> [Float] {
        guard values.count > cap else { return values }
        return (0..<cap).map { values[$0 * values.count / cap] }
    }

    /// The network input's asymmetric quantization: `scale = (high − low) / 127`, `zero =
    /// round(−low / scale)`, the range [low, high] ∋ 0 clipped by `method` on each side.
    static func inputQuantization(_ input: [Float], method: ActivationCalibration) -> (scale: Float, zero: Int32) {
        let values = sampled(input).filter(\.isFinite)
        let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 1)
        let clipHigh = method == .minmax ? high : min(high, method.threshold(values.filter { $0 > 0 }))
        let clipLow = method == .minmax ? low : -min(-low, method.threshold(values.filter { $0 < 0 }.map { -$0 }))
        let scale = min(max((clipHigh - clipLow) / 127, 1e-8), .greatestFiniteMagnitude)
        return (scale, Int32(max(0, min(127, (-clipLow / scale).rounded()))))
    }
}
