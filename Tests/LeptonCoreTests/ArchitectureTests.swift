import LeptonCore
import XCTest

final class ArchitectureTests: XCTestCase {
    func testCnnSmallHasExactly23426Parameters() throws {
        let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 28, 28], outputs: 2, seed: 0)
        XCTAssertEqual(model.trainableParameterCount, 23_426)
        var rng = SeededGenerator(seed: 1)
        XCTAssertEqual(model.forward(Tensor.normal([2, 1, 28, 28], using: &rng), training: false).shape, [2, 2])
    }

    func testResNet18For28x28SingleChannel() throws {
        let model = try ModelRegistry.build(name: "resnet18", inputShape: [1, 28, 28], outputs: 2, seed: 0)
        // Stem 576 + 128; stages 147,968 + 525,568 + 2,099,712 + 8,393,728; head 1,026.
        XCTAssertEqual(model.trainableParameterCount, 11_168_706)
        XCTAssertEqual(Double(model.trainableParameterCount) / 1e6, 11.2, accuracy: 0.05)
        let blocks = model.layers.compactMap { $0 as? ResidualBlock }
        XCTAssertEqual(blocks.count, 8)
        XCTAssertEqual(blocks.filter { $0.shortcut != nil }.count, 3)
        XCTAssertFalse(model.layers.contains { $0 is MaxPool2D }, "no stem max-pool")
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.normal([2, 1, 28, 28], using: &rng)
        let y = model.forward(x, training: true)
        XCTAssertEqual(y.shape, [2, 2])
        let dx = model.backward(Tensor.ones([2, 2]))
        XCTAssertEqual(dx.shape, x.shape)
        XCTAssertTrue(dx.scalars.allSatisfy(\.isFinite))
    }

    func testDenseArchitectures() throws {
        let logistic = try ModelRegistry.build(name: "logistic", inputShape: [7], outputs: 1, seed: 0)
        XCTAssertEqual(logistic.trainableParameterCount, 8)
        let mlp = try ModelRegistry.build(ArchitectureSpec(name: "mlp", inputShape: [1, 4, 4], outputs: 3, hiddenUnits: [5]), seed: 0)
        XCTAssertEqual(mlp.trainableParameterCount, 16 * 5 + 5 + 5 * 3 + 3)
        XCTAssertEqual(mlp.forward(Tensor.zeros([2, 1, 4, 4]), training: false).shape, [2, 3])
    }

    func testUnknownNameAndBadShapesGiveClearErrors() {
        XCTAssertThrowsError(try ModelRegistry.build(name: "resnet19", inputShape: [1, 28, 28], outputs: 2, seed: 0)) { error in
            XCTAssertEqual("\(error)", "unknown model 'resnet19' (known: logistic, mlp, cnn-small, resnet18)")
        }
        XCTAssertThrowsError(try ModelRegistry.build(name: "cnn-small", inputShape: [784], outputs: 2, seed: 0)) { error in
            XCTAssertEqual("\(error)", "model 'cnn-small' needs input shape (C, H, W), got [784]")
        }
        XCTAssertThrowsError(try ModelRegistry.build(name: "mlp", inputShape: [3], outputs: 0, seed: 0))
    }

    func testSameSeedSameWeights() throws {
        let a = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, seed: 5)
        let b = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, seed: 5)
        let c = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, seed: 6)
        XCTAssertEqual(a.stateSnapshot().map(\.tensor), b.stateSnapshot().map(\.tensor))
        XCTAssertNotEqual(a.stateSnapshot().map(\.tensor), c.stateSnapshot().map(\.tensor))
    }
}
