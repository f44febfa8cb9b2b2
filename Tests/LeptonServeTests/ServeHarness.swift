import Foundation
import LeptonCLI
import LeptonIO
@testable import LeptonServe
import LeptonTestSupport
import Synchronization

/// A toy domain worker: reads numeric columns `x` and `y` (and an optional `id`) and writes the
/// ID (or row), their sum, and a decision — like a domain's batch worker, text in a number rejects the record.
struct SumWorker: BatchWorker {
    let x: Int, y: Int, id: Int?
    var delay = 0.0

    init(header: [String]) throws {
        guard let x = header.firstIndex(of: "x"), let y = header.firstIndex(of: "y") else {
            throw DataError("the header lacks x or y", hint: "send x and y")
        }
        (self.x, self.y, id) = (x, y, header.firstIndex(of: "id"))
    }

    static func columns(_ header: [String]) -> [String] { [header.contains("id") ? "id" : "row", "sum", "decision"] }

    mutating func encode(_ row: CSVRow, into line: inout CSVLine) throws {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let sum = (try row.double(at: x) ?? 0) + (try row.double(at: y) ?? 0)
        if let id { line.appendField(row.bytes(at: id)) } else { line.appendField(row.number) }
        line.appendField(String(sum))
        line.appendField(sum > 0 ? "high" : "low")
    }

    var tallies: [BatchTally] { [] }
}

/// A served toy model; `delay` makes scoring slow (for time-limit tests).
typealias SumModel = TabularServedModel

func makeSumModel(version: String, delay: Double = 0) throws -> SumModel {
    try SumModel(requiredColumns: ["x", "y"], idColumn: "id", numericOutputs: ["sum"], manifest: .object([("kind", "sum")]),
                 version: version, kind: "sum",
                 makeWorker: { header in
                     var worker = try SumWorker(header: header)
                     worker.delay = delay
                     return worker
                 },
                 outputColumns: SumWorker.columns)
}

/// A scoring server on a free loopback port, run in-process for one test. The test talks to it
/// from its own thread with blocking sockets (never from the cooperative pool the server runs on).
final class ServeHarness: @unchecked Sendable {
    let server: ScoringServer
    let port: Int
    let folder: TemporaryDirectory
    let modelPath: String
    private let finished = DispatchSemaphore(value: 0)

    /// Starts a server for a model file holding a version name (a file whose text is `bad`
    /// does not load); `arguments` are extra `serve` options.
    init(arguments: [String] = [], delay: Double = 0, threads: Int = 2, idleTimeout: Double? = nil) throws {
        folder = try TemporaryDirectory()
        modelPath = try folder.write("model.txt", "v1")
        let options = try ServeOptions.parse(["--model", modelPath, "--port", "0", "--no-access-log"] + arguments)
        var settings = try ServeSettings(options: options, threads: threads, defaults: .tabular)
        if let idleTimeout { settings.idleTimeout = idleTimeout }
        server = try ScoringServer(settings: settings) { path in
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text != "bad" else { throw DataError(file: path, message: "not a model", hint: "write a good one") }
            return try makeSumModel(version: text, delay: delay)
        }
        let listening = DispatchSemaphore(value: 0)
        let bound = Mutex(0)
        let server = self.server, finished = self.finished
        Task {
            try? await server.run { port in
                bound.withLock { $0 = port }
                listening.signal()
            }
            listening.signal()
            finished.signal()
        }
        listening.wait()
        port = bound.withLock { $0 }
        if port == 0 { throw HTTPTestClient.Failure(description: "the server did not start") }
    }

    /// Shuts the server down gracefully and waits until it has stopped.
    func stop() {
        Task { await server.shutdown() }
        finished.wait()
        folder.remove()
    }

    func post(_ json: String, headers: [String: String] = [:], timeout: Double = 30) throws -> HTTPTestClient.Answer {
        try HTTPTestClient.post(port: port, path: "/v1/score", json: json, headers: headers, timeout: timeout)
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPTestClient.Answer {
        try HTTPTestClient.send(port: port, path: path, headers: headers)
    }

    /// The value of a metric line (`name{labels} value`) in `/metrics`, or 0 when absent.
    func metric(_ line: String) throws -> Double {
        let text = try get("/metrics").text
        for l in text.split(separator: "\n") where l.hasPrefix(line + " ") { return Double(l.dropFirst(line.count + 1)) ?? .nan }
        return 0
    }
}
