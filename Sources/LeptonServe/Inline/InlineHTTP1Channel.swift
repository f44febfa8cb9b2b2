import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with ``InlineRequestHandler`` first in each connection's
/// pipeline, in front of NIO's HTTP parser, and a ``ResponderActivityHandler`` after the codec
/// telling it when the responder is busy.
struct InlineHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let server: ScoringServer
    let idleTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let activity = ResponderActivity()
        do {
            try channel.pipeline.syncOperations.addHandler(InlineRequestHandler(server: server, idleTimeout: idleTimeout, responder: activity))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // The same channel, with this connection's activity counter after the codec.
        let connection = HTTP1Channel(responder: http1.responder,
                                      configuration: .init(additionalChannelHandlers: [ResponderActivityHandler(activity)], idleTimeout: nil))
        return connection.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
