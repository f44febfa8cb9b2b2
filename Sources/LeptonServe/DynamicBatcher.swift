import Foundation
import LeptonIO
import Synchronization

/// How the scoring server batches records across requests (see ``DynamicBatcher``).
public struct BatchingSettings: Sendable {
    /// Most records in one batch (a single larger request is still scored whole).
    public var maxBatch: Int
    /// Longest wait, after the oldest queued request arrived, for a batch to fill (seconds).
    public var maxWait: Double
    /// Scoring threads.
    public var threads: Int

    public init(maxBatch: Int, maxWait: Double, threads: Int) {
        self.maxBatch = max(1, maxBatch)
        self.maxWait = max(0, maxWait)
        self.threads = max(1, threads)
    }
}

/// Gathers the records of concurrent requests into batches and scores them on a few dedicated
/// threads, off the server's event loops.
///
/// A scoring thread takes what is queued, up to ``BatchingSettings/maxBatch`` records (always at least
/// one whole request). With ``BatchingSettings/maxWait`` above zero it first waits, at most that long
/// after the oldest queued request arrived, for the batch to fill: a little latency traded for
/// fewer, larger batches, which pays when scoring a batch costs much less per record than
/// scoring records one by one (a CNN). With zero it never waits, and batches form only from
/// requests that arrived while the threads were busy.
///
/// Requests decoded by different model instances (before and after a reload) are never mixed
/// in one batch. A request whose task is cancelled (its time limit passed) before its batch
/// starts is dropped from the queue unscored.
public final class DynamicBatcher<Model: ServedModel>: @unchecked Sendable {
    public typealias Outcome = Result<JSONValue, ServeError>

    public let settings: BatchingSettings
    /// Called with each batch's record count, on the scoring thread.
    let onBatch: @Sendable (Int) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Job] = []
    private var queuedRecords = 0
    private var stopping = false
    private var running = 0
    private var workers: [Thread] = []

    final class Job {
        let model: Model
        let records: [Model.Record]
        let completion: Completion
        let arrived: Date

        init(model: Model, records: [Model.Record], completion: Completion) {
            self.model = model
            self.records = records
            self.completion = completion
            arrived = Date()
        }
    }

    /// The one-time hand-over of a request's outcomes to its waiting task: resumed by its batch,
    /// or by cancellation, whichever comes first.
    final class Completion: Sendable {
        enum State {
            case waiting
            case suspended(CheckedContinuation<[Outcome]?, Never>)
            case finished
        }
        private let state = Mutex<State>(.waiting)

        /// Whether nobody has resumed it yet (a cancelled request is skipped).
        var isPending: Bool { state.withLock { if case .finished = $0 { return false }; return true } }

        func suspend(_ continuation: CheckedContinuation<[Outcome]?, Never>) {
            let resumeNow = state.withLock { s -> Bool in
                if case .finished = s { return true }
                s = .suspended(continuation)
                return false
            }
            if resumeNow { continuation.resume(returning: nil) }
        }

        /// Delivers `outcomes` (nil: cancelled) unless something was delivered already.
        func finish(_ outcomes: [Outcome]?) {
            let continuation = state.withLock { s -> CheckedContinuation<[Outcome]?, Never>? in
                switch s {
                case .finished: return nil
                case .waiting:
                    s = .finished
                    return nil
                case let .suspended(c):
                    s = .finished
                    return c
                }
            }
            continuation?.resume(returning: outcomes)
        }
    }

    public init(settings: BatchingSettings, onBatch: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.settings = settings
        self.onBatch = onBatch
        for k in 0..<settings.threads {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "lepton-score-\(k + 1)"
            workers.append(thread)
        }
        running = settings.threads
        workers.forEach { $0.start() }
    }

    /// Scores `records` with `model` in the next batch; nil when the calling task was cancelled
    /// before its batch finished.
    public func score(_ records: [Model.Record], with model: Model) async -> [Outcome]? {
        if records.isEmpty { return [] }
        let completion = Completion()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Outcome]?, Never>) in
                completion.suspend(continuation)
                enqueue(Job(model: model, records: records, completion: completion))
            }
        } onCancel: {
            completion.finish(nil)
        }
    }

    /// Scores what is queued, then stops the scoring threads (waits for them).
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.completion.finish(job.records.map { _ in .failure(ServeError(status: 503, "the server is shutting down", hint: "retry on another replica")) })
            return
        }
        queue.append(job)
        queuedRecords += job.records.count
        if settings.maxWait > 0 && queuedRecords >= settings.maxBatch { condition.broadcast() } else { condition.signal() }
        condition.unlock()
    }

    private func workerLoop() {
        while let batch = nextBatch() {
            let records = batch.flatMap(\.records)
            onBatch(records.count)
            let outcomes = batch[0].model.score(records)
            precondition(outcomes.count == records.count, "ServedModel.score returned \(outcomes.count) outcomes for \(records.count) records")
            var start = 0
            for job in batch {
                job.completion.finish(Array(outcomes[start..<(start + job.records.count)]))
                start += job.records.count
            }
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch to score, or nil when stopping with nothing queued.
    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            dropCancelled()
            while queue.isEmpty && !stopping {
                condition.wait()
                dropCancelled()
            }
            if queue.isEmpty { return nil }
            if settings.maxWait > 0 && !stopping {
                let deadline = queue[0].arrived.addingTimeInterval(settings.maxWait)
                while queuedRecords < settings.maxBatch && !stopping && Date() < deadline {
                    _ = condition.wait(until: deadline)
                }
                dropCancelled()
                if queue.isEmpty { continue }
            }
            let model = queue[0].model
            var taken = 0, count = 0
            while taken < queue.count, queue[taken].model === model,
                  taken == 0 || count + queue[taken].records.count <= settings.maxBatch {
                count += queue[taken].records.count
                taken += 1
            }
            let batch = Array(queue[..<taken])
            queue.removeFirst(taken)
            queuedRecords -= count
            return batch
        }
    }

    /// Removes requests nobody waits for any more (called with the lock held).
    private func dropCancelled() {
        guard queue.contains(where: { !$0.completion.isPending }) else { return }
        queue.removeAll { job in
            if job.completion.isPending { return false }
            queuedRecords -= job.records.count
            return true
        }
    }
}
