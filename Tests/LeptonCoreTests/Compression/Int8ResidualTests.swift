import CLeptonKernels
import XCTest
@testable import LeptonCore

/// The int8 residual network (resnet18 and smaller ones of the same pattern): strided and 1×1
/// kernels against the naive reference, BatchNorm folding and calibration through the blocks
/// against the float network, every kernel path identical, saving and loading, damaged files.
final class Int8ResidualTests: XCTestCase {
    private var paths: [Int8KernelPath] { Int8KernelPath.allCases.filter(\.isAvailable) }

    func testStridedAndNarrowKernelsGiveTheNaiveSums() {
        var rng = SeededGenerator(seed: 21)
        for trial in 0..<80 {
            let narrow = trial % 2 == 1, ksize = trial % 3 == 0 ? 1 : 3, stride = 1 + rng.nextInt(below: 2)
            let cin4 = 4 * (1 + rng.nextInt(below: 12)), cout16 = 16 * (1 + rng.nextInt(below: 4))
            let h = 1 + rng.nextInt(below: 9), w = 1 + rng.nextInt(below: 11)
            let oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1
            // 127 against the extreme weights is where an int16 sum would overflow if it could.
            let extreme = trial % 4 < 2
            let limit = narrow ? 63 : 127
            let src = (0..<((h + 2) * (w + 2) * cin4)).map { _ in UInt8(extreme ? 127 : rng.nextInt(below: 128)) }
            let weights = (0..<(ksize * ksize * cin4 / 4 * cout16 / 16 * 64)).map { _ in
                Int8(extreme ? (rng.nextInt(below: 2) == 0 ? limit : -limit) : rng.nextInt(below: 2 * limit + 1) - limit)
            }
            let shape = lepton_qconv_shape(cin4: Int32(cin4), h: Int32(h), w: Int32(w), ksize: Int32(ksize), stride: Int32(stride),
                                           cout16: Int32(cout16), narrow: narrow ? 1 : 0)
            var reference = [Int32](repeating: 0, count: oh * ow * cout16)
            lepton_qconv(src, shape, weights, &reference, Int8KernelPath.naive.code)
            // The naive sums are the definition: check one against a direct computation.
            let (p, o) = (rng.nextInt(below: oh * ow), rng.nextInt(below: cout16))
            var direct: Int32 = 0
            for t in 0..<(ksize * ksize) {
                let (u, v) = ksize == 3 ? (t / 3, t % 3) : (1, 1)
                for c in 0..<cin4 {
                    let a = src[((p / ow * stride + u) * (w + 2) + p % ow * stride + v) * cin4 + c]
                    let q = weights[(((o / 16) * ksize * ksize + t) * (cin4 / 4) + c / 4) * 64 + (o % 16) * 4 + c % 4]
                    direct += Int32(a) * Int32(q)
                }
            }
            XCTAssertEqual(reference[p * cout16 + o], direct, "trial \(trial)")
            for path in paths where path != .naive {
                var sums = [Int32](repeating: -1, count: oh * ow * cout16)
                lepton_qconv(src, shape, weights, &sums, path.code)
                XCTAssertEqual(sums, reference, "\(path) trial \(trial) narrow \(narrow) k\(ksize) s\(stride) cin4 \(cin4) cout16 \(cout16) \(h)×\(w)")
            }
        }
    }

    /// A small network of resnet18's pattern: stem, an identity block, a strided projection block.
    private func smallResNet(channels c: Int, widths: (Int, Int), seed: UInt64) -> Sequential {
        var rng = SeededGenerator(seed: seed)
        let model = Sequential([
            ChannelsLast(),
            Conv2D(c, widths.0, kernelSize: 3, stride: 1, padding: 1, bias: false, layout: .channelsLast, using: &rng),
            BatchNorm(widths.0, layout: .channelsLast), ReLU(),
            ResidualBlock.basic(widths.0, widths.0, stride: 1, layout: .channelsLast, inner: max(1, widths.0 / 2 + 1), using: &rng),
            ResidualBlock.basic(widths.0, widths.1, stride: 2, layout: .channelsLast, using: &rng),
            GlobalAvgPool(layout: .channelsLast), Dense(widths.1, 2, using: &rng),
        ])
        randomizeNorms(model, rng: &rng)
        return model
    }

