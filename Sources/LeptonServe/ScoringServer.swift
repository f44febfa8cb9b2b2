import Foundation
import Hummingbird
import HummingbirdCore
import LeptonIO
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The HTTP scoring API every executable's `serve` runs, on Hummingbird.
///
/// | Method and path | Key needed | Answer |
/// |---|---|---|
/// | `POST /v1/score` | yes | one record's answer, or a list in request order |
/// | `GET /v1/model` | yes | the model's manifest |
/// | `POST /v1/admin/reload` | yes | reloads the model file (the old model stays on failure) |
/// | `GET /healthz` | no | 200 while the process runs |
/// | `GET /readyz` | no | 200 while serving, 503 while shutting down |
/// | `GET /metrics` | no | Prometheus text |
///
/// Records of concurrent requests are scored together (``DynamicBatcher``). SIGTERM and SIGINT
/// stop it gracefully (no new connections, in-flight requests finish); SIGHUP reloads the model.
public final class ScoringServer: Sendable {
    public let settings: ServeSettings
    let load: @Sendable (String) throws -> AnyServedModel
    let current: Protected<AnyServedModel>
    let batcher: DynamicBatcher
    public let metrics = ServeMetrics()
    let ready = Atomic<Bool>(false)
    let logger: Logger
    let group = Protected<ServiceGroup?>(nil)
    let timeouts = RequestTimeouts()
    /// Bytes of request bodies held by all requests at once.
    let bodyBudget: BodyBudget
    /// Each event loop's batch of inline requests, by loop.
    private let loopBatches = Protected<[ObjectIdentifier: NIOLoopBound<LoopBatch>]>([:])

    /// Loads the model at `settings.modelPath` with `load` (which also reloads it).
    public init<Model: ServedModel>(settings: ServeSettings, load: @escaping @Sendable (String) throws -> Model) throws {
        self.settings = settings
        bodyBudget = BodyBudget(limit: settings.maxBodyBytesInFlight)
        self.load = { AnyServedModel(try load($0)) }
        let model = try self.load(settings.modelPath)
        current = Protected(model)
        let metrics = self.metrics
        batcher = DynamicBatcher(settings: settings.batching) { metrics.batchRecords.record(Double($0)) }
        var logger = Logger(label: "lepton.serve")
        logger.logLevel = settings.accessLog ? .info : .notice
        self.logger = logger
        metrics.serving(kind: model.kind, version: model.version)
    }

    /// The model answering new requests.
    public var model: AnyServedModel { current.withLock { $0 } }

    /// `eventLoop`'s batch of inline requests (made on first use; called on that loop).
    func loopBatch(for eventLoop: any EventLoop) -> LoopBatch {
        loopBatches.withLock { batches in
            if let known = batches[ObjectIdentifier(eventLoop)] { return known.value }
            let made = LoopBatch(server: self, eventLoop: eventLoop)
            batches[ObjectIdentifier(eventLoop)] = NIOLoopBound(made, eventLoop: eventLoop)
            return made
        }
    }

