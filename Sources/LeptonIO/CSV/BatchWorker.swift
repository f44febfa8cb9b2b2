/// What a domain plugs into a batch job (LeptonCLI's `BatchJob`): a per-thread encoder that
/// turns each input record into output fields. One is made for each part of the input, so it
/// may keep state (buffers, counts) without locks.
public protocol BatchWorker: SendableMetatype {
    /// Appends the output fields of `row` to the (cleared) `line`, or throws a ``CSVRowError`` to
    /// reject the record with that message (whatever was appended is dropped).
    mutating func encode(_ row: CSVRow, into line: inout CSVLine) throws
    /// Counts this worker kept (unseen categories, values out of range), added up over the parts.
    var tallies: [BatchTally] { get }
}

/// A named count kept while processing records (e.g. `unseen_categories`).
public struct BatchTally: Sendable, Equatable {
    /// The count's name, as in `--json` summaries (`unseen_categories`).
    public var name: String
    public var count: Int

    public init(_ name: String, _ count: Int) {
        self.name = name
        self.count = count
    }
}

/// A ``BatchWorker`` that encodes records a block at a time — a model that scores eight rows at
/// once in SIMD lanes, or explains a block's alerts together. A batch job stages up to
/// ``blockCapacity`` records, then has the worker write their lines; ``BatchWorker/encode(_:into:)``
/// stays the one-record path (serving, `--follow`) and must write the same fields.
public protocol BlockBatchWorker: BatchWorker {
    /// Records staged before ``flush(into:_:)`` is called.
    var blockCapacity: Int { get }
    /// Keeps what the output needs of `row` (valid only during the call) as the next staged
    /// record, or throws a ``CSVRowError`` to reject it, staging nothing.
    mutating func stage(_ row: CSVRow) throws
    /// Writes every staged record's line, in the order staged, through `write` (using `line` as
    /// the buffer, cleared before each record) and empties the stage. It rejects nothing: a record
    /// is rejected when staged.
    mutating func flush(into line: inout CSVLine, _ write: (CSVLine) throws -> Void) throws
}
