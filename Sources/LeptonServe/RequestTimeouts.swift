import Foundation

/// One request's time limit: when it passes, the watchdog marks it expired and calls what the
/// request is waiting on to interrupt it (stop reading the body, leave the scoring queue).
public final class RequestDeadline: @unchecked Sendable {
    let at: UInt64
    private let lock = NSLock()
    private var expired = false
    private var onExpiry: (@Sendable () -> Void)?

    init(at: UInt64) { self.at = at }

    /// Whether the time ran out.
    public var hasExpired: Bool { lock.withLock { expired } }

    /// Marks the deadline passed and interrupts what the request waits on — under the lock, so
    /// that `interruptible` cannot return (and free what `interrupt` touches) meanwhile.
    func expire() {
        lock.withLock {
            expired = true
            onExpiry?()
            onExpiry = nil
        }
    }

    /// Runs `body`; if the deadline passes meanwhile (or already has), `interrupt` is called once.
    /// `interrupt` is never called after `body` returns (both take the lock).
    public func interruptible<T>(_ interrupt: @escaping @Sendable () -> Void, _ body: () async -> T) async -> T {
        let already = lock.withLock { () -> Bool in
            if expired { return true }
            onExpiry = interrupt
            return false
        }
        if already { interrupt() }
        defer { lock.withLock { onExpiry = nil } }
        return await body()
    }
}

/// Per-request time limits without a timer per request: requests register a
/// ``RequestDeadline``; one watchdog thread, waking every 10 ms, expires those past due. (A
/// `Task.sleep` raced against each request costs a child task and a dispatch timer apiece — a
/// fifth of the throughput with a cheap model.) Cancelling the request's own task is not an
/// option: it is the connection's, and a cancelled connection cannot write its 504.
final class RequestTimeouts: @unchecked Sendable {
    private let lock = NSLock()
    private var deadlines: [ObjectIdentifier: RequestDeadline] = [:]
    private var stopped = false

    init() {
        let thread = Thread { [self] in
            while !lock.withLock({ stopped }) {
                usleep(10_000)
                expireDue()
            }
        }
        thread.name = "lepton-timeouts"
        thread.start()
    }

    /// Ends the watchdog thread.
    func stop() { lock.withLock { stopped = true } }

    /// Runs `body` with a deadline `seconds` from now.
    func within<T>(_ seconds: Double, _ body: (RequestDeadline) async -> T) async -> T {
        let deadline = RequestDeadline(at: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9))
        let key = ObjectIdentifier(deadline)
        lock.withLock { deadlines[key] = deadline }
        defer { _ = lock.withLock { deadlines.removeValue(forKey: key) } }
        return await body(deadline)
    }

    private func expireDue() {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lock.withLock { () -> [RequestDeadline] in
            let due = deadlines.values.filter { $0.at <= now }
            for d in due { deadlines.removeValue(forKey: ObjectIdentifier(d)) }
            return due
        }
        for d in due { d.expire() }
    }
}

/// A task handle the watchdog may cancel while the task is inside `interruptible` (it is
/// cleared before the task ends).
struct CancellableTask: @unchecked Sendable {
    let task: UnsafeCurrentTask
    func cancel() { task.cancel() }
}
