import HTTPTypes
import LeptonCore
import LeptonTestSupport
@testable import LeptonServe
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

/// The inline path's HTTP/1.1 reader: what it takes, what it leaves to NIO's parser, and that
/// whatever it takes reads as NIO reads it.
final class InlineRequestParserTests: XCTestCase {
    static let body = #"{"x": 1, "y": 2}"#
    static let score = "POST /v1/score?trace=1 HTTP/1.1\r\nHost: a\r\ncontent-TYPE: application/json\r\nAuthorization: Bearer k\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"

    func parse(_ text: String, maxBody: Int = 1 << 20) -> InlineRequestParser.Outcome {
        InlineRequestParser.parse(ByteBuffer(string: text), maxBody: maxBody)
    }

    func testTakesTheThreeRoutes() throws {
        guard case let .complete(request, consumed) = parse(Self.score + "GET /healthz HTTP/1.1\r\n\r\n") else { return XCTFail("not complete") }
        XCTAssertEqual(consumed, Self.score.utf8.count)
        XCTAssertEqual(request.method, .post)
        XCTAssertEqual(request.path, "/v1/score")
        XCTAssertEqual(request.contentType, "application/json")
        XCTAssertEqual(request.authorization, "Bearer k")
        XCTAssertFalse(request.closes)
        XCTAssertEqual(String(buffer: request.body), Self.body)
        for path in ["/healthz", "/readyz"] {
            guard case let .complete(get, _) = parse("GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") else { return XCTFail(path) }
            XCTAssertEqual(get.path, path)
            XCTAssertTrue(get.closes)
            for value in ["Close", "keep-alive, close", "closed"] {  // the responder closes on "close" exactly
                guard case let .complete(other, _) = parse("GET \(path) HTTP/1.1\r\nConnection: \(value)\r\n\r\n") else { return XCTFail(value) }
                XCTAssertFalse(other.closes, value)
            }
        }
    }

    /// Every proper prefix of a request it takes is `needMore`.
    func testEveryPrefixWaitsForMore() {
        let bytes = Array(Self.score.utf8)
        for k in 0..<bytes.count {
            guard case .needMore = InlineRequestParser.parse(ByteBuffer(bytes: bytes[..<k]), maxBody: 1 << 20) else {
                return XCTFail("prefix of \(k) bytes: \(String(decoding: bytes[..<k], as: UTF8.self))")
            }
        }
    }

    func testLeavesEverythingElseToNIO() {
        let refused = [
            "POST /v1/score HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            "POST /v1/score HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nContent-Length: 1 1\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\n\r\n",
            "POST /v1/score HTTP/1.1\nContent-Length: 2\n\n{}",
            "POST /v1/score HTTP/1.1\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nX-A : 1\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nX-A: \u{e9}\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/model HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
            "GET /v1/score HTTP/1.1\r\n\r\n",
            "POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            "get /healthz HTTP/1.1\r\n\r\n",
            "PUT /v1/score HTTP/1.1\r\n\r\n",
            "GET  /healthz HTTP/1.1\r\n\r\n",
            "GET http://a/healthz HTTP/1.1\r\n\r\n",
            "GET /healthz/ HTTP/1.1\r\n\r\n",
            "GET /metrics HTTP/1.1\r\n\r\n",
            "POST /v1/score HTTP/1.1\r\nX: " + String(repeating: "a", count: 9000) + "\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + String(repeating: " ", count: 100),
            "POST /v1/score HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/score HTTP/1.1\r\nContent-Type: a\r\ncontent-type: b\r\nContent-Length: 2\r\n\r\n{}",
            "GET /healthz HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
        ]
        for text in refused {
            guard case .notInline = parse(text, maxBody: 50) else { return XCTFail("taken inline: \(text.prefix(80).debugDescription)") }
        }
    }

    /// Mutated requests (a byte changed, dropped or repeated, over many seeds) never trap; and
    /// every one it takes, NIO's parser reads the same — method, path, body, and the fields it
    /// uses as the responder gets them (swift-http-types trims a value's outer blanks).
    func testWhatItTakesReadsAsInNIO() throws {
        var random = SeededGenerator(seed: 7)
        let base = Array(Self.score.utf8)
        let alphabet = Array(" \t\r\n:/?;,-0123456789aAzZ{}\"\u{7f}".utf8) + [0x00, 0x80, 0xff]
        var taken = 0
        for _ in 0..<3_000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(bytes[at], at: at)
                }
                if bytes.isEmpty { bytes = base }
            }
            guard case let .complete(request, consumed) = InlineRequestParser.parse(ByteBuffer(bytes: bytes), maxBody: 1 << 20) else { continue }
            taken += 1
            let nio = try nioReading(Array(bytes[..<consumed]))
            let text = String(decoding: bytes, as: UTF8.self).debugDescription
            guard let head = nio.head else { return XCTFail("NIO did not read a head from \(text)") }
            XCTAssertEqual(head.method.rawValue, request.method.rawValue, text)
            XCTAssertEqual(head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init), request.path, text)
            XCTAssertEqual(head.headers["content-type"].first.map { HTTPField(name: .contentType, value: $0).value }, request.contentType, text)
            XCTAssertEqual(head.headers["authorization"].first.map { HTTPField(name: .authorization, value: $0).value }, request.authorization, text)
            XCTAssertEqual(nio.body, Array(request.body.readableBytesView), text)
            XCTAssertTrue(nio.ended, "NIO saw the request end where the inline reader did: \(text)")
        }
        XCTAssertGreaterThan(taken, 100, "enough mutations still qualified to compare")
    }

    /// What NIO's HTTP/1.1 request decoder makes of `bytes`.
    func nioReading(_ bytes: [UInt8]) throws -> (head: HTTPRequestHead?, body: [UInt8], ended: Bool) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        var head: HTTPRequestHead?, body: [UInt8] = [], ended = false
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case let .head(h): head = h
            case let .body(b): body += b.readableBytesView
            case .end: ended = true
            }
        }
        return (head, body, ended)
    }
}
