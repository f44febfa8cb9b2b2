import HTTPTypes
import NIOCore

/// A request answered on the connection's event loop (``InlineRequestHandler``): a health
/// check, or a `POST /v1/score` whose declared body is small. Anything else — another route,
/// a body without `Content-Length`, a larger body, `Expect: 100-continue` — goes to the
/// responder, which streams the body under the time limit and the body budget.
struct InlineRequest {
    /// The largest body answered inline; it arrives in one read or two on loopback and LAN.
    static let maxBody = 256 << 10

    /// The head as it arrived (given to the responder if the body does not arrive whole).
    let head: HTTPRequest
    var method: HTTPRequest.Method { head.method }
    /// The path without its query.
    let path: String
    let authorization: String?
    let contentType: String?
    /// `Connection: close`: the answer closes the connection.
    let closes: Bool
    /// The declared body length.
    let length: Int
    let started: ContinuousClock.Instant
    var body: ByteBuffer
    /// The body's share of the server-wide budget, held from its arrival to its answer.
    var reservation: BodyReservation?
    /// The answer decided before scoring (the budget was spent).
    var refusal: ServeAnswer?

    /// The request, when its head says it can be answered inline; nil otherwise.
    init?(head: HTTPRequest, maxBody: Int, allocator: ByteBufferAllocator) {
        // One pass over the fields (each subscript lookup would be a scan of its own).
        var declared: String?, authorization: String?, contentType: String?, connection: String?
        for field in head.headerFields {
            switch field.name {
            case .contentLength: declared = field.value
            case .authorization: authorization = field.value
            case .contentType: contentType = field.value
            case .connection: connection = field.value
            case .transferEncoding, .expect: return nil
            default: continue
            }
        }
        let length: Int
        if let declared {
            guard let value = Int(declared), value >= 0 else { return nil }
            length = value
        } else {
            length = 0
        }
        let full = head.path ?? "/"
        let path = full.firstIndex(of: "?").map { String(full[..<$0]) } ?? full
        switch (head.method, path) {
        case (.get, "/healthz"), (.get, "/readyz"):
            guard length == 0 else { return nil }
        case (.post, "/v1/score"):
            guard declared != nil, length <= min(maxBody, Self.maxBody) else { return nil }
        default:
            return nil
        }
        self.head = head
        self.path = path
        self.authorization = authorization
        self.contentType = contentType
        closes = connection?.lowercased().contains("close") ?? false
        self.length = length
        started = .now
        body = allocator.buffer(capacity: length)
    }
}
