@testable import LeptonIO
import XCTest
import LeptonCore

/// The area filter by its definition, one output pixel at a time: the mean of the source
/// over the output pixel's footprint, each source pixel weighted by its overlap area.
func naiveAreaResize(_ source: Raster<Float>, x0: Double, y0: Double, windowWidth: Double, windowHeight: Double,
                     width: Int, height: Int) -> Raster<Float> {
    let sx = windowWidth / Double(width), sy = windowHeight / Double(height)
    var out = Raster(width: width, height: height, layout: source.layout, repeating: Float(0))
    for y in 0..<height {
        for x in 0..<width {
            let left = x0 + Double(x) * sx, right = left + sx, top = y0 + Double(y) * sy, bottom = top + sy
            for c in 0..<source.layout.channels {
                var sum = 0.0
                for j in 0..<source.height {
                    let dy = min(bottom, Double(j + 1)) - max(top, Double(j))
                    guard dy > 0 else { continue }
                    for i in 0..<source.width {
                        let dx = min(right, Double(i + 1)) - max(left, Double(i))
                        if dx > 0 { sum += dx * dy * Double(source[x: i, y: j, channel: c]) }
                    }
                }
                out[x: x, y: y, channel: c] = Float(sum / (sx * sy))
            }
        }
    }
    return out
}

final class PNGResizeTests: XCTestCase {
    private func random(_ width: Int, _ height: Int, _ layout: PixelLayout, seed: UInt64) -> Raster<Float> {
        var random = PNGTestRandom(state: seed)
        return Raster(width: width, height: height, layout: layout,
                      pixels: (0..<width * height * layout.channels).map { _ in random.unit() })
    }

