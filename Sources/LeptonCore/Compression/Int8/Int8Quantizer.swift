/// Why a network cannot be quantized.
public struct QuantizationError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// Post-training static quantization of a float network to an ``Int8ConvNet`` (cnn-small) or an
/// ``Int8ResidualNet`` (resnet18).
public enum Int8Quantizer {
    /// The layers of a quantizable network: 3×3 / stride 1 / padding 1 channels-first
    /// convolutions, each followed by ReLU and optionally a 2×2 / stride-2 max-pool, then a
    /// global average pool and a dense layer.
    struct Pattern {
        var convolutions: [(conv: Conv2D, pool: Bool)]
        var dense: Dense
    }

    static func match(_ model: Sequential) -> Pattern? {
        let layers = model.layers
        var i = 0
        var convs: [(Conv2D, Bool)] = []
        while i + 1 < layers.count, let conv = layers[i] as? Conv2D, layers[i + 1] is ReLU {
            guard conv.kernelHeight == 3, conv.kernelWidth == 3, conv.stride == 1, conv.padding == 1, conv.layout == .channelsFirst else { return nil }
            i += 2
            var pool = false
            if i < layers.count, let p = layers[i] as? MaxPool2D {
                guard p.kernelSize == 2, p.stride == 2 else { return nil }
                pool = true
                i += 1
            }
            convs.append((conv, pool))
        }
        guard !convs.isEmpty, i + 2 == layers.count, let gap = layers[i] as? GlobalAvgPool, gap.layout == .channelsFirst,
              let dense = layers[i + 1] as? Dense, dense.inputFeatures == convs.last!.0.outChannels else { return nil }
        return Pattern(convolutions: convs, dense: dense)
    }

    /// Whether ``quantize(_:inputShape:calibration:method:narrowWeights:)`` takes this network.
    public static func supports(_ model: Sequential) -> Bool { match(model) != nil || matchResidual(model) != nil }

    /// Quantizes `model` for inputs (C, H, W) = `inputShape`, with activation ranges from
    /// `calibration` (N, C, H, W) — at least 2 samples, of the network's input size; of more than
    /// 512 (256 for a residual network), evenly spaced ones are used (every layer's activations
    /// are kept while calibrating). `narrowWeights` keeps weight codes within ±63, which the AVX2
    /// kernel sums faster (see ``Int8Convolution``); residual networks only.
    public static func quantize(_ model: Sequential, inputShape: [Int], calibration: Tensor,
                                method: ActivationCalibration, narrowWeights: Bool = false) throws -> any Int8Network {
        let residual = matchResidual(model), plain = match(model)
        guard residual != nil || plain != nil else {
            throw QuantizationError(description: "int8 quantization takes cnn-small (3×3 convolutions with ReLU and 2×2 max-pools, a global average pool and a dense layer) and resnet18 networks; this network is another shape")
        }
        guard inputShape.count == 3 else { throw QuantizationError(description: "the input must be (C, H, W), got \(inputShape)") }
        guard calibration.rank == 4, Array(calibration.shape.dropFirst()) == inputShape else {
            throw QuantizationError(description: "calibration images must be (N, \(inputShape.map(String.init).joined(separator: ", "))), got \(calibration.shape)")
        }
        guard calibration.shape[0] >= 2 else {
            throw QuantizationError(description: "calibration needs at least 2 images, got \(calibration.shape[0]); 100 or more represent the data well")
        }
        if let residual {
            return quantizeResidual(model, residual, inputShape: inputShape, calibration: calibration, method: method, narrow: narrowWeights)
        }
        guard let pattern = plain else { preconditionFailure("matched above") }
        guard !narrowWeights else {
            throw QuantizationError(description: "narrow weights (codes within ±63) are an option of residual networks; quantize a cnn-small without it")
        }
        // Each convolution's input on the calibration data: run the float layers one at a time.
        var inputs: [[Float]] = []
        let n = calibration.shape[0]
        var x = n > 512 ? calibration.gatherBatch((0..<512).map { $0 * n / 512 }) : calibration
        var h = inputShape[1], w = inputShape[2]
        var geometry: [(h: Int, w: Int)] = []
        var layerIndex = 0
        for (conv, pool) in pattern.convolutions {
            inputs.append(x.scalars)
            geometry.append((h, w))
            x = model.layers[layerIndex].forward(x, training: false)
            x = model.layers[layerIndex + 1].forward(x, training: false)
            layerIndex += 2
            if pool {
                x = model.layers[layerIndex].forward(x, training: false)
                layerIndex += 1
                h /= 2; w /= 2
            }
            _ = conv
        }
        guard geometry.allSatisfy({ $0.h >= 1 && $0.w >= 1 }) else { throw QuantizationError(description: "the input is too small for the pools") }
        var stages: [Int8ConvNet.Stage] = []
        for (k, (conv, pool)) in pattern.convolutions.enumerated() {
            let (scale, zero): (Float, Int32) = k == 0 ? inputQuantization(inputs[0], method: method)
                                                        : (max(method.threshold(inputs[k]) / 127, 1e-8), 0)
            stages.append(stage(conv, pool: pool, h: geometry[k].h, w: geometry[k].w, inputScale: scale, inputZero: zero, first: k == 0))
        }
        return Int8ConvNet(stages: stages, denseWeight: pattern.dense.weight.value.scalars, denseBias: pattern.dense.bias.value.scalars)
    }

    /// The stage of one convolution: per-channel symmetric codes, packed for the kernels.
    static func stage(_ conv: Conv2D, pool: Bool, h: Int, w: Int, inputScale: Float, inputZero: Int32, first: Bool) -> Int8ConvNet.Stage {
        Int8ConvNet.Stage(conv: Int8Convolution(weights: conv.weight.value.scalars, bias: conv.bias?.value.scalars, cin: conv.inChannels,
                                                cout: conv.outChannels, kernel: 3, stride: 1, h: h, w: w, first: first),
                          pool: pool, inputScale: inputScale, inputZero: inputZero)
    }

    /// An int8 network of the shapes of `model` with empty values, for a model file's tensors to
    /// be loaded into (``Int8Network/load(_:)``).
    public static func skeleton(of model: Sequential, inputShape: [Int]) throws -> any Int8Network {
        if inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }), let residual = matchResidual(model) {
            return residualNet(residual, h: inputShape[1], w: inputShape[2], narrow: false)
        }
        guard let pattern = match(model), inputShape.count == 3 else {
            throw QuantizationError(description: "the model file says int8, but its architecture is not one int8 runs")
        }
        var h = inputShape[1], w = inputShape[2]
        var stages: [Int8ConvNet.Stage] = []
        for (k, (conv, pool)) in pattern.convolutions.enumerated() {
            var s = stage(conv, pool: pool, h: h, w: w, inputScale: 1, inputZero: 0, first: k == 0)
            s.conv.weights = [Int8](repeating: 0, count: s.conv.weights.count)
            stages.append(s)
            if pool { h /= 2; w /= 2 }
        }
        return Int8ConvNet(stages: stages, denseWeight: pattern.dense.weight.value.scalars, denseBias: pattern.dense.bias.value.scalars)
    }
}
