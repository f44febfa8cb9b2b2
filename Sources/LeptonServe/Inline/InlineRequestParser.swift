import HTTPTypes
import NIOCore

/// Reads one HTTP/1.1 request from the front of a connection's bytes, for the inline path —
/// and only the plainest kind: anything it does not fully understand is `notInline`, and the
/// connection's bytes then go to NIO's HTTP parser, which answers every case (errors included).
///
/// Taken: `GET /healthz` and `GET /readyz` without a body, and `POST /v1/score` with one
/// `Content-Length` of at most ``InlineRequest/maxBody`` bytes (and `--max-body-bytes`); a query
/// after the path is ignored. The request line is exactly `METHOD SP /target SP HTTP/1.1 CRLF`;
/// header names are tokens, values printable ASCII or tabs, lines end in CRLF, and the head is
/// at most 8 KiB. Refused (`notInline`): `Transfer-Encoding`, `Expect`, `Upgrade`, a second
/// `Content-Length`, `Authorization`, `Content-Type` or `Connection`, any other method, route or
/// version, obsolete line folding, bare LF, and every byte outside those sets — so no request
/// reads differently here than in NIO and the responder. Values are taken without their outer
/// blanks, as swift-http-types gives them to the responder.
enum InlineRequestParser {
    enum Outcome {
        /// A whole request, and the bytes it took (head and body).
        case complete(InlineRequest, consumed: Int)
        /// A request that may qualify, not all here yet.
        case needMore
        /// Not for the inline path.
        case notInline
    }

    /// The longest head read here.
    static let maxHead = 8 << 10