    /// Serves until SIGTERM or SIGINT (or until the calling task is cancelled); `onListening`
    /// gets the bound port once connections are accepted.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let idleTimeout = TimeAmount.nanoseconds(Int64(settings.idleTimeout * 1e9))
        // Inline answers: the inline handler keeps the idle time-out, since Hummingbird's would not see them.
        let server: HTTPServerBuilder = settings.inlineAnswers
            ? HTTPServerBuilder { [self] responder in
                InlineHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil)), server: self, idleTimeout: idleTimeout)
            }
            : .http1(configuration: .init(idleTimeout: idleTimeout))
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: settings.eventLoops)
        defer { loops.shutdownGracefully { _ in } }
        let app = Application(
            responder: ServeResponder(server: self),
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "lepton",
                                 backlog: 1024, availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections)),
            onServerRunning: { [self] channel in
                ready.store(true, ordering: .releasing)
                onListening(channel.localAddress?.port ?? settings.port)
            },
            eventLoopGroupProvider: .shared(loops),
            logger: logger)
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: ReloadOnHangup(server: self)), .init(service: ReadinessOnShutdown(server: self))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        group.withLock { $0 = services }
        defer {
            batcher.shutdown()
            timeouts.stop()
        }
        try await services.run()
    }

    /// Stops as SIGTERM does: no new connections, in-flight requests finish, then `run` returns.
    public func shutdown() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }

    /// Reloads the model file: the new model answers new requests, in-flight ones finish on the
    /// old; a file that does not load is refused and the old model kept.
    @discardableResult
    public func reload() -> Result<AnyServedModel, any Error> {
        do {
            let model = try load(settings.modelPath)
            current.withLock { $0 = model }
            metrics.serving(kind: model.kind, version: model.version)
            metrics.reload(result: "ok")
            logger.notice("reloaded the model", metadata: ["model": .string(settings.modelPath), "version": .string(model.version)])
            return .success(model)
        } catch {
            metrics.reload(result: "refused")
            logger.error("refused to reload the model; the old one stays", metadata: ["model": .string(settings.modelPath), "error": .string("\(error)")])
            return .failure(error)
        }
    }

    // MARK: Requests

    func respond(to request: Request) async -> Response {
        let started = ContinuousClock.now
        metrics.inFlight.increment()
        let path = request.uri.path
        var records = 0
        let answer: ServeAnswer
        if let immediate = immediateAnswer(method: request.method, path: path, authorization: request.headers[.authorization]) {
            answer = immediate
        } else {
            (answer, records) = await score(request)
        }
        finished(method: request.method, path: path, status: answer.status, records: records, since: started)
        return answer.response
    }

    /// Counts an answered request (and logs it with `--access-log`).
    func finished(method: HTTPRequest.Method, path: String, status: Int, records: Int, since started: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - started
        metrics.inFlight.decrement()
        metrics.request(path: path, status: status, duration: duration)
        if settings.accessLog {
            logger.info("request", metadata: [
                "method": .string(method.rawValue), "path": .string(ServeMetrics.route(path)),
                "status": .stringConvertible(status), "records": .stringConvertible(records),
                "ms": .string(String(format: "%.3f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)),
            ])
        }
    }

    /// The answer to every request except an authorised `POST /v1/score`, which needs its body
    /// (nil for that one).
    func immediateAnswer(method: HTTPRequest.Method, path: String, authorization: String?) -> ServeAnswer? {
        if path.hasPrefix("/v1/"), let refusal = authorize(authorization) { return refusal }
        switch (method, path) {
        case (.get, "/healthz"): return ServeAnswer(200, .object([("status", "ok")]))
        case (.get, "/readyz"):
            return ready.load(ordering: .acquiring) ? ServeAnswer(200, .object([("status", "ready")]))
                : ServeAnswer(ServeError(status: 503, "not ready: starting or shutting down"))
        case (.get, "/metrics"): return ServeAnswer(status: 200, bytes: metrics.text(), contentType: "text/plain; version=0.0.4")
        case (.get, "/v1/model"):
            let model = self.model
            return ServeAnswer(200, .object([("kind", .string(model.kind)), ("version", .string(model.version)), ("manifest", model.manifest)]))
        case (.post, "/v1/score"): return nil
        case (.post, "/v1/admin/reload"):
            switch reload() {
            case let .success(model): return ServeAnswer(200, .object([("status", "reloaded"), ("version", .string(model.version))]))
            case let .failure(error):
                return ServeAnswer(ServeError(status: 422, "the model file did not load; the old model is still served: \(error)",
                                              hint: "fix or replace \(settings.modelPath) and reload again"))
            }
        case (_, _) where ServeMetrics.routes.contains(path):
            return ServeAnswer(ServeError(status: 405, "\(method) is not allowed on \(path)"))
        default:
            return ServeAnswer(ServeError(status: 404, "no such path: \(path)",
                                          hint: "POST /v1/score, GET /v1/model, GET /healthz, /readyz or /metrics"))
        }
    }

    /// 401 without a key, 403 with a wrong one, nil when accepted (or when no key is set).
    func authorize(_ authorization: String?) -> ServeAnswer? {
        guard let key = settings.apiKey else { return nil }
        switch key.check(authorization: authorization) {
        case .accepted: return nil
        case .missing:
            var answer = ServeAnswer(ServeError(status: 401, "an API key is needed", hint: "send 'Authorization: Bearer KEY'"))
            answer.asksForKey = true
            return answer
        case .wrong: return ServeAnswer(ServeError(status: 403, "the API key is wrong"))
        }
    }

    /// The records of a `POST /v1/score` body, or the answer refusing it (400, 413, 422 …).
    func decodeScoreBody(_ bytes: [UInt8], contentType: String?, model: AnyServedModel) -> DecodedScoreRequest {
        let decoded: (records: [any Sendable], single: Bool)
        do {
            decoded = try model.decode(ScoreRequestBody(bytes: bytes, contentType: Self.mediaType(contentType), limits: settings.limits))
        } catch {
            return .refused(ServeAnswer(error))
        }
        guard decoded.records.count <= settings.limits.maxRecords else {
            return .refused(ServeAnswer(ServeError(status: 413, "\(decoded.records.count) records in one request; at most \(settings.limits.maxRecords)",
                                                   hint: "split the records over several requests")))
        }
        return .records(decoded.records, single: decoded.single)
    }

    /// The answer to a scored request: one object or a list in request order, or the first
    /// record's refusal (naming the record when the client sent a list).
    func scoredAnswer(_ outcomes: [DynamicBatcher.Outcome], single: Bool) -> ServeAnswer {
        var answers: [JSONValue] = []
        answers.reserveCapacity(outcomes.count)
        for (k, outcome) in outcomes.enumerated() {
            switch outcome {
            case let .success(answer): answers.append(answer)
            case var .failure(error):
                metrics.recordsRefused.increment(by: Int64(outcomes.count))
                if !single { error.message = "record \(k + 1): " + error.message }
                return ServeAnswer(error)
            }
        }
        metrics.recordsScored.increment(by: Int64(outcomes.count))
        return ServeAnswer(200, single ? answers[0] : .array(answers))
    }

    /// The media type of a `Content-Type` header, lower-cased, without parameters.
    static func mediaType(_ header: String?) -> String? {
        guard let header else { return nil }
        var utf8 = Substring(header).utf8
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        let bare = Substring(utf8)
        return bare.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? bare.lowercased() : String(bare)
    }

    /// Reads, decodes and scores one request within the time limit; the answer and its record count.
    /// An answer that was completed is sent even when the limit passed meanwhile; 408 or 504
    /// only when the limit interrupted the request (reading its body, or waiting in the queue).
    func score(_ request: Request) async -> (ServeAnswer, Int) {
        let model = self.model
        let phase = RequestPhase()
        let (answer, records, interrupted) = await timeouts.within(settings.timeout) { deadline in
            await scoreWithinTask(request, model: model, phase: phase, deadline: deadline)
        }
        guard interrupted else { return (answer, records) }
        let milliseconds = Int((settings.timeout * 1000).rounded())
        var timedOut = phase.scoring ? ServeAnswer(ServeError.timedOut(after: milliseconds))
            : ServeAnswer(ServeError(status: 408, "the request body did not arrive within \(milliseconds) ms"))
        timedOut.closes = true
        return (timedOut, 0)
    }

    func scoreWithinTask(_ request: Request, model: AnyServedModel, phase: RequestPhase, deadline: RequestDeadline) async -> (ServeAnswer, Int, interrupted: Bool) {
        batcher.arrivalStarted()
        var arrived = false
        defer { if !arrived { batcher.arrivalEnded() } }
        let body: [UInt8]
        // Read in a child task, which the deadline can cancel without touching the connection's.
        let reservation = BodyReservation(bodyBudget)
        defer { reservation.release() }
        async let reading = readBodyInterruptibly(request, deadline: deadline, reservation: reservation)
        switch await reading {
        case let .success(bytes): body = bytes
        case let .failure(error):
            if deadline.hasExpired { return (ServeAnswer(error), 0, true) }
            var answer = ServeAnswer(error)
            answer.closes = error.status == 413
            return (answer, 0, false)
        }
        phase.scoring = true
        let decoded: (records: [any Sendable], single: Bool)
        switch decodeScoreBody(body, contentType: request.headers[.contentType], model: model) {
        case let .records(records, single): decoded = (records, single)
        case let .refused(refusal): return (refusal, 0, false)
        }
        arrived = true
        guard let outcomes = await batcher.score(decoded.records, with: model, deadline: deadline, endsArrival: true) else {
            return (ServeAnswer(ServeError.timedOut(after: Int(settings.timeout * 1000))), 0, true)
        }
        return (scoredAnswer(outcomes, single: decoded.single), outcomes.count, false)
    }

    /// ``readBody(_:)`` in the calling (child) task, cancelled if the deadline passes.
    func readBodyInterruptibly(_ request: Request, deadline: RequestDeadline, reservation: BodyReservation) async -> Result<[UInt8], ServeError> {
        let child = withUnsafeCurrentTask { CancellableTask(task: $0!) }
        return await deadline.interruptible({ child.cancel() }) { await readBody(request, reservation: reservation) }
    }

    /// The body, at most `maxBodyBytes`; an over-long one is drained up to `drainBytes` more and refused (413).
    func readBody(_ request: Request, reservation: BodyReservation) async -> Result<[UInt8], ServeError> {
        let limit = settings.maxBodyBytes
        let tooLarge = ServeError(status: 413, "the request body is over \(limit) bytes",
                                  hint: "send fewer records per request, or ask the operator to raise --max-body-bytes")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit + settings.drainBytes {
            return .failure(tooLarge)
        }
        var bytes: [UInt8] = []
        var seen = 0
        do {
            for try await buffer in request.body {
                seen += buffer.readableBytes
                if seen <= limit {
                    guard reservation.hold(buffer.readableBytes) else { return .failure(.bodyBudgetSpent) }
                    bytes.append(contentsOf: buffer.readableBytesView)
                } else {
                    bytes = []
                    reservation.release()
                    if seen > limit + settings.drainBytes { break }
                }
            }
        } catch {
            return .failure(ServeError(status: 400, "the request body could not be read: \(error)"))
        }
        return seen > limit ? .failure(tooLarge) : .success(bytes)
    }
}

/// The records of a `POST /v1/score` body, or the answer refusing it.
enum DecodedScoreRequest {
    case records([any Sendable], single: Bool)
    case refused(ServeAnswer)
}

/// A request's share of the server-wide budget for body bytes held at once: a few thousand
/// connections each sending a body just under the limit cannot exhaust memory (503 instead).
final class BodyReservation: @unchecked Sendable {  // used by one request's tasks in turn
    let budget: BodyBudget
    private var held = 0

    init(_ budget: BodyBudget) { self.budget = budget }

    /// Takes `bytes` more from the budget; false (and nothing taken) when that would exceed it.
    func hold(_ bytes: Int) -> Bool {
        let total = budget.bytes.add(bytes, ordering: .relaxed).newValue
        guard total <= budget.limit else {
            budget.bytes.subtract(bytes, ordering: .relaxed)
            return false
        }
        held += bytes
        return true
    }

    /// Gives back everything held.
    func release() {
        if held > 0 { budget.bytes.subtract(held, ordering: .relaxed) }
        held = 0
    }
}

/// The server-wide budget of body bytes held at once.
final class BodyBudget: Sendable {
    let bytes = Atomic<Int>(0)
    let limit: Int
    init(limit: Int) { self.limit = limit }
}

/// Whether a request got past reading its body (a time-out then answers 504, not 408).
final class RequestPhase: Sendable {
    private let flag = Atomic<Bool>(false)
    var scoring: Bool {
        get { flag.load(ordering: .relaxed) }
        set { flag.store(newValue, ordering: .relaxed) }
    }
}

/// Hands every request to the server (one responder: the routes are few and fixed).
struct ServeResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let server: ScoringServer

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        await server.respond(to: request)
    }
}

/// Reloads the model on SIGHUP until shutdown.
struct ReloadOnHangup: Service {
    let server: ScoringServer

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() { server.reload() }
    }
}

/// Turns `/readyz` to 503 as soon as a graceful shutdown begins, then waits `--drain-seconds`
/// before the listener closes (the service group shuts services down in reverse order, each
/// after the previous has returned), so that load balancers stop sending first.
struct ReadinessOnShutdown: Service {
    let server: ScoringServer

    func run() async throws {
        try? await gracefulShutdown()
        server.ready.store(false, ordering: .releasing)
        if server.settings.drainSeconds > 0 { try? await Task.sleep(for: .seconds(server.settings.drainSeconds)) }
    }
}
