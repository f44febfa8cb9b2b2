import ArgumentParser
import LeptonCLI

/// The options of every executable's `serve` command.
///
/// `lepton-credit serve --model MODEL [--host 127.0.0.1] [--port 8080] [--api-key-file FILE]
/// [--max-batch N] [--max-wait-ms T] [--threads auto|N]` (`--threads` is the common option:
/// the scoring threads).
public struct ServeOptions: ParsableArguments, Sendable {
    @Option(help: "The model file to serve (reloaded on SIGHUP or POST /v1/admin/reload).")
    public var model: String

    @Option(help: "The address to listen on. Anything but a loopback address needs --api-key-file.")
    public var host = "127.0.0.1"

    @Option(help: "The TCP port (0: any free port, printed when listening).")
    public var port = 8080

    @Option(help: ArgumentHelp("A file whose first line is the API key clients send as 'Authorization: Bearer KEY' on every /v1/ path.",
                               valueName: "file"))
    public var apiKeyFile: String?

    @Option(help: "Most records scored in one batch across concurrent requests.")
    public var maxBatch: Int?

    @Option(help: "Longest wait, in milliseconds, for a batch to fill (0: score what is queued at once). Inline answers never wait: their batch is what one turn of the event loop read.")
    public var maxWaitMs: Double?

    @Option(help: "Per-request time limit in milliseconds (reading the body and scoring); 504 past it. Requests answered inline are scored in the turn of the event loop they arrived in, without this limit.")
    public var timeoutMs = 10_000

    @Option(help: ArgumentHelp("Largest request body in bytes; a larger one is answered 413.", valueName: "bytes"))
    public var maxBodyBytes: Int?

    @Option(help: ArgumentHelp("Body bytes all requests may hold at once (default 512 MiB, at least --max-body-bytes); beyond it a request is answered 503.",
                               valueName: "bytes"))
    public var maxBodyBytesInFlight: Int?

    @Option(help: "Most records in one request (a JSON array or a list of images).")
    public var maxRecords = 10_000

    @Option(help: "Most fields in one JSON record.")
    public var maxFields = 1_000

    @Option(help: "Deepest JSON nesting accepted.")
    public var maxJSONDepth = 16

    @Option(help: "Most concurrent connections (more wait in the listen backlog).")
    public var maxConnections = 4_096

    @Option(help: "On SIGTERM, answer /readyz with 503 for this many seconds before refusing new connections, so that a load balancer's probes see it first (Kubernetes: a few probe periods).")
    public var drainSeconds: Double = 0

    @Flag(inversion: .prefixedNo, help: "Write one structured access-log line per request to standard error.")
    public var accessLog = true

    @Flag(inversion: .prefixedNo, help: "Answer health checks and small score requests that arrive whole on the connection's event loop, batched with the others that arrived in the same turn of the loop (no hand-over to a task); --no-inline-answers sends every request through the responder.")
    public var inlineAnswers = true

    public init() {}

    public func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port \(port): between 0 and 65535.") }
        if let maxBatch, maxBatch < 1 { throw ValidationError("--max-batch \(maxBatch): at least 1.") }
        if let maxWaitMs, !(maxWaitMs >= 0 && maxWaitMs <= 10_000) { throw ValidationError("--max-wait-ms \(maxWaitMs): between 0 and 10000.") }
        guard timeoutMs >= 1 else { throw ValidationError("--timeout-ms \(timeoutMs): at least 1.") }
        guard drainSeconds >= 0 && drainSeconds <= 300 else { throw ValidationError("--drain-seconds \(drainSeconds): between 0 and 300.") }
        if let maxBodyBytes, maxBodyBytes < 1 { throw ValidationError("--max-body-bytes \(maxBodyBytes): at least 1.") }
        guard maxRecords >= 1, maxFields >= 1, maxJSONDepth >= 2, maxConnections >= 1 else {
            throw ValidationError("--max-records, --max-fields and --max-connections are at least 1, --max-json-depth at least 2.")
        }
        if apiKeyFile == nil && !ServeOptions.isLoopback(host) {
            throw ValidationError("--host \(host) listens beyond this machine, and no --api-key-file was given. Hint: put a long random key in a file (e.g. `openssl rand -hex 32 > key`) and pass --api-key-file key, or keep the default --host 127.0.0.1.")
        }
    }

    /// Whether `host` is a loopback address (only this machine can connect): `localhost`, `::1`
    /// or an IPv4 literal in 127.0.0.0/8 — not a name that merely starts with "127.".
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