    static func parse(_ buffer: ByteBuffer, maxBody: Int) -> Outcome {
        buffer.withUnsafeReadableBytes { bytes in parse(bytes, buffer: buffer, maxBody: maxBody) }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, buffer: ByteBuffer, maxBody: Int) -> Outcome {
        let n = bytes.count
        // The request line.
        let method: HTTPRequest.Method
        var i: Int
        if n >= 4 && bytes[0] == UInt8(ascii: "G") && bytes[1] == UInt8(ascii: "E") && bytes[2] == UInt8(ascii: "T") && bytes[3] == 0x20 {
            method = .get
            i = 4
        } else if n >= 5 && bytes[0] == UInt8(ascii: "P") && bytes[1] == UInt8(ascii: "O") && bytes[2] == UInt8(ascii: "S")
                    && bytes[3] == UInt8(ascii: "T") && bytes[4] == 0x20 {
            method = .post
            i = 5
        } else {
            return n < 5 && isPrefix(bytes, of: methodWord(startingWith: bytes)) ? .needMore : .notInline
        }
        let targetStart = i
        while i < n, bytes[i] > 0x20, bytes[i] < 0x7F { i += 1 }
        guard i < n else { return i - targetStart > maxHead ? .notInline : .needMore }
        guard bytes[i] == 0x20, i > targetStart, bytes[targetStart] == UInt8(ascii: "/") else { return .notInline }
        var pathEnd = targetStart
        while pathEnd < i, bytes[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        let route = Route(bytes, targetStart..<pathEnd)
        guard let route, route.method == method else { return .notInline }
        i += 1
        let version = Array("HTTP/1.1\r\n".utf8)
        for k in 0..<version.count {
            guard i + k < n else { return .needMore }
            guard bytes[i + k] == version[k] else { return .notInline }
        }
        i += version.count
        // The header fields.
        var length: Int?, authorization: String?, contentType: String?, connection: String?
        while true {
            guard i < n else { return .needMore }
            guard i <= maxHead else { return .notInline }
            if bytes[i] == 0x0D {
                guard i + 1 < n else { return .needMore }
                guard bytes[i + 1] == 0x0A else { return .notInline }
                i += 2
                break
            }
            let nameStart = i
            while i < n, isTokenByte(bytes[i]) { i += 1 }
            guard i < n else { return .needMore }
            guard bytes[i] == UInt8(ascii: ":"), i > nameStart else { return .notInline }
            let nameEnd = i
            i += 1
            while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            let valueStart = i
            while i < n, (bytes[i] >= 0x20 && bytes[i] < 0x7F) || bytes[i] == 0x09 { i += 1 }
            guard i + 1 < n else { return i > maxHead ? .notInline : .needMore }
            guard bytes[i] == 0x0D, bytes[i + 1] == 0x0A else { return .notInline }
            var valueEnd = i
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            i += 2
            switch Field(bytes, nameStart..<nameEnd) {
            case .contentLength:
                guard length == nil, valueEnd > valueStart, valueEnd - valueStart <= 9 else { return .notInline }
                var value = 0
                for k in valueStart..<valueEnd {
                    guard bytes[k] >= 0x30, bytes[k] <= 0x39 else { return .notInline }
                    value = value * 10 + Int(bytes[k] - 0x30)
                }
                length = value
            // A repeated field the inline path reads is left to the responder (which joins repeats).
            case .authorization:
                guard authorization == nil else { return .notInline }
                authorization = string(bytes, valueStart..<valueEnd)
            case .contentType:
                guard contentType == nil else { return .notInline }
                contentType = string(bytes, valueStart..<valueEnd)
            case .connection:
                guard connection == nil else { return .notInline }
                connection = string(bytes, valueStart..<valueEnd)
            case .refused: return .notInline
            case .other: break
            }
        }
        let body = length ?? 0
        switch method {
        case .post: guard length != nil, body <= min(maxBody, InlineRequest.maxBody) else { return .notInline }
        default: guard body == 0 else { return .notInline }
        }
        guard n - i >= body else { return .needMore }
        // Closing as the responder does: on `Connection: close` exactly.
        let request = InlineRequest(method: method, path: route.path, authorization: authorization, contentType: contentType,
                                    closes: connection == "close",
                                    body: buffer.getSlice(at: buffer.readerIndex + i, length: body)!)
        return .complete(request, consumed: i + body)
    }

    /// The routes answered inline.
    struct Route {
        let method: HTTPRequest.Method
        let path: String

        init?(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
            if InlineRequestParser.equals(bytes, range, "/v1/score") {
                (method, path) = (.post, "/v1/score")
            } else if InlineRequestParser.equals(bytes, range, "/healthz") {
                (method, path) = (.get, "/healthz")
            } else if InlineRequestParser.equals(bytes, range, "/readyz") {
                (method, path) = (.get, "/readyz")
            } else {
                return nil
            }
        }
    }

    /// The header fields the inline path reads, or refuses.
    enum Field {
        case contentLength, authorization, contentType, connection, refused, other

        init(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) {
            if InlineRequestParser.equalsIgnoringCase(bytes, name, "content-length") { self = .contentLength }
            else if InlineRequestParser.equalsIgnoringCase(bytes, name, "content-type") { self = .contentType }
            else if InlineRequestParser.equalsIgnoringCase(bytes, name, "authorization") { self = .authorization }
            else if InlineRequestParser.equalsIgnoringCase(bytes, name, "connection") { self = .connection }
            else if InlineRequestParser.equalsIgnoringCase(bytes, name, "transfer-encoding")
                        || InlineRequestParser.equalsIgnoringCase(bytes, name, "expect")
                        || InlineRequestParser.equalsIgnoringCase(bytes, name, "upgrade") { self = .refused }
            else { self = .other }
        }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"),
             UInt8(ascii: "~"): return true
        default: return false
        }
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        for k in 0..<range.count where bytes[range.lowerBound + k] != text.utf8Start[k] { return false }
        return true
    }

    /// Whether the bytes spell `lower` (lower-case ASCII) in any case.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lower: StaticString) -> Bool {
        guard range.count == lower.utf8CodeUnitCount else { return false }
        for k in 0..<range.count {
            var b = bytes[range.lowerBound + k]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b != lower.utf8Start[k] { return false }
        }
        return true
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The method (with its space) a short start could grow into.
    private static func methodWord(startingWith bytes: UnsafeRawBufferPointer) -> [UInt8] {
        bytes.first == UInt8(ascii: "G") ? Array("GET ".utf8) : Array("POST ".utf8)
    }

    private static func isPrefix(_ bytes: UnsafeRawBufferPointer, of word: [UInt8]) -> Bool {
        bytes.count <= word.count && bytes.indices.allSatisfy { bytes[$0] == word[$0] }
    }
}
