import CreditScoring
import Foundation
import LeptonCore
import LeptonIO
import LineQuality
import ScanDiagnosis

/// The fuzz targets, named after what they read. A target must never crash on any input; a
/// differential target (`…-vs-…`) also traps when two paths that must agree do not.
enum FuzzTarget: String, CaseIterable {
    /// The strict libcsv path of ``CSVReader`` (fast path off): every field as text and number.
    case csvLibcsv = "csv-libcsv"
    /// The fast tokenizer against libcsv on the same bytes: same rows, fields, numbers, problems.
    case csvFastVsLibcsv = "csv-fast-vs-libcsv"
    /// ``NumericTable`` in one part against three parts: same values, row counts and rejects.
    case csvNumericPartsVsOne = "csv-numeric-parts-vs-one"
    /// ``TabularTable`` (typed columns, categories) in one part against three.
    case csvTabularPartsVsOne = "csv-tabular-parts-vs-one"
    /// LeptonCLI's batch job on 3 threads (parts) against 1: the same files and counts.
    case batchPartsVsOne = "batch-parts-vs-one"
    /// The PNG decoder with a 4-megapixel limit, gray and RGB.
    case pngDecode = "png-decode"
    /// The model-file reader and every kind's loader (GBDT, network, credit, QC, scan).
    case modelFile = "model-file"
    /// The credit schema JSON.
    case creditSchemaJSON = "credit-schema-json"
    /// The QC feature-expression language: parse, compile, evaluate.
    case qcExpression = "qc-expression"
    /// A `serve` request body: the JSON parser with depth and member limits, round-tripped.
    case serveJSONRequest = "serve-json-request"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .csvLibcsv: _ = FuzzCSV.records(bytes, fastPath: false)
        case .csvFastVsLibcsv: FuzzCSV.fastAgreesWithLibcsv(bytes)
        case .csvNumericPartsVsOne: FuzzCSV.numericPartsAgree(bytes)
        case .csvTabularPartsVsOne: FuzzCSV.tabularPartsAgree(bytes)
        case .batchPartsVsOne: FuzzBatch.parallelAgreesWithSequential(bytes)
        case .pngDecode: FuzzFormats.png(bytes)
        case .modelFile: FuzzFormats.modelFile(bytes)
        case .creditSchemaJSON: FuzzFormats.creditSchema(bytes)
        case .qcExpression: FuzzFormats.expression(bytes)
        case .serveJSONRequest: FuzzFormats.jsonRequest(bytes)
        }
    }
}

/// One scratch file per process: the readers take paths.
enum Scratch {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "lepton-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes `bytes` to the scratch file `name` and returns its path.
    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "lepton-fuzz: cannot write \(path)")
        var done = 0
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "lepton-fuzz: write failed")
                done += n
            }
        }
        close(fd)
        return path
    }
}

/// Traps with a message: a differential finding.
func disagree(_ what: String) -> Never {
    FileHandle.standardError.write(Data("lepton-fuzz: \(what)\n".utf8))
    abort()
}
