import Dispatch
import Foundation
import LeptonIO

extension BatchJob {
    /// Runs a streaming batch job on `threads` threads: the input (or its shard) is cut into
    /// parts at record boundaries, each part is encoded by its own worker into hidden part files
    /// beside the output, and the parts are joined in order into the output and rejects files,
    /// which appear atomically, as one sequential job would write them.
    ///
    /// - Same bytes as a sequential run: rejects keep the whole file's row numbers (each part
    ///   numbers from 1 and the join adds the rows of the parts before it); with
    ///   `firstFieldIsRowNumber` (outputs whose first column is the row number, for inputs
    ///   without an ID column) that field is shifted the same way.
    /// - Malformed quoting can run a record across a cut; then the parted result is dropped and
    ///   the input read again in one piece (``BatchSummary/rereadInOnePiece``).
    /// - An input (or shard) with less than ``BatchConfiguration/minimumPartBytes`` of data runs on one thread.
    /// - Shards: shard K of N is exactly parts (K−1)·T+1 … K·T of N·T (the cuts fall at the same bytes).
    /// - A worker that is a ``BlockBatchWorker`` is run a block at a time, with the same files.
    public static func run<Worker: BatchWorker>(
        input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, threads: Int,
        firstFieldIsRowNumber: Bool = false, progress: Progress? = nil, makeWorker: @escaping @Sendable () throws -> Worker
    ) throws -> BatchSummary {
        try runInParts(input: input, configuration: configuration, threads: threads, firstFieldIsRowNumber: firstFieldIsRowNumber,
                       progress: progress) { config, progress in
            var worker = try makeWorker()
            // A block worker is found at run time, so callers generic over `BatchWorker` get its path too.
            if let blockWorker = worker as? any BlockBatchWorker {
                return try runBlocks(blockWorker, input: input, outputColumns: outputColumns, configuration: config, progress: progress)
            }
            var summary = try run(input: input, outputColumns: outputColumns, configuration: config, progress: progress) { row, line in
                try worker.encode(row, into: &line)
            }
            summary.tallies = worker.tallies
            return summary
        }
    }

    /// One part run a block at a time (``run(input:outputColumns:configuration:progress:capacity:stage:flush:)``);
    /// files, counts and bytes are the record-at-a-time run's.
    private static func runBlocks<Worker: BlockBatchWorker>(
        _ worker: Worker, input: CSVReader, outputColumns: [String], configuration: BatchConfiguration, progress: Progress?
    ) throws -> BatchSummary {
        var worker = worker
        var summary = try run(input: input, outputColumns: outputColumns, configuration: configuration, progress: progress,
                              capacity: worker.blockCapacity) { row in
            try worker.stage(row)
        } flush: { line, write in
            try worker.flush(into: &line, write)
        }
        summary.tallies = worker.tallies
        return summary
    }

    /// Cuts the input (or its shard) into parts, runs `job` on each with its own files, and joins
    /// them (see ``run(input:outputColumns:configuration:threads:firstFieldIsRowNumber:progress:makeWorker:)``).
    private static func runInParts(
        input: CSVReader, configuration: BatchConfiguration, threads: Int, firstFieldIsRowNumber: Bool, progress: Progress?,
        job: @escaping @Sendable (BatchConfiguration, Progress?) throws -> BatchSummary
    ) throws -> BatchSummary {
        try checkDistinctFiles(input: input, configuration: configuration)
        let shard = try configuration.shard ?? Shard(index: 1, count: 1)
        let dataBytes = (input.fileSize - input.dataStart) / shard.count
        let parts = threads > 1 && dataBytes >= configuration.minimumPartBytes ? threads : 1
        guard parts > 1 else { return try job(configuration, progress) }

        let files = PartFiles(output: configuration.outputPath, count: parts)
        defer { files.remove() }
        // The file row of the shard's first record: counted once, before the parts start, and
        // only for a shard K > 1 (the records before it are tokenised, not processed).
        let (_, firstRow) = try shardRange(input, configuration.shard, numbering: configuration.rowNumbering)
        let read = try input.readInParts(first: .quoteAware, ranges: { cuts in
            cuts == .whole ? [input.dataStart..<input.fileSize]  // stands for the shard: read by `job` below
                : Array(input.parts(shard.count * parts)[((shard.index - 1) * parts)..<(shard.index * parts)])
        }) { ranges, _ -> [PartJob] in
            // In one piece: straight into the final files, as a sequential job.
            guard ranges.count > 1 else { return [PartJob(summary: try job(configuration, progress))] }
            let partProgress = progress?.parts(weights: ranges.map { Double($0.count) })
            return try Parallel.map(ranges.count, threads: ranges.count) { p in
                var config = configuration
                config.outputPath = files.outputs[p]
                config.rejectsPath = files.rejects[p]
                config.byteRange = ranges[p]
                // The first part numbers its records as in the file; the others from 1, and the
                // join adds their offsets, so no part re-reads the records before it.
                config.rowNumbering = p == 0 ? .from(firstRow) : .withinShard
                return PartJob(summary: try job(config, partProgress?[p]))
            }
        }
        let summaries = read.parts.map(\.summary)
        guard summaries.count > 1 else {
            var summary = summaries[0]
            summary.rereadInOnePiece = true
            return summary
        }
        var offsets = [0]
        var before = firstRow - 1 + summaries[0].read
        for summary in summaries.dropFirst() {
            offsets.append(before)
            before += summary.read
        }
        try input.checkUnchanged()
        try files.join(into: configuration.outputPath, rejects: configuration.resolvedRejectsPath, offsets: offsets,
                       shiftFirstField: firstFieldIsRowNumber)
        progress?.finish()
        var total = summaries[0]
        total.read = summaries.reduce(0) { $0 + $1.read }
        total.written = summaries.reduce(0) { $0 + $1.written }
        total.rejected = summaries.reduce(0) { $0 + $1.rejected }
        total.outputPath = configuration.outputPath
        total.rejectsPath = configuration.resolvedRejectsPath
        total.shard = configuration.shard
        total.parts = summaries.count
        total.tallies = summedTallies(summaries.map(\.tallies))
        return total
    }

    /// Tallies added up by name, in order of first appearance.
    static func summedTallies(_ lists: [[BatchTally]]) -> [BatchTally] {
        var result: [BatchTally] = []
        for list in lists {
            for tally in list {
                if let k = result.firstIndex(where: { $0.name == tally.name }) { result[k].count += tally.count } else { result.append(tally) }
            }
        }
        return result
    }
}

/// One part's finished job.
struct PartJob: CSVPartResult, Sendable {
    var summary: BatchSummary
    var endedBetweenRecords: Bool { summary.endedBetweenRecords }
    var quotes: Int { 0 }
}
