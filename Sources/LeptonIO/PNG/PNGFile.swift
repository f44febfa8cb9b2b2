#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PNG {
    /// The whole content of the file at `path`, refusing files over `maxBytes` before reading.
    /// - Throws: ``PNGError/cannotOpen(path:reason:)``, ``PNGError/fileTooLarge(path:bytes:limit:)``,
    ///   ``PNGError/readFailed(path:reason:)``.
    public static func readBytes(path: String, maxBytes: Int) throws(PNGError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .readFailed(path: path, reason: String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .readFailed(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        guard size <= maxBytes else { throw .fileTooLarge(path: path, bytes: size, limit: maxBytes) }
        // An empty file: no array through `unsafeUninitializedCapacity: 0`, which writes the
        // storage every empty array shares (see `Array(writingEvery:_:)`).
        guard size > 0 else { return [] }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // Safe: read() writes at most `size - initialized` bytes at buffer + initialized,
            // inside the capacity; only bytes read count as initialized.
            while initialized < size {
                let n = Glibc.read(fd, buffer.baseAddress! + initialized, size - initialized)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; return }
                if n == 0 { return } // the file shrank while being read
                initialized += n
            }
        }
        if failure != 0 { throw .readFailed(path: path, reason: String(cString: strerror(failure))) }
        guard bytes.count == size else {
            throw .readFailed(path: path, reason: "the file shrank from \(size) to \(bytes.count) bytes while being read")
        }
        return bytes
    }
}
