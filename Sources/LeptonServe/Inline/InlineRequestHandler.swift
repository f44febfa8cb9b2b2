import NIOCore

/// Answers the plainest requests straight from the connection's bytes, at the front of the
/// channel pipeline — before NIO's HTTP/1.1 parser and Hummingbird's responder, which get
/// everything else.
///
/// While a connection sends only requests ``InlineRequestParser`` takes (health checks, and
/// `POST /v1/score` with a small body that arrives whole within one read), each is queued in
/// its event loop's ``LoopBatch``, which at the end of the loop's turn scores it with the others
/// that turn completed and writes the answer. No HTTP parts, no task, no thread hop: per
/// request what is left is the parse, the scoring and the socket.
///
/// The first request that is not for the inline path — another route, a larger body, one still
/// arriving when the read ends, anything the strict parser does not read — turns the
/// connection over to NIO's parser and the responder for good, from that request's first byte
/// (the responder's time limits and body budget then apply). Answers leave in request order:
/// bytes for the responder wait until the inline answers queued before them are written (the
/// same turn of the loop).
///
/// The handler keeps the connection's idle time-out — no byte read or written for that long and
/// nothing queued — since Hummingbird's would not see inline requests, and holds a graceful
/// shutdown's quiesce until its queued answers are out.
final class InlineRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// What waits for the queued answers before it goes on to the responder.
    enum HeldBack {
        case bytes(ByteBuffer)
        case readComplete
        case event(Any)
    }

    private let server: ScoringServer
    private let idleTimeout: TimeAmount
    private var batch: LoopBatch?
    /// The start of a request that may still qualify, kept until the read ends.
    private var pending: ByteBuffer?
    /// The connection's bytes go to NIO's parser and the responder (for good).
    private var passing = false
    /// A request asked to close the connection: nothing after it is read.
    private var closing = false
    private var closed = false
    /// Requests queued in the loop's batch and not yet answered.
    private var queued = 0
    private var heldBack: [HeldBack] = []
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(server: ScoringServer, idleTimeout: TimeAmount) {
        self.server = server
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        batch = server.loopBatch(for: context.eventLoop)
        scheduleIdleCheck(context: context, after: idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        guard !closed, !closing else { return }
        var bytes = unwrapInboundIn(data)
        if passing { return forward(.bytes(bytes), context: context) }
        if var start = pending {
            pending = nil
            start.writeBuffer(&bytes)
            bytes = start
        }
        takeRequests(from: bytes, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !closed else { return }
        if let start = pending {  // a request still arriving: the responder reads the rest, under its time limit
            pending = nil
            passing = true
            forward(.bytes(start), context: context)
        }
        forward(.readComplete, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        forward(.event(event), context: context)
    }

    // MARK: Outbound (the responder's answers)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    // MARK: Reading

    /// Queues every whole inline request at the front of `bytes`; keeps a partial one for the
    /// rest of this read; hands the connection over at the first one not for this path.
    private func takeRequests(from bytes: ByteBuffer, context: ChannelHandlerContext) {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            switch InlineRequestParser.parse(bytes, maxBody: server.settings.maxBodyBytes) {
            case .complete(var request, let consumed):
                bytes.moveReaderIndex(forwardBy: consumed)
                let reservation = BodyReservation(server.bodyBudget)
                if reservation.hold(request.body.readableBytes) {
                    request.reservation = reservation
                } else {
                    request.refusal = ServeAnswer(.bodyBudgetSpent)
                }
                queued += 1
                server.metrics.inFlight.increment()
                batch!.add(request, handler: self, context: context)
                if request.closes {
                    closing = true
                    return
                }
            case .needMore:
                pending = bytes
                return
            case .notInline:
                passing = true
                forward(.bytes(bytes), context: context)
                return
            }
        }
    }

    /// Sends `item` on to the responder's side, or holds it back while answers are queued.
    private func forward(_ item: HeldBack, context: ChannelHandlerContext) {
        if queued > 0 || !heldBack.isEmpty {
            heldBack.append(item)
            return
        }
        switch item {
        case let .bytes(bytes): context.fireChannelRead(wrapInboundOut(bytes))
        case .readComplete: context.fireChannelReadComplete()
        case let .event(event): context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Answering

    /// Writes the answer to a request queued by this handler (called by the loop's batch, in
    /// queue order), then lets through what was held back behind it.
    func deliver(_ answer: ServeAnswer, records: Int, for request: InlineRequest, date: String, context: ChannelHandlerContext) {
        queued -= 1
        request.reservation?.release()
        server.finished(method: request.method, path: request.path, status: answer.status, records: records, since: request.started)
        guard !closed, context.channel.isActive else { return }
        var answer = answer
        answer.closes = answer.closes || request.closes
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(answer.wire(date: date, allocator: context.channel.allocator))), promise: nil)
        lastActivity = .now()
        if answer.closes {
            closed = true
            heldBack = []
            context.close(promise: nil)
            return
        }
        if queued == 0 {
            let held = heldBack
            heldBack = []
            held.forEach { forward($0, context: context) }
        }
    }

    // MARK: Idle connections

    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            idleCheck = nil
            guard !closed else { return }
            let idleFor = NIODeadline.now() - lastActivity
            if queued == 0 && idleFor >= idleTimeout {
                closed = true
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context, after: queued > 0 ? idleTimeout : idleTimeout - idleFor)
            }
        }
    }
}
