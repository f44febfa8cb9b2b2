/// A named architecture and the sizes needed to build it: everything required to rebuild the
/// same network from a model file (the weights come separately).
public struct ArchitectureSpec: Codable, Sendable, Equatable {
    /// One of ``ModelRegistry/knownNames``.
    public var name: String
    /// Per-sample input shape: (C, H, W) for images, (F) or (C, H, W) for the dense models
    /// (which flatten their input).
    public var inputShape: [Int]
    /// Output units: classes for softmax cross-entropy, 1 for a binary logit.
    public var outputs: Int
    /// Hidden layer widths of `mlp` (ignored by the other architectures).
    public var hiddenUnits: [Int]
    /// Convolution widths of a channel-pruned network: `cnn-small`'s three convolutions (nil: 16,
    /// 32, 64), or `resnet18`'s eight inner block widths (nil: 64, 64, 128, 128, 256, 256, 512, 512).
    public var channels: [Int]?

    public init(name: String, inputShape: [Int], outputs: Int, hiddenUnits: [Int] = [128, 64], channels: [Int]? = nil) {
        self.name = name
        self.inputShape = inputShape
        self.outputs = outputs
        self.hiddenUnits = hiddenUnits
        self.channels = channels
    }

    /// The convolution widths of `cnn-small`: ``channels`` or the defaults.
    public static let cnnSmallChannels = [16, 32, 64]
}

/// Why an architecture could not be built.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    case unknownModel(String, known: [String])
    case invalidInputShape(model: String, shape: [Int], expected: String)
    case invalidOutputs(Int)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            return "unknown model '\(name)' (known: \(known.joined(separator: ", ")))"
        case .invalidInputShape(let model, let shape, let expected):
            return "model '\(model)' needs input shape \(expected), got \(shape)"
        case .invalidOutputs(let n):
            return "a model needs at least one output, got \(n)"
        }
    }
}

/// The explicit registry of named architectures (a dictionary, not magic).
///
/// - `logistic`: Flatten → Dense(F → outputs).
/// - `mlp`: Flatten → [Dense → ReLU] per hidden width → Dense(→ outputs).
/// - `cnn-small`: 3×3 convs with padding 1: 1→16, ReLU, 2×2 max-pool; 16→32, ReLU, 2×2 max-pool;
///   32→64, ReLU; global average pool; Dense 64→outputs (23,426 parameters for 1 channel, 2 outputs);
///   a channel-pruned one has other widths (``ArchitectureSpec/channels``).
/// - `resnet18`: ResNet-18 for small images (MedMNIST style): 3×3 stride-1 stem conv → BN → ReLU,
///   no stem max-pool, BasicBlocks [2, 2, 2, 2] at 64/128/256/512 channels (strides 1, 2, 2, 2),
///   global average pool, Dense 512→outputs (≈ 11.2 M parameters); it computes channels last
///   (a ``ChannelsLast`` layer first, then channels-last convolutions, BatchNorms and pool).
public enum ModelRegistry {
    public typealias Builder = @Sendable (ArchitectureSpec, inout SeededGenerator) throws -> Sequential

    /// The registered names, in a stable order.
    public static let knownNames = ["logistic", "mlp", "cnn-small", "resnet18"]

