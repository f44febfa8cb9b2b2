#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads to use — the project's one setting: `auto` means every core this machine
/// has online, everywhere (command lines' `--threads auto`, library defaults, the trainer).
///
/// Library APIs that take a plain `threads: Int` read 0 (their default) as `auto`; see
/// ``resolve(_:)``.
public enum ThreadCount: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Every online core.
    case auto
    /// Exactly this many (at least 1).
    case fixed(Int)

    /// The number of threads to start.
    public var resolved: Int {
        switch self {
        case let .fixed(n): return max(1, n)
        case .auto: return Self.onlineCores
        }
    }

    /// A plain count from a library API: n ≥ 1 as it is, 0 (or less) for ``auto``.
    public static func resolve(_ configured: Int) -> Int {
        configured >= 1 ? configured : ThreadCount.auto.resolved
    }

    /// The cores online on this machine (at least 1).
    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case let .fixed(n): return String(n)
        }
    }
}
