#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors writing files.
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write (\(reason)). Hint: check free space and permissions on the folder." }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// A file written under a temporary name beside its target and renamed into place by
/// ``commit()``, after its bytes are flushed and fsynced. A run killed before `commit`
/// leaves at most a hidden `.NAME.tmp-*` file: never a partial file under the final name.
public final class AtomicFile {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var used = 0
    private var finished = false

    /// Creates the temporary file. Nothing appears under `path` until ``commit()``. Temporary
    /// files of `path` left by killed runs are removed first (``StaleTemporaryFiles``).
    public init(path: String) throws {
        self.path = path
        StaleTemporaryFiles.remove(besides: path)
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var random = SystemRandomNumberGenerator()
        temporaryPath = "\(folder)/.\(name).tmp-\(getpid())-\(String(random.next() & 0xFFFFFF, radix: 16))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        if !finished { abandon() }
        buffer.deallocate()
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        if used + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes.baseAddress!, bytes.count)
        } else {
            (UnsafeMutableRawPointer(buffer) + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            used += bytes.count
        }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(byte: UInt8) throws {
        if used == capacity { try flush() }
        buffer[used] = byte
        used += 1
    }

    /// Appends the bytes of the file at `source` from byte `offset` to its end, copied inside
    /// the kernel (`sendfile`; a read/write loop where that is unsupported), so joining
    /// large part files costs no trip through user space.
    public func append(contentsOf source: String, from offset: Int = 0) throws {
        precondition(!finished, "AtomicFile: append after commit or abandon")
        try flush()
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileWriteError(path: source, reason: "cannot read it: " + String(cString: strerror(errno))) }
        defer { close(input) }
        var position = off_t(offset)
        while true {
            let n = sendfile(fd, input, &position, 1 << 30)
            if n > 0 { continue }
            if n == 0 { return }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP { break }
            throw failure()
        }
        // Fallback: plain reads and writes from where the kernel copy stopped.
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = pread(input, chunk, 1 << 20, position)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError(path: source, reason: "cannot read it: " + String(cString: strerror(errno)))
            }
            if n == 0 { return }
            try writeAll(chunk, n)
            position += off_t(n)
        }
    }

    /// Flushes, fsyncs, renames into place and fsyncs the folder.
    public func commit() throws {
        precondition(!finished, "AtomicFile: commit after commit or abandon")
        try flush()
        guard fsync(fd) == 0 else { throw failure() }
        close(fd)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let error = failure()
            unlink(temporaryPath)
            throw error
        }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dirFD = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    /// Writes `bytes` to `path` atomically in one call: the whole file appears, or none of it.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
        let file = try AtomicFile(path: path)
        do {
            try Array(bytes).withUnsafeBytes { try file.write($0) }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Writes `text` (UTF-8) to `path` atomically in one call.
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Deletes the temporary file; the target is left as it was.
    public func abandon() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryPath)
    }

    private func flush() throws {
        if used > 0 { try writeAll(buffer, used) }
        used = 0
    }

    private func writeAll(_ pointer: UnsafeRawPointer, _ count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, pointer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            done += n
        }
    }

    private func failure() -> FileWriteError { FileWriteError(path: path, reason: String(cString: strerror(errno))) }
}
