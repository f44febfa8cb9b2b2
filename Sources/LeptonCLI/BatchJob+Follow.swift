import Foundation
import LeptonIO
import Synchronization

/// Settings of a follow run (``BatchJob/follow(path:outputColumns:output:rejects:poll:idleSeconds:progress:shouldStop:makeWorker:)``).
public struct FollowSettings: Sendable {
    /// How often the log is checked for new lines.
    public var pollSeconds = 0.05
    /// Stop after this long without a new line (nil: run until stopped).
    public var idleSeconds: Double?
    /// The largest tolerated share of rejected records (reported as a batch job's, exit code 3 above it).
    public var maxRejectRate = 0.01
    /// A pending record longer than this without its end (a stray quote opened a field that never
    /// closes) is cut at its first line end and rejected, so one bad line cannot stall the log.
    public var maxPendingBytes = 1 << 20
    public init() {}
}

extension BatchJob {
    /// Follows a growing log like `tail -F`, encoding each complete record as it is appended: the
    /// alerts and rejects files are written as lines arrive (each poll's output is on disk before
    /// the next poll), so a reader sees every alert promptly.
    ///
    /// - A partial last line (no newline yet, or inside a quoted field) waits for the rest.
    /// - Truncation (the file got shorter than what was read) starts again at its beginning; rotation
    ///   (a new file under the name) is followed from the new file's beginning. Both are counted in
    ///   ``BatchSummary/tallies`` (`truncations`, `rotations`) and their new header is checked.
    /// - `shouldStop` is asked after every poll (SIGINT/SIGTERM in the executables); then the job
    ///   ends with its counts and both files complete. Memory stays flat: only the unfinished line is kept.
    ///
    /// The output files are not renamed into place (they grow while the job runs); row numbers
    /// count from the header of the file as it is now (after truncation or rotation, from 2 again).
    public static func follow<Worker: BatchWorker>(
        path: String, outputColumns: ([String]) -> [String], output: String, rejects rejectsPath: String? = nil, settings: FollowSettings = FollowSettings(),
        progress: Progress? = nil, shouldStop: () -> Bool, makeWorker: (_ header: [String]) throws -> Worker
    ) throws -> BatchSummary {
        let rejectsFile = rejectsPath ?? output + ".rejects.csv"
        let out = try AppendingFile(path: output), rej = try AppendingFile(path: rejectsFile)
        var summary = BatchSummary(read: 0, written: 0, rejected: 0, outputPath: output, rejectsPath: rejectsFile, shard: nil,
                                   maxRejectRate: settings.maxRejectRate)
        var truncations = 0, rotations = 0
        var header: [String]?
        var worker: Worker?
        var reader: CSVReader?
        var identity: (device: UInt64, inode: UInt64)?
        var offset = 0, rowNumber = 1
        var lastData = Date()
        var line = CSVLine()
        defer { line.deallocate() }
        while true {
            // The file as it is now: wait for it to exist with a whole header line.
            if let info = FileStatus(path: path) {
                if let known = identity, known != info.identity {
                    rotations += 1
                    (reader, offset, identity) = (nil, 0, info.identity)
                } else if reader != nil, info.size < offset {
                    truncations += 1
                    (reader, offset) = (nil, 0)
                }
                if reader == nil, info.size > 0, let opened = try? CSVReader(path: path), opened.dataStart > 0 || opened.fileSize > 0,
                   headerComplete(path: path) {
                    if let header, header != opened.columns {
                        throw DataError(file: path, row: 1, message: "the log's header changed after a truncation or rotation (now: \(opened.columns.joined(separator: ",")))",
                                        hint: "follow one kind of log per run.")
                    }
                    if header == nil {
                        header = opened.columns
                        worker = try makeWorker(opened.columns)
                        try out.write(CSVLine.text(outputColumns(opened.columns)))
                        try rej.write(CSVLine.text(opened.columns + rejectColumnNames(opened.columns)))
                    }
                    (reader, identity, offset, rowNumber) = (opened, info.identity, opened.dataStart, 2)
                }
                if let current = reader, info.size > offset {
                    var end = completeRecordsEnd(path: path, from: offset, to: info.size)
                    if end == offset, info.size - offset > settings.maxPendingBytes {
                        end = firstLineEnd(path: path, from: offset, to: info.size)  // cut the runaway record; it is rejected as malformed
                    }
                    if end > offset {
                        try current.forEachRow(in: offset..<end, firstNumber: rowNumber) { row in
                            summary.read += 1
                            rowNumber += 1
                            if let problem = row.problem {
                                try rej.write(CSVLine.text(shaped(row.rawFields, columns: current.columns.count, delimiter: ",") + [String(row.number), "malformed record: \(problem)"]))
                                summary.rejected += 1
                                return
                            }
                            line.clear()
                            do {
                                try worker!.encode(row, into: &line)
                                try out.write(line.bytes)
                                try out.write([0x0A])
                                summary.written += 1
                            } catch let error as CSVRowError {
                                try rej.write(CSVLine.text(shaped(row.rawFields, columns: current.columns.count, delimiter: ",") + [String(row.number), reasonText(error)]))
                                summary.rejected += 1
                            }
                        }
                        offset = end
                        lastData = Date()
                        progress?.update(items: summary.read)
                    }
                }
            }
            if shouldStop() { break }
            if let idle = settings.idleSeconds, Date().timeIntervalSince(lastData) >= idle { break }
            usleep(useconds_t(settings.pollSeconds * 1e6))
        }
        if header == nil { try out.write(CSVLine.text(outputColumns([]))) }  // the log never appeared
        try out.close()
        try rej.close()
        progress?.finish()
        summary.tallies = (worker?.tallies ?? []) + [BatchTally("truncations", truncations), BatchTally("rotations", rotations)]
        return summary
    }

