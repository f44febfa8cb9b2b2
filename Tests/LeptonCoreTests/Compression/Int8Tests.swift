import CLeptonKernels
import XCTest
@testable import LeptonCore

final class Int8Tests: XCTestCase {
    private var paths: [Int8KernelPath] { Int8KernelPath.allCases.filter(\.isAvailable) }

    func testEveryKernelPathGivesTheNaiveSumsOnRandomShapes() {
        XCTAssert(paths.contains(.naive))
        var rng = SeededGenerator(seed: 4)
        for trial in 0..<60 {
            let cin4 = 4 * (1 + rng.nextInt(below: 10)), cout16 = 16 * (1 + rng.nextInt(below: 5)), ksize = trial % 3 == 0 ? 1 : 3
            let h = 1 + rng.nextInt(below: 9), w = 1 + rng.nextInt(below: 11)
            // Extremes included: 127 activations against ±127 weights is the saturation edge of vpmaddubsw.
            let extreme = trial % 4 == 0
            let src = (0..<((h + 2) * (w + 2) * cin4)).map { _ in UInt8(extreme ? 127 : rng.nextInt(below: 128)) }
            let weights = (0..<(ksize * ksize * cin4 / 4 * cout16 / 16 * 64)).map { _ in Int8(extreme ? (rng.nextInt(below: 2) == 0 ? 127 : -127) : rng.nextInt(below: 255) - 127) }
            var reference = [Int32](repeating: 0, count: h * w * cout16)
            lepton_qconv_s32(src, Int32(cin4), Int32(h), Int32(w), Int32(ksize), weights, Int32(cout16), &reference, Int8KernelPath.naive.code)
            for path in paths where path != .naive {
                var sums = [Int32](repeating: -1, count: h * w * cout16)
                lepton_qconv_s32(src, Int32(cin4), Int32(h), Int32(w), Int32(ksize), weights, Int32(cout16), &sums, path.code)
                XCTAssertEqual(sums, reference, "\(path) trial \(trial) cin4 \(cin4) cout16 \(cout16) \(h)×\(w)")
            }
        }
    }

