import CLeptonKernels
import Foundation

/// A residual network (`resnet18`, channel-pruned or not) quantized to int8 for inference: a
/// 3×3 stem convolution with ReLU, BasicBlocks, a global average pool and a dense layer.
///
/// BatchNorm is folded into the convolution before it (`g = γ / √(σ² + ε)`, `W' = g·W`,
/// `b' = β − g·μ`), then (``Int8Convolution``):
/// - weights per output channel, symmetric;
/// - activations per tensor as 7-bit codes, calibrated on sample data: the network input
///   asymmetric (scale and zero point), every later one after a ReLU (zero point 0) — each
///   block's input and the ReLU output between its two convolutions;
/// - a block computes `y = ReLU(s_x·s_w·Σ a·q + b + shortcut)` in float from the int32 sums, the
///   shortcut being the block input's codes times their scale (identity) or a 1×1 projection's
///   sums (`s_x·s_p·Σ a·q_p + b_p`), and quantizes `y` for the next block; the last block's `y` is
///   averaged over the pixels and the dense layer runs in float.
///
/// Inference only: ``backward(_:)`` traps. Its tensors save and load through the model file like
/// any layer's.
public final class Int8ResidualNet: Int8Network {
    /// One BasicBlock.
    struct Block {
        /// 3×3, stride s, BN folded; then ReLU.
        var conv1: Int8Convolution
        /// 3×3, stride 1, BN folded; then the shortcut's sum and ReLU.
        var conv2: Int8Convolution
        /// 1×1, stride s, BN folded, when the stride or the width changes.
        var projection: Int8Convolution?
        /// Scales of the block input's codes and of conv1's ReLU output codes.
        var inputScale: Float
        var middleScale: Float
    }

    var stem: Int8Convolution
    /// The network input's quantization (asymmetric).
    var inputScale: Float
    var inputZero: Int32
    var blocks: [Block]
    /// The dense layer after global average pooling, (outputs, last width) row-major, and its bias.
    var denseWeight: [Float]
    var denseBias: [Float]
    public var path: Int8KernelPath = .best {
        didSet { precondition(path.isAvailable, "the \(path.rawValue) int8 kernels need a processor that has them") }
    }

    init(stem: Int8Convolution, inputScale: Float, inputZero: Int32, blocks: [Block], denseWeight: [Float], denseBias: [Float]) {
        precondition(!blocks.isEmpty, "a residual network has at least one block")
        (self.stem, self.inputScale, self.inputZero, self.blocks) = (stem, inputScale, inputZero, blocks)
        (self.denseWeight, self.denseBias) = (denseWeight, denseBias)
    }

    public var outputs: Int { denseBias.count }
    var width: Int { blocks[blocks.count - 1].conv2.cout }

    public var summary: String {
        "Int8ResidualNet(stem \(stem.cin)→\(stem.cout), " + blocks.map { b in
            "\(b.conv1.cin)→\(b.conv1.cout)→\(b.conv2.cout)\(b.conv1.stride > 1 ? " /\(b.conv1.stride)" : "")"
        }.joined(separator: ", ") + ", dense \(width)→\(outputs)\(stem.narrow ? ", narrow weights" : ""))"
    }

