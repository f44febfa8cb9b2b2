import CreditScoring
import Foundation
import LeptonCore
import LeptonIO
import LineQuality
import ScanDiagnosis

/// Targets for the binary and JSON formats and the expression language.
enum FuzzFormats {
    static func png(_ bytes: [UInt8]) {
        var options = PNGDecodeOptions()
        options.maxPixels = 4 << 20
        _ = try? PNG.decode(bytes, as: .gray, options: options)
        _ = try? PNG.decodeFloat(bytes, as: .rgb, options: options)
    }

    static func modelFile(_ bytes: [UInt8]) {
        let path = Scratch.write(bytes, name: "model.lepton")
        _ = try? ModelFile.read(path: path)
        _ = try? GBDTModel.read(path: path)
        if let (network, _) = try? NeuralNetwork.load(from: path), network.compression != nil {
            // A compressed network that loads must also run (int8 scales, decoded codebooks, sparse tensors).
            let shape = network.architecture.inputShape
            if shape.reduce(1, *) <= 4096 { _ = network.predict(Tensor(shape: [1] + shape)) }
        }
        _ = try? NeuralNetwork.loadEnsemble(from: path)
        _ = try? CreditModel.read(path: path)
        _ = try? FailureModelFile.read(path: path)
        _ = try? ScanModel.read(path: path)
    }

    static func creditSchema(_ bytes: [UInt8]) {
        _ = try? CreditSchema.read(path: Scratch.write(bytes, name: "schema.json"))
    }

    /// Parses the bytes as `NAME = EXPR` and evaluates what parses over three columns.
    static func expression(_ bytes: [UInt8]) {
        guard let expression = try? FeatureExpression(String(decoding: bytes, as: UTF8.self)) else { return }
        let header = ["a", "b", "Torque [Nm]"]
        guard (try? expression.check(against: header)) != nil else { return }
        let compiled = expression.compiled(slots: ["a": 0, "b": 1, "Torque [Nm]": 2])
        for values in [[1.0, 2.0, 3.0], [0, 0, 0], [-1e308, .infinity, .nan]] {
            _ = values.withUnsafeBufferPointer { compiled.evaluate($0) }
        }
    }

    /// A serving request body (``JSONDocument``, what `serve` parses first): never traps, and
    /// whatever parses, written back as JSON, parses to the same document.
    static func jsonRequest(_ bytes: [UInt8]) {
        guard let document = try? JSONDocument.parse(bytes, limits: .init(maxDepth: 16, maxMembers: 1_000)) else { return }
        guard let again = try? JSONDocument.parse(Array(written(document).utf8), limits: .init(maxDepth: 16, maxMembers: 1_000)), again == document else {
            disagree("a JSON request body does not survive being written back: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    }

    static func written(_ document: JSONDocument) -> String {
        switch document {
        case let .object(members): return "{" + members.map { JSONValue.quoted($0.0) + ":" + written($0.1) }.joined(separator: ",") + "}"
        case let .array(items): return "[" + items.map(written).joined(separator: ",") + "]"
        case let .string(s): return JSONValue.quoted(s)
        case let .number(n): return n
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}
