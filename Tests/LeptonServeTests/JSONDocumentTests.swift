import LeptonIO
import XCTest

final class JSONDocumentTests: XCTestCase {
    func parse(_ text: String, depth: Int = 16) throws -> JSONDocument {
        try JSONDocument.parse(Array(text.utf8), limits: .init(maxDepth: depth))
    }

    func testNumbersKeepTheirText() throws {
        XCTAssertEqual(try parse(#"{"id": 1007, "x": -1.50e+3, "s": "a\u00e9\n", "n": null, "b": true}"#),
                       .object([("id", .number("1007")), ("x", .number("-1.50e+3")), ("s", .string("aé\n")), ("n", .null), ("b", .bool(true))]))
    }

    func testRefusesWhatRFC8259Refuses() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"\u{1}\"", "\"\\x\"", "[1] 2", "{'a':1}", "\"\\ud800\"", "tru", "nul", "{\"a\" 1}"] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }

    func testSurrogatePairsBecomeOneScalar() throws {
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
    }

    func testDeepNestingIsRefusedWithoutRecursingFurther() {
        XCTAssertThrowsError(try parse(String(repeating: "[", count: 100_000), depth: 8)) { error in
            XCTAssertEqual((error as? JSONDocument.ParseError)?.kind, .tooDeep)
        }
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), depth: 8))
    }

    func testTooManyMembersIsRefused() {
        let many = "[" + Array(repeating: "1", count: 101).joined(separator: ",") + "]"
        XCTAssertThrowsError(try JSONDocument.parse(Array(many.utf8), limits: .init(maxDepth: 4, maxMembers: 100))) { error in
            XCTAssertEqual((error as? JSONDocument.ParseError)?.kind, .tooManyMembers)
        }
    }

    /// Every value is a heap node: the total is bounded whatever the shape (a flat array inside
    /// an array stays under the per-container limit but not under this one).
    func testTooManyValuesInAllIsRefused() {
        let inner = "[" + Array(repeating: "1", count: 90).joined(separator: ",") + "]"
        let outer = "[" + Array(repeating: inner, count: 90).joined(separator: ",") + "]"
        XCTAssertThrowsError(try JSONDocument.parse(Array(outer.utf8), limits: .init(maxDepth: 4, maxMembers: 100, maxValues: 5_000))) { error in
            XCTAssertEqual((error as? JSONDocument.ParseError)?.kind, .tooManyMembers)
        }
        XCTAssertNoThrow(try JSONDocument.parse(Array(outer.utf8), limits: .init(maxDepth: 4, maxMembers: 100, maxValues: 9_000)))
    }

    func testInvalidUTF8InAStringIsRefused() {
        XCTAssertThrowsError(try JSONDocument.parse([0x22, 0xFF, 0x22]))
    }

    /// Property: every JSON text the project writes (JSONValue.text) parses back to the same
    /// structure, over 2,000 generated values (seeded): nesting, escapes, non-ASCII, extremes.
    func testRoundTripsGeneratedValues() throws {
        var rng = JSONValueGenerator(seed: 7)
        for _ in 0..<2_000 {
            let value = rng.value(depth: 0)
            XCTAssertEqual(try JSONDocument.parse(Array(value.text.utf8)), JSONValueGenerator.expected(value), value.text)
        }
    }

    /// Property: random bytes and random truncations of valid JSON never trap; they parse or throw.
    func testArbitraryBytesNeverTrap() {
        var rng = JSONValueGenerator(seed: 11)
        for _ in 0..<3_000 {
            let valid = Array(rng.value(depth: 0).text.utf8)
            let cut = Array(valid.prefix(rng.below(valid.count + 1)))
            _ = try? JSONDocument.parse(cut, limits: .init(maxDepth: 3, maxMembers: 4))
            let alphabet = Array("{}[]\",:0123456789.eE+-tfnul\\ \u{7F}".utf8)
            let noise = (0..<rng.below(40)).map { _ in alphabet[rng.below(alphabet.count)] }
            _ = try? JSONDocument.parse(noise)
        }
    }
}

/// A small seeded generator of JSON values.
struct JSONValueGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    mutating func value(depth: Int) -> JSONValue {
        switch below(depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .int(Int(truncatingIfNeeded: next()) >> below(64))
        case 3: return .double([1e300, -1e-300, 0.1, -2.5, Double(Int(truncatingIfNeeded: next()) % 100_000) / 64][below(5)])
        case 4: return .string((0..<below(6)).map { _ in ["a", "\"", "\\", "\n", "é", "😀", "\u{1}", " ", "\u{2028}"][below(9)] }.joined())
        case 5: return .array((0..<below(4)).map { _ in value(depth: depth + 1) })
        default: return .object((0..<below(4)).map { k in ("k\(k)", value(depth: depth + 1)) })
        }
    }

    static func expected(_ value: JSONValue) -> JSONDocument {
        switch value {
        case .null: return .null
        case let .bool(b): return .bool(b)
        case .int, .double: return .number(value.text)
        case let .string(s): return .string(s)
        case let .array(items): return .array(items.map(expected))
        case let .object(pairs): return .object(pairs.map { ($0.0, expected($0.1)) })
        }
    }
}
