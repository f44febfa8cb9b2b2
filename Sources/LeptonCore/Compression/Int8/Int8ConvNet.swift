import CLeptonKernels
import Foundation

/// A convolutional network quantized to int8 for inference: a chain of 3×3 / stride 1 / padding 1
/// convolutions, each followed by ReLU and optionally a 2×2 max-pool, then a global average pool
/// and a dense layer (the shape of `cnn-small`, pruned or not).
///
/// A one-channel first convolution runs as a 1×1 convolution over each pixel's unfolded 3×3
/// window (three groups of four codes instead of nine taps of one).
///
/// Quantization (post-training, static):
/// - weights per output channel, symmetric: `s_w[o] = max|W[o]| / 127`, `q = round(W / s_w[o])`;
/// - activations per tensor, calibrated on sample data (``ActivationCalibration``), as 7-bit
///   codes `a = clamp(round(x / s_x) + z, 0, 127)`: the network input asymmetric (it can be
///   negative), every later input after a ReLU with `z = 0`;
/// - a convolution's output `y[o] = s_x·s_w[o]·(Σ a·q − z·Σ q[o]) + b[o]` (int32 sums from the
///   kernels of ``Int8KernelPath``), then ReLU and the next layer's quantization (max-pooling the
///   codes, which commutes with the monotone quantization); the last one's ReLU outputs are
///   averaged and the dense layer runs in float.
///
/// Inference only: ``backward(_:)`` traps. Its tensors (packed codes in float cells) save and
/// load through the model file like any layer's.
public final class Int8ConvNet: Int8Network {
    /// One quantized convolution (3×3, stride 1, padding 1), its pooling and its input's quantization.
    struct Stage {
        var conv: Int8Convolution
        var pool: Bool
        /// Quantization of this stage's input.
        var inputScale: Float
        var inputZero: Int32

        var cin: Int { conv.cin }
        var cout: Int { conv.cout }
        var h: Int { conv.h }
        var w: Int { conv.w }
        var cin4: Int { conv.cin4 }
        var cout16: Int { conv.cout16 }
        var unfolded: Bool { conv.unfolded }
    }

    var stages: [Stage]
    /// The dense layer after global average pooling, (outputs, last cout) row-major, and its bias.
    var denseWeight: [Float]
    var denseBias: [Float]
    /// The kernel path (``Int8KernelPath/best`` unless a test or benchmark forces one); a path
    /// this processor lacks is a programmer error (it would end in SIGILL).
    public var path: Int8KernelPath = .best {
        didSet { precondition(path.isAvailable, "the \(path.rawValue) int8 kernels need a processor that has them") }
    }

    init(stages: [Stage], denseWeight: [Float], denseBias: [Float]) {
        self.stages = stages
        self.denseWeight = denseWeight
        self.denseBias = denseBias
    }

    public var outputs: Int { denseBias.count }

    public var summary: String {
        "Int8ConvNet(" + stages.map { "\($0.cin)→\($0.cout)\($0.pool ? " pool" : "")" }.joined(separator: ", ") + ", dense \(stages.last?.cout ?? 0)→\(outputs))"
    }

    // MARK: Saved state

