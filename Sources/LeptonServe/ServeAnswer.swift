import Hummingbird
import LeptonIO
import NIOCore

/// An answer before it goes on the wire, shared by the two request paths (``ScoringServer`` on
/// Hummingbird's responder, ``InlineRequestHandler`` on the event loop): the status, the body,
/// and the few headers the API sets.
struct ServeAnswer {
    var status: Int
    var body: ByteBuffer
    var contentType = "application/json"
    /// `WWW-Authenticate: Bearer` (a 401).
    var asksForKey = false
    /// `Connection: close`: the connection is closed after this answer.
    var closes = false

    /// A JSON answer.
    init(_ status: Int, _ value: JSONValue) {
        self.status = status
        body = ByteBuffer(bytes: value.utf8)
    }

    /// An error's JSON answer, with its status.
    init(_ error: ServeError) { self.init(error.status, error.json) }

    init(status: Int, bytes: [UInt8], contentType: String) {
        self.status = status
        body = ByteBuffer(bytes: bytes)
        self.contentType = contentType
    }

    /// The response head: status, `Content-Type`, `Content-Length` and the API's own headers.
    var head: HTTPResponse {
        var fields: HTTPFields = [.contentType: contentType, .contentLength: String(body.readableBytes)]
        if asksForKey { fields[.wwwAuthenticate] = "Bearer" }
        if closes { fields[.connection] = "close" }
        return HTTPResponse(status: HTTPResponse.Status(code: status), headerFields: fields)
    }

    /// The same answer as Hummingbird's response.
    var response: Response {
        var fields: HTTPFields = [.contentType: contentType]
        if asksForKey { fields[.wwwAuthenticate] = "Bearer" }
        if closes { fields[.connection] = "close" }
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: ResponseBody(byteBuffer: body))
    }
}
