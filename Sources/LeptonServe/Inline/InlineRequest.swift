import HTTPTypes
import NIOCore

/// A request answered on the connection's event loop (``InlineRequestHandler``): a health
/// check, or a `POST /v1/score` with a small body, as ``InlineRequestParser`` read it.
struct InlineRequest {
    /// The largest body answered inline; it arrives in one read or two on loopback and LAN.
    static let maxBody = 256 << 10

    let method: HTTPRequest.Method
    /// The route (the path without its query).
    let path: String
    let authorization: String?
    let contentType: String?
    /// `Connection: close`: the answer closes the connection.
    let closes: Bool
    let body: ByteBuffer
    let started = ContinuousClock.now
    /// The body's share of the server-wide budget, held from its arrival to its answer.
    var reservation: BodyReservation?
    /// The answer decided before scoring (the budget was spent).
    var refusal: ServeAnswer?

    init(method: HTTPRequest.Method, path: String, authorization: String?, contentType: String?, closes: Bool, body: ByteBuffer) {
        self.method = method
        self.path = path
        self.authorization = authorization
        self.contentType = contentType
        self.closes = closes
        self.body = body
    }
}
