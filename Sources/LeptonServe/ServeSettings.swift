import LeptonCLI

/// Everything the scoring server needs to know beyond the model: the address, the limits and
/// the batching, from ``ServeOptions`` and the domain's defaults.
public struct ServeSettings: Sendable {
    public var modelPath: String
    public var host: String
    public var port: Int
    public var apiKey: APIKey?
    public var batching: BatchingSettings
    public var limits: RequestLimits
    public var maxBodyBytes: Int
    /// Body bytes all requests may hold at once (503 beyond).
    public var maxBodyBytesInFlight: Int
    /// Bytes of an over-long body read and discarded before the 413 is answered, so that a
    /// client still sending reads the status rather than a connection reset.
    public var drainBytes: Int
    /// Per-request limit for reading the body and scoring (seconds).
    public var timeout: Double
    public var maxConnections: Int
    public var accessLog: Bool
    /// Seconds of 503 from `/readyz` between SIGTERM and closing the listener.
    public var drainSeconds: Double
    /// Whether small requests that arrive whole are answered on the event loop (``InlineRequestHandler``).
    public var inlineAnswers: Bool
    /// Seconds after which a connection with no request in progress is closed.
    public var idleTimeout: Double
    /// Event-loop threads (`--threads`): they read and answer the connections, and score the
    /// inline requests.
    public var eventLoops: Int

    /// The domain's defaults where the command line is silent.
    public struct Defaults: Sendable {
        public var maxBatch: Int
        public var maxWaitMs: Double
        public var maxBodyBytes: Int
        /// Batches scored at once, when the model must not run on two threads together (a
        /// network's layers keep per-call buffers); nil: `--threads` of them.
        public var concurrentBatches: Int?

        public init(maxBatch: Int, maxWaitMs: Double, maxBodyBytes: Int, concurrentBatches: Int? = nil) {
            self.maxBatch = maxBatch
            self.maxWaitMs = maxWaitMs
            self.maxBodyBytes = maxBodyBytes
            self.concurrentBatches = concurrentBatches
        }

        /// Tabular records: greedy batches (no waiting), 16 MiB bodies.
        public static let tabular = Defaults(maxBatch: 256, maxWaitMs: 0, maxBodyBytes: 16 << 20)
        /// Images: batches of up to 64 scans gathered for up to 5 ms, 64 MiB bodies, one batch at a
        /// time (the network is not re-entrant; `--threads` decode and compute inside the batch).
        public static let images = Defaults(maxBatch: 64, maxWaitMs: 5, maxBodyBytes: 64 << 20, concurrentBatches: 1)
    }

    public init(options: ServeOptions, threads: Int, defaults: Defaults) throws {
        modelPath = options.model
        host = options.host
        port = options.port
        apiKey = try options.apiKeyFile.map { try APIKey(file: $0) }
        batching = .init(maxBatch: options.maxBatch ?? defaults.maxBatch, maxWait: (options.maxWaitMs ?? defaults.maxWaitMs) / 1000,
                         threads: defaults.concurrentBatches ?? threads)
        limits = RequestLimits(maxRecords: options.maxRecords, maxFields: options.maxFields, maxDepth: options.maxJSONDepth)
        maxBodyBytes = options.maxBodyBytes ?? defaults.maxBodyBytes
        maxBodyBytesInFlight = max(options.maxBodyBytesInFlight ?? 512 << 20, maxBodyBytes)
        drainBytes = 128 << 20
        timeout = Double(options.timeoutMs) / 1000
        maxConnections = options.maxConnections
        accessLog = options.accessLog
        drainSeconds = options.drainSeconds
        inlineAnswers = options.inlineAnswers
        idleTimeout = max(30, timeout * 2)
        eventLoops = max(1, threads)
    }
}

