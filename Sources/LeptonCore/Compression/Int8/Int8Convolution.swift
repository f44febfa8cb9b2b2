import CLeptonKernels

/// How an int8 model file orders each convolution's packed codes.
public enum Int8WeightLayout: String, Codable, Sendable {
    /// [cout16 / 16][ksize²][cin4 / 4][16][4]: each block of 16 output channels' codes contiguous
    /// (the kernels' order since 2026-12-07, 22:24 UTC; a deep layer's block then stays in cache).
    case blockMajor = "block-major"
    /// [ksize²][cin4 / 4][cout16 / 16][16][4], the order of earlier files (read and reordered).
    case tapMajor = "tap-major"
}

/// One convolution quantized for the int8 kernels (CLeptonKernels/int8_conv.c): weights as
/// per-output-channel symmetric codes packed for `lepton_qconv`, their scales and a float bias.
///
/// Quantization: `s_w[o] = max|W[o]| / L`, `q = clamp(round(W / s_w[o]), −L, L)` with L = 127,
/// or 63 for narrow weights (the AVX2 kernel then adds two groups' int16 pair sums before
/// widening them; every path still gives the same sums). The convolution's int32 sums over 7-bit
/// input codes `a` (scale `s_x`, zero point `z`) give `y[o] = s_x·s_w[o]·(Σ a·q − z·Σ q[o]) + b[o]`.
///
/// A network's first convolution, when it is 3×3 / stride 1 over a one-channel input, runs
/// unfolded: a 1×1 convolution over each pixel's 3×3 window of codes (12 channels: 9 codes and
/// 3 zeros, `lepton_q_im2col_single`, which the network input's quantization writes).
struct Int8Convolution {
    var cin: Int, cout: Int
    /// The input's interior height and width.
    var h: Int, w: Int
    /// 3 (padding 1) or 1 (no padding), as in the float network.
    var kernel: Int
    var stride: Int
    var narrow: Bool
    /// Whether this is a network's first convolution, which runs unfolded over a one-channel input.
    var first: Bool
    /// Packed codes, block-major: [cout16 / 16][ksize²][cin4 / 4][16][4] (see lepton_int8.h).
    var weights: [Int8]
    var weightScale: [Float]
    var bias: [Float]

    var unfolded: Bool { first && cin == 1 && kernel == 3 && stride == 1 }
    var cin4: Int { unfolded ? 12 : (cin + 3) / 4 * 4 }
    /// The kernel size the int8 kernel runs (1 when unfolded).
    var ksize: Int { unfolded ? 1 : kernel }
    var cout16: Int { (cout + 15) / 16 * 16 }
    var outH: Int { (h - 1) / stride + 1 }
    var outW: Int { (w - 1) / stride + 1 }
    /// Bytes of this convolution's padded input image.
    var inputBytes: Int { (h + 2) * (w + 2) * cin4 }
    var shape: lepton_qconv_shape {
        lepton_qconv_shape(cin4: Int32(cin4), h: Int32(h), w: Int32(w), ksize: Int32(ksize), stride: Int32(stride),
                           cout16: Int32(cout16), narrow: narrow ? 1 : 0)
    }

    /// Quantizes float weights (cout, cin, kernel, kernel) and bias (nil: zeros); `first`: the
    /// network's first convolution.
    init(weights float: [Float], bias: [Float]?, cin: Int, cout: Int, kernel: Int, stride: Int, h: Int, w: Int, narrow: Bool = false,
         first: Bool = false) {
        precondition(kernel == 1 || kernel == 3, "int8 convolutions are 3×3 or 1×1")
        precondition(float.count == cout * cin * kernel * kernel)
        (self.cin, self.cout, self.h, self.w, self.kernel, self.stride, self.narrow) = (cin, cout, h, w, kernel, stride, narrow)
        self.first = first
        self.bias = bias ?? [Float](repeating: 0, count: cout)
        self.weights = []
        self.weightScale = []
        let limit: Float = narrow ? 63 : 127, taps = kernel * kernel
        var packed = [Int8](repeating: 0, count: ksize * ksize * cin4 / 4 * cout16 / 16 * 64)
        for o in 0..<cout {
            let row = float[(o * cin * taps)..<((o + 1) * cin * taps)]
            let m = row.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
            let scale = m > 0 ? m / limit : 1
            weightScale.append(scale)
            for c in 0..<cin {
                for t in 0..<taps {
                    let v = float[(o * cin + c) * taps + t] / scale
                    let q = Int8(v.isNaN ? 0 : max(-limit, min(limit, v.rounded())))
                    // Unfolded (one input channel): input "channel" t of the single 1×1 tap.
                    let (tap, channel) = unfolded ? (0, t) : (t, c)
                    packed[cell(block: o / 16, tap: tap, group: channel / 4) + (o % 16) * 4 + channel % 4] = q
                }
            }
        }
        self.weights = packed
    }

    /// The offset of the 64 codes (16 output channels × 4 inputs) of one block, tap and group of
    /// 4 inputs, block-major.
    func cell(block: Int, tap: Int, group: Int) -> Int { ((block * ksize * ksize + tap) * (cin4 / 4) + group) * 64 }

