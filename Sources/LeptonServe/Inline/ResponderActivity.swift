import NIOCore
import NIOHTTPTypes

/// How many requests of one connection the responder is working on: heads that reached it
/// minus answers it finished. The connection's ``InlineRequestHandler`` reads it so that its
/// idle time-out never closes a connection while the responder is busy with a request (a
/// reload, a long batch) that moves no bytes.
final class ResponderActivity: @unchecked Sendable {  // used on the connection's event loop only
    var inProgress = 0
}

/// Counts, for ``ResponderActivity``, the request heads that pass on to the responder and the
/// answer ends that come back; it sits between NIO's HTTP codec and the responder and changes nothing.
final class ResponderActivityHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let activity: ResponderActivity

    init(_ activity: ResponderActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { activity.inProgress += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { activity.inProgress = max(0, activity.inProgress - 1) }
        context.write(data, promise: promise)
    }
}
