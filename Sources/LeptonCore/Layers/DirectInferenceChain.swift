import CLeptonKernels

/// Inference through a run of Conv2D → ReLU → 2×2 max-pool triples (and optionally a last
/// Conv2D → ReLU → GlobalAvgPool) on the direct 3×3 kernels, one sample at a time through every
/// layer — cnn-small's whole convolutional part.
///
/// Layer by layer, each convolution's output goes to memory in (N, O, H, W) order and the next
/// layer pads it again: for a tile of 133 images that round trip through the last-level cache
/// took ~19% of single-thread inference. Here each pooled output is written, pixel-major, straight
/// into the interior of the next convolution's zero-padded input (`lepton_bias_relu_pool2x2_pixel_major`),
/// which `lepton_conv3x3_forward_pixel_major` reads as it is; only the first input is padded and
/// only the last output is transposed (or averaged). Every value equals the layer-by-layer
/// pass's: the same products in the same order, and bias, ReLU and max commute exactly (short
/// of −∞ + ∞, where either order gives a non-finite value).
///
/// Samples are handed to threads in chunks (``Conv2D/forEachSampleChunk(_:threads:_:)``); each
/// thread has its own buffers, so the layers' own workspaces are not touched.
struct DirectInferenceChain {
    /// One convolution with what follows it: a 2×2 max-pool, or (last stage only) a global average.
    struct Stage {
        let conv: Conv2D
        let geometry: Conv2D.DirectGeometry
        let averages: Bool
        var pooledHeight: Int { geometry.h / 2 }
        var pooledWidth: Int { geometry.w / 2 }
    }

    let stages: [Stage]
    /// How many layers of the Sequential the chain replaces (three per stage).
    var layerCount: Int { 3 * stages.count }

    /// The chain starting at `layers[start]` for an input of `shape`, or nil when fewer than two
    /// stages match (single triples have their own fused passes).
    static func match(_ layers: [any Layer], from start: Int, inputShape shape: [Int]) -> DirectInferenceChain? {
        guard shape.count == 4 else { return nil }
        var stages: [Stage] = []
        var (c, h, w) = (shape[1], shape[2], shape[3])
        var i = start
        while i + 2 < layers.count, let conv = layers[i] as? Conv2D, conv.usesDirectKernels, conv.inChannels == c,
              layers[i + 1] is ReLU {
            let d = Conv2D.DirectGeometry(c: c, o: conv.outChannels, h: h, w: w)
            if let pool = layers[i + 2] as? MaxPool2D, pool.kernelSize == 2, pool.stride == 2, h >= 2, w >= 2 {
                stages.append(Stage(conv: conv, geometry: d, averages: false))
                (c, h, w) = (conv.outChannels, h / 2, w / 2)
                i += 3
            } else if let average = layers[i + 2] as? GlobalAvgPool, average.layout == .channelsFirst {
                stages.append(Stage(conv: conv, geometry: d, averages: true))
                break
            } else {
                break
            }
        }
        return stages.count >= 2 ? DirectInferenceChain(stages: stages) : nil
    }

