import Foundation
@testable import LeptonIO
import XCTest
import LeptonCore

/// One committed fixture: the PNG bytes and what its encoder was fed (see make_fixtures.py).
struct PNGFixture {
    struct Header: Decodable {
        var bitdepth: Int
        var colortype: UInt8
        var interlace: Int
    }

    struct Expected: Decodable {
        var width: Int
        var height: Int
        var channels: Int
        var maxval: Int
        var encoder: String
        var png: Header
        var values: [Int]
    }

    let name: String
    let bytes: [UInt8]
    let expected: Expected

    /// The layout with the fixture's own channels.
    var layout: PixelLayout { PixelLayout(rawValue: expected.channels)! }

    init(_ name: String) throws {
        self.name = name
        bytes = try pngFixtureBytes("\(name).png")
        let json = try Data(contentsOf: URL(fileURLWithPath: pngFixturePath("\(name).json")))
        expected = try JSONDecoder().decode(Expected.self, from: json)
    }

    /// Every fixture that has a `.json` of encoder pixels.
    static let all = ["gray8", "gray16", "rgb8", "rgba8", "gray_alpha8", "palette", "palette_trns",
                      "gray8_adam7", "gray16_adam7", "rgb8_adam7", "rgb16_adam7", "rgba16",
                      "gray1", "gray2", "gray4", "gray4_adam7"]
}

/// The path of a file in Fixtures/png inside the test bundle.
func pngFixturePath(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures/png/\(name)").path
}

/// The bytes of a file in Fixtures/png.
func pngFixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: pngFixturePath(name))))
}

/// Asserts that `body` throws a PNGError matching `check`, and returns it.
@discardableResult
func assertPNGError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line,
                    _ check: (PNGError) -> Bool) -> PNGError? {
    do {
        try body()
        XCTFail("expected a PNGError, got success", file: file, line: line)
        return nil
    } catch let error as PNGError {
        XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
        XCTAssertTrue(error.description.contains("Hint:"), "no hint in: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a PNGError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Test image bytes from the core's seeded generator.
struct PNGTestRandom {
    var generator: SeededGenerator
    init(state: UInt64) { generator = SeededGenerator(seed: state) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: generator.next()) }
    mutating func unit() -> Float { generator.nextUniform() }
}
