import CLeptonKernels

/// How an image batch lays out its axes in memory.
///
/// - `channelsFirst`: (N, C, H, W), one H × W plane per channel — the convention of the rest of
///   LeptonCore and of the model files' input shapes.
/// - `channelsLast`: (N, H, W, C), the C channels of each pixel side by side — what the
///   convolution kernels compute in (16 channels per AVX-512 vector), so a network built of
///   channels-last layers (``Conv2D``, ``BatchNorm``, ``GlobalAvgPool`` with `layout:
///   .channelsLast`, after one ``ChannelsLast`` layer) never transposes between layers. ReLU,
///   residual additions and Dropout are element-wise and take either layout; Flatten takes
///   either (the order of the features differs). MaxPool2D and AvgPool2D are channels first only.
public enum ActivationLayout: String, Sendable, Codable {
    case channelsFirst, channelsLast
}

extension Tensor {
    /// (N, C, H, W) → (N, H, W, C) (a copy; a reshape when C = 1).
    public func channelsLastCopy() -> Tensor {
        precondition(rank == 4, "channelsLastCopy expects (N, C, H, W), got \(shape)")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        return Tensor.transposingSamples(self, rows: c, columns: h * w, to: [n, h, w, c])
    }

    /// (N, H, W, C) → (N, C, H, W) (a copy; a reshape when C = 1).
    public func channelsFirstCopy() -> Tensor {
        precondition(rank == 4, "channelsFirstCopy expects (N, H, W, C), got \(shape)")
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        return Tensor.transposingSamples(self, rows: h * w, columns: c, to: [n, c, h, w])
    }

    /// Each sample's (rows × columns) matrix transposed, with the result shaped `shape`.
    private static func transposingSamples(_ x: Tensor, rows: Int, columns: Int, to shape: [Int]) -> Tensor {
        if rows == 1 || columns == 1 { return x.reshaped(shape) }
        let n = shape[0], size = rows * columns
        return Tensor(shape: shape) { dp in
            x.withUnsafeBufferPointer { xp in
                guard size > 0, n > 0 else { return }
                let box = UncheckedSendableBox((xp.baseAddress!, dp.baseAddress!))
                parallelFor(n) { samples in
                    for i in samples {
                        let (src, dst) = (box.value.0 + i * size, box.value.1 + i * size)
                        if DirectConvolution.processorSupported {
                            lepton_transpose(src, columns, Int32(rows), Int32(columns), dst, rows, nil, 0)
                        } else {
                            for r in 0..<rows {
                                for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Turns a (N, C, H, W) batch into (N, H, W, C) for the channels-last layers after it; backward
/// turns the gradient back. With one channel both layouts are the same bytes and nothing is copied.
public final class ChannelsLast: Layer {
    public init() {}
    public var summary: String { "ChannelsLast" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 4, "ChannelsLast expects (N, C, H, W), got \(input.shape)")
        return input.channelsLastCopy()
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        outputGradient.channelsFirstCopy()
    }
}
