import XCTest
@testable import LeptonCore

final class GBDTSplitFinderTests: XCTestCase {
    /// Independent gain formula: T(G)²/(H+λ₂), T(G) = sign(G)·max(|G|−λ₁, 0).
    private func score(_ g: Double, _ h: Double, _ l1: Double, _ l2: Double) -> Double {
        let t = max(abs(g) - l1, 0)
        return t * t / (h + l2)
    }

    private struct Case {
        var data: BinnedData
        var g: [Float]
        var h: [Float]
        var hist: [HistogramBin]
    }

    private func makeCase(rows: Int, seed: UInt64, categorical: Bool = false, missingRate: Float = 0.1) -> Case {
        var rng = SeededGenerator(seed: seed)
        var col = [Float](), g = [Float](), h = [Float]()
        for _ in 0..<rows {
            let v: Float = categorical ? Float(rng.nextInt(below: 6)) : Float(rng.nextInt(below: 12))
            col.append(rng.nextUniform() < missingRate ? .nan : v)
            g.append(rng.nextNormal() + (v > 5 ? 0.8 : 0) + (col.last!.isNaN ? -1 : 0))
            h.append(0.2 + rng.nextUniform())
        }
        let x = FeatureColumns(columns: [col], kinds: [categorical ? .categorical : .numeric])
        let m = categorical ? FeatureBinMapper.categorical(sample: col, maxCategories: 254, minCount: 1)
                            : FeatureBinMapper.numeric(sample: col, maxBins: 255)
        let data = BinnedData(x, mappers: [m], threads: 1)
        let hist = HistogramBuilder.buildNaive(rows: Array(0..<rows), data: data, gradients: g, hessians: h)
        return Case(data: data, g: g, h: h, hist: hist)
    }

    private func finder(_ c: Case, _ config: GBDTConfig) -> SplitFinder {
        SplitFinder(config: config, mappers: c.data.mappers, histogramOffsets: c.data.histogramOffsets)
    }

    private func totals(_ c: Case) -> NodeSums {
        NodeSums(gradient: c.g.reduce(0) { $0 + Double($1) }, hessian: c.h.reduce(0) { $0 + Double($1) }, count: c.g.count)
    }