    private func network(channels: [Int]? = nil, size: Int = 12) throws -> NeuralNetwork {
        try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, size, size], outputs: 2, channels: channels), seed: 3)
    }

    private func images(_ n: Int, size: Int = 12, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [n, 1, size, size], scalars: (0..<(n * size * size)).map { _ in rng.nextNormal() })
    }

    func testQuantizedNetworkAgreesWithFloatAndIsIdenticalOnEveryPath() throws {
        for (channels, size) in [(nil, 12), ([5, 9, 17] as [Int]?, 13), ([1, 1, 1] as [Int]?, 4)] {
            let float = try network(channels: channels, size: size)
            let calibration = images(64, size: size, seed: 1), test = images(40, size: size, seed: 2)
            let reference = float.predict(test)
            for method in ActivationCalibration.allCases {
                let q = try Int8Quantizer.quantize(float.model, inputShape: [1, size, size], calibration: calibration, method: method)
                var outputs: [Tensor] = []
                for path in paths {
                    q.path = path
                    outputs.append(q.forward(test, training: false))
                }
                for o in outputs.dropFirst() { XCTAssertEqual(o.scalars, outputs[0].scalars, "\(method): paths differ") }
                let scale = reference.scalars.map(abs).max()! + 1e-3
                let worst = zip(outputs[0].scalars, reference.scalars).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst / scale, method == .minmax ? 0.08 : 0.15, "\(channels ?? []) \(method)")
            }
        }
    }

    func testInt8NetworkSavesLoadsAndScoresTheSameAndOldReadersRefuseIt() throws {
        let float = try network()
        let q = try Int8Quantizer.quantize(float.model, inputShape: [1, 12, 12], calibration: images(32, seed: 5), method: .percentile)
        let compressed = NeuralNetwork(architecture: float.architecture, model: Sequential([q]), classNames: ["a", "b"],
                                       compression: NetworkCompression(method: .int8, calibration: .percentile))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("int8-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/q.lepton", plainPath = dir + "/f.lepton"
        try compressed.save(to: path)
        try float.save(to: plainPath)
        let (loaded, manifest) = try NeuralNetwork.load(from: path)
        XCTAssertEqual(loaded.compression?.method, .int8)
        XCTAssertEqual(manifest.extra["compression"]?["method"]?.string, "int8")
        let test = images(20, seed: 6)
        XCTAssertEqual(loaded.predict(test).scalars, compressed.predict(test).scalars)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let plain = try FileManager.default.attributesOfItem(atPath: plainPath)[.size] as! Int
        XCTAssertLessThan(Double(size), 0.45 * Double(plain), "int8 codes take a quarter of the float weights")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertThrowsError(try ModelFile.decode(bytes, path: path, readerMajorVersion: 1))
    }

    func testQuantizerRefusesWhatItCannotRunWithClearMessages() throws {
        let mlp = try NeuralNetwork(ArchitectureSpec(name: "mlp", inputShape: [16], outputs: 2), seed: 1)
        XCTAssertThrowsError(try Int8Quantizer.quantize(mlp.model, inputShape: [1, 4, 4], calibration: images(4, size: 4, seed: 1), method: .minmax)) {
            XCTAssert("\($0)".contains("cnn-small"), "\($0)")
        }
        let cnn = try network()
        XCTAssertThrowsError(try Int8Quantizer.quantize(cnn.model, inputShape: [1, 12, 12], calibration: images(1, seed: 1), method: .minmax)) {
            XCTAssert("\($0)".contains("at least 2 images"), "\($0)")
        }
        XCTAssertThrowsError(try Int8Quantizer.quantize(cnn.model, inputShape: [1, 12, 12], calibration: images(4, size: 10, seed: 1), method: .minmax)) {
            XCTAssert("\($0)".contains("calibration images must be (N, 1, 12, 12)"), "\($0)")
        }
        // Constant calibration data give finite outputs; extreme ones (±1e30) never trap.
        for value: Float in [0, 1e30, -1e30] {
            let constant = Tensor(shape: [3, 1, 12, 12], scalars: [Float](repeating: value, count: 3 * 144))
            for method in ActivationCalibration.allCases {
                let q = try Int8Quantizer.quantize(cnn.model, inputShape: [1, 12, 12], calibration: constant, method: method)
                let out = q.forward(images(2, seed: 3), training: false)
                if value == 0 { XCTAssert(out.scalars.allSatisfy(\.isFinite), "\(method)") }
            }
        }
    }

    func testDamagedInt8TensorsAreRefusedOrRunWithoutTrapping() throws {
        let float = try network()
        let q = try Int8Quantizer.quantize(float.model, inputShape: [1, 12, 12], calibration: images(8, seed: 5), method: .minmax)
        let tensors = q.namedParameters.map { ($0.name, $0.parameter.value) }
        var rng = SeededGenerator(seed: 12)
        let x = images(2, seed: 13)
        for _ in 0..<200 {
            var damaged = Dictionary(tensors, uniquingKeysWith: { a, _ in a })
            let (name, t) = tensors[rng.nextInt(below: tensors.count)]
            var scalars = t.scalars
            if scalars.isEmpty { continue }
            scalars[rng.nextInt(below: scalars.count)] = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            damaged[name] = Tensor(shape: t.shape, scalars: scalars)
            let skeleton = try Int8Quantizer.skeleton(of: float.model, inputShape: [1, 12, 12])
            if (try? skeleton.load(damaged)) != nil { _ = skeleton.forward(x, training: false) }
        }
    }

    func testCalibrationThresholds() {
        var rng = SeededGenerator(seed: 8)
        var values = (0..<20_000).map { _ in abs(rng.nextNormal()) }
        values.append(1000)  // one outlier
        XCTAssertEqual(ActivationCalibration.minmax.threshold(values), 1000)
        XCTAssertLessThan(ActivationCalibration.percentile.threshold(values), 10)
        let entropy = ActivationCalibration.entropy.threshold(values)
        XCTAssertLessThan(entropy, 1000)
        XCTAssertGreaterThan(entropy, 0)
        XCTAssertEqual(ActivationCalibration.entropy.threshold([]), 1)
    }
}

import Foundation