    // MARK: Saved state

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var out = stem.tensors("stem")
        out.append(("input", Parameter(Tensor(shape: [3], scalars: [inputScale, Float(inputZero), stem.narrow ? 1 : 0]), trainable: false)))
        for (k, b) in blocks.enumerated() {
            out += b.conv1.tensors("block\(k).conv1") + b.conv2.tensors("block\(k).conv2")
            if let p = b.projection { out += p.tensors("block\(k).projection") }
            out.append(("block\(k).scales", Parameter(Tensor(shape: [2], scalars: [b.inputScale, b.middleScale]), trainable: false)))
        }
        out.append(("dense.weight", Parameter(Tensor(shape: [outputs, width], scalars: denseWeight), trainable: false)))
        out.append(("dense.bias", Parameter(Tensor(shape: [outputs], scalars: denseBias), trainable: false)))
        return out
    }

    /// Restores the tensors of ``namedParameters`` (a model file's), checking every length and
    /// that every scale is finite and positive.
    public func load(_ tensors: [String: Tensor], layout: Int8WeightLayout) throws {
        func tensor(_ name: String, count: Int) throws -> [Float] { try Int8Convolution.tensor(name, count: count, in: tensors) }
        func positive(_ v: Float, _ name: String) throws -> Float {
            guard v.isFinite, v > 0 else { throw LayerStateError.shapeMismatch(name: name, expected: [1], found: [0]) }
            return v
        }
        let input = try tensor("input", count: 3)
        guard input[1] >= 0, input[1] <= 127, input[2] == 0 || input[2] == 1 else {
            throw LayerStateError.shapeMismatch(name: "input", expected: [3], found: [3])
        }
        let narrow = input[2] == 1
        inputScale = try positive(input[0], "input")
        inputZero = Int32(input[1])
        stem.narrow = narrow
        try stem.load("stem", from: tensors, layout: layout)
        for k in blocks.indices {
            blocks[k].conv1.narrow = narrow
            blocks[k].conv2.narrow = narrow
            blocks[k].projection?.narrow = narrow
            try blocks[k].conv1.load("block\(k).conv1", from: tensors, layout: layout)
            try blocks[k].conv2.load("block\(k).conv2", from: tensors, layout: layout)
            try blocks[k].projection?.load("block\(k).projection", from: tensors, layout: layout)
            let scales = try tensor("block\(k).scales", count: 2)
            blocks[k].inputScale = try positive(scales[0], "block\(k).scales")
            blocks[k].middleScale = try positive(scales[1], "block\(k).scales")
        }
        denseWeight = try tensor("dense.weight", count: denseWeight.count)
        denseBias = try tensor("dense.bias", count: denseBias.count)
    }

    // MARK: Inference

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(!training, "\(summary) is inference-only")
        precondition(input.rank == 4 && input.shape[1] == stem.cin && input.shape[2] == stem.h && input.shape[3] == stem.w,
                     "\(summary): input must be (N, \(stem.cin), \(stem.h), \(stem.w)), got \(input.shape)")
        let n = input.shape[0], k = outputs, sampleSize = stem.cin * stem.h * stem.w
        var out = Tensor(shape: [n, k])
        let plan = Plan(self)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard n > 0 else { return }
                let box = UncheckedSendableBox((src.baseAddress!, dst.baseAddress!))
                parallelFor(n, minimumPerThread: 4) { range in
                    let (src, dst) = box.value
                    var scratch = Scratch(plan)
                    for i in range { run(sample: src + i * sampleSize, plan: plan, scratch: &scratch, logits: dst + i * k) }
                }
            }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        preconditionFailure("\(summary) is inference-only: fine-tune the float network, then quantize again")
    }

    /// The epilogues' constants: each convolution's `s_x·s_w[o]`, the stem's zero-point terms, and
    /// the buffer sizes.
    struct Plan {
        var stemZsum: [Int32], stemScale: [Float]
        var conv1Scale: [[Float]], conv2Scale: [[Float]], projectionScale: [[Float]?]
        var zeros: [Int32]
        var imageBytes: Int, sumCount: Int

        init(_ net: Int8ResidualNet) {
            stemZsum = net.stem.weightSums.map { $0 &* net.inputZero }
            stemScale = net.stem.weightScale.map { $0 * net.inputScale }
            conv1Scale = net.blocks.map { b in b.conv1.weightScale.map { $0 * b.inputScale } }
            conv2Scale = net.blocks.map { b in b.conv2.weightScale.map { $0 * b.middleScale } }
            projectionScale = net.blocks.map { b in b.projection.map { $0.weightScale.map { $0 * b.inputScale } } }
            let convs = [net.stem] + net.blocks.flatMap { [$0.conv1, $0.conv2] + ($0.projection.map { [$0] } ?? []) }
            zeros = [Int32](repeating: 0, count: convs.map(\.cout16).max() ?? 0)
            imageBytes = convs.map(\.inputBytes).max() ?? 0
            sumCount = convs.map { $0.outH * $0.outW * $0.cout16 }.max() ?? 0
        }
    }

    /// One thread's buffers: the block input, the block middle and the next block's input as
    /// padded images, the int32 sums of a convolution and of a projection, the network input's
    /// one-channel image (an unfolded stem), the means.
    struct Scratch {
        var x: [UInt8], middle: [UInt8], y: [UInt8], single: [UInt8]
        var sums: [Int32], shortcut: [Int32]
        var means: [Float]
        init(_ plan: Plan) {
            x = [UInt8](repeating: 0, count: plan.imageBytes)
            middle = x
            y = x
            single = []
            sums = [Int32](repeating: 0, count: plan.sumCount)
            shortcut = sums
            means = []
        }
    }

    /// Writes `sums` through ReLU as codes into the interior of `image`, the padded input of `next`
    /// (its border zero: the codes of a ReLU output have zero point 0).
    private static func requantize(_ sums: [Int32], of conv: Int8Convolution, zsum: [Int32], scale: [Float], inverse: Float,
                                   into image: inout [UInt8], next: Int8Convolution) {
        let row = (next.w + 2) * next.cin4
        image.withUnsafeMutableBufferPointer { b in
            b.update(repeating: 0)
            lepton_q_requantize_relu(sums, Int32(conv.outH), Int32(conv.outW), Int32(conv.cout16), Int32(conv.cout), zsum, scale, conv.bias,
                                     inverse, b.baseAddress! + row + next.cin4, row, next.cin4)
        }
    }

    private func run(sample: UnsafePointer<Float>, plan: Plan, scratch: inout Scratch, logits: UnsafeMutablePointer<Float>) {
        if scratch.single.count != stem.singleBytes { scratch.single = [UInt8](repeating: 0, count: stem.singleBytes) }
        // The stem: quantized input → sums → ReLU codes, the first block's input.
        stem.quantizeInput(sample, scale: inputScale, zero: inputZero, into: &scratch.middle, single: &scratch.single)
        scratch.middle.withUnsafeBufferPointer { src in
            scratch.sums.withUnsafeMutableBufferPointer { s in stem.sums(src.baseAddress!, into: s.baseAddress!, path: path) }
        }
        Self.requantize(scratch.sums, of: stem, zsum: plan.stemZsum, scale: plan.stemScale, inverse: 1 / blocks[0].inputScale,
                        into: &scratch.x, next: blocks[0].conv1)
        for (k, b) in blocks.enumerated() {
            scratch.x.withUnsafeBufferPointer { src in
                scratch.sums.withUnsafeMutableBufferPointer { s in b.conv1.sums(src.baseAddress!, into: s.baseAddress!, path: path) }
                if let p = b.projection {
                    scratch.shortcut.withUnsafeMutableBufferPointer { s in p.sums(src.baseAddress!, into: s.baseAddress!, path: path) }
                }
            }
            Self.requantize(scratch.sums, of: b.conv1, zsum: plan.zeros, scale: plan.conv1Scale[k], inverse: 1 / b.middleScale,
                            into: &scratch.middle, next: b.conv2)
            scratch.middle.withUnsafeBufferPointer { src in
                scratch.sums.withUnsafeMutableBufferPointer { s in b.conv2.sums(src.baseAddress!, into: s.baseAddress!, path: path) }
            }
            let last = k == blocks.count - 1
            let c = b.conv2
            if last { scratch.means = [Float](repeating: 0, count: c.cout) }
            let next = last ? c : blocks[k + 1].conv1
            let row = (next.w + 2) * next.cin4, inputRow = (b.conv1.w + 2) * b.conv1.cin4
            let inverse = last ? 0 : 1 / blocks[k + 1].inputScale
            // y = ReLU(conv2 + shortcut), quantized into the next block's input or averaged.
            func finish(_ shortcut: lepton_q_shortcut) {
                scratch.y.withUnsafeMutableBufferPointer { y in
                    if !last { y.update(repeating: 0) }
                    scratch.means.withUnsafeMutableBufferPointer { means in
                        lepton_q_residual_relu(scratch.sums, Int32(c.outH), Int32(c.outW), Int32(c.cout16), Int32(c.cout), plan.conv2Scale[k],
                                               c.bias, shortcut, inverse, y.baseAddress! + row + next.cin4, row, next.cin4,
                                               last ? means.baseAddress! : nil)
                    }
                }
            }
            if let p = b.projection, let scale = plan.projectionScale[k] {
                scratch.shortcut.withUnsafeBufferPointer { sums in
                    scale.withUnsafeBufferPointer { ps in
                        p.bias.withUnsafeBufferPointer { pb in
                            finish(lepton_q_shortcut(codes: nil, row: 0, pixel: 0, code_scale: 0, sums: sums.baseAddress!,
                                                     scale: ps.baseAddress!, bias: pb.baseAddress!))
                        }
                    }
                }
            } else {
                scratch.x.withUnsafeBufferPointer { x in
                    finish(lepton_q_shortcut(codes: x.baseAddress! + inputRow + b.conv1.cin4, row: inputRow, pixel: b.conv1.cin4,
                                             code_scale: b.inputScale, sums: nil, scale: nil, bias: nil))
                }
            }
            if !last { swap(&scratch.x, &scratch.y) }
        }
        Int8Convolution.dense(scratch.means, weight: denseWeight, bias: denseBias, logits: logits)
    }
}
