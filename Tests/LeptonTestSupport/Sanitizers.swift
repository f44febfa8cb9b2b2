#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs under AddressSanitizer or ThreadSanitizer (`make sanitize`): their
/// shadow memory and quarantine make resident-memory and timing assertions meaningless, so tests
/// of those skip themselves.
public enum Sanitizers {
    public static let active: Bool = {
        guard let process = dlopen(nil, RTLD_NOW) else { return false }
        defer { dlclose(process) }
        return dlsym(process, "__asan_init") != nil || dlsym(process, "__tsan_init") != nil
    }()
}
