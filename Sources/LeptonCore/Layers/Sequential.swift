/// A chain of layers applied in order: `y = f_L(… f_2(f_1(x)))`; backward runs the chain in
/// reverse, `∂L/∂x = J_1ᵀ(… J_Lᵀ(g))`. Parameters are named `"<index>.<name>"`.
public final class Sequential: Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    /// Appends a layer at the end of the chain.
    public func append(_ layer: any Layer) { layers.append(layer) }

    public func releaseWorkspaces() { for layer in layers { layer.releaseWorkspaces() } }

    public var summary: String {
        "Sequential(\n" + layers.enumerated().map { "  \($0.offset): \($0.element.summary.replacingNewlines())" }
            .joined(separator: "\n") + "\n)"
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { prefixed(String($0.offset), $0.element.namedParameters) }
    }

    /// Runs the chain; a Conv2D or BatchNorm directly followed by a ReLU is run as one fused step
    /// (the same values, one pass over the activations fewer; the ReLU keeps its output for the
    /// fused backward step).
    /// In inference, a Conv2D → ReLU → 2×2/stride-2 MaxPool2D triple is one fused step too, and
    /// in training as well when the convolution runs on the direct 3×3 kernels; with those, an
    /// inference Conv2D → ReLU → GlobalAvgPool triple is one step as well, and a run of two or
    /// more such triples is one ``DirectInferenceChain`` (one sample at a time through all of them).
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        var i = 0
        while i < layers.count {
            if !training, let chain = DirectInferenceChain.match(layers, from: i, inputShape: x.shape) {
                // Inference: a run of direct Conv2D → ReLU → pool triples, one sample at a time.
                x = chain.run(x, layers: layers[i..<(i + chain.layerCount)])
                i += chain.layerCount
            } else if i + 2 < layers.count, let conv = layers[i] as? Conv2D, let relu = layers[i + 1] as? ReLU,
               let pool = layers[i + 2] as? MaxPool2D, pool.kernelSize == 2, pool.stride == 2,
               conv.layout == .channelsFirst, !training || conv.usesDirectKernels,
               x.rank == 4, x.shape[1] == conv.inChannels,
               conv.outputShape(for: x.shape)[2] >= 2, conv.outputShape(for: x.shape)[3] >= 2 {
                // Conv2D → ReLU → 2×2 max-pool in one pass (no full-size activation). The ReLU keeps
                // no state from it; in inference the pool keeps none either, so a backward pass
                // after it traps (as after any inference pass) instead of using an older batch's
                // state. In training the pool takes the arg-max offsets the pass recorded.
                relu.forgetOutput()
                if training {
                    let convShape = conv.outputShape(for: x.shape)
                    let (pooled, argmax) = conv.forwardTrainingPooled(x)
                    pool.adoptFusedTrainingState(inputShape: convShape, argmax: argmax)
                    x = pooled
                } else {
                    x = conv.forward(x, training: false, applyingReLU: true, pooling2x2: true)
                    pool.forgetTrainingState()
                }
                i += 3
            } else if !training, i + 2 < layers.count, let conv = layers[i] as? Conv2D, conv.usesDirectKernels,
                      let relu = layers[i + 1] as? ReLU, let average = layers[i + 2] as? GlobalAvgPool, average.layout == .channelsFirst,
                      x.rank == 4, x.shape[1] == conv.inChannels {
                // Inference: Conv2D → ReLU → global average pool in one pass (direct kernels).
                x = conv.forwardGlobalAverage(x)
                relu.forgetOutput()
                average.forgetInputShape()
                i += 3
            } else if i + 1 < layers.count, let conv = layers[i] as? Conv2D, let relu = layers[i + 1] as? ReLU {
                x = conv.forward(x, training: training, applyingReLU: true)
                relu.adoptOutput(x)
                i += 2
            } else if i + 1 < layers.count, let norm = layers[i] as? BatchNorm, let relu = layers[i + 1] as? ReLU {
                x = norm.forward(x, training: training, applyingReLU: true)
                relu.adoptOutput(x)
                i += 2
            } else {
                x = layers[i].forward(x, training: training)
                i += 1
            }
        }
        return x
    }

    /// Runs the chain in reverse; a Conv2D → ReLU or BatchNorm → ReLU pair is one fused step (the
    /// ReLU's mask is applied while the convolution gathers, or BatchNorm reads, its gradient).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        backwardChain(outputGradient, inputGradient: true)!
    }

    /// Backward through the chain down to the first layer with parameters, which only sets its
    /// parameter gradients (∂loss/∂input of the network is not needed during training); layers
    /// before it, which have nothing to learn, are not run backward at all.
    public func backwardParameters(_ outputGradient: Tensor) {
        _ = backwardChain(outputGradient, inputGradient: false)
    }

    private func backwardChain(_ outputGradient: Tensor, inputGradient: Bool) -> Tensor? {
        var g = outputGradient
        var i = layers.count - 1
        // Without ∂L/∂input, layers up to the first one with parameters need no input gradient
        // either (e.g. the first convolution after a ChannelsLast layer).
        let firstWithParameters = layers.firstIndex { !$0.namedParameters.isEmpty } ?? layers.count
        func needsInputGradient(_ index: Int) -> Bool { inputGradient || index > firstWithParameters }
        while i >= 0 {
            if i >= 2, let pool = layers[i] as? MaxPool2D, pool.argmax.count == g.count, let relu = layers[i - 1] as? ReLU,
               relu.output == nil, let conv = layers[i - 2] as? Conv2D, conv.direct.pooledOutput?.shape == g.shape {
                // The backward half of the fused training pass above.
                guard let next = conv.backward(pooledGradient: g, poolArgmax: pool.argmax, inputGradient: needsInputGradient(i - 2)) else {
                    return nil
                }
                g = next
                i -= 3
            } else if i >= 2, let pool = layers[i] as? MaxPool2D, pool.kernelSize == 2, pool.stride == 2,
               pool.argmax.count == g.count, let relu = layers[i - 1] as? ReLU, let conv = layers[i - 2] as? Conv2D,
               conv.layout == .channelsFirst, let y = relu.output, y.shape.count == 4, g.shape == [y.shape[0], y.shape[1], y.shape[2] / 2, y.shape[3] / 2] {
                // Conv2D → ReLU → 2×2 max-pool: one fused step (the pool's gradient goes straight
                // into the convolution's gradient gather).
                guard let next = conv.backward(pooledGradient: g, poolArgmax: pool.argmax, throughReLUWithOutput: y,
                                               inputGradient: needsInputGradient(i - 2)) else {
                    return nil
                }
                g = next
                i -= 3
            } else if i >= 1, let relu = layers[i] as? ReLU, let conv = layers[i - 1] as? Conv2D, let y = relu.output {
                guard let next = conv.backward(g, throughReLUWithOutput: y, inputGradient: needsInputGradient(i - 1)) else {
                    return nil
                }
                g = next
                i -= 2
            } else if i >= 1, let relu = layers[i] as? ReLU, let norm = layers[i - 1] as? BatchNorm, let y = relu.output {
                // BatchNorm → ReLU: the ReLU's mask applied while BatchNorm reads the gradient.
                g = norm.backward(g, throughReLUWithOutput: y)
                if !needsInputGradient(i - 1) { return nil }
                i -= 2
            } else if !needsInputGradient(i) {
                layers[i].backwardParameters(g)
                return nil
            } else {
                g = layers[i].backward(g)
                i -= 1
            }
        }
        return g
    }

    /// Inference on a large input in batches of `batchSize` (keeps memory bounded).
    public func predict(_ input: Tensor, batchSize: Int = 256) -> Tensor {
        precondition(batchSize > 0, "predict: batchSize must be positive")
        return Trainer.predict(self, input, batchSize: batchSize)
    }
}

