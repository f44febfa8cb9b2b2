import Foundation
import LeptonCore
import LeptonTestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    private var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("modelfile") }
    override func tearDown() { dir.remove() }

    private func sampleBytes() throws -> [UInt8] {
        let manifest = ModelManifest(kind: "test-kind", inputShape: [2], classNames: ["a", "b"], createdAt: "2026-01-01T00:00:00Z")
        return try ModelFile.encode(manifest: manifest, tensors: [("w", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                                                                  ("b", Tensor([7]))])
    }

    /// Rewrites the trailing CRC so that a tampered body passes the checksum (to reach the parser).
    private func rechecksummed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        let crc = CRC32.checksum(b[0..<(b.count - 4)])
        for i in 0..<4 { b[b.count - 4 + i] = UInt8((crc >> (8 * UInt32(i))) & 0xFF) }
        return b
    }

    func testCRC32KnownVectorAndBytewiseTwin() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        // Slicing-by-4 equals the plain bit-by-bit definition on every length and alignment.
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var rng = SeededGenerator(seed: 4)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for (start, end) in [(0, 0), (0, 1), (1, 8), (3, 300), (0, 299), (7, 200)] {
            XCTAssertEqual(CRC32.checksum(data[start..<end]), bitwise(data[start..<end]), "\(start)..<\(end)")
        }
    }

    func testSaveLoadGivesIdenticalPredictions() throws {
        let train = barImages(count: 64, seed: 40)
        let net = try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2), seed: 1,
                                    classNames: ["horizontal", "vertical"])
        _ = try net.fit(Trainer(TrainerConfig(epochs: 1, batchSize: 16, threads: .fixed(1))), optimizer: Adam(),
                        loss: SoftmaxCrossEntropy(), inputs: train.x, targets: train.y)
        let path = dir.file("cnn.lepton")
        let details = ModelManifest(kind: "ignored", domain: "imaging", preprocessing: ["scale": .double(1.0 / 255)],
                                    metrics: ["accuracy": 0.97], trainingDataFingerprint: train.x.fingerprint(), seed: 1,
                                    extra: ["note": .string("test")])
        try net.save(to: path, details: details)
        let (loaded, manifest) = try NeuralNetwork.load(from: path)
        XCTAssertEqual(manifest.kind, "neural-network")
        XCTAssertEqual(manifest.architecture, "cnn-small")
        XCTAssertEqual(manifest.inputShape, [1, 8, 8])
        XCTAssertEqual(manifest.classNames, ["horizontal", "vertical"])
        XCTAssertEqual(manifest.metrics["accuracy"], 0.97)
        XCTAssertEqual(manifest.preprocessing["scale"], .double(1.0 / 255))
        XCTAssertEqual(manifest.trainingDataFingerprint, train.x.fingerprint())
        XCTAssertEqual(manifest.toolVersion, LeptonVersion.string)
        XCTAssertEqual(manifest.extra["note"], .string("test"))
        XCTAssertEqual(loaded.predict(train.x), net.predict(train.x))
    }

    func testBatchNormRunningStatisticsSurviveSaveAndLoad() throws {
        var rng = SeededGenerator(seed: 3)
        let net = try NeuralNetwork(ArchitectureSpec(name: "resnet18", inputShape: [1, 6, 6], outputs: 3), seed: 2)
        _ = net.model.forward(Tensor.normal([4, 1, 6, 6], using: &rng), training: true)   // moves running stats
        let path = dir.file("resnet.lepton")
        try net.save(to: path)
        let (loaded, _) = try NeuralNetwork.load(from: path)
        let x = Tensor.normal([2, 1, 6, 6], using: &rng)
        XCTAssertEqual(loaded.predict(x), net.predict(x))
        XCTAssertEqual(loaded.parameterCount, net.parameterCount)
    }

    func testGenericKindsRoundTrip() throws {
        let path = dir.file("trees.lepton")
        let manifest = ModelManifest(kind: "gradient-boosted-trees", architecture: "hist-gbm", inputShape: [12],
                                     extra: ["trees": .double(100), "objective": .string("binary"),
                                             "features": .array([.string("age"), .string("income")])])
        try ModelFile.write(path: path, manifest: manifest, tensors: [("thresholds", Tensor([0.5, 1.5])), ("empty", Tensor.zeros([0]))])
        let contents = try ModelFile.read(path: path, expectedKind: "gradient-boosted-trees")
        XCTAssertEqual(contents.manifest, manifest)
        XCTAssertEqual(contents.tensors.map(\.name), ["thresholds", "empty"])
        XCTAssertEqual(contents.tensorsByName["thresholds"], Tensor([0.5, 1.5]))
        // The same file refused as a neural network, with a clear message.
        XCTAssertThrowsError(try NeuralNetwork.load(from: path)) { error in
            XCTAssertEqual("\(error)", "\(path) holds a 'gradient-boosted-trees' model, expected 'neural-network'")
        }
    }

    func testTruncatedFilesFailCleanlyAtEveryLength() throws {
        let bytes = try sampleBytes()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try ModelFile.decode(Array(bytes[0..<length]), path: "m")) { error in
                guard let e = error as? ModelFileError else { return XCTFail("unexpected \(error)") }
                switch e {
                case .truncated, .notAModelFile: break
                default: XCTFail("length \(length): \(e)")
                }
            }
        }
        XCTAssertThrowsError(try ModelFile.decode(Array(bytes.dropLast(10)), path: "m")) { error in
            XCTAssertEqual("\(error)", "m is truncated: \(bytes.count - 10) bytes, the header declares \(bytes.count)")
        }
        XCTAssertNoThrow(try ModelFile.decode(bytes))
    }

    func testCorruptedByteGivesChecksumError() throws {
        let bytes = try sampleBytes()
        for position in stride(from: 32, to: bytes.count, by: 7) {
            var b = bytes
            b[position] ^= 0x5A
            XCTAssertThrowsError(try ModelFile.decode(b, path: "m")) { error in
                XCTAssertEqual(error as? ModelFileError, .checksumMismatch(path: "m"), "position \(position)")
            }
        }
    }

    func testUnknownMajorVersionAndForeignFiles() throws {
        var b = try sampleBytes()
        b[8] = 4
        XCTAssertThrowsError(try ModelFile.decode(b, path: "m")) { error in
            XCTAssertEqual("\(error)", "model file format 4.0 is not supported (this tool reads major versions 1 to 3); upgrade Lepton")
        }
        XCTAssertThrowsError(try ModelFile.decode(Array("PNG and other things, definitely not a model".utf8), path: "x.png")) { error in
            XCTAssertEqual("\(error)", "x.png is not a Lepton model file (bad magic)")
        }
        XCTAssertThrowsError(try ModelFile.read(path: dir.file("missing.lepton")))
        var trailing = try sampleBytes()
        trailing.append(0)
        XCTAssertThrowsError(try ModelFile.decode(trailing, path: "m"))
    }

    func testHugeDeclaredSizesAreRejectedWithoutAllocating() throws {
        let bytes = try sampleBytes()
        let manifestLength = Int(bytes[24]) | Int(bytes[25]) << 8
        let tableStart = 32 + manifestLength
        // Tensor count → 2³² − 1.
        var b = bytes
        for i in 0..<4 { b[tableStart + i] = 0xFF }
        XCTAssertThrowsError(try ModelFile.decode(rechecksummed(b), path: "m")) { error in
            guard case ModelFileError.malformed = error else { return XCTFail("\(error)") }
        }
        // First tensor's first dimension → 2⁴⁰ (name "w" is 1 byte: count 4, name length 4, name 1, rank 4).
        b = bytes
        let dim = tableStart + 4 + 4 + 1 + 4
        XCTAssertEqual(b[dim], 2)
        b[dim + 5] = 1
        XCTAssertThrowsError(try ModelFile.decode(rechecksummed(b), path: "m")) { error in
            XCTAssertTrue("\(error)".contains("more than the file holds") || "\(error)".contains("impossible shape"), "\(error)")
        }
        // Manifest length → 2⁶³.
        b = bytes
        b[31] = 0x80
        XCTAssertThrowsError(try ModelFile.decode(rechecksummed(b), path: "m")) { error in
            guard case ModelFileError.malformed = error else { return XCTFail("\(error)") }
        }
        // Manifest that is not JSON.
        b = bytes
        b[32] = UInt8(ascii: "!")
        XCTAssertThrowsError(try ModelFile.decode(rechecksummed(b), path: "m")) { error in
            XCTAssertTrue("\(error)".contains("manifest is not valid JSON"), "\(error)")
        }
    }

    func testWriteIsAtomicAndReplacesExistingFile() throws {
        let path = dir.file("model.lepton")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let manifest = ModelManifest(kind: "k")
        try ModelFile.write(path: path, manifest: manifest, tensors: [])
        XCTAssertEqual(try ModelFile.read(path: path).manifest.kind, "k")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.lepton"])
        XCTAssertThrowsError(try ModelFile.write(path: dir.file("no/such/dir/m.lepton"), manifest: manifest, tensors: []))
    }
}
