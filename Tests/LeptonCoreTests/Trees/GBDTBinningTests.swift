import XCTest
@testable import LeptonCore

final class GBDTBinningTests: XCTestCase {
    func testConstantFeatureHasOneBinPlusMissing() {
        let m = FeatureBinMapper.numeric(sample: [Float](repeating: 3.5, count: 100), maxBins: 255)
        XCTAssertEqual(m.thresholds, [])
        XCTAssertEqual(m.binCount, 2)
        XCTAssertEqual(m.bin(3.5), 0)
        XCTAssertEqual(m.bin(-100), 0)
        XCTAssertEqual(m.bin(.nan), 1)
    }

    func testAllMissingFeature() {
        let m = FeatureBinMapper.numeric(sample: [Float](repeating: .nan, count: 50), maxBins: 255)
        XCTAssertEqual(m.thresholds, [])
        XCTAssertEqual(m.bin(.nan), UInt8(m.missingBin))
        XCTAssertEqual(m.bin(1), 0)
    }

    func testTwoValuesSplitAtMidpoint() {
        let m = FeatureBinMapper.numeric(sample: [0, 1, 0, 1, 1, .nan], maxBins: 255)
        XCTAssertEqual(m.thresholds, [0.5])
        XCTAssertEqual(m.bin(0), 0)
        XCTAssertEqual(m.bin(1), 1)
        XCTAssertEqual(m.bin(.nan), 2)
    }

    func testAdjacentFloatsKeepTheirOrder() {
        let a: Float = 1, b = a.nextUp
        let m = FeatureBinMapper.numeric(sample: [a, b], maxBins: 255)
        XCTAssertEqual(m.thresholds.count, 1)
        XCTAssertEqual(m.bin(a), 0)
        XCTAssertEqual(m.bin(b), 1)
    }

    func testHeavyTiesGetTheirOwnBinAndCountIsCapped() {
        // 90% zeros, the rest spread over 10,000 distinct values; 16 bins at most.
        var sample = [Float](repeating: 0, count: 90_000)
        for i in 0..<10_000 { sample.append(Float(i + 1)) }
        let m = FeatureBinMapper.numeric(sample: sample, maxBins: 16)
        XCTAssertLessThanOrEqual(m.thresholds.count + 1, 16)
        XCTAssertGreaterThanOrEqual(m.thresholds.count + 1, 8, "the non-zero tail should still be cut into several bins")
        XCTAssertEqual(m.bin(0), 0)
        XCTAssertNotEqual(m.bin(1), 0, "the heavy value 0 must be alone in its bin")
        XCTAssertEqual(m.thresholds, m.thresholds.sorted())
        XCTAssertEqual(Set(m.thresholds).count, m.thresholds.count)
    }

    func testQuantileBinsAreBalancedAndConsistentWithThresholds() {
        var rng = SeededGenerator(seed: 4)
        let sample = (0..<20_000).map { _ in rng.nextNormal() }
        let m = FeatureBinMapper.numeric(sample: sample, maxBins: 255)
        XCTAssertEqual(m.thresholds.count + 1, 255)
        var counts = [Int](repeating: 0, count: m.binCount)
        for x in sample { counts[Int(m.bin(x))] += 1 }
        XCTAssertLessThan(counts.prefix(255).max()!, 3 * 20_000 / 255)
        // b(x) ≤ b ⇔ x ≤ t_b: the raw threshold and the bin decide alike.
        for x in sample.prefix(2000) {
            for b in stride(from: 0, to: m.thresholds.count, by: 17) {
                XCTAssertEqual(Int(m.bin(x)) <= b, x <= m.thresholds[b])
            }
        }
    }

