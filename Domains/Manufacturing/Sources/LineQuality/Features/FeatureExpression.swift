import Foundation

/// A derived feature, `NAME = EXPRESSION`, in a small, safe arithmetic language over column names:
///
///     expression := term (("+" | "-") term)*
///     term       := factor (("*" | "/") factor)*
///     factor     := ("-" | "+") factor | number | name | "pi" | function "(" expression ("," expression)* ")" | "(" expression ")"
///     function   := abs | min | max | log | exp | sqrt
///     name       := a plain identifier, or any text in double quotes ("Torque [Nm]"; "" for a quote)
///
/// `log` is the natural logarithm. Values that are not finite (a division by zero, the log of a
/// negative number, a missing input) come out as NaN: a missing value to the models, counted by
/// the callers. Errors point at the character: `column 'Torqe [Nm]' is not in the file` with a caret.
public struct FeatureExpression: Codable, Sendable, Equatable {
    /// The new column's name.
    public let name: String
    /// The expression as written (what the model file keeps and scoring parses again).
    public let source: String
    let root: Node

    indirect enum Node: Equatable, Sendable {
        case number(Double)
        case column(String, position: Int)
        case negate(Node)
        case binary(Character, Node, Node)
        case call(String, [Node])
    }

    /// Parses `NAME = EXPRESSION`.
    public init(_ definition: String) throws {
        guard let equals = definition.firstIndex(of: "=") else {
            throw FeatureExpressionError(text: definition, position: definition.count, message: "expected NAME = EXPRESSION")
        }
        var name = String(definition[..<equals]).trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
            name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        }
        guard !name.isEmpty else {
            throw FeatureExpressionError(text: definition, position: 0, message: "the feature needs a name before '='")
        }
        let offset = definition.distance(from: definition.startIndex, to: equals) + 1
        var parser = Parser(text: definition, start: offset)
        root = try parser.parse()
        self.name = name
        source = String(definition[definition.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    }

    enum CodingKeys: String, CodingKey { case name, source }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name), source = try c.decode(String.self, forKey: .source)
        try self.init("\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\" = \(source)")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
    }

    /// The columns the expression reads.
    public var columns: [String] {
        var names: [String] = []
        func walk(_ node: Node) {
            switch node {
            case .number: break
            case let .column(name, _): if !names.contains(name) { names.append(name) }
            case let .negate(a): walk(a)
            case let .binary(_, a, b): walk(a); walk(b)
            case let .call(_, args): args.forEach(walk)
            }
        }
        walk(root)
        return names
    }

    /// Checks that every column it names is among `available` (the error points at the first that is not).
    public func check(against available: [String]) throws {
        func walk(_ node: Node) throws {
            switch node {
            case .number: break
            case let .column(name, position):
                guard available.contains(name) else {
                    throw FeatureExpressionError(text: "\(self.name) = \(source)", position: position,
                                                 message: "column '\(name)' is not in the file (columns: \(available.prefix(10).joined(separator: ", ")))")
                }
            case let .negate(a): try walk(a)
            case let .binary(_, a, b): try walk(a); try walk(b)
            case let .call(_, args): try args.forEach(walk)
            }
        }
        try walk(root)
    }

    /// The value for one row, given a lookup of column values (NaN when not finite).
    public func evaluate(_ value: (String) -> Double) -> Double {
        func eval(_ node: Node) -> Double {
            switch node {
            case let .number(v): return v
            case let .column(name, _): return value(name)
            case let .negate(a): return -eval(a)
            case let .binary(op, a, b):
                let x = eval(a), y = eval(b)
                switch op {
                case "+": return x + y
                case "-": return x - y
                case "*": return x * y
                default: return x / y
                }
            case let .call(function, args):
                let v = args.map(eval)
                switch function {
                case "abs": return abs(v[0])
                case "min": return v.contains(where: \.isNaN) ? .nan : v.min()!
                case "max": return v.contains(where: \.isNaN) ? .nan : v.max()!
                case "log": return log(v[0])
                case "exp": return exp(v[0])
                default: return v[0].squareRoot()
                }
            }
        }
        let result = eval(root)
        return result.isFinite ? result : .nan
    }
}

/// A feature expression that cannot be parsed or applied: the message and the text with a caret
/// under the character at fault.
public struct FeatureExpressionError: Error, CustomStringConvertible, Equatable {
    public let text: String
    /// 0-based character position in `text`.
    public let position: Int
    public let message: String

    public var description: String {
        "feature '\(text)': \(message) at character \(position + 1):\n  \(text)\n  \(String(repeating: " ", count: position))^\nHint: write NAME = EXPRESSION with + - * /, parentheses, abs min max log exp sqrt pi; names with spaces or brackets in double quotes."
    }
}

/// Recursive descent over the characters of the definition.
struct Parser {
    let text: [Character]
    let original: String
    var i: Int
    static let functions: [String: ClosedRange<Int>] = ["abs": 1...1, "log": 1...1, "exp": 1...1, "sqrt": 1...1, "min": 2...16, "max": 2...16]

    init(text: String, start: Int) {
        self.text = Array(text)
        original = text
        i = start
    }

    func fail(_ message: String, at position: Int? = nil) -> FeatureExpressionError {
        FeatureExpressionError(text: original, position: min(position ?? i, text.count), message: message)
    }

    mutating func skipSpaces() { while i < text.count, text[i] == " " || text[i] == "\t" { i += 1 } }

    mutating func parse() throws -> FeatureExpression.Node {
        skipSpaces()
        guard i < text.count else { throw fail("the expression is empty") }
        let node = try expression()
        skipSpaces()
        guard i == text.count else { throw fail("unexpected '\(text[i])'") }
        return node
    }

