#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CSVReader {
    /// Throws ``DataError`` when the file's size is no longer what it was when opened: it grew
    /// or was truncated while being read, so what was read mixes two states of it. (A rewrite
    /// to the same size is not seen.) Batch jobs call it before committing their outputs.
    public func checkUnchanged() throws {
        guard let now = currentSize(), now != fileSize else { return }
        throw DataError(file: context.path, message: "the file changed while it was read (\(fileSize) bytes when opened, \(now) now)",
                        hint: "score a complete file (copy it first); follow a growing log with --follow where the command has it.")
    }
}
