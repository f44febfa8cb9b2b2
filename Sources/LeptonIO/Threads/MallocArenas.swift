/// glibc's malloc gives threads their own arenas and keeps what they free for reuse, so a
/// long job that starts threads batch after batch grows its resident memory with the number of
/// arenas, not with its data. A job whose threads allocate little in their hot loops caps them.
public enum MallocArenas {
    /// Caps the number of malloc arenas (glibc's `M_ARENA_MAX`) for the rest of the process;
    /// call it before starting threads. A no-op where malloc is not glibc's.
    public static func limit(to count: Int) {
        #if os(Linux)
        _ = glibcMallopt(-8, Int32(max(1, count)))  // M_ARENA_MAX in <malloc.h>, which Glibc's module does not export
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
