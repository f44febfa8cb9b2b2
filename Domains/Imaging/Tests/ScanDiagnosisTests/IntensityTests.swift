import LeptonCore
import LeptonIO
@testable import ScanDiagnosis
import XCTest

final class IntensityTests: XCTestCase {
    /// Over generated scans (one value, two values, ties, heavy skew, a few extreme pixels, NaN,
    /// 1 to 4,096 pixels) every window keeps values finite in 0…1, keeps the pixels' order, and a
    /// scan of one value maps to 0 (1 inverted).
    func testWindowsStayInRangeAndKeepOrder() {
        var rng = SeededGenerator(seed: 21)
        for shape in 0..<60 {
            let n = [1, 2, 9, 784, 4096][shape % 5]
            let pixels: [Float] = (0..<n).map { i in
                switch shape % 6 {
                case 0: return 0.4
                case 1: return i % 2 == 0 ? 0.1 : 0.9
                case 2: return Float(Int(rng.next() % 4)) / 3
                case 3: return Float(pow(rng.uniform(), 8))
                case 4: return i % 97 == 0 ? 1 : Float(rng.uniform()) * 0.2
                default: return i == 0 ? .nan : Float(rng.uniform())
                }
            }
            for (low, high) in [(0.0, 100.0), (1, 99), (10, 90), (49, 51)] {
                for invert in [false, true] {
                    let normalization = IntensityNormalization(window: true, lowPercentile: low, highPercentile: high, invert: invert)
                    let out = normalization.apply(pixels)
                    XCTAssertEqual(out.count, n)
                    for (a, b) in zip(pixels, out) where !a.isNaN {
                        XCTAssertTrue(b.isFinite && (0...1).contains(b), "shape \(shape): \(a) → \(b)")
                    }
                    for i in 0..<n { for j in 0..<min(n, 40) where !pixels[i].isNaN && !pixels[j].isNaN && pixels[i] < pixels[j] {
                        XCTAssertTrue(invert ? out[i] >= out[j] : out[i] <= out[j], "order broken at shape \(shape)")
                    } }
                    if Set(pixels.filter { !$0.isNaN }).count == 1 { XCTAssertTrue(out.allSatisfy { $0 == (invert ? 1 : 0) }) }
                }
            }
        }
    }

    func testMinMaxAndParsing() {
        let minmax = IntensityNormalization(window: true)
        XCTAssertEqual(minmax.apply([0.2, 0.4, 0.6]), [0, 0.5, 1].map { Float($0) }, accuracy: 1e-6)
        XCTAssertEqual(IntensityNormalization(invert: true).apply([0.25]), [0.75])
        XCTAssertEqual(IntensityNormalization.parseWindow("p1-p99")??.low, 1)
        XCTAssertEqual(IntensityNormalization.parseWindow("minmax")??.high, 100)
        XCTAssertTrue(IntensityNormalization.parseWindow("none").map { $0 == nil } ?? false)
        for bad in ["p99-p1", "1-101", "x", "1-2-3", "", "-1-99", "pp1-99", "1-"] { XCTAssertTrue(IntensityNormalization.parseWindow(bad) == nil, bad) }
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

final class ScanResizeTests: XCTestCase {
    func testSizesParseAndEveryFitGivesTheTargetSize() {
        XCTAssertTrue(ScanResize.parseSize("28").map { $0 == (28, 28) } ?? false)
        XCTAssertTrue(ScanResize.parseSize("64x48").map { $0 == (64, 48) } ?? false)
        for bad in ["0", "x", "28x", "5000", "2x3x4", "-3", ""] { XCTAssertTrue(ScanResize.parseSize(bad) == nil, bad) }
        // A wide scan (bright left half) at 8×8: every fit gives 8×8 in 0…1; letterbox pads with 0 above and below.
        let wide = Raster(width: 16, height: 4, layout: .gray, pixels: (0..<64).map { Float($0 % 16 < 8 ? 1 : 0.5) })
        for fit in ScanResize.Fit.allCases {
            let out = ScanResize(width: 8, height: 8, fit: fit).apply(wide)
            XCTAssertEqual([out.width, out.height], [8, 8])
            XCTAssertTrue(out.pixels.allSatisfy { (0...1).contains($0) })
        }
        let boxed = ScanResize(width: 8, height: 8, fit: .letterbox).apply(wide)
        XCTAssertEqual(boxed.pixels[0], 0)
        XCTAssertEqual(boxed.pixels[4 * 8], 1, accuracy: 1e-6)
        XCTAssertEqual(ScanResize(width: 16, height: 4).apply(wide), wide)
    }
}
