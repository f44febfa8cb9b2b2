import XCTest
@testable import LeptonCore

final class GBDTHistogramTests: XCTestCase {
    private func setup(rows: Int) -> (BinnedData, [Float], [Float]) {
        let (x, _) = syntheticBinary(rows: rows, features: 5, seed: 9)
        let mappers = BinnedData.mappers(for: x, categorical: [false, false, false, false, false], maxBins: 32,
                                         maxCategories: 10, minCategoryCount: 1, sampleSize: 10_000, seed: 0, threads: 1)
        let data = BinnedData(x, mappers: mappers, threads: 2)
        var rng = SeededGenerator(seed: 2)
        let g = (0..<rows).map { _ in rng.nextNormal() }, h = (0..<rows).map { _ in rng.nextUniform() + 0.1 }
        return (data, g, h)
    }

    private func build(_ data: BinnedData, rows: [Int32], g: [Float], h: [Float], threads: Int) -> [HistogramBin] {
        let builder = HistogramBuilder(histogramOffsets: data.histogramOffsets, rowStride: data.rowStride, threads: threads)
        // Ordered derivatives: d[k] belongs to rows[k].
        let d = rows.map { SIMD2(g[Int($0)], h[Int($0)]) }
        var out = [HistogramBin](repeating: HistogramBin(gradient: 7, hessian: 7, count: 7), count: builder.size)
        rows.withUnsafeBufferPointer { r in
            data.bins.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    builder.build(rows: r, bins: b.baseAddress!, derivatives: d, into: o.baseAddress!)
                }
            }
        }
        return out
    }

    private func assertClose(_ a: [HistogramBin], _ b: [HistogramBin], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (p, q) in zip(a, b) {
            XCTAssertEqual(p.count, q.count, file: file, line: line)
            XCTAssertEqual(p.gradient, q.gradient, accuracy: 1e-9 * max(1, abs(q.gradient)), file: file, line: line)
            XCTAssertEqual(p.hessian, q.hessian, accuracy: 1e-9 * max(1, abs(q.hessian)), file: file, line: line)
        }
    }

    func testOptimizedEqualsNaiveForEveryChunking() {
        // One task, two feature halves, two and four row chunks; consecutive rows (read in place) and
        // scattered ones (gathered), including a block that is consecutive only in part.
        let (data, g, h) = setup(rows: 70_000)
        for m in [1_000, 3_000, 20_000, 70_000] {
            let rows = (0..<m).map { Int32($0) }
            let naive = HistogramBuilder.buildNaive(rows: rows.map(Int.init), data: data, gradients: g, hessians: h)
            let built = build(data, rows: rows, g: g, h: h, threads: 2)
            assertClose(built, naive)
            // Below 4,096 rows no chunk sums are combined: every cell adds its rows in row order,
            // exactly as the naive twin does.
            if m < 4_096 { XCTAssertEqual(built, naive) }
        }
        let subset = stride(from: 3, to: 70_000, by: 3).map { Int32($0) }
        assertClose(build(data, rows: subset, g: g, h: h, threads: 2),
                    HistogramBuilder.buildNaive(rows: subset.map(Int.init), data: data, gradients: g, hessians: h))
        let mixed = (Array(0..<300) + Array(stride(from: 301, to: 6_000, by: 2)) + Array(6_000..<6_700)).map { Int32($0) }
        XCTAssertEqual(build(data, rows: mixed, g: g, h: h, threads: 2),
                       HistogramBuilder.buildNaive(rows: mixed.map(Int.init), data: data, gradients: g, hessians: h))
    }

    func testIdenticalForAnyThreadCount() {
        let (data, g, h) = setup(rows: 70_000)
        let rows = (0..<70_000).map { Int32($0) }
        XCTAssertEqual(build(data, rows: rows, g: g, h: h, threads: 1), build(data, rows: rows, g: g, h: h, threads: 2))
        XCTAssertEqual(build(data, rows: rows, g: g, h: h, threads: 1), build(data, rows: rows, g: g, h: h, threads: 3))
    }

    func testSubtractionTrickGivesTheSibling() {
        let (data, g, h) = setup(rows: 30_000)
        let all = (0..<30_000).map { Int32($0) }
        let left = all.filter { data.bins[Int($0) * data.rowStride] < 10 }, right = all.filter { data.bins[Int($0) * data.rowStride] >= 10 }
        var parent = build(data, rows: all, g: g, h: h, threads: 2)
        let small = build(data, rows: left, g: g, h: h, threads: 2)
        parent.withUnsafeMutableBufferPointer { p in
            small.withUnsafeBufferPointer { s in HistogramBuilder.subtract(s.baseAddress!, from: p.baseAddress!, size: p.count) }
        }
        assertClose(parent, build(data, rows: right, g: g, h: h, threads: 1))
        // Every feature's cells sum to the node totals.
        for j in 0..<5 {
            let cells = parent[data.histogramOffsets[j]..<data.histogramOffsets[j + 1]]
            XCTAssertEqual(cells.reduce(0) { $0 + $1.count }, right.count)
        }
    }
}
