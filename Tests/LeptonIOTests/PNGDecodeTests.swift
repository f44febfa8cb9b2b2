import Foundation
@testable import LeptonIO
import XCTest

final class PNGDecodeTests: XCTestCase {
    /// Every fixture, decoded to its own channels as 8-bit: exactly what the encoder was fed
    /// (16-bit: round(v·255/65535); 1/2/4-bit: v·255/maxval). 16-bit RGBA is checked in
    /// ``testSixteenBitAlpha()``: libpng hands it over premultiplied, so colour is not exact.
    func testEveryFixtureDecodesExactlyTo8Bit() throws {
        for name in PNGFixture.all where name != "rgba16" {
            let fixture = try PNGFixture(name)
            let e = fixture.expected
            let decoded = try PNG.decode(fixture.bytes, as: fixture.layout, name: name)
            XCTAssertEqual(decoded.raster.width, e.width, name)
            XCTAssertEqual(decoded.raster.height, e.height, name)
            let want = e.values.map { UInt8(($0 * 255 + e.maxval / 2) / e.maxval) }
            XCTAssertEqual(decoded.raster.pixels.count, want.count, name)
            let wrong = zip(decoded.raster.pixels, want).enumerated().filter { $0.element.0 != $0.element.1 }
            XCTAssertTrue(wrong.isEmpty, "\(name): \(wrong.count) samples differ, first at \(wrong.first.map { "\($0.offset): \($0.element)" } ?? "")")
        }
    }

    /// Every fixture decoded to Float: round(f · maxval) is the encoder's value (for 16-bit,
    /// the full 16-bit value) and f is v / maxval to float precision.
    func testEveryFixtureDecodesExactlyToFloat() throws {
        for name in PNGFixture.all where name != "rgba16" {
            let fixture = try PNGFixture(name)
            let e = fixture.expected
            let decoded = try PNG.decodeFloat(fixture.bytes, as: fixture.layout, name: name)
            XCTAssertEqual(decoded.raster.pixels.count, e.values.count, name)
            var mismatches = 0
            for (f, v) in zip(decoded.raster.pixels, e.values) {
                if Int((f * Float(e.maxval)).rounded()) != v || abs(f - Float(v) / Float(e.maxval)) > 1e-6 { mismatches += 1 }
            }
            XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(e.values.count) samples differ")
        }
    }

    func testInfoReportsTheSourceFormat() throws {
        for name in PNGFixture.all {
            let fixture = try PNGFixture(name)
            let e = fixture.expected
            let info = try PNG.info(of: fixture.bytes, name: name)
            XCTAssertEqual(info.width, e.width, name)
            XCTAssertEqual(info.height, e.height, name)
            XCTAssertEqual(info.bitDepth, e.png.bitdepth, name)
            XCTAssertEqual(info.colorType.rawValue, e.png.colortype, name)
            XCTAssertEqual(info.isInterlaced, e.png.interlace == 1, name)
            XCTAssertEqual(info.hasAlpha, e.channels == 2 || e.channels == 4, name)
            XCTAssertEqual(try PNG.decode(fixture.bytes, as: .gray).info, info, name)
        }
        let palette = try PNG.info(of: try PNGFixture("palette_trns").bytes)
        XCTAssertEqual(palette.colorType, .palette)
        XCTAssertTrue(palette.hasAlpha, "tRNS counts as alpha")
    }

    /// 16-bit interlaced images come back whole (Debian's libpng garbles every other row
    /// when decoding them to an 8-bit format), including odd rows and extreme values.
    func testSixteenBitInterlacedKeepsEveryRow() throws {
        let fixture = try PNGFixture("gray16_adam7")
        let decoded = try PNG.decodeFloat(fixture.bytes, as: .gray)
        let width = fixture.expected.width
        for row in [1, 2, 3, fixture.expected.height - 1] {
            let got = (0..<width).map { Int((decoded.raster[x: $0, y: row, channel: 0] * 65535).rounded()) }
            XCTAssertEqual(got, Array(fixture.expected.values[row * width..<(row + 1) * width]), "row \(row)")
        }
        XCTAssertEqual(Array(fixture.expected.values[width..<width + 3]), [1, 65534, 257])
    }

    /// ImageMagick's files carry gAMA 1/2.2; libpng would linearise 16-bit samples by it.
    /// The colour-space chunks are hidden, so samples come back as stored.
    func testGammaChunksDoNotChangeSamples() throws {
        let fixture = try PNGFixture("gray16_adam7")
        let ranges = fixture.bytes.withUnsafeBytes { PNGContainer.colorSpaceChunks($0) }
        XCTAssertFalse(ranges.isEmpty, "the fixture should have a gAMA chunk")
        let stripped = fixture.bytes.withUnsafeBytes { PNGContainer.removing(ranges, from: $0) }
        XCTAssertEqual(stripped.count, fixture.bytes.count - ranges.reduce(0) { $0 + $1.count })
        XCTAssertEqual(try PNG.decode(stripped, as: .gray).raster, try PNG.decode(fixture.bytes, as: .gray).raster)
    }

