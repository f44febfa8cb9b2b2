import Foundation
import LeptonIO

extension ImageFolder {
    /// Loads a CSV manifest with columns `path` and `label`, and optionally `patient_id`.
    ///
    /// Relative paths are taken from the manifest's folder. Class names are the distinct labels
    /// in sorted order (or `expected`, which must then hold every label). With `patient_id`,
    /// ``ScanTraining/split(_:seed:)`` and cross-validation keep each patient's scans on one side.
    /// A malformed row, an empty path or label, or a missing file is an error naming the row.
    public static func loadManifest(_ path: String, classNames expected: [String]? = nil, resize: ScanResize? = nil) throws -> ImageFolder {
        let reader = try CSVReader(path: path)
        func column(_ name: String) -> Int? { reader.columns.firstIndex(of: name) }
        guard let pathColumn = column("path"), let labelColumn = column("label") else {
            throw DataError(file: path, row: 1, message: "the manifest needs 'path' and 'label' columns (found \(reader.columns.joined(separator: ", ")))",
                            hint: "write a header line path,label[,patient_id].")
        }
        let patientColumn = column("patient_id")
        let folder = (path as NSString).deletingLastPathComponent
        var rows: [(path: String, label: String, patient: String?)] = []
        var failure: DataError?
        _ = try reader.forEachRow { row in
            guard failure == nil else { return }
            if let problem = row.problemError {
                failure = DataError(file: path, row: row.number, message: "\(problem)", hint: "fix the row's quoting or field count.")
                return
            }
            let file = (try? row.string(at: pathColumn)) ?? "", label = (try? row.string(at: labelColumn)) ?? ""
            guard !file.isEmpty, !label.isEmpty else {
                failure = DataError(file: path, row: row.number, field: file.isEmpty ? "path" : "label", message: "empty", hint: "every row needs an image path and a label.")
                return
            }
            let resolved = file.hasPrefix("/") || folder.isEmpty ? file : folder + "/" + file
            guard FileManager.default.fileExists(atPath: resolved) else {
                failure = DataError(file: path, row: row.number, field: "path", message: "\(resolved) does not exist",
                                    hint: "paths are relative to the manifest's folder; fix or remove the row.")
                return
            }
            rows.append((resolved, label, patientColumn.flatMap { try? row.string(at: $0) }))
        }
        if let failure { throw failure }
        guard !rows.isEmpty else { throw DataError(file: path, message: "the manifest lists no scans", hint: "add rows path,label.") }
        let found = Set(rows.map(\.label)).sorted()
        let classNames = expected ?? found
        if let expected, !Set(found).isSubset(of: Set(expected)) {
            throw ImageFolderError.classesDiffer(root: path, found: found, expected: expected)
        }
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        let patients: [String]? = patientColumn == nil ? nil : rows.enumerated().map { i, r in
            // A row without a patient id is its own patient.
            r.patient.flatMap { $0.isEmpty ? nil : $0 } ?? "row \(i)"
        }
        return try decode(rows.map { ($0.path, index[$0.label]!) }, classNames: classNames, patients: patients, resize: resize)
    }
}
