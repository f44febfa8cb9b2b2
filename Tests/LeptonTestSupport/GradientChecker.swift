import LeptonCore
import XCTest

/// Finite-difference gradient checking (Caffe's `GradientChecker` idea).
///
/// The scalar probed is `L = Σ y ⊙ R` for a fixed random R, so ∂L/∂y = R and every output
/// element contributes. Central differences `(L(x + ε) − L(x − ε)) / 2ε`, accumulated in Double,
/// are compared with the analytic gradient from `backward` for up to `samples` coordinates of
/// the input and of each parameter.
public enum GradientChecker {
    public struct Failure: CustomStringConvertible {
        public let what: String, index: Int, analytic: Float, numeric: Float
        public var description: String { "\(what)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    public static func probeLoss(_ y: Tensor, _ r: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y[flat: i]) * Double(r[flat: i]) }
        return s
    }

    /// Checks ∂L/∂input and ∂L/∂parameter of `layer` at `input`. `beforeForward` runs before every
    /// forward (e.g. to reseed a dropout mask so every evaluation sees the same mask).
    public static func check(_ layer: any Layer, input: Tensor, training: Bool = true, epsilon: Float = 1e-2,
                      tolerance: Float = 1e-2, samples: Int = 24, checkInput: Bool = true,
                      beforeForward: () -> Void = {}, file: StaticString = #filePath, line: UInt = #line) {
        let found = failures(layer, input: input, training: training, epsilon: epsilon, tolerance: tolerance,
                             samples: samples, checkInput: checkInput, beforeForward: beforeForward, file: file, line: line)
        XCTAssertTrue(found.isEmpty, "\(layer.summary): \(found.count) gradient mismatches: \(found.prefix(5))",
                      file: file, line: line)
    }

    /// The coordinates where analytic and numeric gradients disagree.
    public static func failures(_ layer: any Layer, input: Tensor, training: Bool = true, epsilon: Float = 1e-2,
                         tolerance: Float = 1e-2, samples: Int = 24, checkInput: Bool = true,
                         beforeForward: () -> Void = {}, file: StaticString = #filePath, line: UInt = #line) -> [Failure] {
        var rng = SeededGenerator(seed: 99)
        beforeForward()
        let y = layer.forward(input, training: training)
        let r = Tensor.normal(y.shape, using: &rng)
        let dx = layer.backward(r)
        XCTAssertEqual(dx.shape, input.shape, "input gradient shape", file: file, line: line)
        let analyticParams = layer.namedParameters.filter { $0.parameter.isTrainable }.map { ($0.name, $0.parameter, $0.parameter.gradient) }

        func loss() -> Double {
            beforeForward()
            return probeLoss(layer.forward(currentInput, training: training), r)
        }
        var currentInput = input
        var failures: [Failure] = []
        func compare(_ what: String, _ index: Int, _ analytic: Float, _ plus: Double, _ minus: Double) {
            let numeric = Float((plus - minus) / (2 * Double(epsilon)))
            let scale = max(1, abs(analytic), abs(numeric))
            if abs(analytic - numeric) > tolerance * scale {
                failures.append(Failure(what: what, index: index, analytic: analytic, numeric: numeric))
            }
        }
        func indices(_ count: Int) -> [Int] {
            count <= samples ? Array(0..<count) : (0..<samples).map { _ in rng.nextInt(below: count) }
        }
        if checkInput {
            for i in indices(input.count) {
                let saved = currentInput[flat: i]
                currentInput[flat: i] = saved + epsilon; let plus = loss()
                currentInput[flat: i] = saved - epsilon; let minus = loss()
                currentInput[flat: i] = saved
                compare("input", i, dx[flat: i], plus, minus)
            }
        }
        for (name, p, grad) in analyticParams {
            XCTAssertEqual(grad.shape, p.value.shape, "\(name) gradient shape", file: file, line: line)
            for i in indices(p.value.count) {
                let saved = p.value[flat: i]
                p.value[flat: i] = saved + epsilon; let plus = loss()
                p.value[flat: i] = saved - epsilon; let minus = loss()
                p.value[flat: i] = saved
                compare(name, i, grad[flat: i], plus, minus)
            }
        }
        return failures
    }

    /// Checks ∂L/∂output of a loss by central differences on every output coordinate.
    public static func checkLoss(_ loss: some Loss, output: Tensor, target: Tensor, weights: [Float]? = nil,
                          epsilon: Float = 1e-2, tolerance: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) {
        let (_, grad) = loss.evaluate(output: output, target: target, sampleWeights: weights)
        XCTAssertEqual(grad.shape, output.shape, file: file, line: line)
        var x = output
        for i in 0..<output.count {
            let saved = x[flat: i]
            x[flat: i] = saved + epsilon
            let plus = Double(loss.evaluate(output: x, target: target, sampleWeights: weights).value)
            x[flat: i] = saved - epsilon
            let minus = Double(loss.evaluate(output: x, target: target, sampleWeights: weights).value)
            x[flat: i] = saved
            let numeric = Float((plus - minus) / (2 * Double(epsilon)))
            XCTAssertEqual(grad[flat: i], numeric, accuracy: tolerance * max(1, abs(numeric)),
                           "\(loss.name) gradient at \(i)", file: file, line: line)
        }
    }
}

/// Random inputs kept at least `margin` away from zero (so ReLU-like kinks are not straddled
/// by the finite-difference step).
public func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.05) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.normal(shape, using: &rng).map { abs($0) < margin ? ($0 < 0 ? -margin : margin) + $0 : $0 }
}

/// Random inputs whose values are all distinct and spaced (no near-ties for max pooling).
public func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let perm = rng.permutation(count)
    return Tensor(shape: shape, scalars: perm.map { Float($0) * 0.1 - Float(count) * 0.05 })
}
