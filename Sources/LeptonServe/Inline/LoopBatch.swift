import NIOCore

/// The requests one event loop answers inline: scored together once the loop has read
/// everything that was ready in its turn (dynamic batching that never waits). One per event
/// loop, used only on it.
///
/// The loop runs its queued tasks after it has handled every socket that was ready, so the
/// task this batch schedules for its first request runs once the turn's reads are done; the
/// requests those reads completed are in the batch by then. Answers that need no scoring
/// (health checks, refusals) go out at once; the records are scored in batches of at most
/// `--max-batch` records when a scoring slot is free — the loop does not wait for one (the
/// responder's batches may hold them all), it tries again shortly and serves its sockets
/// meanwhile. Each connection's handler writes its answers in request order.
final class LoopBatch {
    struct Entry {
        let request: InlineRequest
        let handler: InlineRequestHandler
        let sequence: Int
        let context: ChannelHandlerContext
    }

    /// A score request decoded by `model`, waiting for a slot.
    struct Scoring {
        let entry: Entry
        let records: [any Sendable]
        let single: Bool
        let model: AnyServedModel
    }

    /// The server owns this batch (weak: no cycle; a task left on the loop after the server is
    /// gone does nothing).
    private weak var server: ScoringServer?
    private let eventLoop: any EventLoop
    private var entries: [Entry] = []
    private var waiting: [Scoring] = []
    private var retryScheduled = false
    private var httpDate = HTTPDate()

    init(server: ScoringServer, eventLoop: any EventLoop) {
        self.server = server
        self.eventLoop = eventLoop
    }

    /// Queues request number `sequence` of `handler`'s connection, whose body has arrived; it is
    /// answered at the end of this turn of the loop.
    func add(_ request: InlineRequest, handler: InlineRequestHandler, sequence: Int, context: ChannelHandlerContext) {
        entries.append(Entry(request: request, handler: handler, sequence: sequence, context: context))
        if entries.count == 1 {
            eventLoop.assumeIsolated().execute { [self] in answerTurn() }
        }
    }

    /// Answers the turn's requests that need no scoring, decodes the others and scores them.
    func answerTurn() {
        guard let server else { return }
        let taken = entries
        entries = []
        let model = server.model
        var decoded: [Scoring] = []
        for entry in taken {
            let request = entry.request
            if let answer = server.immediateAnswer(method: request.method, path: request.path, authorization: request.authorization) {
                deliver(answer, records: 0, to: entry)
            } else if let refusal = request.refusal {
                deliver(refusal, records: 0, to: entry)
            } else {
                switch server.decodeScoreBody(Array(request.body.readableBytesView), contentType: request.contentType, model: model) {
                case let .records(records, single):
                    if records.isEmpty {
                        deliver(server.scoredAnswer([], single: single), records: 0, to: entry)
                    } else {
                        decoded.append(Scoring(entry: entry, records: records, single: single, model: model))
                    }
                case let .refused(refusal): deliver(refusal, records: 0, to: entry)
                }
            }
        }
        if decoded.isEmpty { return }
        waiting += decoded
        scoreWaiting()
    }

    /// Scores what waits, in batches of one model instance and at most `--max-batch` records (a
    /// larger request whole), one per free slot; what finds no slot is tried again in a moment.
    private func scoreWaiting() {
        guard let server else { return }
        while !waiting.isEmpty {
            let model = waiting[0].model
            var end = 1, count = waiting[0].records.count
            while end < waiting.count, waiting[end].model === model, count + waiting[end].records.count <= server.settings.batching.maxBatch {
                count += waiting[end].records.count
                end += 1
            }
            guard let outcomes = server.batcher.scoreNowIfFree(waiting[..<end].flatMap(\.records), with: model) else {
                if !retryScheduled {
                    retryScheduled = true
                    eventLoop.assumeIsolated().scheduleTask(in: .microseconds(200)) { [self] in
                        retryScheduled = false
                        scoreWaiting()
                    }
                }
                return
            }
            let batch = waiting[..<end]
            waiting.removeFirst(end)
            var offset = 0
            for item in batch {
                let answer = server.scoredAnswer(Array(outcomes[offset..<(offset + item.records.count)]), single: item.single)
                deliver(answer, records: item.records.count, to: item.entry)
                offset += item.records.count
            }
        }
    }

    private func deliver(_ answer: ServeAnswer, records: Int, to entry: Entry) {
        entry.handler.deliver(answer, records: records, for: entry.request, sequence: entry.sequence, date: httpDate.now, context: entry.context)
    }
}
