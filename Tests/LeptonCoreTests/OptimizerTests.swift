@testable import LeptonCore
import XCTest

final class OptimizerTests: XCTestCase {
    private func run<O: Optimizer>(_ o: O, start: Float, gradients: [Float], lr: Float) -> [Float] {
        let p = Parameter(Tensor([start]))
        let runner = OptimizerRunner(o, parameters: [p])
        var trace: [Float] = []
        for g in gradients {
            p.gradient = Tensor([g])
            runner.step(learningRate: lr)
            trace.append(p.value[0])
        }
        return trace
    }

    func testSGDPlainMomentumNesterovAndWeightDecay() {
        let plain = run(SGD(), start: 1, gradients: [1, 1], lr: 0.1)
        XCTAssertEqual(plain[0], 0.9, accuracy: 1e-6); XCTAssertEqual(plain[1], 0.8, accuracy: 1e-6)
        // v1 = 1, w = 0.9; v2 = 0.9 + 1 = 1.9, w = 0.9 − 0.19 = 0.71.
        let m = run(SGD(momentum: 0.9), start: 1, gradients: [1, 1], lr: 0.1)
        XCTAssertEqual(m[0], 0.9, accuracy: 1e-6); XCTAssertEqual(m[1], 0.71, accuracy: 1e-6)
        // Nesterov: d1 = 1 + 0.9·1 = 1.9 → 0.81; v2 = 1.9, d2 = 1 + 0.9·1.9 = 2.71 → 0.539.
        let n = run(SGD(momentum: 0.9, nesterov: true), start: 1, gradients: [1, 1], lr: 0.1)
        XCTAssertEqual(n[0], 0.81, accuracy: 1e-6); XCTAssertEqual(n[1], 0.539, accuracy: 1e-6)
        // L2 decay: g = 0 + 0.5·2 = 1 → 2 − 0.1.
        XCTAssertEqual(run(SGD(weightDecay: 0.5), start: 2, gradients: [0], lr: 0.1)[0], 1.9, accuracy: 1e-6)
    }

