#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT and SIGTERM as a request to stop cleanly (for long-running commands such as
/// `score --follow`): after ``install()``, the signals set ``requested`` instead of ending the
/// process, and the command finishes its outputs and prints its counts.
public enum StopSignals {
    private static let flag = Atomic<Bool>(false)

    /// Whether SIGINT or SIGTERM arrived since ``install()``.
    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to ``requested``.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in StopSignals.flag.store(true, ordering: .relaxed) }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}