    /// BatchNorm statistics and affine parameters away from their initial 0/1, so folding matters.
    private func randomizeNorms(_ model: Sequential, rng: inout SeededGenerator) {
        for layer in allLayers(model) {
            guard let bn = layer as? BatchNorm else { continue }
            bn.weight.value = Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { _ in 0.5 + Float(rng.nextInt(below: 100)) / 100 })
            bn.bias.value = Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { _ in 0.2 * rng.nextNormal() })
            bn.runningMean.value = Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { _ in 0.3 * rng.nextNormal() })
            bn.runningVariance.value = Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { _ in 0.5 + Float(rng.nextInt(below: 100)) / 100 })
        }
    }

    private func allLayers(_ model: Sequential) -> [any Layer] {
        model.layers.flatMap { layer -> [any Layer] in
            if let block = layer as? ResidualBlock { return allLayers(block.main) + (block.shortcut.map(allLayers) ?? []) }
            return [layer]
        }
    }

    private func images(_ n: Int, c: Int, h: Int, w: Int, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [n, c, h, w], scalars: (0..<(n * c * h * w)).map { _ in rng.nextNormal() })
    }

    func testQuantizedResidualNetworkAgreesWithFloatAndIsIdenticalOnEveryPath() throws {
        // (1, 4): one-channel convolutions after the first (a pruned width of 1) run as 3×3, not unfolded.
        for (c, h, w, widths) in [(1, 8, 8, (8, 16)), (3, 7, 9, (12, 20)), (1, 5, 5, (16, 32)), (2, 1, 1, (4, 4)), (1, 6, 6, (1, 4))] {
            let model = smallResNet(channels: c, widths: widths, seed: UInt64(c * 100 + h))
            let calibration = images(48, c: c, h: h, w: w, seed: 1), test = images(24, c: c, h: h, w: w, seed: 2)
            let reference = model.forward(test, training: false)
            for method in ActivationCalibration.allCases {
                for narrow in [false, true] {
                    let q = try Int8Quantizer.quantize(model, inputShape: [c, h, w], calibration: calibration, method: method, narrowWeights: narrow)
                    XCTAssert(q is Int8ResidualNet, "\(q.summary)")
                    var outputs: [Tensor] = []
                    for path in paths {
                        q.path = path
                        outputs.append(q.forward(test, training: false))
                    }
                    for o in outputs.dropFirst() { XCTAssertEqual(o.scalars, outputs[0].scalars, "\(method) narrow \(narrow): paths differ") }
                    let scale = reference.scalars.map(abs).max()! + 1e-3
                    let worst = zip(outputs[0].scalars, reference.scalars).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(worst / scale, method == .minmax ? 0.1 : 0.2, "\(c)×\(h)×\(w) \(method) narrow \(narrow)")
                }
            }
        }
    }

    func testResNet18QuantizesSavesLoadsAndScoresTheSame() throws {
        let float = try NeuralNetwork(ArchitectureSpec(name: "resnet18", inputShape: [1, 8, 8], outputs: 2,
                                                       channels: [8, 8, 16, 16, 16, 16, 32, 32]), seed: 4)
        var rng = SeededGenerator(seed: 9)
        randomizeNorms(float.model, rng: &rng)
        let calibration = images(16, c: 1, h: 8, w: 8, seed: 3), test = images(6, c: 1, h: 8, w: 8, seed: 4)
        let q = try Int8Quantizer.quantize(float.model, inputShape: [1, 8, 8], calibration: calibration, method: .percentile)
        XCTAssert(q.summary.contains("Int8ResidualNet"), q.summary)
        let compressed = NeuralNetwork(architecture: float.architecture, model: Sequential([q]), classNames: ["a", "b"],
                                       compression: NetworkCompression(method: .int8, calibration: .percentile))
        let reference = float.predict(test), quantized = compressed.predict(test)
        let scale = reference.scalars.map(abs).max()! + 1e-3
        XCTAssertLessThan(zip(quantized.scalars, reference.scalars).map { abs($0 - $1) }.max()! / scale, 0.2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("int8-resnet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for narrow in [false, true] {
            let q = try Int8Quantizer.quantize(float.model, inputShape: [1, 8, 8], calibration: calibration, method: .minmax, narrowWeights: narrow)
            let net = NeuralNetwork(architecture: float.architecture, model: Sequential([q]), classNames: ["a", "b"],
                                    compression: NetworkCompression(method: .int8, calibration: .minmax))
            let path = dir + "/q\(narrow).lepton", plainPath = dir + "/f.lepton"
            try net.save(to: path)
            try float.save(to: plainPath)
            let (loaded, _) = try NeuralNetwork.load(from: path)
            XCTAssertEqual(loaded.compression?.method, .int8)
            XCTAssertEqual(loaded.predict(test).scalars, net.predict(test).scalars, "narrow \(narrow)")
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            let plain = try FileManager.default.attributesOfItem(atPath: plainPath)[.size] as! Int
            XCTAssertLessThan(Double(size), 0.35 * Double(plain))
        }
    }

    func testCodesOfTheEarlierTapMajorLayoutLoadReordered() throws {
        var rng = SeededGenerator(seed: 41)
        for (cin, cout, kernel, stride) in [(5, 20, 3, 1), (1, 7, 3, 1), (12, 33, 1, 2), (64, 32, 3, 2)] {
            let float = (0..<(cout * cin * kernel * kernel)).map { _ in rng.nextNormal() }
            let conv = Int8Convolution(weights: float, bias: nil, cin: cin, cout: cout, kernel: kernel, stride: stride, h: 5, w: 6)
            // The earlier packing, written out: [taps][cin4 / 4][cout16 / 16][16][4].
            let (taps, groups, blocks) = (conv.ksize * conv.ksize, conv.cin4 / 4, conv.cout16 / 16)
            var tapMajor = [Int8](repeating: 0, count: conv.weights.count)
            for block in 0..<blocks {
                for tap in 0..<taps {
                    for group in 0..<groups {
                        let from = ((block * taps + tap) * groups + group) * 64, to = ((tap * groups + group) * blocks + block) * 64
                        tapMajor[to..<(to + 64)] = conv.weights[from..<(from + 64)]
                    }
                }
            }
            var old = conv
            old.weights = tapMajor
            var loaded = conv
            loaded.weights = [Int8](repeating: 0, count: conv.weights.count)
            try loaded.load("c", from: Dictionary(old.tensors("c").map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a }),
                            layout: .tapMajor)
            XCTAssertEqual(loaded.weights, conv.weights, "\(cin)→\(cout) k\(kernel)")
        }
        // A file of the earlier layout (the fuzz corpus' int8 scan model, version 2, no layout):
        // it loads, is block-major in memory, saves as version 3 and loads back the same.
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/model-file/scan-int8.lepton").path
        let (old, _) = try NeuralNetwork.load(from: corpus)
        XCTAssertEqual(old.compression?.weightLayout, .blockMajor)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("int8-legacy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try old.save(to: dir + "/again.lepton")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/again.lepton")))
        XCTAssertEqual(UInt16(bytes[8]) | UInt16(bytes[9]) << 8, 3, "block-major int8 files are version 3")
        XCTAssertThrowsError(try ModelFile.decode(bytes, path: "again.lepton", readerMajorVersion: 2)) {
            XCTAssert("\($0)".contains("not supported"), "\($0)")
        }
        let (again, _) = try NeuralNetwork.load(from: dir + "/again.lepton")
        let shape = old.architecture.inputShape
        let x = images(5, c: shape[0], h: shape[1], w: shape[2], seed: 44)
        XCTAssertEqual(again.predict(x).scalars, old.predict(x).scalars)
        // A compression record without the layout is an earlier file's: tap-major.
        let record = try JSONDecoder().decode(NetworkCompression.self, from: Data(#"{"method":"int8","calibration":"percentile"}"#.utf8))
        XCTAssertNil(record.weightLayout)
        XCTAssertEqual(NetworkCompression(method: .int8).weightLayout, .blockMajor)
        XCTAssertNil(NetworkCompression(method: .prune).weightLayout)
    }

    func testRandomShapesAndDegenerateCalibrationNeverTrap() throws {
        var rng = SeededGenerator(seed: 33)
        for trial in 0..<12 {
            let c = 1 + rng.nextInt(below: 3), h = 1 + rng.nextInt(below: 7), w = 1 + rng.nextInt(below: 7)
            let widths = (1 + rng.nextInt(below: 20), 1 + rng.nextInt(below: 20))
            let model = smallResNet(channels: c, widths: widths, seed: UInt64(trial))
            let count = 2 + rng.nextInt(below: 6)
            let values: [Float]
            switch trial % 4 {
            case 0: values = [Float](repeating: 0, count: count * c * h * w)  // constant
            case 1: values = (0..<(count * c * h * w)).map { $0 % 2 == 0 ? 1e30 : -1e30 }  // extremes
            case 2: values = (0..<(count * c * h * w)).map { $0 % 7 == 0 ? .infinity : ($0 % 5 == 0 ? .nan : 1) }  // specials
            default: values = (0..<(count * c * h * w)).map { _ in rng.nextNormal() * (rng.nextInt(below: 50) == 0 ? 1e4 : 1) }  // heavy tail
            }
            let calibration = Tensor(shape: [count, c, h, w], scalars: values)
            for method in ActivationCalibration.allCases {
                let q = try Int8Quantizer.quantize(model, inputShape: [c, h, w], calibration: calibration, method: method, narrowWeights: trial % 2 == 0)
                let out = q.forward(images(3, c: c, h: h, w: w, seed: UInt64(trial)), training: false)
                XCTAssertEqual(out.shape, [3, 2])
                if trial % 4 == 0 || trial % 4 == 3 { XCTAssert(out.scalars.allSatisfy(\.isFinite), "trial \(trial) \(method)") }
            }
        }
    }

    func testDamagedResidualTensorsAreRefusedOrRunWithoutTrapping() throws {
        let model = smallResNet(channels: 1, widths: (8, 16), seed: 5)
        let q = try Int8Quantizer.quantize(model, inputShape: [1, 6, 6], calibration: images(8, c: 1, h: 6, w: 6, seed: 5), method: .minmax)
        let tensors = q.namedParameters.map { ($0.name, $0.parameter.value) }
        XCTAssert(tensors.contains { $0.0 == "block1.projection.weight_q" })
        var rng = SeededGenerator(seed: 12)
        let x = images(2, c: 1, h: 6, w: 6, seed: 13)
        for trial in 0..<200 {
            var damaged = Dictionary(tensors, uniquingKeysWith: { a, _ in a })
            let (name, t) = tensors[rng.nextInt(below: tensors.count)]
            if trial % 10 == 0 {
                damaged[name] = nil
            } else {
                var scalars = t.scalars
                scalars[rng.nextInt(below: scalars.count)] = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
                damaged[name] = Tensor(shape: t.shape, scalars: scalars)
            }
            let skeleton = try Int8Quantizer.skeleton(of: model, inputShape: [1, 6, 6])
            do {
                try skeleton.load(damaged)
                _ = skeleton.forward(x, training: false)
            } catch {
                XCTAssert(trial % 10 != 0 || "\(error)".contains(name), "\(error)")
            }
        }
    }
}
