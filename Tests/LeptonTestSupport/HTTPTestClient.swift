import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a loopback TCP socket, for tests of `serve`: one request per
/// connection (`Connection: close`), the whole answer read to the end, every step bounded by a
/// receive timeout so that a server that never answers fails the test instead of hanging it.
/// Raw access (``RawConnection``) lets a test send a body slowly or not at all.
public enum HTTPTestClient {
    /// An answer: status code, header fields (names lower-cased) and body.
    public struct Answer: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON value (`JSONSerialization`).
        public func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Sends one request and reads the whole answer.
    public static func send(port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: [UInt8] = [],
                            timeout: Double = 30) throws -> Answer {
        let connection = try RawConnection(port: port, timeout: timeout)
        defer { connection.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try connection.write(Array(head.utf8) + body)
        return try parse(connection.readToEnd())
    }

    /// Sends a JSON body to `POST path`.
    public static func post(port: Int, path: String, json: String, headers: [String: String] = [:], timeout: Double = 30) throws -> Answer {
        try send(port: port, method: "POST", path: path, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
                 body: Array(json.utf8), timeout: timeout)
    }

    /// Splits a raw HTTP/1.1 answer into status, headers and body (Content-Length or chunked).
    public static func parse(_ raw: [UInt8]) throws -> Answer {
        guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw Failure(description: "no complete HTTP answer head in \(raw.count) bytes: \(String(decoding: raw.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line: \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        else if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = Array(body.prefix(length)) }
        return Answer(status: status, headers: headers, body: body)
    }

    /// Splits the answers to pipelined requests, read to the end of the connection, in order
    /// (each with a `Content-Length`).
    public static func parseAll(_ raw: [UInt8]) throws -> [Answer] {
        var answers: [Answer] = []
        var rest = raw[...]
        while !rest.isEmpty {
            guard let split = rest.firstRange(of: Array("\r\n\r\n".utf8)) else {
                throw Failure(description: "an incomplete answer head after \(answers.count) answers")
            }
            let head = String(decoding: rest[..<split.lowerBound], as: UTF8.self).lowercased()
            guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                  let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else {
                throw Failure(description: "answer \(answers.count + 1) has no Content-Length")
            }
            let end = split.upperBound + length
            guard end <= rest.endIndex else { throw Failure(description: "answer \(answers.count + 1) is cut short") }
            answers.append(try parse(Array(rest[..<end])))
            rest = rest[end...]
        }
        return answers
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < bytes.count, let lineEnd = bytes[i...].firstRange(of: [13, 10]) {
            let size = Int(String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd.upperBound
            out += bytes[start..<min(start + size, bytes.count)]
            i = start + size + 2
        }
        return out
    }
}

/// A TCP connection to 127.0.0.1 with receive and send timeouts.
public final class RawConnection: @unchecked Sendable {
    let fd: Int32

    public init(port: Int, timeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClient.Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw HTTPTestClient.Failure(description: "connect to 127.0.0.1:\(port): \(reason)")
        }
    }

    /// Writes all of `bytes` (throws when the peer closed or the send timed out).
    public func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPTestClient.Failure(description: "send: \(String(cString: strerror(errno))) after \(sent) bytes") }
            sent += n
        }
    }

    /// Reads until the peer closes (or a receive timeout, which throws).
    public func readToEnd() throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return out }
            if n < 0 {
                if errno == ECONNRESET && !out.isEmpty { return out }
                throw HTTPTestClient.Failure(description: "recv: \(String(cString: strerror(errno))) after \(out.count) bytes")
            }
            out += buffer[0..<n]
        }
    }

    public func close() { Glibc.close(fd) }
}

/// A TCP port free on 127.0.0.1 right now (bound to port 0 and released), for a server that
/// cannot pick its own port (nginx in a test).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw HTTPTestClient.Failure(description: "no free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
