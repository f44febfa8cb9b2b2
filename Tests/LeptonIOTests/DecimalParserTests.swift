import Foundation
@testable import LeptonIO
import XCTest
import LeptonCore

final class DecimalParserTests: XCTestCase {
    private func parse(_ s: String) -> Double? { DecimalParser.parseDouble(s) }

    func testGrammar() {
        XCTAssertEqual(parse("12"), 12)
        XCTAssertEqual(parse("-0.5"), -0.5)
        XCTAssertEqual(parse("+.5"), 0.5)
        XCTAssertEqual(parse("5."), 5)
        XCTAssertEqual(parse("5.00E+05"), 500_000)
        XCTAssertEqual(parse("  1e-3\t"), 0.001)
        XCTAssertEqual(parse("-INF"), -.infinity)
        XCTAssertTrue(parse("NaN")!.isNaN)
        for bad in ["", " ", "-", ".", "e5", "1e", "1e+", "0x10", "1,000", "12abc", "1.2.3", "--1", "in"] {
            XCTAssertNil(parse(bad), bad)
        }
    }

    /// Bit-for-bit agreement with the C library on random decimal strings of every shape.
    func testAgreesWithStrtodAndStrtofBitForBit() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<200_000 {
            var s = Bool.random(using: &rng) ? "-" : ""
            let intDigits = Int.random(in: 0...22, using: &rng)
            let fracDigits = Int.random(in: 0...22, using: &rng)
            if intDigits + fracDigits == 0 { s += "0" }
            for _ in 0..<intDigits { s += String(Int.random(in: 0...9, using: &rng)) }
            if fracDigits > 0 || Bool.random(using: &rng) { s += "." }
            for _ in 0..<fracDigits { s += String(Int.random(in: 0...9, using: &rng)) }
            if Int.random(in: 0..<4, using: &rng) == 0 { s += "e\(Int.random(in: -50...50, using: &rng))" }
            let d = parse(s)
            XCTAssertEqual(d?.bitPattern, strtod(s, nil).bitPattern, s)
            var copy = s
            let f = copy.withUTF8 { DecimalParser.parseFloat($0) }
            XCTAssertEqual(f?.bitPattern, strtof(s, nil).bitPattern, s)
        }
    }

    /// Decimal strings at binary32 rounding midpoints, where naive double→float narrowing fails.
    func testFloatMidpointsAreRoundedCorrectly() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7F00_0000, using: &rng))
            let midpoint = (Double(f) + Double(f.nextUp)) / 2
            for text in [String(format: "%.17g", midpoint), String(format: "%.25g", midpoint)] {
                var copy = text
                let ours = copy.withUTF8 { DecimalParser.parseFloat($0) }
                XCTAssertEqual(ours?.bitPattern, strtof(text, nil).bitPattern, text)
            }
        }
    }
}
