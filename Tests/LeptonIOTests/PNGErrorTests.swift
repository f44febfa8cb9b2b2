import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest
import LeptonCore

final class PNGErrorTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("png-errors") }
    override func tearDown() { dir.remove() }

    /// The end of the last IDAT chunk (its CRC included): after it, the image data is complete.
    private func endOfImageData(_ bytes: [UInt8]) -> Int {
        var at = 8, end = 0
        while at + 8 <= bytes.count {
            let length = bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            if bytes[at + 4..<at + 8].elementsEqual("IDAT".utf8) { end = at + 12 + length }
            at += 12 + length
        }
        return end
    }

    /// Found by `make fuzz` (png-decode, out of memory): a 306-byte file whose tEXt chunk
    /// claims 1.95 GB made libpng allocate that much. Refused before libpng sees it, as corrupt.
    func testChunkClaimingMoreBytesThanTheFileHasIsRefusedWithoutAllocatingThem() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fuzz/regressions/png-decode-forged-text-length.png").standardized
        let bytes = [UInt8](try Data(contentsOf: url))
        let error = assertPNGError({ _ = try PNG.decode(bytes, as: .gray, name: "forged.png") }) {
            if case let .corruptData(name, message) = $0 { return name == "forged.png" && message.contains("tEXt") && message.contains("1952791139") }
            return false
        }
        XCTAssertTrue(error?.description.contains("Hint:") ?? false)
    }

    /// A file cut inside a chunk after its image data decodes as before: the oversized-chunk
    /// check looks only at the chunks before the first IDAT.
    func testCutInsideATrailingChunkStillDecodes() throws {
        let good = try pngFixtureBytes("gray8.png")
        let end = endOfImageData(good)
        // A tEXt chunk after the image data, cut in the middle.
        var text: [UInt8] = [0, 0, 0, 40] + Array("tEXt".utf8) + Array("Comment\0".utf8) + [UInt8](repeating: 65, count: 10)
        text = Array(good[..<end]) + text
        XCTAssertNoThrow(try PNG.decode(text, as: .gray))
    }

    /// A file whose header is followed by IEND and no IDAT: a message about missing image
    /// data, not about the width and height (which are fine).
    func testHeaderWithoutImageDataSaysSo() throws {
        let good = try pngFixtureBytes("gray8.png")
        var at = 8, chunks: [(type: String, range: Range<Int>)] = []
        while at + 8 <= good.count {
            let length = good[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            chunks.append((String(decoding: good[at + 4..<at + 8], as: UTF8.self), at..<(at + 12 + length)))
            at += 12 + length
        }
        let kept = chunks.filter { $0.type != "IDAT" }.flatMap { good[$0.range] }
        let error = assertPNGError({ _ = try PNG.decode(Array(good[0..<8]) + kept, as: .gray) }) {
            if case .noImageData = $0 { return true }
            return false
        }
        XCTAssertTrue(error?.description.contains("no image data") ?? false)
        XCTAssertFalse(error?.description.contains("width") ?? true)
    }

    /// Cutting a good file at every byte before its image data ends gives a typed error,
    /// never a crash or a silent success. (Cuts after the last IDAT, in trailing text
    /// chunks or IEND, lose nothing: libpng stops reading once the image is complete.)
    func testTruncatedAtEveryByteIsAnError() throws {
        for name in ["gray8", "rgb8_adam7", "gray16_adam7", "palette_trns"] {
            let good = try pngFixtureBytes("\(name).png")
            let end = endOfImageData(good)
            XCTAssertGreaterThan(end, 50, name)
            XCTAssertNoThrow(try PNG.decodeFloat(Array(good.prefix(end)), as: .gray), name)
            for cut in 1..<end {
                let bytes = Array(good.prefix(cut)), label = "\(name)[..<\(cut)]"
                assertPNGError({ _ = try PNG.decodeFloat(bytes, as: .gray, name: label) }) { error in
                    switch error {
                    case let .invalidHeader(named, _), let .corruptData(named, _): return named == label
                    default: return false
                    }
                }
            }
        }
    }

    func testTruncatedInsideImageDataNamesFileAndLibpngMessage() throws {
        let good = try pngFixtureBytes("gray8_adam7.png")
        let error = assertPNGError({ _ = try PNG.decode(Array(good.prefix(good.count / 2)), as: .gray, name: "half.png") }) {
            if case .corruptData("half.png", _) = $0 { return true } else { return false }
        }
        XCTAssertTrue(error?.description.hasPrefix("half.png: corrupt PNG image data (libpng: ") ?? false, "\(String(describing: error))")
    }

    func testFlippedCRCIsAnError() throws {
        var bytes = try pngFixtureBytes("gray8.png")
        bytes[29] ^= 0x01 // the first byte of IHDR's CRC (8 signature + 8 chunk head + 13 data)
        assertPNGError({ _ = try PNG.decode(bytes, as: .gray) }) {
            if case let .invalidHeader(nil, message) = $0 { return message.lowercased().contains("crc") } else { return false }
        }
        // The CRC of the image data chunk: the last 4 bytes before IEND's 12.
        var idat = try pngFixtureBytes("gray8.png")
        idat[idat.count - 13] ^= 0x80
        assertPNGError({ _ = try PNG.decode(idat, as: .gray) }) {
            if case let .corruptData(nil, message) = $0 { return message.lowercased().contains("crc") } else { return false }
        }
    }

    func testCorruptCompressedDataIsAnError() throws {
        assertPNGError({ _ = try PNG.readFloat(path: pngFixturePath("corrupt_idat.png"), as: .gray) }) {
            if case let .corruptData(name, message) = $0 { return name!.hasSuffix("corrupt_idat.png") && message.hasPrefix("IDAT") }
            return false
        }
    }

    /// 100000×100000 declared in a 166-byte file: refused from the header, before any
    /// pixel memory (10 GB) would be allocated.
    func testDecompressionBombIsRefusedFromTheHeader() throws {
        let bytes = try pngFixtureBytes("huge_ihdr.png")
        XCTAssertLessThan(bytes.count, 200)
        assertPNGError({ _ = try PNG.decodeFloat(bytes, as: .gray, name: "bomb.png") }) {
            $0 == .tooManyPixels(name: "bomb.png", width: 100_000, height: 100_000, limit: 64_000_000)
        }
        assertPNGError({ _ = try PNG.info(of: bytes) }) {
            if case .tooManyPixels = $0 { return true } else { return false }
        }
    }

    func testPixelLimitIsConfigurable() throws {
        let bytes = try pngFixtureBytes("gray8.png") // 13×7 = 91 pixels
        assertPNGError({ _ = try PNG.decode(bytes, as: .gray, options: PNGDecodeOptions(maxPixels: 90)) }) {
            $0 == .tooManyPixels(name: nil, width: 13, height: 7, limit: 90)
        }
        XCTAssertEqual(try PNG.decode(bytes, as: .gray, options: PNGDecodeOptions(maxPixels: 91)).raster.width, 13)
    }

    func testZeroWidthIsAnError() throws {
        assertPNGError({ _ = try PNG.decode(try! pngFixtureBytes("zero_width.png"), as: .gray, name: "zero.png") }) {
            if case let .invalidHeader("zero.png", message) = $0 { return message.contains("IHDR") } else { return false }
        }
    }

    func testAbsurdWidthIsAnError() throws {
        var bytes = try pngFixtureBytes("zero_width.png")
        bytes[16..<20] = [0x7F, 0xFF, 0xFF, 0xFF] // 2^31 − 1 wide; the CRC now also fails
        assertPNGError({ _ = try PNG.decode(bytes, as: .gray) }) {
            if case .invalidHeader = $0 { return true } else { return false }
        }
    }

    func testNotPNGAndEmpty() throws {
        assertPNGError({ _ = try PNG.decode(try! pngFixtureBytes("random.bin"), as: .gray, name: "random.bin") }) {
            $0 == .notPNG(name: "random.bin")
        }
        assertPNGError({ _ = try PNG.read(path: pngFixturePath("empty.png"), as: .gray) }) {
            if case let .empty(name) = $0 { return name!.hasSuffix("empty.png") } else { return false }
        }
        assertPNGError({ _ = try PNG.decode([], as: .rgb) }) { $0 == .empty(name: nil) }
        assertPNGError({ _ = try PNG.decode([0x89, 0x50, 0x4E], as: .rgb) }) {
            if case .invalidHeader = $0 { return true } else { return false }
        }
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46, 0, 1]
        assertPNGError({ _ = try PNG.decode(jpeg, as: .rgb) }) { $0 == .notPNG(name: nil) }
    }

    func testFileErrors() throws {
        let missing = dir.file("missing.png")
        assertPNGError({ _ = try PNG.read(path: missing, as: .gray) }) {
            if case .cannotOpen(missing, _) = $0 { return true } else { return false }
        }
        assertPNGError({ _ = try PNG.read(path: dir.path, as: .gray) }) {
            if case .readFailed(dir.path, _) = $0 { return true } else { return false }
        }
        let path = pngFixturePath("rgb8.png")
        let size = try pngFixtureBytes("rgb8.png").count
        assertPNGError({ _ = try PNG.read(path: path, as: .gray, options: PNGDecodeOptions(maxFileBytes: size - 1)) }) {
            $0 == .fileTooLarge(path: path, bytes: size, limit: size - 1)
        }
        XCTAssertNoThrow(try PNG.read(path: path, as: .gray, options: PNGDecodeOptions(maxFileBytes: size)))
    }

    /// Random damage anywhere in a good file: every outcome is a clean success or a typed error.
    func testRandomDamageNeverCrashes() throws {
        let good = try pngFixtureBytes("rgba8.png")
        var random = PNGTestRandom(state: 42)
        var failures = 0
        for _ in 0..<300 {
            var bytes = good
            for _ in 0..<1 + Int(random.next() % 4) {
                bytes[Int(random.next() % UInt64(bytes.count))] = random.byte()
            }
            do {
                let decoded = try PNG.decode(bytes, as: .rgba)
                XCTAssertEqual(decoded.raster.pixels.count, decoded.info.pixelCount * 4)
            } catch {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 200, "almost every damaged byte is caught by a CRC")
    }

    func testDescriptionsNameTheFileAndGiveAHint() {
        let error = PNGError.corruptData(name: "scan.png", message: "IDAT: invalid code lengths set")
        XCTAssertEqual(error.description, "scan.png: corrupt PNG image data (libpng: IDAT: invalid code lengths set). Hint: the file is truncated or damaged; re-copy or re-export it.")
        XCTAssertTrue(PNGError.notPNG(name: nil).description.hasPrefix("<PNG in memory>: not a PNG file"))
    }
}
