import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that a reader (or a crash) never sees a half-written file under the final
/// name: the bytes go to a temporary file beside the target, are flushed to disk (fsync), and
/// the temporary file is renamed over the target. LeptonCore keeps this small local helper so
/// it does not depend on LeptonIO.
enum AtomicWrite {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ModelFileError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let r = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if r < 0 {
                    if errno == EINTR { continue }
                    let message = String(cString: strerror(errno))
                    close(fd)
                    throw ModelFileError.io("cannot write \(temporary): \(message)")
                }
                written += r
            }
        }
        guard fsync(fd) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ModelFileError.io("cannot flush \(temporary): \(message)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw ModelFileError.io("cannot rename to \(path): \(String(cString: strerror(errno)))")
        }
        ok = true
    }
}