    /// The same offset in the tap-major order of files written before then
    /// ([ksize²][cin4 / 4][cout16 / 16][16][4]).
    func tapMajorCell(block: Int, tap: Int, group: Int) -> Int { ((tap * (cin4 / 4) + group) * (cout16 / 16) + block) * 64 }

    /// Σ over taps and inputs of each output channel's codes (cout16 entries).
    var weightSums: [Int32] {
        var sums = [Int32](repeating: 0, count: cout16)
        let perBlock = ksize * ksize * cin4 / 4 * 64
        for (i, q) in weights.enumerated() { sums[(i / perBlock) * 16 + (i % 64) / 4] += Int32(q) }
        return sums
    }

    /// The int32 sums [outH·outW][cout16] of one sample's padded input image.
    func sums(_ src: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Int32>, path: Int8KernelPath) {
        weights.withUnsafeBufferPointer { w in lepton_qconv(src, shape, w.baseAddress!, out, path.code) }
    }

    /// Bytes of the one-channel padded image an unfolded convolution quantizes first (0 otherwise).
    var singleBytes: Int { unfolded ? (h + 2) * (w + 2) : 0 }

    /// Quantizes one sample's float planes (cin, h, w) into this convolution's padded input image
    /// (``inputBytes``): codes `clamp(round(x / scale) + zero, 0, 127)`, the border `zero`. An
    /// unfolded convolution quantizes into `single` (``singleBytes``) and unfolds from there.
    func quantizeInput(_ sample: UnsafePointer<Float>, scale: Float, zero: Int32, into image: inout [UInt8], single: inout [UInt8]) {
        if unfolded {
            single.withUnsafeMutableBufferPointer { one in
                one.update(repeating: UInt8(zero))
                lepton_q_quantize_planes(sample, 1, Int32(h), Int32(w), 1 / scale, zero, one.baseAddress!, 1)
                image.withUnsafeMutableBufferPointer { b in lepton_q_im2col_single(one.baseAddress!, Int32(h), Int32(w), b.baseAddress!) }
            }
        } else {
            image.withUnsafeMutableBufferPointer { b in
                b.update(repeating: UInt8(zero))
                lepton_q_quantize_planes(sample, Int32(cin), Int32(h), Int32(w), 1 / scale, zero, b.baseAddress!, Int32(cin4))
            }
        }
    }

    /// The float dense layer an int8 network ends with: `logits[j] = b[j] + Σ_o W[j][o]·means[o]`
    /// (W row-major, outputs × means.count).
    static func dense(_ means: [Float], weight: [Float], bias: [Float], logits: UnsafeMutablePointer<Float>) {
        let width = means.count
        for j in bias.indices {
            var z = bias[j]
            for o in 0..<width { z += weight[j * width + o] * means[o] }
            logits[j] = z
        }
    }

    // MARK: Saved state

    /// `prefix.weight_q` (codes four to a float cell), `prefix.weight_scale`, `prefix.bias`.
    func tensors(_ prefix: String) -> [(name: String, parameter: Parameter)] {
        [("\(prefix).weight_q", Parameter(Tensor(shape: [(weights.count + 3) / 4],
                                                  scalars: PackedCells.pack8(weights.map { UInt8(bitPattern: $0) })), trainable: false)),
         ("\(prefix).weight_scale", Parameter(Tensor(shape: [cout], scalars: weightScale), trainable: false)),
         ("\(prefix).bias", Parameter(Tensor(shape: [cout], scalars: bias), trainable: false))]
    }

    /// Restores ``tensors(_:)``, checking every length; codes outside the quantizer's range are
    /// clamped to it (a damaged file must not break the AVX2 kernel's no-overflow guarantee).
    /// Codes in `layout` ``Int8WeightLayout/tapMajor`` (older files) are reordered.
    mutating func load(_ prefix: String, from tensors: [String: Tensor], layout: Int8WeightLayout = .blockMajor) throws {
        let n = weights.count
        let codes = PackedCells.unpack8(try Self.tensor("\(prefix).weight_q", count: (n + 3) / 4, in: tensors), count: n)
        let limit: Int8 = narrow ? 63 : 127
        let clamped = codes.map { max(-limit, min(limit, Int8(bitPattern: $0))) }
        switch layout {
        case .blockMajor: weights = clamped
        case .tapMajor:
            for block in 0..<(cout16 / 16) {
                for tap in 0..<(ksize * ksize) {
                    for group in 0..<(cin4 / 4) {
                        let to = cell(block: block, tap: tap, group: group), from = tapMajorCell(block: block, tap: tap, group: group)
                        weights[to..<(to + 64)] = clamped[from..<(from + 64)]
                    }
                }
            }
        }
        weightScale = try Self.tensor("\(prefix).weight_scale", count: cout, in: tensors)
        bias = try Self.tensor("\(prefix).bias", count: cout, in: tensors)
    }

    static func tensor(_ name: String, count: Int, in tensors: [String: Tensor]) throws -> [Float] {
        guard let t = tensors[name] else { throw LayerStateError.missingTensor(name) }
        guard t.count == count else { throw LayerStateError.shapeMismatch(name: name, expected: [count], found: t.shape) }
        return t.scalars
    }
}
