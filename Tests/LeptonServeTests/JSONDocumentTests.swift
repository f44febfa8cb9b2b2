import LeptonIO
import Testing

@Suite struct JSONDocumentTests {
    func parse(_ text: String, depth: Int = 16) throws -> JSONDocument {
        try JSONDocument.parse(Array(text.utf8), limits: .init(maxDepth: depth))
    }

    @Test func numbersKeepTheirText() throws {
        #expect(try parse(#"{"id": 1007, "x": -1.50e+3, "s": "a\u00e9\n", "n": null, "b": true}"#)
                == .object([("id", .number("1007")), ("x", .number("-1.50e+3")), ("s", .string("aé\n")), ("n", .null), ("b", .bool(true))]))
    }

    @Test func refusesWhatRFC8259Refuses() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"\u{1}\"", "\"\\x\"", "[1] 2", "{'a':1}", "\"\\ud800\"", "tru", "nul"] {
            #expect(throws: JSONDocument.ParseError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func surrogatePairsBecomeOneScalar() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test func deepNestingIsRefusedWithoutRecursingFurther() {
        let deep = String(repeating: "[", count: 100_000)
        #expect { try parse(deep, depth: 8) } throws: { ($0 as? JSONDocument.ParseError)?.kind == .tooDeep }
        #expect((try? parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), depth: 8)) != nil)
    }

    @Test func tooManyMembersIsRefused() {
        let many = "[" + Array(repeating: "1", count: 101).joined(separator: ",") + "]"
        #expect { try JSONDocument.parse(Array(many.utf8), limits: .init(maxDepth: 4, maxMembers: 100)) }
            throws: { ($0 as? JSONDocument.ParseError)?.kind == .tooManyMembers }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        #expect(throws: JSONDocument.ParseError.self) { try JSONDocument.parse([0x22, 0xFF, 0x22]) }
    }

    /// Property: any JSONValue the project writes parses back to the same structure.
    @Test func roundTripsGeneratedValues() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let value = rng.value(depth: 0)
            let parsed = try JSONDocument.parse(Array(value.text.utf8))
            #expect(parsed == rng.expected(value), "\(value.text)")
        }
    }
}

/// A small seeded generator of JSON values for the round-trip property.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func value(depth: Int) -> JSONValue {
        switch below(depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .int(Int(truncatingIfNeeded: next()) >> below(60))
        case 3: return .double(Double(Int(truncatingIfNeeded: next()) % 100_000) / 64)
        case 4:
            let scalars = (0..<below(6)).map { _ in ["a", "\"", "\\", "\n", "é", "😀", "\u{1}", " "][below(8)] }
            return .string(scalars.joined())
        case 5: return .array((0..<below(4)).map { _ in value(depth: depth + 1) })
        default: return .object((0..<below(4)).map { k in ("k\(k)", value(depth: depth + 1)) })
        }
    }

    func expected(_ value: JSONValue) -> JSONDocument {
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
