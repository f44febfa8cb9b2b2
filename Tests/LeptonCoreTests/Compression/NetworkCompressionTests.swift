import Foundation
import LeptonTestSupport
import XCTest
@testable import LeptonCore

final class NetworkCompressionTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("net-compress") }
    override func tearDown() { dir.remove() }

    private func images(_ n: Int, size: Int = 12, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [n, 1, size, size], scalars: (0..<(n * size * size)).map { _ in rng.nextNormal() })
    }

    private func cnn() throws -> NeuralNetwork {
        try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, 12, 12], outputs: 2), seed: 7, classNames: ["a", "b"])
    }

    func testChannelPruningOfDeadFiltersChangesNoOutputAndShrinksTheNetwork() throws {
        let net = try cnn()
        // Kill every odd filter (zero weights and bias): after ReLU they are 0, so removing them,
        // and the next layer's inputs from them, must leave the outputs as they are.
        for index in [0, 3, 6] {
            let conv = net.model.layers[index] as! Conv2D
            var w = conv.weight.value.scalars
            let per = w.count / conv.outChannels
            for o in stride(from: 1, to: conv.outChannels, by: 2) { for i in 0..<per { w[o * per + i] = 0 } }
            conv.weight.value = Tensor(shape: conv.weight.value.shape, scalars: w)
        }
        let pruned = try ChannelPruning.prune(net, ratio: 0.5)
        XCTAssertEqual(pruned.architecture.channels, [8, 16, 32])
        XCTAssertLessThan(pruned.parameterCount * 3, net.parameterCount)
        let x = images(16, seed: 1)
        assertTensorsClose(pruned.predict(x), net.predict(x), "pruned dead filters", accuracy: 1e-4)
        // Saved and loaded: a version-2 file with the widths, the same outputs.
        try pruned.save(to: dir.file("p.lepton"))
        let (back, _) = try NeuralNetwork.load(from: dir.file("p.lepton"))
        XCTAssertEqual(back.architecture.channels, [8, 16, 32])
        XCTAssertEqual(back.predict(x).scalars, pruned.predict(x).scalars)
        XCTAssertThrowsError(try ChannelPruning.prune(net, ratio: 1))
        XCTAssertThrowsError(try ChannelPruning.prune(net, ratio: 0))
        let mlp = try NeuralNetwork(ArchitectureSpec(name: "mlp", inputShape: [4], outputs: 2), seed: 1)
        XCTAssertThrowsError(try ChannelPruning.prune(mlp, ratio: 0.5)) { XCTAssert("\($0)".contains("cnn-small")) }
        // Extreme ratios keep at least one filter per layer.
        XCTAssertEqual(try ChannelPruning.prune(net, ratio: 0.999).architecture.channels, [1, 1, 1])
    }

    func testClusteredAndSparseNetworksRoundTripThroughSmallerFiles() throws {
        let net = try cnn()
        try net.save(to: dir.file("f.lepton"))
        let x = images(8, seed: 2)
        for k in [16, 64] {
            let clustered = try cnn()
            let names = WeightClustering.cluster(clustered.model, k: k)
            XCTAssertEqual(names.count, 4, "three convolutions and the dense layer")
            for (name, p) in clustered.model.namedParameters where names.contains(name) {
                XCTAssertLessThanOrEqual(Set(p.value.scalars).count, k)
            }
            let c = NeuralNetwork(architecture: clustered.architecture, model: clustered.model, classNames: clustered.classNames,
                                  compression: NetworkCompression(method: .cluster, clusters: k, clusteredTensors: names))
            try c.save(to: dir.file("c\(k).lepton"))
            let (back, _) = try NeuralNetwork.load(from: dir.file("c\(k).lepton"))
            XCTAssertEqual(back.predict(x).scalars, c.predict(x).scalars)
            XCTAssertLessThan(try size("c\(k).lepton"), try size("f.lepton") * (k == 16 ? 0.3 : 0.45))
        }
        for scope in MagnitudePruning.Scope.allCases {
            let sparse = try cnn()
            let names = MagnitudePruning.prune(sparse.model, ratio: 0.8, scope: scope)
            let total = sparse.model.namedParameters.filter { names.contains($0.name) }.reduce(0) { $0 + $1.parameter.value.count }
            let zeros = sparse.model.namedParameters.filter { names.contains($0.name) }.reduce(0) { $0 + $1.parameter.value.scalars.filter { $0 == 0 }.count }
            XCTAssertEqual(zeros, Int(0.8 * Double(total)), accuracy: 4, "\(scope)")
            let s = NeuralNetwork(architecture: sparse.architecture, model: sparse.model, classNames: sparse.classNames,
                                  compression: NetworkCompression(method: .prune, pruning: "unstructured", ratio: 0.8, sparseTensors: names))
            try s.save(to: dir.file("s.lepton"))
            XCTAssertEqual(try NeuralNetwork.load(from: dir.file("s.lepton")).network.predict(x).scalars, s.predict(x).scalars)
            XCTAssertLessThan(try size("s.lepton"), try size("f.lepton") * 0.35)
        }
    }

    func testKMeansCentroidsAreMeansOfTheirValues() {
        var rng = SeededGenerator(seed: 3)
        let values = (0..<5000).map { _ in rng.nextNormal() }
        let c = WeightClustering.centroids(values, k: 8)
        XCTAssertEqual(c.count, 8)
        XCTAssertEqual(c, c.sorted())
        let (codebook, codes) = WeightClustering.codes(values, k: 8)
        for j in codebook.indices {
            let members = values.indices.filter { codes[$0] == j }.map { values[$0] }
            XCTAssertEqual(members.reduce(0, +) / Float(members.count), codebook[j], accuracy: 1e-3)
        }
        XCTAssertEqual(WeightClustering.centroids([1, 1, 1], k: 4), [1], "one distinct value")
        XCTAssertEqual(WeightClustering.centroids([.nan, .infinity], k: 4), [0])
    }

    func testDistillationLossGradientAndLimits() {
        var rng = SeededGenerator(seed: 4)
        let student = Tensor(shape: [5, 3], scalars: (0..<15).map { _ in rng.nextNormal() })
        let teacher = Tensor(shape: [5, 3], scalars: (0..<15).map { _ in 2 * rng.nextNormal() })
        let target = DistillationLoss.targets(teacherLogits: teacher, labels: [0, 2, 1, 1, 0])
        for (t, a) in [(Float(4), Float(0.7)), (1, 0), (2, 1)] {
            GradientChecker.checkLoss(DistillationLoss(temperature: t, alpha: a), output: student, target: target, weights: [1, 2, 0.5, 1, 1])
        }
        // α = 0 is the plain softmax cross-entropy on the labels.
        let hard = DistillationLoss(temperature: 3, alpha: 0).evaluate(output: student, target: target).value
        let ce = SoftmaxCrossEntropy().evaluate(output: student, target: Tensor([0, 2, 1, 1, 0])).value
        XCTAssertEqual(hard, ce, accuracy: 1e-5)
        // A student equal to the teacher has no soft loss.
        XCTAssertEqual(DistillationLoss(temperature: 2, alpha: 1).evaluate(output: teacher, target: target).value, 0, accuracy: 1e-6)
    }

    private func size(_ name: String) throws -> Double {
        Double(try FileManager.default.attributesOfItem(atPath: dir.file(name))[.size] as! Int)
    }
}