    /// Whether the file's first line has ended (the header is whole).
    static func headerComplete(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let start = handle.readData(ofLength: 1 << 16)
        return start.contains(0x0A) || start.contains(0x0D)
    }

    /// The offset just after the first line end in `from..<to` (`to` when there is none).
    static func firstLineEnd(path: String, from: Int, to: Int) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return to }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(from))
        let chunk = handle.readData(ofLength: to - from)
        return chunk.firstIndex(of: 0x0A).map { from + ($0 - chunk.startIndex) + 1 } ?? to
    }

    /// The end of the last complete record in bytes `from..<to` (a record ends at a line break
    /// outside quotes; `from` is a record start), or `from` when no record is complete yet.
    static func completeRecordsEnd(path: String, from: Int, to: Int) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return from }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(from))
        var insideQuotes = false, position = from, end = from
        while position < to {
            let chunk = handle.readData(ofLength: min(1 << 20, to - position))
            if chunk.isEmpty { break }
            for byte in chunk {
                position += 1
                if byte == 0x22 { insideQuotes.toggle() } else if byte == 0x0A && !insideQuotes { end = position }
            }
        }
        return end
    }
}

/// A file written as it goes (for follow mode, where outputs must be visible while they grow).
final class AppendingFile {
    let path: String
    private let fd: Int32
    private var closed = false

    deinit {
        if !closed { Glibc.close(fd) }  // an error ended the job: the descriptor still goes
    }

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        try Array(bytes).withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
                done += n
            }
        }
    }

    func close() throws {
        closed = true
        guard fsync(fd) == 0, Glibc.close(fd) == 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }
}

/// A file's size and identity (device and inode), to tell truncation from rotation.
struct FileStatus {
    let size: Int
    let identity: (device: UInt64, inode: UInt64)

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        size = Int(info.st_size)
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}

extension CSVLine {
    /// `fields` as one CSV line with its line end, quoted where needed.
    static func text(_ fields: [String]) -> [UInt8] {
        var line = CSVLine()
        defer { line.deallocate() }
        for field in fields { line.appendField(field) }
        return Array(line.bytes) + [0x0A]
    }
}
