import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers small requests on the connection's event loop, in the channel pipeline between
/// Hummingbird's HTTP codec and its responder; everything else passes through to the responder.
///
/// A request is answered here when its head qualifies (``InlineRequest``) and it arrives whole
/// within one read of the socket; the loop's ``LoopBatch`` then scores it with the other
/// requests that arrived in the same turn of the loop (dynamic batching with no wait), and the
/// answer is written from the loop. No task, no hop between threads: per request, what is left
/// is the parse, the scoring and the socket.
///
/// A request that does not qualify, or whose body is still arriving when the read ends, goes
/// to the responder whole (its head and the body so far, then the rest), which applies the
/// time limit, the body budget and every route. Answers leave in request order: a request
/// that goes to the responder while earlier ones wait for their batch is held back until they
/// are answered (within the same turn of the loop), and while the responder owes an answer no
/// request is answered here.
///
/// The handler keeps the connection's idle time-out (Hummingbird's own would not see the
/// requests answered here) and delays a graceful-shutdown quiesce until its queued answers are
/// written.
final class InlineRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What waits for the queued answers before it goes on through the pipeline.
    enum HeldBack {
        case part(HTTPRequestPart)
        case readComplete
        case event(Any)
        case error(any Error)
    }

    private let server: ScoringServer
    private let idleTimeout: TimeAmount
    private var batch: LoopBatch?

    /// The request being read, to be answered here.
    private var reading: InlineRequest?
    /// Whether the request being read goes to the responder.
    private var passing = false
    /// Requests given to the responder and not yet answered.
    private var passed = 0
    /// Requests queued in the loop's batch and not yet answered.
    private var queued = 0
    private var heldBack: [HeldBack] = []
    /// A graceful shutdown began: every request goes to the responder, which closes after it.
    private var quiescing = false
    private var closed = false
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
        guard !closed else { return }
        receive(unwrapInboundIn(data), context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !closed else { return }
        if !heldBack.isEmpty {
            heldBack.append(.readComplete)
        } else {
            endOfRead(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        if queued > 0 || !heldBack.isEmpty {
            heldBack.append(.event(event))
        } else {
            quiescing = true
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if queued > 0 || !heldBack.isEmpty {
            heldBack.append(.error(error))
            return
        }
        if let request = reading {
            reading = nil
            giveToResponder(request, context: context)
        }
        context.fireErrorCaught(error)
    }

    // MARK: Outbound (the responder's answers)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            passed -= 1
            lastActivity = .now()
        }
        context.write(data, promise: promise)
    }

    // MARK: Reading

    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if !heldBack.isEmpty {
            heldBack.append(.part(part))
        } else {
            take(part, context: context)
        }
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case let .head(head):
            if passed == 0, !quiescing, let request = InlineRequest(head: head, maxBody: server.settings.maxBodyBytes, allocator: context.channel.allocator) {
                reading = request
            } else if queued > 0 {
                heldBack.append(.part(part))
            } else {
                pass(part, context: context)
                passed += 1
                passing = true
            }
        case var .body(buffer):
            if reading != nil {
                if reading!.body.readableBytes + buffer.readableBytes > reading!.length {
                    let request = reading!
                    reading = nil
                    giveToResponder(request, context: context)
                    receive(part, context: context)
                } else {
                    reading!.body.writeBuffer(&buffer)
                }
            } else if passing {
                pass(part, context: context)
            }
        case .end:
            if var request = reading {
                reading = nil
                let reservation = BodyReservation(server.bodyBudget)
                if reservation.hold(request.length) {
                    request.reservation = reservation
                } else {
                    request.refusal = ServeAnswer(.bodyBudgetSpent)
                }
                queued += 1
                server.metrics.inFlight.increment()
                batch!.add(request, handler: self, context: context)
            } else if passing {
                passing = false
                pass(part, context: context)
            }
        }
    }

    /// The read ended: a request still arriving goes to the responder, which waits for the rest.
    private func endOfRead(context: ChannelHandlerContext) {
        if let request = reading {
            reading = nil
            giveToResponder(request, context: context)
        }
        if !heldBack.isEmpty {
            heldBack.append(.readComplete)
        } else {
            context.fireChannelReadComplete()
        }
    }

    /// Hands a request begun here to the responder: its head and the body read so far (held
    /// back while answers are queued).
    private func giveToResponder(_ request: InlineRequest, context: ChannelHandlerContext) {
        let parts: [HTTPRequestPart] = request.body.readableBytes > 0 ? [.head(request.head), .body(request.body)] : [.head(request.head)]
        if queued > 0 || !heldBack.isEmpty {
            heldBack.append(contentsOf: parts.map { .part($0) })
            return
        }
        parts.forEach { pass($0, context: context) }
        passed += 1
        passing = true
    }

    private func pass(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(part))
    }

    // MARK: Answering

    /// Writes the answer to a request queued by this handler (called by the loop's batch, in
    /// queue order), then lets through what was held back behind it.
    func deliver(_ answer: ServeAnswer, records: Int, for request: InlineRequest, context: ChannelHandlerContext) {
        queued -= 1
        request.reservation?.release()
        server.finished(method: request.method, path: request.path, status: answer.status, records: records, since: request.started)
        guard !closed, context.channel.isActive else { return }
        var answer = answer
        answer.closes = answer.closes || request.closes
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        lastActivity = .now()
        if answer.closes {
            closed = true
            heldBack = []
            context.close(promise: nil)
            return
        }
        if queued == 0 { releaseHeldBack(context: context) }
    }

    /// Lets through, in order, what waited for the queued answers; a request among it may be
    /// queued again, and then what follows it waits once more.
    private func releaseHeldBack(context: ChannelHandlerContext) {
        let held = heldBack
        heldBack = []
        for item in held {
            if !heldBack.isEmpty || closed {
                heldBack.append(item)
                continue
            }
            switch item {
            case let .part(part): take(part, context: context)
            case .readComplete: endOfRead(context: context)
            case let .event(event): userInboundEventTriggered(context: context, event: event)
            case let .error(error): errorCaught(context: context, error: error)
            }
        }
        if closed { heldBack = [] }
    }

    // MARK: Idle connections

    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            idleCheck = nil
            guard !closed else { return }
            let busy = reading != nil || passing || passed > 0 || queued > 0
            let idleFor = NIODeadline.now() - lastActivity
            if !busy && idleFor >= idleTimeout {
                closed = true
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context, after: busy ? idleTimeout : idleTimeout - idleFor)
            }
        }
    }
}
