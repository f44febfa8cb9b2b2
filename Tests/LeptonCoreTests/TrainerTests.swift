import Foundation
import LeptonCore
import LeptonTestSupport
import XCTest

final class TrainerTests: XCTestCase {
    override func tearDown() { Threading.setCount(min(2, Threading.availableCores)) }

    func testXorWithAnMLPConverges() throws {
        let (x, y) = xorData()
        let net = try NeuralNetwork(ArchitectureSpec(name: "mlp", inputShape: [2], outputs: 1, hiddenUnits: [16]), seed: 3)
        let config = TrainerConfig(epochs: 400, batchSize: 4, seed: 1, schedule: .constant(0.05), threads: .fixed(1))
        let history = try net.fit(Trainer(config), optimizer: Adam(), loss: BinaryCrossEntropyWithLogits(),
                                  inputs: x, targets: y)
        XCTAssertEqual(net.predictClasses(x), [0, 1, 1, 0])
        XCTAssertLessThan(history.records.last!.trainLoss, 0.05)
        let p = net.predictProbabilities(x)
        XCTAssertEqual(p.shape, [4, 1])
        XCTAssertTrue(p[0, 0] < 0.1 && p[1, 0] > 0.9)
    }

    func testSmallConvNetReaches99PercentOnGeneratedImages() throws {
        let train = barImages(count: 384, seed: 10), valid = barImages(count: 200, seed: 11)
        let net = try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2), seed: 4)
        let config = TrainerConfig(epochs: 12, batchSize: 32, seed: 2, schedule: .constant(3e-3),
                                   earlyStoppingPatience: 3, threads: .auto)
        let history = try net.fit(Trainer(config), optimizer: Adam(), loss: SoftmaxCrossEntropy(),
                                  inputs: train.x, targets: train.y, validation: (valid.x, valid.y))
        let best = history.records[history.bestEpoch - 1].metric!
        XCTAssertGreaterThanOrEqual(best, 0.99, "history: \(history.csv())")
        XCTAssertGreaterThanOrEqual(Metric.accuracy.evaluate(net.predict(valid.x), valid.y), 0.99,
                                    "the restored weights are the best epoch's")
        XCTAssertTrue([1, 2].contains(history.threads))
        XCTAssertEqual(Threading.count, history.threads)
    }

    private func tinyNetwork(seed: UInt64) -> Sequential {
        var rng = SeededGenerator(seed: seed)
        return Sequential([
            Conv2D(1, 4, kernelSize: 3, padding: 1, using: &rng), BatchNorm(4), ReLU(), MaxPool2D(kernelSize: 2),
            Flatten(), Dropout(rate: 0.2, seed: seed), Dense(64, 2, using: &rng),
        ])
    }

    func testSameSeedGivesBitIdenticalWeightsOnOneThread() throws {
        let data = barImages(count: 64, seed: 20)
        func train(_ seed: UInt64) throws -> [Tensor] {
            let model = tinyNetwork(seed: 7)
            let config = TrainerConfig(epochs: 2, batchSize: 16, seed: seed, schedule: .constant(0.05), threads: .fixed(1))
            _ = try Trainer(config).fit(model, optimizer: SGD(momentum: 0.9, nesterov: true), loss: SoftmaxCrossEntropy(),
                                        inputs: data.x, targets: data.y)
            return model.stateSnapshot().map(\.tensor)
        }
        let a = try train(1), b = try train(1), c = try train(2)
        XCTAssertEqual(a.map { $0.scalars.map(\.bitPattern) }, b.map { $0.scalars.map(\.bitPattern) })
        XCTAssertNotEqual(a, c, "a different shuffle seed gives different weights")
    }

    /// A metric that replays a script, to drive early stopping and plateau logic exactly.
    private func scripted(_ values: [Double], higherIsBetter: Bool = true) -> Metric {
        final class Counter: @unchecked Sendable {
            let lock = NSLock(); var i = 0
            func next() -> Int { lock.lock(); defer { i += 1; lock.unlock() }; return i }
        }
        let counter = Counter()
        return Metric(name: "scripted", higherIsBetter: higherIsBetter) { _, _ in values[min(counter.next(), values.count - 1)] }
    }

    func testEarlyStoppingRestoresTheBestWeights() throws {
        let data = barImages(count: 32, seed: 30)
        let model = tinyNetwork(seed: 8)
        var atEpoch2: [Tensor] = []
        let config = TrainerConfig(epochs: 20, batchSize: 16, schedule: .constant(0.05),
                                   earlyStoppingPatience: 2, restoreBestWeights: true, threads: .fixed(1))
        let callbacks = TrainingCallbacks(onEpochEnd: { record in
            if record.epoch == 2 { atEpoch2 = model.stateSnapshot().map(\.tensor) }
            return true
        })
        let history = try Trainer(config).fit(model, optimizer: SGD(), loss: SoftmaxCrossEntropy(), inputs: data.x,
                                              targets: data.y, validation: (data.x, data.y),
                                              metric: scripted([0.5, 0.9, 0.8, 0.85, 0.7, 0.99]), callbacks: callbacks)
        XCTAssertEqual(history.records.count, 5, "patience 2: epochs 3, 4, 5 fail to improve on epoch 2")
        XCTAssertTrue(history.stoppedEarly)
        XCTAssertEqual(history.bestEpoch, 2)
        XCTAssertEqual(model.stateSnapshot().map(\.tensor), atEpoch2)
    }

    func testReduceOnPlateauLowersTheRateAndCallbacksRun() throws {
        let data = barImages(count: 32, seed: 31)
        var batchCalls = 0
        let config = TrainerConfig(epochs: 6, batchSize: 8, schedule: .constant(0.1),
                                   reduceOnPlateau: PlateauSettings(factor: 0.5, patience: 1), threads: .fixed(1))
        let callbacks = TrainingCallbacks(onBatchEnd: { _, _, batches, _ in
            XCTAssertEqual(batches, 4)
            batchCalls += 1
        }, onEpochEnd: { $0.epoch < 5 })
        let history = try Trainer(config).fit(tinyNetwork(seed: 9), optimizer: SGD(), loss: SoftmaxCrossEntropy(),
                                              inputs: data.x, targets: data.y, validation: (data.x, data.y),
                                              metric: scripted([0.5, 0.5, 0.5, 0.5, 0.5]), callbacks: callbacks)
        XCTAssertEqual(history.records.count, 5, "onEpochEnd returning false stops")
        XCTAssertEqual(batchCalls, 20)
        XCTAssertEqual(history.records.map(\.learningRate), [0.1, 0.1, 0.1, 0.05, 0.05].map { Double(Float($0)) })
    }

    func testHistoryIsWritableAsCSVAndJSON() throws {
        let (x, y) = xorData()
        let model = try ModelRegistry.build(name: "logistic", inputShape: [2], outputs: 1, seed: 0)
        let history = try Trainer(TrainerConfig(epochs: 3, batchSize: 2, threads: .fixed(1)))
            .fit(model, optimizer: SGD(), loss: BinaryCrossEntropyWithLogits(), inputs: x, targets: y,
                 validation: (x, y), metric: .accuracy)
        let dir = try TemporaryDirectory("history")
        defer { dir.remove() }
        try history.writeCSV(to: dir.file("h.csv"))
        try history.writeJSON(to: dir.file("h.json"))
        let lines = try String(contentsOfFile: dir.file("h.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "epoch,train_loss,validation_loss,accuracy,learning_rate,seconds")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[1].hasPrefix("1,"))
        let decoded = try JSONDecoder().decode(TrainingHistory.self, from: Data(contentsOf: URL(fileURLWithPath: dir.file("h.json"))))
        XCTAssertEqual(decoded, history)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["h.csv", "h.json"],
                       "no temporary files left behind")
    }

    func testBadInputsThrowClearErrors() throws {
        let model = try ModelRegistry.build(name: "logistic", inputShape: [2], outputs: 1, seed: 0)
        let trainer = Trainer(TrainerConfig(epochs: 1, threads: .fixed(1)))
        XCTAssertThrowsError(try trainer.fit(model, optimizer: SGD(), loss: MeanSquaredError(),
                                             inputs: Tensor.zeros([3, 2]), targets: Tensor.zeros([2, 1]))) { error in
            XCTAssertEqual("\(error)", "training set: 3 inputs but 2 targets/weights")
        }
        XCTAssertThrowsError(try trainer.fit(model, optimizer: SGD(), loss: MeanSquaredError(),
                                             inputs: Tensor.zeros([0, 2]), targets: Tensor.zeros([0, 1])))
        let diverging = Trainer(TrainerConfig(epochs: 50, batchSize: 4, schedule: .constant(1e30), threads: .fixed(1)))
        XCTAssertThrowsError(try diverging.fit(model, optimizer: SGD(), loss: MeanSquaredError(),
                                               inputs: Tensor.ones([4, 2]), targets: Tensor.ones([4, 1]) * 1e10)) { error in
            guard case TrainingError.nonFiniteLoss = error else { return XCTFail("\(error)") }
        }
    }
}
