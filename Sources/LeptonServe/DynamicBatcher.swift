import Dispatch
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
/// requests that arrived while the threads were busy. A thread stops waiting early when no
/// request is on its way (every request the server is reading is already queued).
///
/// Requests decoded by different model instances (before and after a reload) are never mixed
/// in one batch. A request whose task is cancelled (its time limit passed) before its batch
/// starts is dropped from the queue unscored.
public final class DynamicBatcher: @unchecked Sendable {
    public typealias Outcome = Result<JSONValue, ServeError>

    public let settings: BatchingSettings
    /// Called with each batch's record count, on the scoring thread.
    let onBatch: @Sendable (Int) -> Void
    /// Requests the server has started reading and not yet queued (see ``arrivalStarted()``).
    private let arriving = Atomic<Int>(0)
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Job] = []
    private var queuedRecords = 0
    private var stopping = false
    private var running = 0
    /// Requests scoring batches themselves (no waiting: ``score(_:with:)``).
    private var leaders = 0
    private var workers: [Thread] = []
    /// Batches being scored at once, by this batcher's threads and by ``scoreNow(_:with:)``
    /// together: at most ``BatchingSettings/threads`` (a network is not re-entrant).
    private let slots: DispatchSemaphore

    final class Job {
        let model: AnyServedModel
        let records: [any Sendable]
        let completion: Completion
        let arrived: Date

        init(model: AnyServedModel, records: [any Sendable], completion: Completion) {
            self.model = model
            self.records = records
            self.completion = completion
            arrived = Date()
        }
    }

    /// The one-time hand-over of a request's outcomes to its waiting task: delivered by its
    /// batch or by cancellation, whichever comes first, before or after the task suspends.
    final class Completion: @unchecked Sendable {  // `state` only under `lock`
        enum State {
            case waiting
            case suspended(CheckedContinuation<[Outcome]?, Never>)
            case delivered([Outcome]?)
            case finished
        }
        private let lock = Lock()
        private var _state = State.waiting
        private var state: StateAccess { StateAccess(completion: self) }

        /// `withLock` over the state, shaped like `Mutex`'s.
        struct StateAccess {
            let completion: Completion
            func withLock<T>(_ body: (inout State) -> T) -> T {
                completion.lock.withLock { body(&completion._state) }
            }
        }

        /// Whether nothing was delivered yet (a cancelled request is skipped).
        var isPending: Bool {
            state.withLock {
                switch $0 {
                case .waiting, .suspended: return true
                case .delivered, .finished: return false
                }
            }
        }

        func suspend(_ continuation: CheckedContinuation<[Outcome]?, Never>) {
            let ready = state.withLock { s -> [Outcome]?? in
                if case let .delivered(outcomes) = s {
                    s = .finished
                    return .some(outcomes)
                }
                s = .suspended(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }

        /// Delivers `outcomes` (nil: cancelled) unless something was delivered already.
        func finish(_ outcomes: [Outcome]?) {
            let continuation = state.withLock { s -> CheckedContinuation<[Outcome]?, Never>? in
                switch s {
                case .delivered, .finished: return nil
                case .waiting:
                    s = .delivered(outcomes)
                    return nil
                case let .suspended(c):
                    s = .finished
                    return c
                }
            }
            continuation?.resume(returning: outcomes)
        }

        /// Waits for the delivery; cancellation of the waiting task delivers nil.
        func wait() async -> [Outcome]? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { suspend($0) }
            } onCancel: {
                finish(nil)
            }
        }
    }

    public init(settings: BatchingSettings, onBatch: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.settings = settings
        self.onBatch = onBatch
        slots = DispatchSemaphore(value: settings.threads)
        guard settings.maxWait > 0 else { return }  // no waiting: requests score their batches themselves
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
    ///
    /// With ``BatchingSettings/maxWait`` zero there are no scoring threads: the first request to
    /// find fewer than ``BatchingSettings/threads`` requests scoring becomes a leader and scores
    /// batches of whatever is queued on its own thread (flat combining), until its own records
    /// are scored; what is still queued then goes on in a new task, so a leader's answer never
    /// waits for others' work. No thread hand-over for a lone request, and batches still form
    /// under load. (For cheap models only: a batch runs on one of the server's task threads.)
    /// A passing `deadline` takes the request out of the queue (nil).
    /// With `endsArrival`, the request's ``arrivalStarted()`` is ended once it is queued.
    public func score(_ records: [any Sendable], with model: AnyServedModel, deadline: RequestDeadline? = nil,
                      endsArrival: Bool = false) async -> [Outcome]? {
        if records.isEmpty {
            if endsArrival { arrivalEnded() }
            return []
        }
        let completion = Completion()
        let leads = enqueue(Job(model: model, records: records, completion: completion), endsArrival: endsArrival)
        if leads { lead(until: completion) }
        guard let deadline else { return await completion.wait() }
        return await deadline.interruptible({ completion.finish(nil) }) { await completion.wait() }
    }

    /// Scores queued batches on the calling thread until `own` is delivered (then hands what is
    /// left to a new task) or the queue is empty.
    private func lead(until own: Completion?) {
        while let batch = nextBatchToLead() {
            run(batch)
            if let own, !own.isPending {
                Task { self.lead(until: nil) }  // still a leader: it carries on in a task of its own
                return
            }
        }
    }

    private func nextBatchToLead() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        dropCancelled()
        guard !queue.isEmpty else {
            leaders -= 1
            condition.broadcast()
            return nil
        }
        return takeBatch()
    }

    /// A request started arriving: a batch waiting to fill may get its records. Pair with
    /// ``arrivalEnded()`` when it is queued or refused.
    public func arrivalStarted() { arriving.add(1, ordering: .relaxed) }

    /// See ``arrivalStarted()``.
    public func arrivalEnded() { arriving.subtract(1, ordering: .relaxed) }

    /// Scores what is queued, then stops the scoring threads (waits for them).
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 || leaders > 0 { condition.wait() }
        condition.unlock()
    }

    /// Queues `job`; whether the caller is to lead (score batches itself, no scoring threads).
    private func enqueue(_ job: Job, endsArrival: Bool) -> Bool {
        condition.lock()
        defer {
            if endsArrival { arriving.subtract(1, ordering: .relaxed) }
            condition.unlock()
        }
        if stopping {
            job.completion.finish(job.records.map { _ in .failure(ServeError(status: 503, "the server is shutting down", hint: "retry on another replica")) })
            return false
        }
        queue.append(job)
        queuedRecords += job.records.count
        if settings.maxWait == 0 {
            guard leaders < settings.threads else { return false }
            leaders += 1
            return true
        }
        if queuedRecords >= settings.maxBatch { condition.broadcast() } else { condition.signal() }
        return false
    }

    /// Scores `records` as one batch on the calling thread, now (waiting only for a scoring
    /// slot): the inline path's batches (``LoopBatch``), which share the slots with the queue's.
    func scoreNow(_ records: [any Sendable], with model: AnyServedModel) -> [Outcome] {
        slots.wait()
        return scoreHoldingSlot(records, with: model)
    }

    /// ``scoreNow(_:with:)`` when a scoring slot is free right now; nil (nothing scored) when
    /// every slot is busy — the event loops do not wait for one.
    func scoreNowIfFree(_ records: [any Sendable], with model: AnyServedModel) -> [Outcome]? {
        guard slots.wait(timeout: .now()) == .success else { return nil }
        return scoreHoldingSlot(records, with: model)
    }

    /// Scores `records` in the slot the caller took, then gives the slot back.
    private func scoreHoldingSlot(_ records: [any Sendable], with model: AnyServedModel) -> [Outcome] {
        onBatch(records.count)
        let outcomes = model.score(records)
        slots.signal()
        precondition(outcomes.count == records.count, "ServedModel.score returned \(outcomes.count) outcomes for \(records.count) records")
        return outcomes
    }

    /// Scores one batch and delivers each request's outcomes.
    private func run(_ batch: [Job]) {
        let outcomes = scoreNow(batch.flatMap(\.records), with: batch[0].model)
        var start = 0
        for job in batch {
            job.completion.finish(Array(outcomes[start..<(start + job.records.count)]))
            start += job.records.count
        }
    }

    private func workerLoop() {
        while let batch = nextBatch() { run(batch) }
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
                // Waiting pays only while requests are arriving: once every request the server has
                // started reading is queued, nobody else can join this batch.
                let deadline = queue[0].arrived.addingTimeInterval(settings.maxWait)
                while queuedRecords < settings.maxBatch && !stopping && Date() < deadline && arriving.load(ordering: .relaxed) > 0 {
                    _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.0005)))
                }
                dropCancelled()
                if queue.isEmpty { continue }
            }
            return takeBatch()
        }
    }

    /// The queue's first requests of one model instance, up to `maxBatch` records (at least one
    /// request), removed from the queue (called with the lock held, the queue not empty).
    private func takeBatch() -> [Job] {
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