extension String {
    func replacingNewlines() -> String { split(separator: "\n").joined(separator: "\n  ") }
}

/// A residual block: `y = ReLU(F(x) + S(x))`, with F the main path and S the shortcut
/// (identity when `shortcut` is nil, otherwise e.g. a 1×1 strided convolution + BatchNorm).
///
/// Backward: with g' = g ⊙ 1[F(x) + S(x) > 0], `∂L/∂x = J_Fᵀ g' + J_Sᵀ g'` (or `+ g'` for identity).
/// Shapes: F(x) and S(x) must agree, e.g. (N, C, H, W) → (N, C', H', W').
public final class ResidualBlock: Layer {
    public let main: Sequential
    public let shortcut: Sequential?
    private let activation = ReLU()

    public init(main: Sequential, shortcut: Sequential? = nil) {
        self.main = main
        self.shortcut = shortcut
    }

    /// The ResNet BasicBlock: 3×3 conv (stride s) → BN → ReLU → 3×3 conv → BN, plus a
    /// 1×1 conv (stride s) → BN shortcut when the stride or channel count changes.
    /// `layout` is that of every convolution and BatchNorm in it.
    /// `inner` is the width between the two convolutions (`outChannels` unless channel-pruned:
    /// the residual sum keeps `outChannels`, so only the inner width can shrink).
    public static func basic(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, layout: ActivationLayout = .channelsFirst,
                             inner: Int? = nil, using rng: inout SeededGenerator) -> ResidualBlock {
        let inner = inner ?? outChannels
        let main = Sequential([
            Conv2D(inChannels, inner, kernelSize: 3, stride: stride, padding: 1, bias: false, layout: layout, using: &rng),
            BatchNorm(inner, layout: layout),
            ReLU(),
            Conv2D(inner, outChannels, kernelSize: 3, stride: 1, padding: 1, bias: false, layout: layout, using: &rng),
            BatchNorm(outChannels, layout: layout),
        ])
        var shortcut: Sequential?
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential([
                Conv2D(inChannels, outChannels, kernelSize: 1, stride: stride, padding: 0, bias: false, layout: layout, using: &rng),
                BatchNorm(outChannels, layout: layout),
            ])
        }
        return ResidualBlock(main: main, shortcut: shortcut)
    }

    public var summary: String {
        "ResidualBlock(main: \(main.summary.replacingNewlines()), shortcut: \(shortcut?.summary.replacingNewlines() ?? "identity"))"
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("main", main.namedParameters) + (shortcut.map { prefixed("shortcut", $0.namedParameters) } ?? [])
    }

    public func releaseWorkspaces() {
        main.releaseWorkspaces()
        shortcut?.releaseWorkspaces()
        activation.releaseWorkspaces()
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let sum = main.forward(input, training: training)
        let skip = shortcut?.forward(input, training: training) ?? input
        precondition(sum.shape == skip.shape, "ResidualBlock: main path \(sum.shape) vs shortcut \(skip.shape)")
        // max(0, F(x) + S(x)) in one pass; the ReLU keeps it for its backward pass.
        let y = Tensor(shape: sum.shape) { yp in
            sum.withUnsafeBufferPointer { ap in
                skip.withUnsafeBufferPointer { bp in
                    guard !yp.isEmpty else { return }
                    let box = UncheckedSendableBox((yp.baseAddress!, ap.baseAddress!, bp.baseAddress!))
                    parallelFor(yp.count, minimumPerThread: 1 << 16) { r in
                        let (y, a, b) = box.value
                        for i in r { y[i] = Swift.max(a[i] + b[i], 0) }
                    }
                }
            }
        }
        activation.adoptOutput(y)
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let g = activation.backward(outputGradient)
        var dx = main.backward(g)
        dx += shortcut?.backward(g) ?? g
        return dx
    }
}