final class DistillationTrainingTests: XCTestCase {
    /// A student trained only on a teacher's soft targets (α = 1) learns the teacher's ranking.
    func testAStudentLearnsFromSoftTargets() throws {
        var rng = SeededGenerator(seed: 11)
        let n = 400
        let x = Tensor(shape: [n, 4], scalars: (0..<(n * 4)).map { _ in rng.nextNormal() })
        // The teacher's logits: class 1 when x0 + x1 > 0, confidently.
        var logits = [Float](), labels = [Int]()
        for i in 0..<n {
            let z = 3 * (x[flat: i * 4] + x[flat: i * 4 + 1])
            logits += [-z, z]
            labels.append(z > 0 ? 1 : 0)
        }
        let targets = DistillationLoss.targets(teacherLogits: Tensor(shape: [n, 2], scalars: logits), labels: labels)
        let student = try NeuralNetwork(ArchitectureSpec(name: "mlp", inputShape: [4], outputs: 2, hiddenUnits: [8]), seed: 2)
        let config = TrainerConfig(epochs: 30, batchSize: 32, seed: 1, schedule: .constant(1e-2), restoreBestWeights: false, threads: .fixed(1))
        _ = try student.fit(Trainer(config), optimizer: Adam(), loss: DistillationLoss(temperature: 2, alpha: 1), inputs: x, targets: targets)
        let out = student.predict(x)
        let scores = (0..<n).map { Double(out[flat: $0 * 2 + 1] - out[flat: $0 * 2]) }
        XCTAssertGreaterThan(rocAUC(labels: labels.map(Double.init), scores: scores) ?? 0, 0.97)
    }
}

