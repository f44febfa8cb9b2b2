#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a few long tasks on their own threads, waiting for them in the kernel.
///
/// For a handful of coarse tasks (the parts of a file, one per core) this avoids what
/// `DispatchQueue.concurrentPerform` costs around them on a loaded machine: its pool threads
/// spin with `sched_yield` while they wait for work or for each other (thousands of calls per
/// run), taking CPU from the work itself. Each call creates `count − 1` threads (tens of
/// microseconds) and runs task 0 on the calling thread.
public enum Parallel {
    /// Calls `body(k)` for k in 0..<count, concurrently, and returns when all are done.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        var threads: [pthread_t] = []
        for k in 1..<count {
            var thread = pthread_t()
            if start(Task { body(k) }, thread: &thread) { threads.append(thread) }
        }
        body(0)
        for thread in threads { pthread_join(thread, nil) }
    }

    /// A value computed on its own thread while the caller goes on; ``value`` waits for it.
    public final class Background<Value: Sendable>: @unchecked Sendable {  // `result` is written before the join, read after.
        private final class Result: @unchecked Sendable {
            var value: Value?
        }
        private let result = Result()
        private var thread = pthread_t()
        private var running = false

        public init(_ compute: @escaping @Sendable () -> Value) {
            let result = self.result
            running = Parallel.start(Task { result.value = compute() }, thread: &thread)
        }

        /// Joins the thread when nobody asked for the value (say the caller threw first).
        deinit {
            if running { pthread_join(thread, nil) }
        }

        /// The value, once computed (the first call joins the thread). Read it from one thread.
        public var value: Value {
            if running {
                pthread_join(thread, nil)
                running = false
            }
            return result.value!
        }
    }

    /// Starts `task` on a new thread (true), or runs it here when no thread can be had (false).
    private static func start(_ task: Task, thread: inout pthread_t) -> Bool {
        let context = Unmanaged.passRetained(task).toOpaque()
        if pthread_create(&thread, nil, { context in
            Unmanaged<Task>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context) == 0 {
            return true
        }
        Unmanaged<Task>.fromOpaque(context).takeRetainedValue().run()
        return false
    }

    private final class Task {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
}
