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