    func testCategoricalCapAndOtherBucket() {
        // Codes 0…9 with counts 100, 90, …, 10; code 42 seen twice; some missing.
        var sample: [Float] = []
        for c in 0..<10 { sample += [Float](repeating: Float(c), count: 100 - 10 * c) }
        sample += [42, 42, .nan, -1]
        let m = FeatureBinMapper.categorical(sample: sample, maxCategories: 4, minCount: 5)
        XCTAssertEqual(m.categories, [0, 1, 2, 3])
        XCTAssertEqual(m.bin(0), 0)
        XCTAssertEqual(m.bin(3), 3)
        XCTAssertEqual(Int(m.bin(7)), m.otherBin)
        XCTAssertEqual(Int(m.bin(42)), m.otherBin)
        XCTAssertEqual(Int(m.bin(1_000_000)), m.otherBin)
        XCTAssertEqual(Int(m.bin(.nan)), m.missingBin)
        XCTAssertEqual(Int(m.bin(-3)), m.missingBin)
        let rare = FeatureBinMapper.categorical(sample: sample, maxCategories: 254, minCount: 50)
        XCTAssertEqual(rare.categories, [0, 1, 2, 3, 4, 5])
    }

    func testBinnedDataIsRowMajorAndThreadIndependent() {
        let (x, _) = syntheticBinary(rows: 5000, seed: 1)
        let cat = [Bool](repeating: false, count: x.columnCount)
        let mappers = BinnedData.mappers(for: x, categorical: cat, maxBins: 63, maxCategories: 10, minCategoryCount: 1,
                                         sampleSize: 1000, seed: 3, threads: 2)
        let a = BinnedData(x, mappers: mappers, threads: 1), b = BinnedData(x, mappers: mappers, threads: 2)
        XCTAssertEqual(a.bins, b.bins)
        XCTAssertEqual(a.columns, b.columns)
        for i in [0, 17, 4999] { for j in 0..<x.columnCount { XCTAssertEqual(a.columns[j * x.rowCount + i], a.bins[i * a.rowStride + j]) } }
        for i in [0, 17, 4999] { for j in 0..<x.columnCount { XCTAssertEqual(a.bins[i * a.rowStride + j], mappers[j].bin(x[i, j])) } }
        XCTAssertEqual(a.histogramOffsets.last, mappers.reduce(0) { $0 + $1.binCount })
        // Sampling for the bounds: a different seed gives (slightly) different bounds.
        let other = BinnedData.mappers(for: x, categorical: cat, maxBins: 63, maxCategories: 10, minCategoryCount: 1,
                                       sampleSize: 1000, seed: 4, threads: 1)
        XCTAssertNotEqual(other[0].thresholds, mappers[0].thresholds)
    }

    func testFastColumnBinningEqualsTheMapper() {
        // Branch-free search over padded thresholds (BinLookup) against FeatureBinMapper.bin.
        var rng = SeededGenerator(seed: 5)
        for k in [0, 1, 2, 7, 128, 253, 254] {
            let t = (0..<k).map { Float($0) * 0.5 - 3 }
            let m = FeatureBinMapper(numericThresholds: t)
            var values: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude]
            values += t + t.map { $0.nextUp } + t.map { $0.nextDown }
            values += (0..<2000).map { _ in Float(rng.nextUniform() * 140 - 70) }
            let lookup = BinLookup(m)
            var column = [UInt8](repeating: 0, count: values.count), rows = [UInt8](repeating: 0, count: values.count * 8)
            values.withUnsafeBufferPointer { v in
                column.withUnsafeMutableBufferPointer { c in
                    rows.withUnsafeMutableBufferPointer { r in
                        lookup.bins(v.baseAddress!, 0..<values.count, column: c.baseAddress!, rows: r.baseAddress! + 3, rowStride: 8)
                    }
                }
            }
            for (i, x) in values.enumerated() {
                XCTAssertEqual(column[i], m.bin(x), "k=\(k) x=\(x)")
                XCTAssertEqual(rows[i * 8 + 3], m.bin(x))
            }
        }
        let cat = FeatureBinMapper(categories: [4, 0, 9])
        let values: [Float] = [4, 0, 9, 1, 100, .nan, -1, 2.5]
        var column = [UInt8](repeating: 0, count: values.count), rows = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            column.withUnsafeMutableBufferPointer { c in
                rows.withUnsafeMutableBufferPointer { r in
                    BinLookup(cat).bins(v.baseAddress!, 0..<values.count, column: c.baseAddress!, rows: r.baseAddress!, rowStride: 1)
                }
            }
        }
        XCTAssertEqual(column, values.map { cat.bin($0) })
        XCTAssertEqual(rows, column)
    }
}