    func testAdamAndAdamW() {
        // First Adam step moves by lr·sign(g) (bias-corrected m̂/√v̂ = ±1).
        XCTAssertEqual(run(Adam(), start: 1, gradients: [3], lr: 0.01)[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(run(Adam(), start: 1, gradients: [-0.001], lr: 0.01)[0], 1.01, accuracy: 1e-5)
        // AdamW decays decoupled: w = 1 − 0.01·0.1·1, then the Adam step of 0.01.
        XCTAssertEqual(run(AdamW(weightDecay: 0.1), start: 1, gradients: [3], lr: 0.01)[0], 1 - 0.001 - 0.01, accuracy: 1e-6)
        // Adam with L2 folds the decay into the gradient: a zero gradient still moves by lr.
        XCTAssertEqual(run(Adam(weightDecay: 0.1), start: 1, gradients: [0], lr: 0.01)[0], 0.99, accuracy: 1e-6)
    }

    /// The vectorised Adam kernel equals its scalar twin bit for bit (L2 and decoupled decay,
    /// odd lengths that leave a vector remainder, one and two threads, several steps).
    func testAdamKernelEqualsTheScalarTwin() {
        var rng = SeededGenerator(seed: 17)
        for count in [1, 37, 140_001] { // (the last splits over two threads)
            for (l2, decoupled) in [(Float(0), Float(0)), (0.01, 0), (0, 0.05)] {
                let start = Tensor.normal([count], using: &rng)
                let gradients = (0..<3).map { _ in Tensor.normal([count], using: &rng) }
                for threads in [1, 2] {
                    Threading.setCount(threads)
                    defer { Threading.setCount(2) }
                    var (fast, slow) = (start, start)
                    var fastState = AdamState(m: Tensor(shape: [count]), v: Tensor(shape: [count]))
                    var slowState = fastState
                    for (step, g) in gradients.enumerated() {
                        adamStep(&fast, g, &fastState, 0.01, step + 1, 0.9, 0.999, 1e-8, l2: l2, decoupled: decoupled)
                        naiveAdamStep(&slow, g, &slowState, 0.01, step + 1, 0.9, 0.999, 1e-8, l2: l2, decoupled: decoupled)
                    }
                    let label = "count \(count) l2 \(l2) decoupled \(decoupled) threads \(threads)"
                    XCTAssertEqual(fast.scalars.map(\.bitPattern), slow.scalars.map(\.bitPattern), "w \(label)")
                    XCTAssertEqual(fastState.m.scalars.map(\.bitPattern), slowState.m.scalars.map(\.bitPattern), "m \(label)")
                    XCTAssertEqual(fastState.v.scalars.map(\.bitPattern), slowState.v.scalars.map(\.bitPattern), "v \(label)")
                }
            }
        }
    }

    func testOptimizersMinimiseAQuadratic() {
        func minimise<O: Optimizer>(_ o: O, lr: Float) -> Float {
            let p = Parameter(Tensor([3, -2]))
            let runner = OptimizerRunner(o, parameters: [p])
            for _ in 0..<500 {
                p.gradient = p.value * 2   // ∇‖w‖² = 2w
                runner.step(learningRate: lr)
            }
            return p.value.l2Norm()
        }
        XCTAssertLessThan(minimise(SGD(momentum: 0.9, nesterov: true), lr: 0.01), 1e-3)
        XCTAssertLessThan(minimise(Adam(), lr: 0.05), 1e-2)
        XCTAssertLessThan(minimise(AdamW(), lr: 0.05), 1e-2)
    }

    func testNonTrainableParametersAreNotUpdated() {
        let frozen = Parameter(Tensor([1]), trainable: false)
        frozen.gradient = Tensor([1])
        OptimizerRunner(SGD(), parameters: [frozen]).step(learningRate: 1)
        XCTAssertEqual(frozen.value[0], 1)
    }

    func testGradientClippingByGlobalNorm() {
        let a = Parameter(Tensor([0, 0])), b = Parameter(Tensor([0]))
        a.gradient = Tensor([3, 0]); b.gradient = Tensor([4])
        XCTAssertEqual(clipGradients([a, b], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.gradient[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.gradient[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(clipGradients([a, b], maxNorm: 10), 1, accuracy: 1e-6)
        XCTAssertEqual(b.gradient[0], 0.8, accuracy: 1e-6, "below the limit nothing changes")
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant(0.1)(1000), 0.1)
        let step = LearningRateSchedule.stepDecay(initial: 1, factor: 0.5, every: 10)
        XCTAssertEqual([step(0), step(9), step(10), step(25)], [1, 1, 0.5, 0.25])
        XCTAssertEqual(LearningRateSchedule.exponential(initial: 2, decay: 0.5)(3), 0.25, accuracy: 1e-7)
        let cos = LearningRateSchedule.cosine(peak: 1, warmup: 10, total: 110, minimum: 0.1)
        XCTAssertEqual(cos(0), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cos(9), 1, accuracy: 1e-6)
        XCTAssertEqual(cos(10), 1, accuracy: 1e-6)
        XCTAssertEqual(cos(60), 0.55, accuracy: 1e-5)
        XCTAssertEqual(cos(110), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cos(500), 0.1, accuracy: 1e-6)
        let one = LearningRateSchedule.oneCycle(maxRate: 1, total: 100)
        XCTAssertEqual(one(0), 1 / 25, accuracy: 1e-6)
        let peak = (0..<100).max { one($0) < one($1) }!
        XCTAssertEqual(one(peak), 1, accuracy: 1e-6)
        XCTAssertTrue((25...32).contains(peak), "peak at \(peak)")
        XCTAssertEqual(one(99), 1 / 25 / 1e4, accuracy: 1e-7)
        // Pure functions: evaluating twice gives the same value.
        XCTAssertEqual(one(37), one(37))
    }

    func testReduceOnPlateau() {
        let plateau = ReduceOnPlateau(factor: 0.5, patience: 1, higherIsBetter: true)
        XCTAssertFalse(plateau.observe(0.5))
        XCTAssertFalse(plateau.observe(0.6))
        XCTAssertFalse(plateau.observe(0.6))   // 1 bad epoch ≤ patience
        XCTAssertTrue(plateau.observe(0.59))   // 2 bad epochs > patience → reduce
        XCTAssertEqual(plateau.scale, 0.5)
        XCTAssertFalse(plateau.observe(0.7))
        XCTAssertEqual(plateau.scale, 0.5)
        let lossPlateau = ReduceOnPlateau(factor: 0.1, patience: 0, higherIsBetter: false)
        lossPlateau.observe(1.0)
        XCTAssertTrue(lossPlateau.observe(1.0))
        XCTAssertEqual(lossPlateau.scale, 0.1, accuracy: 1e-7)
    }
}
