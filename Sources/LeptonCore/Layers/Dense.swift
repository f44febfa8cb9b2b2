/// Fully connected layer.
///
/// - Forward: `y = x · Wᵀ + b`, input x (N, in), weight W (out, in), bias b (out), output y (N, out).
/// - Backward: `∂L/∂W = gᵀ · x` (out, in), `∂L/∂b = Σₙ g` (out), `∂L/∂x = g · W` (N, in),
///   with g = ∂L/∂y (N, out). All three products go through the BLAS funnel.
/// - Initialisation: He normal (fan-in = in), bias zero.
public final class Dense: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    private var input: Tensor?
    public func releaseWorkspaces() { input = nil }

    public init(_ inputFeatures: Int, _ outputFeatures: Int, using rng: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0, "Dense needs positive sizes")
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(.heNormal([outputFeatures, inputFeatures], fanIn: inputFeatures, using: &rng))
        bias = Parameter(.zeros([outputFeatures]))
    }

    public var summary: String { "Dense(\(inputFeatures)→\(outputFeatures))" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputFeatures,
                     "\(summary): input must be (N, \(inputFeatures)), got \(input.shape)")
        let n = input.shape[0]
        var y = Tensor(shape: [n, outputFeatures])
        let b = bias.value
        y.withUnsafeMutableBufferPointer { yp in
            // Broadcast the bias into every row, then accumulate x·Wᵀ on top (beta = 1).
            b.withUnsafeBufferPointer { bp in
                for row in 0..<n { (yp.baseAddress! + row * outputFeatures).update(from: bp.baseAddress!, count: outputFeatures) }
            }
            input.withUnsafeBufferPointer { xp in
                weight.value.withUnsafeBufferPointer { wp in
                    BLAS.gemm(.none, .transpose, m: n, n: outputFeatures, k: inputFeatures,
                              a: xp.baseAddress!, b: wp.baseAddress!, beta: 1, c: yp.baseAddress!)
                }
            }
        }
        self.input = input
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let x = cached(input, summary)
        let n = x.shape[0]
        precondition(outputGradient.shape == [n, outputFeatures], "\(summary).backward: gradient \(outputGradient.shape)")
        weight.gradient = Tensor.matmul(outputGradient, transposed: true, x)
        bias.gradient = outputGradient.sumBatch()
        return Tensor.matmul(outputGradient, weight.value)
    }
}

/// Flatten: (N, d1, d2, …) → (N, d1·d2·…) without copying; backward reshapes the gradient back.
public final class Flatten: Layer {
    private var inputShape: [Int]?
    public init() {}
    public var summary: String { "Flatten" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return input.flattenedBatch()
    }
    public func backward(_ outputGradient: Tensor) -> Tensor {
        outputGradient.reshaped(cached(inputShape, summary))
    }
}