    /// RGBA → RGB and gray over black and white: c·a + bg·(1 − a); RGB → gray with BT.601.
    func testAlphaCompositingAndGrayConversion() throws {
        let fixture = try PNGFixture("rgba8")
        let v = fixture.expected.values.map { Float($0) / 255 }
        for background in [PNGBackground.black, .white, PNGBackground(red: 0.2, green: 0.5, blue: 0.9)] {
            let options = PNGDecodeOptions(background: background)
            let rgb = try PNG.decodeFloat(fixture.bytes, as: .rgb, options: options).raster
            let gray = try PNG.decodeFloat(fixture.bytes, as: .gray, options: options).raster
            let rgb8 = try PNG.decode(fixture.bytes, as: .rgb, options: options).raster
            let bg = [background.red, background.green, background.blue]
            for p in 0..<v.count / 4 {
                let a = v[p * 4 + 3]
                let want = (0..<3).map { v[p * 4 + $0] * a + bg[$0] * (1 - a) }
                for c in 0..<3 {
                    XCTAssertEqual(rgb.pixels[p * 3 + c], want[c], accuracy: 1e-6, "pixel \(p) channel \(c)")
                    XCTAssertEqual(rgb8.pixels[p * 3 + c], UInt8((want[c] * 255).rounded()), "pixel \(p) channel \(c)")
                }
                XCTAssertEqual(gray.pixels[p], 0.299 * want[0] + 0.587 * want[1] + 0.114 * want[2], accuracy: 1e-6)
            }
            // Pixel 0 is fully transparent: it is the background.
            XCTAssertEqual(Array(rgb.pixels[0..<3]), bg)
        }
    }

    func testGrayAlphaCompositesOntoBackgroundLuma() throws {
        let fixture = try PNGFixture("gray_alpha8")
        let background = PNGBackground(red: 1, green: 0, blue: 0)
        let gray = try PNG.decodeFloat(fixture.bytes, as: .gray, options: PNGDecodeOptions(background: background)).raster
        let rgb = try PNG.decodeFloat(fixture.bytes, as: .rgb, options: PNGDecodeOptions(background: background)).raster
        let v = fixture.expected.values.map { Float($0) / 255 }
        for p in 0..<gray.pixels.count {
            let g = v[2 * p], a = v[2 * p + 1]
            XCTAssertEqual(gray.pixels[p], g * a + 0.299 * (1 - a), accuracy: 1e-6)
            XCTAssertEqual(rgb.pixels[3 * p], g * a + (1 - a), accuracy: 1e-6)
            XCTAssertEqual(rgb.pixels[3 * p + 1], g * a, accuracy: 1e-6)
        }
    }

    /// Gray → RGB repeats the level; no-alpha → alpha gives alpha 1; RGB → gray uses BT.601.
    func testChannelExpansionAndReduction() throws {
        let gray = try PNGFixture("gray8")
        let rgba = try PNG.decode(gray.bytes, as: .rgba).raster
        for (p, v) in gray.expected.values.enumerated() {
            XCTAssertEqual(Array(rgba.pixels[4 * p..<4 * p + 4]), [UInt8(v), UInt8(v), UInt8(v), 255])
        }
        let rgb = try PNGFixture("rgb8")
        let luma = try PNG.decodeFloat(rgb.bytes, as: .gray).raster
        let v = rgb.expected.values.map { Float($0) / 255 }
        for p in 0..<luma.pixels.count {
            XCTAssertEqual(luma.pixels[p], 0.299 * v[3 * p] + 0.587 * v[3 * p + 1] + 0.114 * v[3 * p + 2], accuracy: 1e-6)
        }
    }

    /// 16-bit RGBA arrives premultiplied from libpng: compositing on black is the premultiplied
    /// colour; RGBA output divides it back (exact to the 16-bit step scaled by 1/alpha).
    func testSixteenBitAlpha() throws {
        let fixture = try PNGFixture("rgba16")
        let v = fixture.expected.values.map(Float.init)
        let onBlack = try PNG.decodeFloat(fixture.bytes, as: .rgb).raster
        let straight = try PNG.decodeFloat(fixture.bytes, as: .rgba).raster
        for p in 0..<v.count / 4 {
            let a = v[4 * p + 3]
            for c in 0..<3 {
                let colour = v[4 * p + c] / 65535
                XCTAssertEqual(onBlack.pixels[3 * p + c], colour * a / 65535, accuracy: 1.5 / 65535, "pixel \(p)")
                if a > 0 {
                    XCTAssertEqual(straight.pixels[4 * p + c], colour, accuracy: 1 / a + 1e-6, "pixel \(p)")
                } else {
                    XCTAssertEqual(straight.pixels[4 * p + c], 0)
                }
            }
            XCTAssertEqual(straight.pixels[4 * p + 3], a / 65535)
        }
    }

    func testPaletteWithTransparencyKeepsPerEntryAlpha() throws {
        let fixture = try PNGFixture("palette_trns")
        let decoded = try PNG.decode(fixture.bytes, as: .rgba).raster
        XCTAssertEqual(decoded.pixels.map(Int.init), fixture.expected.values)
        XCTAssertTrue(Set(decoded.pixels.enumerated().filter { $0.offset % 4 == 3 }.map(\.element)).isSuperset(of: [0, 128, 255]))
    }

    func testReadFromFile() throws {
        let path = pngFixturePath("rgb8_adam7.png")
        let fromFile = try PNG.readFloat(path: path, as: .rgb)
        let fromMemory = try PNG.decodeFloat(try pngFixtureBytes("rgb8_adam7.png"), as: .rgb)
        XCTAssertEqual(fromFile, fromMemory)
        XCTAssertEqual(try PNG.read(path: path, as: .rgb).raster.pixels.map(Int.init),
                       try PNGFixture("rgb8_adam7").expected.values)
    }

    func testOnePixelImage() throws {
        let one = try PNG.encode(Raster(width: 1, height: 1, layout: .gray, pixels: [77]))
        XCTAssertEqual(try PNG.decodeFloat(one, as: .gray).raster.pixels, [Float(77) / 255])
    }
}
