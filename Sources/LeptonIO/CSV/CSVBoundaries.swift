#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds record boundaries in a CSV file without parsing it: a record ends at a CR or LF
/// that lies outside quotes, and a byte lies inside quotes exactly when an odd number of
/// quote characters precede it (RFC 4180's doubled quotes keep the count even).
enum CSVBoundaries {
    /// For each of the ascending `targets`, the offset just after the first record terminator
    /// at or after it that lies outside quotes (`fileSize` when there is none). One pass from
    /// `from`, carrying the quote parity forward, so N cuts cost one read of the file prefix.
    static func recordStarts(atOrAfter targets: [Int], countingQuotesFrom from: Int, fd: Int32, fileSize: Int,
                             quote: UInt8 = UInt8(ascii: "\"")) -> [Int] {
        let chunk = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var results: [Int] = []
        var insideQuotes = false
        var position = from
        var next = 0  // index of the target being looked for
        // Whether we are past targets[next] and looking for a terminator outside quotes.
        while next < targets.count && position < fileSize {
            let n = pread(fd, buffer, min(chunk, fileSize - position), off_t(position))
            if n <= 0 { break }
            var i = 0
            while i < n && next < targets.count {
                let target = targets[next]
                if position + i < target {
                    // Before the target: only the quote parity matters (memchr skips plain stretches).
                    let stop = min(n, target - position)
                    var p = UnsafeMutableRawPointer(buffer + i)
                    var left = stop - i
                    while left > 0, let hit = memchr(p, Int32(quote), left) {
                        insideQuotes.toggle()
                        let advance = hit - p + 1
                        p = hit + 1
                        left -= advance
                    }
                    i = stop
                    continue
                }
                let c = buffer[i]
                if c == quote {
                    insideQuotes.toggle()
                } else if !insideQuotes && (c == 0x0A || c == 0x0D) {
                    let start = position + i + 1
                    // Every target this terminator answers (targets closer than one record).
                    while next < targets.count && targets[next] <= position + i {
                        results.append(start)
                        next += 1
                    }
                }
                i += 1
            }
            position += n
        }
        while results.count < targets.count { results.append(fileSize) }
        return results
    }

    /// The offset just after the first record terminator at or after `offset` that lies
    /// outside quotes, counting quotes from `from`; `fileSize` when there is none.
    static func recordStart(atOrAfter offset: Int, countingQuotesFrom from: Int, fd: Int32, fileSize: Int,
                            quote: UInt8 = UInt8(ascii: "\"")) -> Int {
        recordStarts(atOrAfter: [offset], countingQuotesFrom: from, fd: fd, fileSize: fileSize, quote: quote)[0]
    }

    /// For each of `targets`, the offset just after the first CR or LF at or after it, quotes
    /// ignored (`fileSize` when there is none). Reads only around the targets. Such a cut is a
    /// record boundary exactly when an even number of quote characters precede it; a reader
    /// that uses it must check that (``CSVRangeReader/countQuotes``).
    static func lineStarts(atOrAfter targets: [Int], fd: Int32, fileSize: Int) -> [Int] {
        let window = 1 << 16
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: window)
        defer { buffer.deallocate() }
        return targets.map { target in
            var position = target
            while position < fileSize {
                let n = pread(fd, buffer, min(window, fileSize - position), off_t(position))
                if n <= 0 { break }
                for i in 0..<n where buffer[i] == 0x0A || buffer[i] == 0x0D { return position + i + 1 }
                position += n
            }
            return fileSize
        }
    }
}