final class PrunedWidthGradientTests: XCTestCase {
    /// Pruned and distilled cnn-small widths (not multiples of 16) train through the same fused
    /// direct paths as the default ones: gradients checked against finite differences, and, for
    /// odd widths (where a finite step crosses max-pool and ReLU kinks), against the im2col path.
    func testNarrowCNNSmallGradients() throws {
        let x = awayFromZero([3, 1, 8, 8], seed: 5)
        for channels in [[16, 32, 64], [8, 16, 32], [1, 1, 1]] {
            let net = try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, channels: channels), seed: 3)
            GradientChecker.check(net.model, input: x, epsilon: 1e-3, tolerance: 2e-2, samples: 40)
        }
        func gradients(_ direct: Bool) throws -> [Tensor] {
            let net = try NeuralNetwork(ArchitectureSpec(name: "cnn-small", inputShape: [1, 8, 8], outputs: 2, channels: [5, 3, 7]), seed: 3)
            for l in net.model.layers { (l as? Conv2D)?.prefersDirectKernels = direct }
            let y = net.model.forward(x, training: true)
            _ = net.model.backward(Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 % 3) - 1 }))
            return net.model.parameters.map(\.gradient)
        }
        for (a, b) in zip(try gradients(true), try gradients(false)) { assertTensorsClose(a, b, "direct vs im2col", accuracy: 1e-4) }
    }
}

final class ResNetPruningTests: XCTestCase {
    /// Dead inner filters of every BasicBlock (zero weights, BatchNorm giving 0) contribute
    /// nothing, so pruning them leaves the outputs as they are; the residual widths stay.
    func testPruningDeadInnerChannelsOfEveryBlockChangesNoOutput() throws {
        let net = try NeuralNetwork(ArchitectureSpec(name: "resnet18", inputShape: [1, 8, 8], outputs: 2), seed: 4)
        for block in net.model.layers.compactMap({ $0 as? ResidualBlock }) {
            let conv = block.main.layers[0] as! Conv2D, norm = block.main.layers[1] as! BatchNorm
            var w = conv.weight.value.scalars, beta = norm.bias.value.scalars, mean = norm.runningMean.value.scalars
            let per = w.count / conv.outChannels
            for o in stride(from: 1, to: conv.outChannels, by: 2) {
                for i in 0..<per { w[o * per + i] = 0 }
                beta[o] = 0
                mean[o] = 0
            }
            conv.weight.value = Tensor(shape: conv.weight.value.shape, scalars: w)
            norm.bias.value = Tensor(shape: [beta.count], scalars: beta)
            norm.runningMean.value = Tensor(shape: [mean.count], scalars: mean)
        }
        let pruned = try ChannelPruning.prune(net, ratio: 0.5)
        XCTAssertEqual(pruned.architecture.channels, [32, 32, 64, 64, 128, 128, 256, 256])
        XCTAssertLessThan(pruned.parameterCount, net.parameterCount * 7 / 10)
        var rng = SeededGenerator(seed: 1)
        let x = Tensor(shape: [2, 1, 8, 8], scalars: (0..<128).map { _ in rng.nextNormal() })
        assertTensorsClose(pruned.predict(x), net.predict(x), "dead inner channels pruned", accuracy: 1e-3)
        let dir = try TemporaryDirectory("resnet-prune")
        defer { dir.remove() }
        try pruned.save(to: dir.file("r.lepton"))
        let back = try NeuralNetwork.load(from: dir.file("r.lepton")).network
        XCTAssertEqual(back.architecture.channels, pruned.architecture.channels)
        XCTAssertEqual(back.predict(x).scalars, pruned.predict(x).scalars)
    }
}
