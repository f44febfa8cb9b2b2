import LeptonIO

/// How much one request may hold (``ServeOptions`` sets them).
public struct RequestLimits: Sendable {
    /// Most records (JSON objects or images) in one request.
    public var maxRecords: Int
    /// Most fields in one JSON record.
    public var maxFields: Int
    /// Deepest JSON nesting.
    public var maxDepth: Int

    public init(maxRecords: Int = 10_000, maxFields: Int = 1_000, maxDepth: Int = 16) {
        self.maxRecords = maxRecords
        self.maxFields = maxFields
        self.maxDepth = maxDepth
    }
}

/// A request body as the client sent it.
public struct ScoreRequestBody: Sendable {
    public var bytes: [UInt8]
    /// The `Content-Type` header, lower-cased, without parameters (`application/json`, `image/png`).
    public var contentType: String?
    public var limits: RequestLimits

    public init(bytes: [UInt8], contentType: String?, limits: RequestLimits = RequestLimits()) {
        self.bytes = bytes
        self.contentType = contentType
        self.limits = limits
    }
}

/// The records of one `POST /v1/score` request.
public struct DecodedRequest<Record: Sendable>: Sendable {
    public var records: [Record]
    /// Whether the client sent one record (answered with one object) rather than a list.
    public var single: Bool

    public init(records: [Record], single: Bool) {
        self.records = records
        self.single = single
    }
}

/// What a domain plugs into the scoring server: a loaded model that decodes request bodies into
/// records, scores batches of records, and describes itself.
///
/// The server keeps one instance per loaded model file and replaces it on a reload; requests
/// decoded by an instance are scored by that instance, so in-flight requests finish on the
/// model they started with. `score` runs on the server's scoring threads, batched across
/// concurrent requests (``DynamicBatcher``).
public protocol ServedModel: AnyObject, Sendable {
    associatedtype Record: Sendable

    /// The request's records, or the reason it cannot be read (400 naming the field, 422 …).
    /// Called on the request's task: keep it light (heavy decoding belongs in `score`).
    func decode(_ body: ScoreRequestBody) throws(ServeError) -> DecodedRequest<Record>

    /// One outcome per record, in order: the answer object batch scoring would write, or why
    /// this record cannot be scored.
    func score(_ records: [Record]) -> [Result<JSONValue, ServeError>]

    /// The manifest for `GET /v1/model`: kind, features, metrics, provenance.
    var manifest: JSONValue { get }

    /// A short label of the model version (for `/metrics` and logs), such as its checksum.
    var version: String { get }

    /// The model's kind as its manifest names it (`scorecard`, `gbdt`, `cnn` …).
    var kind: String { get }
}

/// A loaded ``ServedModel`` with its record type erased, so that the server and the batcher are
/// plain (non-generic) code: generic classes instantiated from another module look their
/// metadata up at run time on every call, which cost a fifth of a cheap model's request.
public final class AnyServedModel: Sendable {
    let decodeBody: @Sendable (ScoreRequestBody) throws(ServeError) -> (records: [any Sendable], single: Bool)
    let scoreRecords: @Sendable ([any Sendable]) -> [Result<JSONValue, ServeError>]
    public let manifest: JSONValue
    public let version: String
    public let kind: String

    public init<Model: ServedModel>(_ model: Model) {
        decodeBody = { (body) throws(ServeError) in
            let decoded = try model.decode(body)
            return (decoded.records.map { $0 as any Sendable }, decoded.single)
        }
        scoreRecords = { records in model.score(records.map { $0 as! Model.Record }) }
        manifest = model.manifest
        version = model.version
        kind = model.kind
    }

    func decode(_ body: ScoreRequestBody) throws(ServeError) -> (records: [any Sendable], single: Bool) { try decodeBody(body) }
    func score(_ records: [any Sendable]) -> [Result<JSONValue, ServeError>] { scoreRecords(records) }
}
