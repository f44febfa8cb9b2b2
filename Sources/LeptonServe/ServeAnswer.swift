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

    /// The whole HTTP/1.1 response as bytes (the inline path writes it to the socket itself):
    /// the status line, the head's fields, `Date`, `Server: lepton`, then the body.
    func wire(date: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let reason = Self.reasonPhrases[status] ?? "Status \(status)"
        var buffer = allocator.buffer(capacity: 160 + body.readableBytes)
        buffer.writeString("HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.readableBytes)\r\n")
        buffer.writeString("Date: \(date)\r\nServer: lepton\r\n")
        if asksForKey { buffer.writeString("WWW-Authenticate: Bearer\r\n") }
        if closes { buffer.writeString("Connection: close\r\n") }
        buffer.writeString("\r\n")
        buffer.writeImmutableBuffer(body)
        return buffer
    }

    /// The reason phrases of the statuses the API answers with (RFC 9110 §15).
    static let reasonPhrases: [Int: String] = [
        200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        408: "Request Timeout", 413: "Content Too Large", 422: "Unprocessable Content", 500: "Internal Server Error",
        503: "Service Unavailable", 504: "Gateway Timeout",
    ]

    /// The same answer as Hummingbird's response.
    var response: Response {
        var fields: HTTPFields = [.contentType: contentType]
        if asksForKey { fields[.wwwAuthenticate] = "Bearer" }
        if closes { fields[.connection] = "close" }
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: ResponseBody(byteBuffer: body))
    }
}
