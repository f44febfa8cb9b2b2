@testable import LeptonCore
import XCTest

/// After a fused inference pass, no layer keeps an older training batch's state that a later
/// backward pass could silently use.
final class FusedStateTests: XCTestCase {
    func testInferenceClearsTheReLUAndPoolTrainingState() throws {
        let model = try ModelRegistry.build(name: "cnn-small", inputShape: [1, 12, 12], outputs: 2, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.uniform([4, 1, 12, 12], low: -1, high: 1, using: &rng)
        _ = model.forward(x, training: true)
        let pools = model.layers.compactMap { $0 as? MaxPool2D }
        XCTAssertTrue(pools.allSatisfy { !$0.argmax.isEmpty })
        // Each ReLU keeps its output, or (fused training pool) its convolution keeps the pooled output.
        for (k, layer) in model.layers.enumerated() where layer is ReLU {
            let conv = model.layers[k - 1] as! Conv2D
            XCTAssertTrue((layer as! ReLU).output != nil || conv.direct.pooledOutput != nil, "ReLU at \(k)")
        }
        _ = model.forward(x, training: false)
        for (k, layer) in model.layers.enumerated() where layer is MaxPool2D {
            XCTAssertTrue((layer as! MaxPool2D).argmax.isEmpty, "pool at \(k)")
            XCTAssertNil((model.layers[k - 1] as! ReLU).output, "ReLU before the pool at \(k)")
            XCTAssertNil((model.layers[k - 2] as! Conv2D).direct.pooledOutput, "convolution before the pool at \(k)")
        }
    }

    /// A convolution whose output is under 2×2 is not fused (the pool would have nothing to take).
    func testTinyOutputsAreNotFused() throws {
        var rng = SeededGenerator(seed: 3)
        let conv = Conv2D(1, 2, kernelSize: 3, padding: 0, using: &rng)
        let chain = Sequential([conv, ReLU(), MaxPool2D(kernelSize: 2), Flatten()])
        let ok = Tensor.uniform([2, 1, 4, 4], low: -1, high: 1, using: &rng)  // conv output 2×2: fused
        XCTAssertEqual(chain.forward(ok, training: false).shape, [2, 2])
        var y = ok
        for layer in chain.layers { y = layer.forward(y, training: false) }
        XCTAssertEqual(chain.forward(ok, training: false).scalars, y.scalars)
    }
}