    /// Runs the chain on `x` (N, C, H, W): (N, O) after a global average, else (N, O, H', W').
    /// Leaves no training state in the layers (a backward pass after it traps, as after any
    /// inference pass).
    func run(_ x: Tensor, layers: ArraySlice<any Layer>) -> Tensor {
        for layer in layers {
            switch layer {
            case let conv as Conv2D: conv.forgetForwardState()
            case let relu as ReLU: relu.forgetOutput()
            case let pool as MaxPool2D: pool.forgetTrainingState()
            case let average as GlobalAvgPool: average.forgetInputShape()
            default: break
            }
        }
        let n = x.shape[0]
        let last = stages[stages.count - 1]
        let outputShape = last.averages ? [n, last.geometry.o] : [n, last.geometry.o, last.pooledHeight, last.pooledWidth]
        // Per stage: packed weights and the bias padded to whole vectors.
        let weights = stages.map { stage in
            var packed: [Float] = []
            stage.conv.packWeights(stage.geometry, forBackward: false, into: &packed)
            return packed
        }
        let biases = stages.map { stage in
            var padded = [Float](repeating: 0, count: stage.geometry.o16)
            if let bias = stage.conv.bias { for o in 0..<stage.geometry.o { padded[o] = bias.value[flat: o] } }
            return padded
        }
        // Per thread: the first stage's padded planes; each stage's pixel-major tile; each later
        // stage's padded pixel-major input (zero borders, written once here); the last pooled tile.
        let first = stages[0].geometry
        var layout: [Int] = [first.c * first.plane]
        for (k, stage) in stages.enumerated() {
            layout.append(stage.geometry.p * stage.geometry.o16)
            if k > 0 { layout.append(stage.geometry.plane * stage.geometry.c16) }
        }
        // The last stage's output tile: one pixel for a global average (whatever its size, even
        // 1 × w, whose pooled size would be 0), else its pooled pixels.
        layout.append((last.averages ? 1 : last.pooledHeight * last.pooledWidth) * last.geometry.o16)
        let perThread = layout.reduce(0, +)
        let threads = max(1, min(Threading.count, n))
        var buffers = [Float](repeating: 0, count: threads * perThread)
        let flatWeights = weights.flatMap { $0 }, flatBiases = biases.flatMap { $0 }
        let weightOffsets = weights.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let biasOffsets = biases.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        return Tensor(shape: outputShape) { yp in
            x.withUnsafeBufferPointer { xp in
                flatWeights.withUnsafeBufferPointer { wp in
                    flatBiases.withUnsafeBufferPointer { bp in
                        buffers.withUnsafeMutableBufferPointer { bufp in
                            // Safe: each thread writes only its own buffers and its own samples of y.
                            let box = UncheckedSendableBox((xp.baseAddress!, wp.baseAddress!, bp.baseAddress!,
                                                            bufp.baseAddress!, yp.baseAddress!))
                            Conv2D.forEachSampleChunk(n, threads: threads) { thread, samples in
                                let (x, w, b, bufferBase, y) = box.value
                                var cursor = bufferBase + thread * perThread
                                let planes = cursor
                                cursor += layout[0]
                                var tiles: [UnsafeMutablePointer<Float>] = [], inputs: [UnsafeMutablePointer<Float>] = [planes]
                                for k in stages.indices {
                                    tiles.append(cursor)
                                    cursor += stages[k].geometry.p * stages[k].geometry.o16
                                    if k > 0 {
                                        inputs.append(cursor)
                                        cursor += stages[k].geometry.plane * stages[k].geometry.c16
                                    }
                                }
                                let pooledTile = cursor
                                for sample in samples {
                                    Conv2D.pad(x + sample * first.c * first.p, channels: first.c, first, into: planes)
                                    for (k, stage) in stages.enumerated() {
                                        let d = stage.geometry
                                        let weights = w + weightOffsets[k], bias = b + biasOffsets[k]
                                        if k == 0 {
                                            lepton_conv3x3_forward(planes, d.plane, d.row, Int32(d.c), Int32(d.h), Int32(d.w),
                                                                   weights, Int32(d.o16), tiles[k])
                                        } else {
                                            lepton_conv3x3_forward_pixel_major(inputs[k], d.c16, Int32(d.c), Int32(d.h), Int32(d.w),
                                                                               weights, Int32(d.o16), tiles[k])
                                        }
                                        if stage.averages {
                                            lepton_bias_relu_mean_pixel_major(tiles[k], Int32(d.p), Int32(d.o16), bias, pooledTile)
                                            (y + sample * d.o).update(from: pooledTile, count: d.o)
                                        } else if k + 1 < stages.count {
                                            // Into the interior of the next stage's padded input.
                                            let next = stages[k + 1].geometry
                                            lepton_bias_relu_pool2x2_pixel_major(tiles[k], Int32(d.h), Int32(d.w), Int32(d.o16), bias,
                                                                                 inputs[k + 1] + (next.row + 1) * next.c16, next.row)
                                        } else {
                                            let plane = stage.pooledHeight * stage.pooledWidth
                                            lepton_bias_relu_pool2x2_pixel_major(tiles[k], Int32(d.h), Int32(d.w), Int32(d.o16), bias,
                                                                                 pooledTile, stage.pooledWidth)
                                            lepton_transpose(pooledTile, d.o16, Int32(plane), Int32(d.o), y + sample * d.o * plane,
                                                             plane, nil, 0)
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