    private func assertClose(_ a: Raster<Float>, _ b: Raster<Float>, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.width, b.width, message, file: file, line: line)
        XCTAssertEqual(a.height, b.height, message, file: file, line: line)
        XCTAssertEqual(a.layout, b.layout, message, file: file, line: line)
        let worst = zip(a.pixels, b.pixels).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, message, file: file, line: line)
    }

    func testAreaMatchesNaiveReference() {
        let cases: [(Int, Int, Int, Int, PixelLayout)] = [
            (28, 28, 14, 14, .gray), (28, 28, 10, 9, .gray), (33, 17, 7, 5, .rgb), (7, 5, 3, 2, .rgb),
            (10, 10, 10, 10, .gray), (5, 4, 8, 7, .rgb), (9, 13, 4, 13, .gray), (3, 1, 2, 1, .rgba),
        ]
        for (i, (w, h, tw, th, layout)) in cases.enumerated() {
            let source = random(w, h, layout, seed: UInt64(i + 1))
            let fast = source.resized(width: tw, height: th, filter: .area)
            let naive = naiveAreaResize(source, x0: 0, y0: 0, windowWidth: Double(w), windowHeight: Double(h), width: tw, height: th)
            assertClose(fast, naive, "\(w)×\(h) → \(tw)×\(th) \(layout)")
        }
    }

    func testAreaHandComputed() {
        // 3 → 2: outputs cover [0, 1.5) and [1.5, 3): (a + b/2) / 1.5 and (b/2 + c) / 1.5.
        let row = Raster<Float>(width: 3, height: 1, layout: .gray, pixels: [0.3, 0.6, 0.9])
        let out = row.resized(width: 2, height: 1, filter: .area)
        XCTAssertEqual(out.pixels[0], (0.3 + 0.3) / 1.5, accuracy: 1e-6)
        XCTAssertEqual(out.pixels[1], (0.3 + 0.9) / 1.5, accuracy: 1e-6)
        // 2×2 → 1×1 is the mean; every channel separately.
        let block = Raster<Float>(width: 2, height: 2, layout: .rgb, pixels: [0, 1, 0.5, 1, 1, 0.5, 0, 0, 0.5, 1, 0, 0.5])
        XCTAssertEqual(block.resized(width: 1, height: 1).pixels, [0.5, 0.5, 0.5])
    }

    func testBilinearHandComputed() {
        // 2 → 4 with pixel-centre alignment: sources −0.25, 0.25, 0.75, 1.25 clamped to [0, 1].
        let row = Raster<Float>(width: 2, height: 1, layout: .gray, pixels: [0, 1])
        XCTAssertEqual(row.resized(width: 4, height: 1, filter: .bilinear).pixels, [0, 0.25, 0.75, 1])
        // 4 → 2: sources 0.5 and 2.5, midway between neighbours.
        let four = Raster<Float>(width: 4, height: 1, layout: .gray, pixels: [0, 0.2, 0.6, 1])
        let two = four.resized(width: 2, height: 1, filter: .bilinear).pixels
        XCTAssertEqual(two[0], 0.1, accuracy: 1e-6)
        XCTAssertEqual(two[1], 0.8, accuracy: 1e-6)
        // 2×2 → 3×3: the centre is the mean of all four, the corners are the corners.
        let square = Raster<Float>(width: 2, height: 2, layout: .gray, pixels: [0, 0.4, 0.8, 1])
        let up = square.resized(width: 3, height: 3, filter: .bilinear)
        XCTAssertEqual(up[x: 1, y: 1, channel: 0], 0.55, accuracy: 1e-6)
        XCTAssertEqual(up[x: 0, y: 0, channel: 0], 0)
        XCTAssertEqual(up[x: 2, y: 2, channel: 0], 1)
        XCTAssertEqual(up[x: 1, y: 0, channel: 0], 0.2, accuracy: 1e-6)
        // The same size is the identity.
        let source = random(9, 7, .rgb, seed: 5)
        assertClose(source.resized(width: 9, height: 7, filter: .bilinear), source, "identity")
        assertClose(source.resized(width: 9, height: 7, filter: .area), source, "identity")
        // A single source column stretches to a constant.
        let column = Raster<Float>(width: 1, height: 2, layout: .gray, pixels: [0.2, 0.4])
        XCTAssertEqual(column.resized(width: 3, height: 2, filter: .bilinear).pixels, [0.2, 0.2, 0.2, 0.4, 0.4, 0.4])
    }

    func testLetterboxKeepsAspectAndPadsCentred() {
        let source = random(20, 10, .rgb, seed: 6)
        let boxed = source.resized(width: 8, height: 8, filter: .area, fit: .letterbox(padding: -1))
        // Scale 0.4: 8×4 image, rows 2...5; rows 0, 1, 6, 7 are padding.
        let inner = source.resized(width: 8, height: 4, filter: .area)
        for y in 0..<8 {
            for x in 0..<8 {
                for c in 0..<3 {
                    let want: Float = (2..<6).contains(y) ? inner[x: x, y: y - 2, channel: c] : -1
                    XCTAssertEqual(boxed[x: x, y: y, channel: c], want, "(\(x), \(y), \(c))")
                }
            }
        }
        // Tall source: padding left and right, odd remainder rounded down on the left.
        let tall = random(3, 9, .gray, seed: 7).resized(width: 6, height: 6, fit: .letterbox(padding: 0.5))
        XCTAssertEqual((0..<6).map { tall[x: $0, y: 3, channel: 0] == 0.5 }, [true, true, false, false, true, true])
    }

    func testCenterCropMatchesNaiveWindow() {
        let source = random(30, 20, .gray, seed: 8)
        // Target 10×10: scale max(1/3, 1/2) = 0.5, window 20×20 starting at x = 5.
        let cropped = source.resized(width: 10, height: 10, filter: .area, fit: .centerCrop)
        assertClose(cropped, naiveAreaResize(source, x0: 5, y0: 0, windowWidth: 20, windowHeight: 20, width: 10, height: 10), "crop")
        // A fractional window: 7×5 to 4×4, scale 0.8, window 5×5 at x = 1.
        let small = random(7, 5, .rgb, seed: 9)
        assertClose(small.resized(width: 4, height: 4, fit: .centerCrop),
                    naiveAreaResize(small, x0: 1, y0: 0, windowWidth: 5, windowHeight: 5, width: 4, height: 4), "fractional")
        let odd = random(10, 10, .gray, seed: 10)
        assertClose(odd.resized(width: 3, height: 4, fit: .centerCrop),
                    naiveAreaResize(odd, x0: 1.25, y0: 0, windowWidth: 7.5, windowHeight: 10, width: 3, height: 4), "fractional start")
    }

    func testDecodedImageResizes() throws {
        let decoded = try PNG.decodeFloat(try pngFixtureBytes("gray8_adam7.png"), as: .gray).raster
        let small = decoded.resized(width: 5, height: 4)
        XCTAssertEqual(small.width, 5)
        XCTAssertEqual(small.pixels.reduce(0, +) / 20, decoded.pixels.reduce(0, +) / Float(decoded.pixels.count), accuracy: 1e-4,
                       "area resizing to an exact tiling keeps the mean")
    }
}