    private static let builders: [String: Builder] = [
        "logistic": { spec, rng in
            Sequential([Flatten(), Dense(try featureCount(spec), spec.outputs, using: &rng)])
        },
        "mlp": { spec, rng in
            var layers: [any Layer] = [Flatten()]
            var width = try featureCount(spec)
            for h in spec.hiddenUnits {
                guard h > 0 else { throw ArchitectureError.invalidInputShape(model: "mlp", shape: spec.hiddenUnits, expected: "positive hidden widths") }
                layers += [Dense(width, h, using: &rng), ReLU()]
                width = h
            }
            layers.append(Dense(width, spec.outputs, using: &rng))
            return Sequential(layers)
        },
        "cnn-small": { spec, rng in
            let (c, h, w) = try imageShape(spec)
            guard h >= 4, w >= 4 else {
                throw ArchitectureError.invalidInputShape(model: spec.name, shape: spec.inputShape, expected: "(C, H ≥ 4, W ≥ 4)")
            }
            let widths = spec.channels ?? ArchitectureSpec.cnnSmallChannels
            guard widths.count == 3, widths.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
                throw ArchitectureError.invalidInputShape(model: spec.name, shape: widths, expected: "three convolution widths from 1 to 4096")
            }
            return Sequential([
                Conv2D(c, widths[0], kernelSize: 3, padding: 1, using: &rng), ReLU(), MaxPool2D(kernelSize: 2),
                Conv2D(widths[0], widths[1], kernelSize: 3, padding: 1, using: &rng), ReLU(), MaxPool2D(kernelSize: 2),
                Conv2D(widths[1], widths[2], kernelSize: 3, padding: 1, using: &rng), ReLU(),
                GlobalAvgPool(), Dense(widths[2], spec.outputs, using: &rng),
            ])
        },
        "resnet18": { spec, rng in
            let (c, _, _) = try imageShape(spec)
            // Channels last from the start: the convolutions compute in that layout, so no layer
            // transposes its input or output (one ChannelsLast at the entry, a reshape for c = 1).
            var layers: [any Layer] = [
                ChannelsLast(),
                Conv2D(c, 64, kernelSize: 3, stride: 1, padding: 1, bias: false, layout: .channelsLast, using: &rng),
                BatchNorm(64, layout: .channelsLast), ReLU(),
            ]
            var channels = 64
            // A channel-pruned ResNet-18 has other inner widths (one per block, 8); the rest stay.
            let inner = spec.channels ?? [64, 64, 128, 128, 256, 256, 512, 512]
            guard inner.count == 8, inner.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
                throw ArchitectureError.invalidInputShape(model: spec.name, shape: inner, expected: "eight inner block widths from 1 to 4096")
            }
            for (k, (width, stride)) in [(64, 1), (128, 2), (256, 2), (512, 2)].enumerated() {
                layers.append(ResidualBlock.basic(channels, width, stride: stride, layout: .channelsLast, inner: inner[2 * k], using: &rng))
                layers.append(ResidualBlock.basic(width, width, stride: 1, layout: .channelsLast, inner: inner[2 * k + 1], using: &rng))
                channels = width
            }
            layers += [GlobalAvgPool(layout: .channelsLast), Dense(512, spec.outputs, using: &rng)]
            return Sequential(layers)
        },
    ]

    /// Builds the network named by `spec`, initialised from `seed` (same seed → same weights).
    public static func build(_ spec: ArchitectureSpec, seed: UInt64) throws -> Sequential {
        guard let builder = builders[spec.name] else {
            throw ArchitectureError.unknownModel(spec.name, known: knownNames)
        }
        guard spec.outputs > 0 else { throw ArchitectureError.invalidOutputs(spec.outputs) }
        var rng = SeededGenerator(seed: seed)
        return try builder(spec, &rng)
    }

    /// Convenience: `build(ArchitectureSpec(name:inputShape:outputs:), seed:)`.
    public static func build(name: String, inputShape: [Int], outputs: Int, seed: UInt64) throws -> Sequential {
        try build(ArchitectureSpec(name: name, inputShape: inputShape, outputs: outputs), seed: seed)
    }

    private static func featureCount(_ spec: ArchitectureSpec) throws -> Int {
        guard !spec.inputShape.isEmpty, spec.inputShape.allSatisfy({ $0 > 0 }) else {
            throw ArchitectureError.invalidInputShape(model: spec.name, shape: spec.inputShape, expected: "(F) or (C, H, W) with positive sizes")
        }
        return spec.inputShape.reduce(1, *)
    }

    private static func imageShape(_ spec: ArchitectureSpec) throws -> (Int, Int, Int) {
        guard spec.inputShape.count == 3, spec.inputShape.allSatisfy({ $0 > 0 }) else {
            throw ArchitectureError.invalidInputShape(model: spec.name, shape: spec.inputShape, expected: "(C, H, W)")
        }
        return (spec.inputShape[0], spec.inputShape[1], spec.inputShape[2])
    }
}
