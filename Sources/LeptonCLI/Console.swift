import LeptonIO
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
