import Foundation
import LeptonCore
import LeptonIO
@testable import ScanDiagnosis
import LeptonTestSupport
import XCTest

/// Occlusion saliency on a task whose discriminative region is known: positives carry a bright
/// 4×4 square in the top-left quadrant, negatives only noise. The map's peak must fall inside
/// the square's region.
final class SaliencyTests: XCTestCase {
    func testPeakFallsInsideTheDiscriminativeRegion() throws {
        var rng = SeededGenerator(seed: 3)
        let size = 16, n = 240
        var pixels: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let positive = i % 2 == 1
            for y in 0..<size {
                for x in 0..<size {
                    var v = 0.4 + Float(rng.normal(sd: 0.08))
                    if positive && (2..<6).contains(y) && (2..<6).contains(x) { v += 0.4 }
                    pixels.append(max(0, min(1, v)))
                }
            }
            labels.append(positive ? 1 : 0)
        }
        let folder = ImageFolder(classNames: ["clear", "square"], images: Tensor(shape: [n, 1, size, size], scalars: pixels), labels: labels,
                                 paths: (0..<n).map { "\($0).png" })
        let (train, val) = ScanTraining.split(folder, seed: 1)
        var recipe = CNNRecipe()
        (recipe.model, recipe.epochs, recipe.batchSize, recipe.threads, recipe.seed) = ("cnn-small", 8, 32, 2, 1)
        let result = try ScanTraining.run(train: train, val: val, recipe: recipe, positive: "square", rule: .youden, seed: 1)
        XCTAssertGreaterThan(result.validation.value("auc"), 0.95, "the model learnt the task")
        // A positive example: its map peaks on the square.
        let example = Array(pixels[(1 * size * size)..<(2 * size * size)])
        let map = Saliency.occlusion(model: result.model, image: example, window: 4, stride: 2)
        let peak = Saliency.peak(map, width: size)
        XCTAssertTrue((0..<8).contains(peak.y) && (0..<8).contains(peak.x), "peak at \(peak)")
        // Grad-CAM on the last convolutional block peaks on the square too, for one network
        // and for a two-network ensemble; the dense-only models have no convolutional block.
        for model in [result.model, ScanModel(network: result.model.network, spec: result.model.spec, ensemble: [result.model.network])] {
            let cam = try XCTUnwrap(Saliency.gradCAM(model: model, image: example))
            XCTAssertEqual(cam.count, size * size)
            XCTAssertTrue(cam.allSatisfy { $0.isFinite && $0 >= 0 })
            let camPeak = Saliency.peak(cam, width: size)
            XCTAssertTrue((0..<8).contains(camPeak.y) && (0..<8).contains(camPeak.x), "Grad-CAM peak at \(camPeak)")
        }
        // Channels-last ResNet-18: a map of the scan's size, finite and non-negative.
        let resnet = try NeuralNetwork(ArchitectureSpec(name: "resnet18", inputShape: [1, size, size], outputs: 2), seed: 2)
        let resnetCAM = try XCTUnwrap(Saliency.gradCAM(model: ScanModel(network: resnet, spec: result.model.spec), image: example))
        XCTAssertEqual(resnetCAM.count, size * size)
        XCTAssertTrue(resnetCAM.allSatisfy { $0.isFinite && $0 >= 0 })
        let mlp = try NeuralNetwork(ArchitectureSpec(name: "mlp", inputShape: [1, size, size], outputs: 2), seed: 1)
        XCTAssertNil(Saliency.gradCAM(model: ScanModel(network: mlp, spec: result.model.spec), image: example))

        // The overlay is a readable RGB PNG of the scan's size.
        let dir = try TemporaryDirectory("saliency")
        defer { dir.remove() }
        try Saliency.writeOverlay(image: example, map: map, width: size, height: size, to: dir.file("map.png"))
        XCTAssertEqual(try PNG.readFloat(path: dir.file("map.png"), as: .gray).raster.width, size)
    }
}
