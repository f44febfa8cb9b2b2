import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

final class PNGEncodeTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("png-encode") }
    override func tearDown() { dir.remove() }

    private func randomRaster(_ width: Int, _ height: Int, _ layout: PixelLayout, seed: UInt64) -> Raster<UInt8> {
        var random = PNGTestRandom(state: seed)
        return Raster(width: width, height: height, layout: layout,
                      pixels: (0..<width * height * layout.channels).map { _ in random.byte() })
    }

    func testMemoryRoundTripIsExact() throws {
        for (i, layout) in PixelLayout.allCases.enumerated() {
            for (width, height) in [(1, 1), (7, 5), (33, 17), (300, 2)] {
                let raster = randomRaster(width, height, layout, seed: UInt64(i * 100 + width))
                let bytes = try PNG.encode(raster)
                let decoded = try PNG.decode(bytes, as: layout)
                XCTAssertEqual(decoded.raster, raster, "\(layout) \(width)×\(height)")
                XCTAssertEqual(decoded.info.bitDepth, 8)
                XCTAssertEqual(decoded.info.isInterlaced, false)
                XCTAssertEqual(decoded.info.hasAlpha, layout.hasAlpha)
                let floats = try PNG.decodeFloat(bytes, as: layout).raster.pixels
                XCTAssertEqual(floats, raster.pixels.map { Float($0) / 255 })
            }
        }
    }

    /// The file starts with the PNG signature and IHDR declares the colour type of the layout.
    func testEncodedHeaderMatchesLayout() throws {
        let expected: [PixelLayout: PNGColorType] = [.gray: .gray, .grayAlpha: .grayAlpha, .rgb: .rgb, .rgba: .rgba]
        for layout in PixelLayout.allCases {
            let bytes = try PNG.encode(randomRaster(3, 2, layout, seed: 1))
            XCTAssertEqual(Array(bytes.prefix(8)), PNGContainer.signature)
            XCTAssertEqual(bytes[25], expected[layout]!.rawValue, "\(layout)")
        }
    }

    /// Large, incompressible images exceed the first buffer guess only if libpng needs more;
    /// the retry handles it either way.
    func testIncompressibleImageEncodes() throws {
        let raster = randomRaster(257, 129, .rgba, seed: 9)
        XCTAssertEqual(try PNG.decode(try PNG.encode(raster), as: .rgba).raster, raster)
    }

    func testWriteToFileIsAtomicAndExact() throws {
        let raster = randomRaster(33, 17, .rgb, seed: 3)
        let path = dir.file("out.png")
        try PNG.write(raster, to: path)
        XCTAssertEqual(try PNG.read(path: path, as: .rgb).raster, raster)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.png"], "no temporary file left")
        // Overwriting replaces the file whole.
        let second = randomRaster(7, 5, .gray, seed: 4)
        try PNG.write(second, to: path)
        XCTAssertEqual(try PNG.read(path: path, as: .gray).raster, second)
    }

    func testErrors() throws {
        let empty = Raster<UInt8>(width: 0, height: 4, layout: .gray, pixels: [])
        assertPNGError({ _ = try PNG.encode(empty, name: "e.png") }) {
            if case .encodeFailed("e.png", _) = $0 { return true } else { return false }
        }
        let path = dir.file("no-such-folder/x.png")
        assertPNGError({ try PNG.write(Raster(width: 1, height: 1, layout: .gray, pixels: [0]), to: path) }) {
            if case .writeFailed(path, _) = $0 { return true } else { return false }
        }
    }
}