    mutating func expression() throws -> FeatureExpression.Node {
        var node = try term()
        while true {
            skipSpaces()
            guard i < text.count, text[i] == "+" || text[i] == "-" else { return node }
            let op = text[i]
            i += 1
            node = .binary(op, node, try term())
        }
    }

    mutating func term() throws -> FeatureExpression.Node {
        var node = try factor()
        while true {
            skipSpaces()
            guard i < text.count, text[i] == "*" || text[i] == "/" else { return node }
            let op = text[i]
            i += 1
            node = .binary(op, node, try factor())
        }
    }

    mutating func factor() throws -> FeatureExpression.Node {
        skipSpaces()
        guard i < text.count else { throw fail("expected a number, a column name or '('") }
        let c = text[i]
        if c == "-" || c == "+" {
            i += 1
            let inner = try factor()
            return c == "-" ? .negate(inner) : inner
        }
        if c == "(" {
            let open = i
            i += 1
            let inner = try expression()
            skipSpaces()
            guard i < text.count, text[i] == ")" else { throw fail("no ')' closes the '(' at character \(open + 1)") }
            i += 1
            return inner
        }
        if c == "\"" {
            let start = i
            i += 1
            var name = ""
            while true {
                guard i < text.count else { throw fail("the quoted name is not closed", at: start) }
                if text[i] == "\"" {
                    if i + 1 < text.count, text[i + 1] == "\"" { name.append("\""); i += 2; continue }
                    i += 1
                    break
                }
                name.append(text[i])
                i += 1
            }
            return .column(name, position: start)
        }
        if c.isNumber || c == "." {
            let start = i
            while i < text.count, text[i].isNumber || text[i] == "." || ((text[i] == "e" || text[i] == "E") && i + 1 < text.count
                                                                         && (text[i + 1].isNumber || text[i + 1] == "-" || text[i + 1] == "+")) {
                if text[i] == "e" || text[i] == "E" { i += 2 } else { i += 1 }
            }
            guard let value = Double(String(text[start..<i])) else { throw fail("'\(String(text[start..<i]))' is not a number", at: start) }
            return .number(value)
        }
        if c.isLetter || c == "_" {
            let start = i
            while i < text.count, text[i].isLetter || text[i].isNumber || text[i] == "_" { i += 1 }
            let word = String(text[start..<i])
            skipSpaces()
            if i < text.count, text[i] == "(" {
                guard let arity = Parser.functions[word] else {
                    throw fail("unknown function '\(word)' (known: abs, exp, log, max, min, sqrt)", at: start)
                }
                i += 1
                var args = [try expression()]
                skipSpaces()
                while i < text.count, text[i] == "," {
                    i += 1
                    args.append(try expression())
                    skipSpaces()
                }
                guard i < text.count, text[i] == ")" else { throw fail("expected ',' or ')' in the call of \(word)") }
                i += 1
                guard arity.contains(args.count) else {
                    throw fail("\(word) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "at least \(arity.lowerBound)") argument(s), not \(args.count)", at: start)
                }
                return .call(word, args)
            }
            if word == "pi" { return .number(Double.pi) }
            return .column(word, position: start)
        }
        throw fail("unexpected '\(c)'")
    }
}

/// A feature expression with its column names resolved to slots of a value array: what scoring
/// evaluates per row without looking names up (``FeatureExpression/compiled(slots:)``).
public struct CompiledExpression: Sendable {
    enum Function: Sendable { case abs, min, max, log, exp, sqrt }

    indirect enum Op: Sendable {
        case number(Double)
        case slot(Int)
        case negate(Op)
        case add(Op, Op), subtract(Op, Op), multiply(Op, Op), divide(Op, Op)
        case call(Function, [Op])
    }

    let root: Op

    /// The value for one row whose columns are in `slots` (NaN when not finite).
    @inline(__always)
    public func evaluate(_ slots: UnsafeBufferPointer<Double>) -> Double {
        func eval(_ op: Op) -> Double {
            switch op {
            case let .number(v): return v
            case let .slot(k): return slots[k]
            case let .negate(a): return -eval(a)
            case let .add(a, b): return eval(a) + eval(b)
            case let .subtract(a, b): return eval(a) - eval(b)
            case let .multiply(a, b): return eval(a) * eval(b)
            case let .divide(a, b): return eval(a) / eval(b)
            case let .call(function, args):
                switch function {
                case .abs: return Swift.abs(eval(args[0]))
                case .log: return Foundation.log(eval(args[0]))
                case .exp: return Foundation.exp(eval(args[0]))
                case .sqrt: return eval(args[0]).squareRoot()
                case .min, .max:
                    let v = args.map(eval)
                    if v.contains(where: \.isNaN) { return .nan }
                    return function == .min ? v.min()! : v.max()!
                }
            }
        }
        let result = eval(root)
        return result.isFinite ? result : .nan
    }
}

extension FeatureExpression {
    /// This expression over a value array, column `name` at `slots[name]` (every column it names must have one).
    public func compiled(slots: [String: Int]) -> CompiledExpression {
        func compile(_ node: Node) -> CompiledExpression.Op {
            switch node {
            case let .number(v): return .number(v)
            case let .column(name, _): return .slot(slots[name]!)
            case let .negate(a): return .negate(compile(a))
            case let .binary(op, a, b):
                switch op {
                case "+": return .add(compile(a), compile(b))
                case "-": return .subtract(compile(a), compile(b))
                case "*": return .multiply(compile(a), compile(b))
                default: return .divide(compile(a), compile(b))
                }
            case let .call(name, args):
                let function: CompiledExpression.Function = ["abs": .abs, "min": .min, "max": .max, "log": .log, "exp": .exp][name] ?? .sqrt
                return .call(function, args.map(compile))
            }
        }
        return CompiledExpression(root: compile(root))
    }
}
