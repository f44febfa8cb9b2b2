import Foundation

/// How many samples one inference forward pass should take at a time.
///
/// Inference outputs are independent per sample, so a large batch can run as smaller tiles
/// (equal up to floating-point rounding). That pays when the tile's activations and the
/// network's weights stay in the last-level cache: cnn-small at 2 threads ran 1.5–3.5× faster
/// in batches of 16–32 samples than in one batch of 256 (whose im2col columns, ~29 MB for the
/// second convolution alone, stream through memory between layers); the rule below gives it
/// tiles of 46 on a 32 MB cache. With the direct 3×3 kernels its convolutions run as one
/// ``DirectInferenceChain`` that keeps the activations per thread, so a batch of 256 runs whole
/// (120,000 images/s, against 115,000 in tiles of 133 and 110,000 in tiles of 64). A
/// network whose weights alone fill the cache gains nothing and loses GEMM efficiency
/// (ResNet-18, 45 MB of weights: 217 images/s at 256 vs 137 at 16), so it runs whole.
///
/// The rule, with `budget` a quarter of the last-level cache: when the weights take at most
/// half the budget, tile = (budget − weight bytes) / (bytes one sample touches in the
/// layer that touches the most), at least two samples per thread and at most the batch.
/// The per-sample bytes come from ``inferenceFloatsPerSample(of:sample:)``; a network with a
/// layer it does not know runs whole.
public enum InferenceTiling {
    /// The tile size for `model` on samples of shape `sample` (without the batch axis).
    public static func tileSize(for model: some Layer, sample: [Int], batchSize: Int, threads: Int = Threading.count) -> Int {
        guard batchSize > 1, let perSample = inferenceFloatsPerSample(of: model, sample: sample)?.floats, perSample > 0 else {
            return batchSize
        }
        let weightBytes = model.parameters.reduce(0) { $0 + $1.value.count } * MemoryLayout<Float>.size
        let budget = lastLevelCacheBytes / 4
        guard weightBytes <= budget / 2 else { return batchSize }
        let tile = (budget - weightBytes) / (perSample * MemoryLayout<Float>.size)
        return min(batchSize, max(tile, 2 * threads))
    }

    /// The most floats one sample touches in any single layer of an inference pass (input,
    /// output and the layer's own workspace), with the output shape; nil for a layer type it
    /// does not know.
    public static func inferenceFloatsPerSample(of layer: any Layer, sample: [Int]) -> (floats: Int, output: [Int])? {
        let size = sample.reduce(1, *)
        switch layer {
        case let chain as Sequential:
            var shape = sample, most = 0
            var k = 0
            while k < chain.layers.count {
                let inner = chain.layers[k]
                // A run of direct convolutions keeps its activations per thread: per sample it
                // reads its input and writes its output (``DirectInferenceChain``).
                if let run = DirectInferenceChain.match(chain.layers, from: k, inputShape: [1] + shape) {
                    let last = run.stages[run.stages.count - 1]
                    let output = last.averages ? [last.geometry.o] : [last.geometry.o, last.pooledHeight, last.pooledWidth]
                    most = max(most, shape.reduce(1, *) + output.reduce(1, *))
                    shape = output
                    k += run.layerCount
                    continue
                }
                k += 1
                // A ReLU after a convolution runs fused into it (``Sequential``), in place.
                if inner is ReLU, k > 1, chain.layers[k - 2] is Conv2D { continue }
                guard let step = inferenceFloatsPerSample(of: inner, sample: shape) else { return nil }
                most = max(most, step.floats)
                shape = step.output
            }
            return (most, shape)
        case let conv as Conv2D:
            guard sample.count == 3 else { return nil }
            let out = conv.outputShape(for: [1] + sample).dropFirst()
            let positions = out.reduce(1, *) / conv.outChannels // (either layout)
            // The direct 3×3 kernels unfold nothing: their padded planes and tiles are per thread.
            if conv.usesDirectKernels { return (size + conv.outChannels * positions, Array(out)) }
            let columns = conv.inChannels * conv.kernelHeight * conv.kernelWidth * positions
            // Input, unfolded columns, the GEMM product and the output.
            return (size + columns + 2 * conv.outChannels * positions, Array(out))
        case let pool as MaxPool2D:
            guard sample.count == 3 else { return nil }
            let out = Array(pool.outputShape(for: [1] + sample).dropFirst())
            return (size + out.reduce(1, *), out)
        case let pool as AvgPool2D:
            guard sample.count == 3 else { return nil }
            let out = Array(pool.outputShape(for: [1] + sample).dropFirst())
            return (size + out.reduce(1, *), out)
        case let pool as GlobalAvgPool:
            guard sample.count == 3 else { return nil }
            let channels = pool.layout == .channelsLast ? sample[2] : sample[0]
            return (size + channels, [channels])
        case is ChannelsLast:
            guard sample.count == 3 else { return nil }
            return (2 * size, [sample[1], sample[2], sample[0]])
        case let dense as Dense:
            return (size + dense.outputFeatures, [dense.outputFeatures])
        case is Flatten:
            return (size, [size])
        case is ElementwiseActivation, is BatchNorm, is Softmax, is Dropout:
            return (2 * size, sample)
        default:
            return nil
        }
    }

    /// The size of the largest CPU cache (sysfs); 8 MB when it cannot be read.
    public static let lastLevelCacheBytes: Int = {
        var largest = 0
        for index in 0..<8 {
            let path = "/sys/devices/system/cpu/cpu0/cache/index\(index)/size"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let unit: Int = trimmed.hasSuffix("K") ? 1 << 10 : trimmed.hasSuffix("M") ? 1 << 20 : 1
            guard let value = Int(trimmed.filter(\.isNumber)) else { continue }
            largest = max(largest, value * unit)
        }
        return largest > 0 ? largest : 8 << 20
    }()
}
