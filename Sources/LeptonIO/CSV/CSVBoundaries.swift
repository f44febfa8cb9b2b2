#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds record boundaries in a CSV file without parsing it: a record ends at a CR or LF
/// that lies outside quotes, and a byte lies inside quotes exactly when an odd number of
/// quote characters precede it (RFC 4180's doubled quotes keep the count even).
enum CSVBoundaries {
    /// The offset just after the first record terminator at or after `offset` that lies outside
    /// quotes, counting quotes from `from`; `fileSize` when there is none.
    static func recordStart(atOrAfter offset: Int, countingQuotesFrom from: Int, fd: Int32, fileSize: Int,
                            quote: UInt8 = UInt8(ascii: "\"")) -> Int {
        let chunk = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var insideQuotes = false
        // Parity of the quotes before `offset` (memchr skips quote-free stretches quickly).
        var position = from
        while position < offset {
            let n = pread(fd, buffer, min(chunk, offset - position), off_t(position))
            if n <= 0 { break }
            var p = UnsafeMutableRawPointer(buffer)
            var left = n
            while left > 0, let hit = memchr(p, Int32(quote), left) {
                insideQuotes.toggle()
                let advance = hit - p + 1
                p = hit + 1
                left -= advance
            }
            position += n
        }
        // Walk forward to the first terminator outside quotes.
        position = offset
        while position < fileSize {
            let n = pread(fd, buffer, min(chunk, fileSize - position), off_t(position))
            if n <= 0 { break }
            for i in 0..<n {
                let c = buffer[i]
                if c == quote { insideQuotes.toggle() } else if !insideQuotes && (c == 0x0A || c == 0x0D) {
                    return position + i + 1
                }
            }
            position += n
        }
        return fileSize
    }
}
