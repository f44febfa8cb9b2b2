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
/// bytes for the responder wait until the inline answers queued before them are on the socket
/// (the same turn of the loop, unless every scoring slot was busy).
///
/// The handler keeps the connection's idle time-out — no byte read or written for that long,
/// nothing queued and no request with the responder — since Hummingbird's would not see inline
/// requests; holds a graceful shutdown's quiesce until its queued answers are on the socket;
/// closes after a `Connection: close` answer once it is written (output first); and stops
/// reading while the socket cannot take more answers.
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
    /// The number the next queued request gets, the one whose answer goes out next, and the
    /// answers that came before their turn.
    private var nextSequence = 0
    private var nextToWrite = 0
    private var early: [Int: (answer: ServeAnswer, records: Int, request: InlineRequest)] = [:]
    private var heldBack: [HeldBack] = []
    /// A read the pipeline asked for while the socket could not take more answers.
    private var readDeferred = false
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Requests the responder is working on (counted by ``ResponderActivityHandler``).
    let responder: ResponderActivity

    init(server: ScoringServer, idleTimeout: TimeAmount, responder: ResponderActivity) {
        self.server = server
        self.idleTimeout = idleTimeout
        self.responder = responder
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
        if passing || !heldBack.isEmpty {
            forward(.readComplete, context: context)
        } else {
            context.fireChannelReadComplete()  // nothing went on to the responder: nothing to keep in order
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        forward(.event(event), context: context)
    }

    // MARK: Outbound (the responder's answers; reads)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    /// Backpressure: a client that sends requests without reading the answers is not read from
    /// while the socket cannot take more (NIO's writability), so answers never pile up.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readDeferred = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readDeferred {
            readDeferred = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
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
                if request.body.readableBytes > 0 {
                    let reservation = BodyReservation(server.bodyBudget)
                    if reservation.hold(request.body.readableBytes) {
                        request.reservation = reservation
                    } else {
                        request.refusal = ServeAnswer(.bodyBudgetSpent)
                    }
                }
                queued += 1
                server.metrics.inFlight.increment()
                batch!.add(request, handler: self, sequence: nextSequence, context: context)
                nextSequence += 1
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

    /// Takes the answer to request number `sequence` of this connection (from the loop's batch,
    /// in any order) and writes, in request order, every answer whose turn has come; then lets
    /// through what was held back behind them, once they are on the socket.
    func deliver(_ answer: ServeAnswer, records: Int, for request: InlineRequest, sequence: Int, date: String, context: ChannelHandlerContext) {
        early[sequence] = (answer, records, request)
        var lastWrite: EventLoopFuture<Void>?
        while let next = early.removeValue(forKey: nextToWrite) {
            nextToWrite += 1
            queued -= 1
            next.request.reservation?.release()
            server.finished(method: next.request.method, path: next.request.path, status: next.answer.status, records: next.records,
                            since: next.request.started)
            guard !closed, context.channel.isActive else { continue }
            var answer = next.answer
            answer.closes = answer.closes || next.request.closes
            let bytes = wrapOutboundOut(.byteBuffer(answer.wire(date: date, allocator: context.channel.allocator)))
            lastActivity = .now()
            // A promise only where something waits for the write: a close, or what was held back.
            guard answer.closes || (queued == 0 && !heldBack.isEmpty) else {
                context.writeAndFlush(bytes, promise: nil)
                continue
            }
            let written = context.writeAndFlush(bytes)
            if answer.closes {
                // Close once the answer is on the socket, output first: a full close at once could
                // drop it (queued writes are cancelled; unread input makes the kernel reset).
                closed = true
                heldBack = []
                written.assumeIsolated().whenComplete { _ in context.close(mode: .output, promise: nil) }
            }
            lastWrite = written
        }
        guard queued == 0, !heldBack.isEmpty, !closed, let lastWrite else { return }
        lastWrite.assumeIsolated().whenComplete { [self] _ in
            guard queued == 0 else { return }  // newer answers are queued: they release it
            let held = heldBack
            heldBack = []
            held.forEach { forward($0, context: context) }
        }
    }

    // MARK: Idle connections

    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            idleCheck = nil
            guard context.channel.isActive else { return }
            let idleFor = NIODeadline.now() - lastActivity
            let busy = queued > 0 || responder.inProgress > 0
            if !busy && idleFor >= idleTimeout {
                closed = true
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context, after: busy ? idleTimeout : idleTimeout - idleFor)
            }
        }
    }
}