    func testNumericSplitMatchesBruteForce() {
        for seed in 0..<12 as Range<UInt64> {
            var config = GBDTConfig()
            config.lambdaL1 = seed % 3 == 0 ? 0 : 0.5
            config.lambdaL2 = Double(seed % 4)
            config.minDataInLeaf = [1, 5, 40][Int(seed % 3)]
            config.minHessianInLeaf = seed % 2 == 0 ? 1e-3 : 8
            let c = makeCase(rows: 300, seed: seed, missingRate: seed % 5 == 0 ? 0 : 0.1)
            let total = totals(c)
            let parentOut = LeafMath.output(total, l1: config.lambdaL1, l2: config.lambdaL2, lower: -.infinity, upper: .infinity)
            let found = c.hist.withUnsafeBufferPointer {
                finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: parentOut,
                                       lower: -.infinity, upper: .infinity, used: [true])
            }
            // Brute force over rows: every threshold bin × missing direction.
            let m = c.data.mappers[0]
            var best = -Double.infinity, bestT = -1, bestMissingLeft = false
            for missingLeft in [false, true] {
                for t in 0..<(m.binCount - 1) {
                    var gl = 0.0, hl = 0.0, nl = 0, gr = 0.0, hr = 0.0, nr = 0
                    for i in 0..<c.g.count {
                        let b = Int(c.data.bins[i * c.data.rowStride])
                        let left = b == m.missingBin ? missingLeft : b <= t
                        if left { gl += Double(c.g[i]); hl += Double(c.h[i]); nl += 1 } else { gr += Double(c.g[i]); hr += Double(c.h[i]); nr += 1 }
                    }
                    guard nl >= config.minDataInLeaf, nr >= config.minDataInLeaf,
                          hl >= config.minHessianInLeaf, hr >= config.minHessianInLeaf else { continue }
                    let gain = score(gl, hl, config.lambdaL1, config.lambdaL2) + score(gr, hr, config.lambdaL1, config.lambdaL2)
                        - score(total.gradient, total.hessian, config.lambdaL1, config.lambdaL2)
                    if gain > best + 1e-12 { best = gain; bestT = t; bestMissingLeft = missingLeft }
                }
            }
            if best > 0 {
                let s = try! XCTUnwrap(found, "seed \(seed)")
                XCTAssertEqual(s.gain, best, accuracy: 1e-9 * max(1, best), "seed \(seed)")
                XCTAssertEqual(s.thresholdBin, bestT, "seed \(seed)")
                if c.hist[m.missingBin].count > 0 { XCTAssertEqual(s.defaultLeft, bestMissingLeft, "seed \(seed)") }
                XCTAssertEqual(s.left.count + s.right.count, c.g.count)
            } else {
                XCTAssertNil(found, "seed \(seed)")
            }
        }
    }

    func testCategoricalSplitMatchesBruteForceOverAllSubsets() {
        for seed in 0..<6 as Range<UInt64> {
            var config = GBDTConfig()
            config.lambdaL2 = 0; config.categoricalL2 = 0; config.categoricalSmoothing = 0
            config.minDataInLeaf = 1; config.minDataPerCategory = 1; config.maxCategoriesPerSplit = 100
            let c = makeCase(rows: 400, seed: 100 + seed, categorical: true)
            let total = totals(c)
            let found = c.hist.withUnsafeBufferPointer {
                finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: -total.gradient / total.hessian,
                                       lower: -.infinity, upper: .infinity, used: [true])
            }
            let bins = c.data.mappers[0].binCount
            var best = -Double.infinity
            for mask in 1..<((1 << bins) - 1) {
                var gl = 0.0, hl = 0.0, nl = 0
                for i in 0..<c.g.count where mask & (1 << Int(c.data.bins[i * c.data.rowStride])) != 0 { gl += Double(c.g[i]); hl += Double(c.h[i]); nl += 1 }
                guard nl > 0, nl < c.g.count else { continue }
                best = max(best, score(gl, hl, 0, 0) + score(total.gradient - gl, total.hessian - hl, 0, 0))
            }
            best -= score(total.gradient, total.hessian, 0, 0)
            let s = try! XCTUnwrap(found)
            XCTAssertTrue(s.isCategorical)
            XCTAssertEqual(s.gain, best, accuracy: 1e-9 * max(1, best), "seed \(seed)")
        }
    }

    func testMonotoneConstraintRejectsWrongOrderAndRespectsBounds() {
        let c = makeCase(rows: 500, seed: 7, missingRate: 0)
        let total = totals(c)
        // The gradients grow with the value, so outputs fall with it: a +1 constraint can only
        // accept splits with w_left ≤ w_right, and none beat the −1 split.
        var config = GBDTConfig()
        config.monotoneConstraints = [-1]
        let down = c.hist.withUnsafeBufferPointer {
            finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: 0, lower: -.infinity, upper: .infinity, used: [true])
        }
        let d = try! XCTUnwrap(down)
        XCTAssertGreaterThanOrEqual(d.leftOutput, d.rightOutput)
        config.monotoneConstraints = [1]
        let up = c.hist.withUnsafeBufferPointer {
            finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: 0, lower: -.infinity, upper: .infinity, used: [true])
        }
        if let u = up { XCTAssertLessThanOrEqual(u.leftOutput, u.rightOutput); XCTAssertLessThan(u.gain, d.gain) }
        // Output bounds clamp both children.
        config.monotoneConstraints = []
        let bounded = c.hist.withUnsafeBufferPointer {
            finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: 0, lower: -0.01, upper: 0.02, used: [true])
        }
        if let b = bounded {
            for w in [b.leftOutput, b.rightOutput] { XCTAssertTrue((-0.01...0.02).contains(w)) }
        }
    }

    func testMinSplitGainAndUnusedFeatures() {
        let c = makeCase(rows: 300, seed: 3)
        let total = totals(c)
        var config = GBDTConfig()
        config.minSplitGain = 1e9
        let none = c.hist.withUnsafeBufferPointer {
            finder(c, config).best(hist: $0.baseAddress!, total: total, parentOutput: 0, lower: -.infinity, upper: .infinity, used: [true])
        }
        XCTAssertNil(none)
        let unused = c.hist.withUnsafeBufferPointer {
            finder(c, GBDTConfig()).best(hist: $0.baseAddress!, total: total, parentOutput: 0, lower: -.infinity, upper: .infinity, used: [false])
        }
        XCTAssertNil(unused)
    }

    func testLeafMathClosedForms() {
        let s = NodeSums(gradient: -6, hessian: 2, count: 10)
        XCTAssertEqual(LeafMath.output(s, l1: 0, l2: 1, lower: -.infinity, upper: .infinity), 2)
        XCTAssertEqual(LeafMath.output(s, l1: 2, l2: 0, lower: -.infinity, upper: .infinity), 2)
        XCTAssertEqual(LeafMath.output(s, l1: 10, l2: 0, lower: -.infinity, upper: .infinity), 0)
        XCTAssertEqual(LeafMath.output(s, l1: 0, l2: 0, lower: -1, upper: 1), 1)
        // gain(w*) = T(G)²/(H+λ₂)
        XCTAssertEqual(LeafMath.gain(s, l1: 0, l2: 1, output: 2), 12, accuracy: 1e-12)
    }
}
