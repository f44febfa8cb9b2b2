@testable import LeptonCore
import LeptonTestSupport
import XCTest

final class TransferLearningTests: XCTestCase {
    private func network(_ name: String, size: Int, outputs: Int = 2, seed: UInt64) throws -> NeuralNetwork {
        try NeuralNetwork(ArchitectureSpec(name: name, inputShape: [1, size, size], outputs: outputs), seed: seed)
    }

    /// Same shape: every tensor is copied (cnn-small ends in global average pooling, so another
    /// resolution copies everything too). Another class count: the last dense layer keeps its
    /// initial values, the rest is copied.
    func testWeightsOfTheSameNameAndShapeAreCopied() throws {
        let source = try network("cnn-small", size: 8, seed: 1)
        let same = try network("cnn-small", size: 8, seed: 2)
        let all = try same.transferWeights(from: source)
        XCTAssertTrue(all.kept.isEmpty)
        XCTAssertEqual(same.model.stateSnapshot().map(\.tensor), source.model.stateSnapshot().map(\.tensor))

        let bigger = try network("cnn-small", size: 16, outputs: 3, seed: 2)
        let before = Dictionary(uniqueKeysWithValues: bigger.model.namedParameters.map { ($0.name, $0.parameter.value) })
        let partial = try bigger.transferWeights(from: source)
        XCTAssertFalse(partial.copied.isEmpty)
        XCTAssertFalse(partial.kept.isEmpty)
        let sourceTensors = Dictionary(uniqueKeysWithValues: source.model.namedParameters.map { ($0.name, $0.parameter.value) })
        for (name, parameter) in bigger.model.namedParameters {
            XCTAssertEqual(parameter.value, partial.copied.contains(name) ? sourceTensors[name] : before[name], name)
        }
        XCTAssertThrowsError(try network("mlp", size: 8, seed: 1).transferWeights(from: source)) { error in
            XCTAssertTrue("\(error)".contains("cnn-small"), "\(error)")
        }
    }

    /// Frozen blocks keep their weights through training; the rest change.
    func testFrozenBlocksAreNotUpdated() throws {
        let net = try network("cnn-small", size: 8, seed: 3)
        XCTAssertGreaterThan(net.trainableBlockCount, 2)
        let frozenScalars = net.freezeLeadingBlocks(1)
        XCTAssertGreaterThan(frozenScalars, 0)
        let before = net.model.namedParameters.map { ($0.name, $0.parameter.value, $0.parameter.isTrainable) }
        var rng = SeededGenerator(seed: 5)
        let x = Tensor(shape: [32, 1, 8, 8], scalars: (0..<(32 * 64)).map { _ in Float(rng.normal()) })
        let y = Tensor((0..<32).map { Float($0 % 2) })
        _ = try net.fit(Trainer(TrainerConfig(epochs: 2, batchSize: 8, threads: .fixed(1))), optimizer: Adam(),
                        loss: SoftmaxCrossEntropy(), inputs: x, targets: y)
        var changedTrainable = 0
        for ((name, old, trainable), now) in zip(before, net.model.namedParameters.map(\.parameter.value)) {
            if name.hasPrefix("0.") { XCTAssertEqual(old, now, "frozen \(name) changed") }
            if trainable && old != now { changedTrainable += 1 }
        }
        XCTAssertGreaterThan(changedTrainable, 0)
    }
}

final class EnsembleFileTests: XCTestCase {
    /// An ensemble saved in one file loads back member by member with identical predictions;
    /// `load(from:)` reads the first member alone.
    func testEnsembleRoundTrip() throws {
        let dir = try TemporaryDirectory("ensemble")
        defer { dir.remove() }
        let spec = ArchitectureSpec(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2)
        let members = try (0..<3).map { try NeuralNetwork(spec, seed: UInt64($0), classNames: ["a", "b"]) }
        let path = dir.file("ensemble.lepton")
        try members[0].save(to: path, details: nil, ensemble: Array(members.dropFirst()))
        let (loaded, manifest) = try NeuralNetwork.loadEnsemble(from: path)
        XCTAssertEqual(manifest.extra["ensembleMembers"], .int(3))
        XCTAssertEqual(loaded.count, 3)
        var rng = SeededGenerator(seed: 1)
        let x = Tensor(shape: [4, 1, 8, 8], scalars: (0..<256).map { _ in Float(rng.normal()) })
        for (a, b) in zip(members, loaded) { XCTAssertEqual(a.predict(x), b.predict(x)) }
        XCTAssertNotEqual(members[0].predict(x), members[1].predict(x))
        XCTAssertEqual(try NeuralNetwork.load(from: path).network.predict(x), members[0].predict(x))
        // One network: loadEnsemble gives just it.
        try members[1].save(to: dir.file("one.lepton"))
        XCTAssertEqual(try NeuralNetwork.loadEnsemble(from: dir.file("one.lepton")).networks.count, 1)
    }
}
