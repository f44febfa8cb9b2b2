import NIOCore

/// The requests one event loop answers inline in the current turn of the loop: scored together
/// once the loop has read everything that was ready (dynamic batching that never waits), then
/// answered in the order they arrived. One per event loop, used only on it.
///
/// The loop runs its queued tasks after it has handled every socket that was ready, so the
/// task this batch schedules for its first request runs once the turn's reads are done; the
/// requests those reads completed are in the batch by then.
final class LoopBatch {
    struct Entry {
        let request: InlineRequest
        let handler: InlineRequestHandler
        let context: ChannelHandlerContext
    }

    private let server: ScoringServer
    private let eventLoop: any EventLoop
    private var entries: [Entry] = []
    private var httpDate = HTTPDate()

    init(server: ScoringServer, eventLoop: any EventLoop) {
        self.server = server
        self.eventLoop = eventLoop
    }

    /// Queues a request whose body has arrived; it is answered at the end of this turn of the loop.
    func add(_ request: InlineRequest, handler: InlineRequestHandler, context: ChannelHandlerContext) {
        entries.append(Entry(request: request, handler: handler, context: context))
        if entries.count == 1 {
            eventLoop.assumeIsolated().execute { [self] in answerAll() }
        }
    }

    /// Answers every queued request: the health checks and refusals at once, the records of
    /// the score requests in batches of at most `--max-batch` records (a larger request whole),
    /// one model instance per batch.
    func answerAll() {
        let taken = entries
        entries = []
        var answers = [ServeAnswer?](repeating: nil, count: taken.count)
        var recordCounts = [Int](repeating: 0, count: taken.count)
        var toScore: [(index: Int, records: [any Sendable], single: Bool)] = []
        let model = server.model
        for (k, entry) in taken.enumerated() {
            let request = entry.request
            if let refusal = request.refusal {
                answers[k] = refusal
                continue
            }
            if let answer = server.immediateAnswer(method: request.method, path: request.path, authorization: request.authorization) {
                answers[k] = answer
                continue
            }
            switch server.decodeScoreBody(Array(request.body.readableBytesView), contentType: request.contentType, model: model) {
            case let .records(records, single):
                if records.isEmpty {
                    answers[k] = server.scoredAnswer([], single: single)
                } else {
                    toScore.append((k, records, single))
                }
            case let .refused(refusal): answers[k] = refusal
            }
        }
        var start = 0
        while start < toScore.count {
            var end = start + 1, count = toScore[start].records.count
            while end < toScore.count, count + toScore[end].records.count <= server.settings.batching.maxBatch {
                count += toScore[end].records.count
                end += 1
            }
            let outcomes = server.batcher.scoreNow(toScore[start..<end].flatMap(\.records), with: model)
            var offset = 0
            for item in toScore[start..<end] {
                answers[item.index] = server.scoredAnswer(Array(outcomes[offset..<(offset + item.records.count)]), single: item.single)
                recordCounts[item.index] = item.records.count
                offset += item.records.count
            }
            start = end
        }
        let date = httpDate.now
        for (k, entry) in taken.enumerated() {
            entry.handler.deliver(answers[k]!, records: recordCounts[k], for: entry.request, date: date, context: entry.context)
        }
    }
}
