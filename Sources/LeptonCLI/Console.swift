#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to standard error.
public enum StandardError {
    /// Writes `text` to standard error as it is.
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                done += n
            }
        }
    }

    /// Whether standard error is a terminal (progress lines are drawn only then).
    public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// A JSON value that keeps the order of object keys, for summaries that read well and diff well.
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    case string(String)
    case int(Int)
    /// A number; non-finite values are written as `null` (JSON has no NaN or infinity).
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

    /// Compact JSON text (one line).
    public var text: String {
        switch self {
        case let .string(s): return Self.quoted(s)
        case let .int(i): return String(i)
        case let .double(d):
            guard d.isFinite else { return "null" }
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case let .object(pairs): return "{" + pairs.map { Self.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Where an executable's words go: notes and progress on standard error (unless `--quiet`),
/// the result on standard output, as human lines or, with `--json`, as one JSON object.
public struct Console: Sendable {
    public let quiet: Bool
    public let json: Bool
    private let errorSink: @Sendable (String) -> Void
    private let outputSink: @Sendable (String) -> Void

    public init(options: CommonOptions) {
        self.init(quiet: options.quiet, json: options.json)
    }

    /// A console writing to the given sinks (tests capture them); by default the real streams.
    public init(quiet: Bool, json: Bool, standardError: (@Sendable (String) -> Void)? = nil,
                standardOutput: (@Sendable (String) -> Void)? = nil) {
        self.quiet = quiet
        self.json = json
        errorSink = standardError ?? { StandardError.write($0) }
        outputSink = standardOutput ?? { text in print(text, terminator: "") }
    }

    /// A note for people on standard error; silent with `--quiet`.
    public func note(_ message: String) {
        if !quiet { errorSink(message + "\n") }
    }

    /// A warning on standard error, shown even with `--quiet`.
    public func warning(_ message: String) {
        errorSink("warning: " + message + "\n")
    }

    /// The result: `human` lines on standard output, or with `--json` the `summary` object alone.
    public func result(human: [String], summary: [(String, JSONValue)]) {
        if json {
            outputSink(JSONValue.object(summary).text + "\n")
        } else {
            for line in human { outputSink(line + "\n") }
        }
    }

    /// A progress reporter for `task` that follows this console's settings.
    public func progress(_ task: String, unit: String, total: Int? = nil) -> Progress {
        Progress(task, unit: unit, total: total, mode: quiet ? .silent : (StandardError.isTerminal ? .terminal : .log(every: 10)),
                 sink: errorSink)
    }
}