    /// Packed codes, scales and biases as named tensors (codes four to a float cell).
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var out: [(name: String, parameter: Parameter)] = []
        for (k, s) in stages.enumerated() {
            out += s.conv.tensors("stage\(k)")
            out.append(("stage\(k).input", Parameter(Tensor(shape: [2], scalars: [s.inputScale, Float(s.inputZero)]), trainable: false)))
        }
        out.append(("dense.weight", Parameter(Tensor(shape: [outputs, stages.last?.cout ?? 0], scalars: denseWeight), trainable: false)))
        out.append(("dense.bias", Parameter(Tensor(shape: [outputs], scalars: denseBias), trainable: false)))
        return out
    }

    /// Restores the tensors of ``namedParameters`` (a model file's), checking every length.
    public func load(_ tensors: [String: Tensor], layout: Int8WeightLayout) throws {
        func tensor(_ name: String, count: Int) throws -> [Float] { try Int8Convolution.tensor(name, count: count, in: tensors) }
        for k in stages.indices {
            try stages[k].conv.load("stage\(k)", from: tensors, layout: layout)
            let input = try tensor("stage\(k).input", count: 2)
            guard input[0].isFinite, input[0] > 0, input[1] >= 0, input[1] <= 127 else {
                throw LayerStateError.shapeMismatch(name: "stage\(k).input", expected: [2], found: [2])
            }
            stages[k].inputScale = input[0]
            stages[k].inputZero = k == 0 ? Int32(input[1]) : 0
        }
        denseWeight = try tensor("dense.weight", count: denseWeight.count)
        denseBias = try tensor("dense.bias", count: denseBias.count)
    }

    // MARK: Inference

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(!training, "\(summary) is inference-only")
        let first = stages[0]
        precondition(input.rank == 4 && input.shape[1] == first.cin && input.shape[2] == first.h && input.shape[3] == first.w,
                     "\(summary): input must be (N, \(first.cin), \(first.h), \(first.w)), got \(input.shape)")
        let n = input.shape[0], k = outputs
        var out = Tensor(shape: [n, k])
        let plan = Plan(stages)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let box = UncheckedSendableBox((src.baseAddress!, dst.baseAddress!))
                parallelFor(n, minimumPerThread: 16) { range in
                    let (src, dst) = box.value
                    var scratch = Scratch(plan)
                    for i in range {
                        run(sample: src + i * first.cin * first.h * first.w, plan: plan, scratch: &scratch, logits: dst + i * k)
                    }
                }
            }
        }
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        preconditionFailure("\(summary) is inference-only: fine-tune the float network, then quantize again")
    }

    /// Per-stage constants of the epilogues.
    struct Plan {
        var zsum: [[Int32]], scale: [[Float]], nextInverse: [Float]
        var bufferBytes: [Int], sumCount: Int, poolBytes: Int, singleBytes: Int

        init(_ stages: [Stage]) {
            zsum = stages.map { s in s.conv.weightSums.map { $0 &* s.inputZero } }
            scale = stages.map { s in s.conv.weightScale.map { $0 * s.inputScale } }
            nextInverse = stages.indices.map { k in k + 1 < stages.count ? 1 / stages[k + 1].inputScale : 0 }
            bufferBytes = stages.map { ($0.h + 2) * ($0.w + 2) * $0.cin4 }
            sumCount = stages.map { $0.h * $0.w * $0.cout16 }.max() ?? 0
            poolBytes = stages.map { $0.h * $0.w * $0.cout }.max() ?? 0
            singleBytes = stages.first?.conv.singleBytes ?? 0
        }
    }

    /// One thread's buffers: a padded image per stage, the int32 sums, the pre-pool codes, the
    /// means, and the one-channel input of an unfolded first stage.
    struct Scratch {
        var buffers: [[UInt8]], sums: [Int32], pooled: [UInt8], means: [Float], single: [UInt8]
        init(_ plan: Plan) {
            buffers = plan.bufferBytes.map { [UInt8](repeating: 0, count: $0) }
            single = [UInt8](repeating: 0, count: plan.singleBytes)
            sums = [Int32](repeating: 0, count: plan.sumCount)
            pooled = [UInt8](repeating: 0, count: plan.poolBytes)
            means = []
        }
    }

    private func run(sample: UnsafePointer<Float>, plan: Plan, scratch: inout Scratch, logits: UnsafeMutablePointer<Float>) {
        let first = stages[0]
        first.conv.quantizeInput(sample, scale: first.inputScale, zero: first.inputZero, into: &scratch.buffers[0], single: &scratch.single)
        for (k, s) in stages.enumerated() {
            scratch.buffers[k].withUnsafeBufferPointer { src in
                scratch.sums.withUnsafeMutableBufferPointer { sums in s.conv.sums(src.baseAddress!, into: sums.baseAddress!, path: path) }
            }
            if k == stages.count - 1 {
                scratch.means = [Float](repeating: 0, count: s.cout)
                lepton_q_relu_mean(scratch.sums, Int32(s.h * s.w), Int32(s.cout16), Int32(s.cout), plan.zsum[k], plan.scale[k], s.conv.bias, &scratch.means)
                break
            }
            let next = stages[k + 1]
            let row = (next.w + 2) * next.cin4
            scratch.buffers[k + 1].withUnsafeMutableBufferPointer { b in
                b.update(repeating: 0)
                let interior = b.baseAddress! + row + next.cin4
                if s.pool {
                    scratch.pooled.withUnsafeMutableBufferPointer { p in
                        lepton_q_requantize_relu(scratch.sums, Int32(s.h), Int32(s.w), Int32(s.cout16), Int32(s.cout), plan.zsum[k], plan.scale[k],
                                                 s.conv.bias, plan.nextInverse[k], p.baseAddress!, s.w * s.cout, s.cout)
                        lepton_q_pool2x2(p.baseAddress!, Int32(s.h), Int32(s.w), Int32(s.cout), interior, row, next.cin4)
                    }
                } else {
                    lepton_q_requantize_relu(scratch.sums, Int32(s.h), Int32(s.w), Int32(s.cout16), Int32(s.cout), plan.zsum[k], plan.scale[k],
                                             s.conv.bias, plan.nextInverse[k], interior, row, next.cin4)
                }
            }
        }
        Int8Convolution.dense(scratch.means, weight: denseWeight, bias: denseBias, logits: logits)
    }
}
