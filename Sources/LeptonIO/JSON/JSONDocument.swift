/// A JSON text parsed for a request from outside: strict RFC 8259 grammar, bounded nesting,
/// and numbers kept as the client wrote them (so that `"id": 00123`-like text survives as text
/// where a field is text, and a number's digits are never rounded through a Double).
///
/// ```swift
/// let document = try JSONDocument.parse(bytes, limits: JSONDocument.Limits(maxDepth: 8))
/// if case .array(let records) = document { … }
/// ```
/// Unlike `JSONValue` (Codable, for files Lepton writes itself), this parser is for bytes a
/// client sends: it never recurses deeper than ``Limits/maxDepth`` (a body of 100,000 `[`
/// cannot exhaust the stack), refuses more than ``Limits/maxMembers`` members in one object
/// or array, and reports the byte offset of the first thing wrong.
public indirect enum JSONDocument: Sendable, Equatable {
    case object([(String, JSONDocument)])
    case array([JSONDocument])
    case string(String)
    /// A number's text exactly as written (valid JSON number grammar).
    case number(String)
    case bool(Bool)
    case null

    public static func == (a: JSONDocument, b: JSONDocument) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)), let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// What a parse accepts.
    public struct Limits: Sendable {
        /// Deepest nesting of objects and arrays (1: a flat object or array of scalars).
        public var maxDepth: Int
        /// Most members of one object or elements of one array.
        public var maxMembers: Int
        /// Most values in the whole document (each is a heap node: this bounds the memory a body
        /// can make the parser use, whatever its shape).
        public var maxValues: Int

        public init(maxDepth: Int = 16, maxMembers: Int = 100_000, maxValues: Int = 1_000_000) {
            self.maxDepth = maxDepth
            self.maxMembers = maxMembers
            self.maxValues = maxValues
        }
    }

    /// Why a JSON text was refused: the message names what was expected and the byte offset.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable { case malformed, tooDeep, tooManyMembers }
        public let kind: Kind
        /// 0-based byte offset where the problem was found.
        public let offset: Int
        public let message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// A JSON type's name for messages ("an object", "a number", …).
    public var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// Parses one JSON value (surrounding white space allowed, nothing else after it).
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(ParseError) -> JSONDocument {
        var parser = JSONDocumentParser(bytes: bytes, limits: limits)
        return try parser.parseDocument()
    }
}

/// The recursive-descent parser behind ``JSONDocument/parse(_:limits:)``.
struct JSONDocumentParser {
    let bytes: [UInt8]
    let limits: JSONDocument.Limits
    var position = 0
    var values = 0

    init(bytes: [UInt8], limits: JSONDocument.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parseDocument() throws(JSONDocument.ParseError) -> JSONDocument {
        skipSpace()
        let value = try parseValue(depth: 0)
        skipSpace()
        guard position == bytes.count else { throw failure(.malformed, "unexpected text after the JSON value") }
        return value
    }

    func failure(_ kind: JSONDocument.ParseError.Kind, _ message: String) -> JSONDocument.ParseError {
        JSONDocument.ParseError(kind: kind, offset: position, message: message)
    }

    mutating func skipSpace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }

    mutating func parseValue(depth: Int) throws(JSONDocument.ParseError) -> JSONDocument {
        guard position < bytes.count else { throw failure(.malformed, "the JSON text ends where a value was expected") }
        values += 1
        guard values <= limits.maxValues else { throw failure(.tooManyMembers, "more than \(limits.maxValues) values in the document") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure(.malformed, "expected a JSON value")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONDocument.ParseError) {
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw failure(.malformed, "expected \(word)") }
        for k in 0..<n where bytes[position + k] != word.utf8Start[k] { throw failure(.malformed, "expected \(word)") }
        position += n
    }

    mutating func parseObject(depth: Int) throws(JSONDocument.ParseError) -> JSONDocument {
        guard depth <= limits.maxDepth else { throw failure(.tooDeep, "JSON nested deeper than \(limits.maxDepth) levels") }
        position += 1
        var members: [(String, JSONDocument)] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure(.malformed, "expected a member name in quotes") }
            let name = try parseString()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure(.malformed, "expected ':' after member name \"\(name)\"") }
            position += 1
            skipSpace()
            let value = try parseValue(depth: depth)
            guard members.count < limits.maxMembers else { throw failure(.tooManyMembers, "an object with more than \(limits.maxMembers) members") }
            members.append((name, value))
            skipSpace()
            guard position < bytes.count else { throw failure(.malformed, "the JSON text ends inside an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "}") else { throw failure(.malformed, "expected ',' or '}' in an object") }
            position += 1
            return .object(members)
        }
    }

    mutating func parseArray(depth: Int) throws(JSONDocument.ParseError) -> JSONDocument {
        guard depth <= limits.maxDepth else { throw failure(.tooDeep, "JSON nested deeper than \(limits.maxDepth) levels") }
        position += 1
        var elements: [JSONDocument] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipSpace()
            let value = try parseValue(depth: depth)
            guard elements.count < limits.maxMembers else { throw failure(.tooManyMembers, "an array with more than \(limits.maxMembers) elements") }
            elements.append(value)
            skipSpace()
            guard position < bytes.count else { throw failure(.malformed, "the JSON text ends inside an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "]") else { throw failure(.malformed, "expected ',' or ']' in an array") }
            position += 1
            return .array(elements)
        }
    }

    /// A number's text (``JSONNumberGrammar``).
    mutating func parseNumber() throws(JSONDocument.ParseError) -> String {
        let start = position
        let (end, problem) = bytes.withUnsafeBufferPointer { JSONNumberGrammar.scan($0, from: start) }
        position = end
        if let problem { throw failure(.malformed, problem) }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A string's content with escapes resolved; control characters and invalid UTF-8 refused.
    mutating func parseString() throws(JSONDocument.ParseError) -> String {
        position += 1
        var out: [UInt8] = []
        var escaped = false
        var ascii = true
        var runStart = position
        while true {
            guard position < bytes.count else { throw failure(.malformed, "the JSON text ends inside a string") }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                if !escaped {  // the usual string: no escapes, validated in place (ASCII needs no validation)
                    let run = runStart..<position
                    let text: String? = ascii ? bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[run]), as: UTF8.self) }
                        : String(validating: bytes[run], as: UTF8.self)
                    guard let text else { throw failure(.malformed, "a string that is not valid UTF-8") }
                    position += 1
                    return text
                }
                out.append(contentsOf: bytes[runStart..<position])
                position += 1
                break
            }
            if b < 0x20 { throw failure(.malformed, "a control character inside a string (write it as an escape such as \\n)") }
            if b >= 0x80 { ascii = false }
            if b != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            out.append(contentsOf: bytes[runStart..<position])
            escaped = true
            position += 1
            guard position < bytes.count else { throw failure(.malformed, "the JSON text ends inside an escape") }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw failure(.malformed, "a high surrogate \\u escape without its low surrogate")
                    }
                    position += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw failure(.malformed, "a high surrogate followed by something other than a low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw failure(.malformed, "a lone low surrogate \\u escape")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw failure(.malformed, "an unknown escape '\\\(Character(Unicode.Scalar(e)))'")
            }
            runStart = position
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw failure(.malformed, "a string that is not valid UTF-8") }
        return text
    }

    mutating func hex4() throws(JSONDocument.ParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure(.malformed, "expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw failure(.malformed, "expected four hex digits after \\u")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
