/// A table of features for tabular models, stored column-major.
///
/// Every column is a `Float` column of ``rowCount`` values:
/// - a **numeric** column holds the value itself, `NaN` meaning *missing*;
/// - a **categorical** column holds a non-negative integer category code (0, 1, 2, …, ideally
///   dense) stored as a `Float`; `NaN` or a negative code means *missing*. Codes are exact up to
///   2²⁴; a fractional code is truncated toward zero.
///
/// Element `(row i, column j)` lives at `values[j · rowCount + i]`. The table is a plain value
/// (copy-on-write through its array), shared by gradient-boosted trees, logistic regression and
/// the domain loaders that fill it.
public struct FeatureColumns: Sendable, Equatable {
    /// How a column is interpreted.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// An ordered number; `NaN` is missing.
        case numeric
        /// An unordered integer code ≥ 0; `NaN` or a negative value is missing.
        case categorical
    }

    /// Number of rows.
    public let rowCount: Int
    /// Column names (`count == columnCount`).
    public let names: [String]
    /// Column kinds (`count == columnCount`).
    public let kinds: [Kind]
    /// The values, column-major: `values[j * rowCount + i]`.
    public private(set) var values: [Float]

    /// Number of columns.
    public var columnCount: Int { names.count }

    /// Creates a table from column-major values.
    /// - Precondition: `values.count == rowCount * names.count` and `kinds.count == names.count`.
    public init(columnMajor values: [Float], rowCount: Int, names: [String], kinds: [Kind]? = nil) {
        precondition(rowCount >= 0, "rowCount must be non-negative")
        precondition(values.count == rowCount * names.count,
                     "FeatureColumns: \(values.count) values for \(rowCount) rows × \(names.count) columns")
        let k = kinds ?? Array(repeating: .numeric, count: names.count)
        precondition(k.count == names.count, "FeatureColumns: \(k.count) kinds for \(names.count) columns")
        self.rowCount = rowCount
        self.names = names
        self.kinds = k
        self.values = values
    }

    /// Creates a table from one array per column (all of the same length). Names default to
    /// `f0, f1, …` and kinds to numeric.
    public init(columns: [[Float]], names: [String]? = nil, kinds: [Kind]? = nil) {
        let n = columns.first?.count ?? 0
        precondition(columns.allSatisfy { $0.count == n }, "FeatureColumns: columns of different lengths")
        let nm = names ?? columns.indices.map { "f\($0)" }
        self.init(columnMajor: columns.flatMap { $0 }, rowCount: n, names: nm, kinds: kinds)
    }

    /// Creates a table from rows (each of the same length); convenient for tests and small data.
    public init(rows: [[Float]], names: [String]? = nil, kinds: [Kind]? = nil) {
        let m = rows.first?.count ?? (names?.count ?? 0)
        precondition(rows.allSatisfy { $0.count == m }, "FeatureColumns: rows of different lengths")
        var v = [Float](repeating: 0, count: rows.count * m)
        for (i, r) in rows.enumerated() { for j in 0..<m { v[j * rows.count + i] = r[j] } }
        self.init(columnMajor: v, rowCount: rows.count, names: names ?? (0..<m).map { "f\($0)" }, kinds: kinds)
    }

    /// The value at `(row, column)`.
    public subscript(row: Int, column: Int) -> Float {
        get { values[column * rowCount + row] }
        set { values[column * rowCount + row] = newValue }
    }

    /// Column `j` as a slice of ``values``.
    public func column(_ j: Int) -> ArraySlice<Float> {
        values[(j * rowCount)..<((j + 1) * rowCount)]
    }

    /// Row `i` as a new array (one allocation: use for single rows, not in loops over many rows).
    public func row(_ i: Int) -> [Float] {
        (0..<columnCount).map { values[$0 * rowCount + i] }
    }

    /// A new table with the given rows, in the given order (indices may repeat).
    public func selecting(rows indices: [Int]) -> FeatureColumns {
        var v = [Float](repeating: 0, count: indices.count * columnCount)
        values.withUnsafeBufferPointer { src in
            v.withUnsafeMutableBufferPointer { dst in
                for j in 0..<columnCount {
                    let s = j * rowCount, d = j * indices.count
                    for (k, i) in indices.enumerated() { dst[d + k] = src[s + i] }
                }
            }
        }
        return FeatureColumns(columnMajor: v, rowCount: indices.count, names: names, kinds: kinds)
    }

    /// Calls `body` with the column-major values.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer(body)
    }
}
