#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs under AddressSanitizer or ThreadSanitizer (`make sanitize`): their
/// shadow memory and quarantine make resident-memory and timing assertions meaningless, so tests
/// of those skip themselves.
public enum Sanitizers {
    public static let active: Bool = has("__asan_init") || has("__tsan_init")
    /// Whether this process runs under ThreadSanitizer.
    public static let thread: Bool = has("__tsan_init")

    private static func has(_ symbol: String) -> Bool {
        guard let process = dlopen(nil, RTLD_NOW) else { return false }
        defer { dlclose(process) }
        return dlsym(process, symbol) != nil
    }
}
