import Foundation
@testable import LeptonCore

/// A generated binary task: `features` numeric columns (standard normal, with `missingRate`
/// missing values), label ~ Bernoulli(σ(2x₀ − 1.5x₁ + x₂x₃ + sin 3x₄ …)). Missing values of x₀
/// push the logit up by 1 so that the default direction matters.
func syntheticBinary(rows: Int, features: Int = 6, missingRate: Float = 0.05, seed: UInt64) -> (x: FeatureColumns, y: [Double]) {
    precondition(features >= 5)
    var rng = SeededGenerator(seed: seed)
    var cols = [[Float]](repeating: [Float](repeating: 0, count: rows), count: features)
    var y = [Double](repeating: 0, count: rows)
    for i in 0..<rows {
        for j in 0..<features { cols[j][i] = rng.nextNormal() }
        let x = (0..<features).map { cols[$0][i] }
        var logit = 2 * Double(x[0]) - 1.5 * Double(x[1]) + Double(x[2] * x[3]) + sin(3 * Double(x[4]))
        for j in 0..<features where rng.nextUniform() < missingRate {
            cols[j][i] = .nan
            if j == 0 { logit = 1 - 1.5 * Double(x[1]) }
        }
        y[i] = Double(rng.nextUniform()) < 1 / (1 + exp(-logit)) ? 1 : 0
    }
    return (FeatureColumns(columns: cols), y)
}

/// A generated regression task `y = x₀ + 2·[x₁ > 0] + noise` with a categorical column whose
/// code shifts y (codes 0…5 add 0, 3, −2, 0, 1, −1).
func syntheticRegression(rows: Int, seed: UInt64) -> (x: FeatureColumns, y: [Double]) {
    var rng = SeededGenerator(seed: seed)
    var c0 = [Float](), c1 = [Float](), c2 = [Float]()
    var y = [Double]()
    let shift: [Double] = [0, 3, -2, 0, 1, -1]
    for _ in 0..<rows {
        let a = rng.nextNormal(), b = rng.nextNormal(), code = rng.nextInt(below: 6)
        c0.append(a); c1.append(b); c2.append(Float(code))
        y.append(Double(a) + (b > 0 ? 2 : 0) + shift[code] + 0.1 * Double(rng.nextNormal()))
    }
    return (FeatureColumns(columns: [c0, c1, c2], names: ["a", "b", "c"], kinds: [.numeric, .numeric, .categorical]), y)
}

/// Area under the ROC curve (ties count one half), for tests.
func testAUC(labels: [Double], scores: [Double]) -> Double {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSumPositive = 0.0, positives = 0.0
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
        let rank = Double(i + j) / 2 + 1
        for k in i...j where labels[order[k]] == 1 { rankSumPositive += rank; positives += 1 }
        i = j + 1
    }
    let negatives = Double(labels.count) - positives
    return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
}

/// Pearson correlation, for tests.
func testCorrelation(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
    return sab / (saa * sbb).squareRoot()
}
