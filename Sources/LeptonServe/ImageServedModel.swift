import Foundation
import LeptonIO

/// A served model for images (chest scans): the body is one PNG (`Content-Type: image/png`,
/// answered with one object) or a JSON array of base64-encoded PNGs (answered with a list in
/// request order). Decoding and classifying happen on the scoring threads, a batch at a time,
/// in the domain's `classify` — a PNG that does not decode is refused with 400, one over the
/// pixel limit with 422.
public final class ImageServedModel: ServedModel {
    public typealias Record = [UInt8]

    public let manifest: JSONValue
    public let version: String
    public let kind: String
    let classify: @Sendable ([[UInt8]]) -> [Result<JSONValue, ServeError>]

    public init(manifest: JSONValue, version: String, kind: String,
                classify: @escaping @Sendable ([[UInt8]]) -> [Result<JSONValue, ServeError>]) {
        self.manifest = manifest
        self.version = version
        self.kind = kind
        self.classify = classify
    }

    public func decode(_ body: ScoreRequestBody) throws(ServeError) -> DecodedRequest<[UInt8]> {
        if body.contentType == "application/json" || body.bytes.first == UInt8(ascii: "[") || body.bytes.first == UInt8(ascii: "\"") {
            return try decodeBase64List(body)
        }
        guard body.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw ServeError.badRequest("the body is neither a PNG nor a JSON list of base64 PNGs",
                                        hint: "send one PNG with Content-Type: image/png, or a JSON array of base64-encoded PNGs")
        }
        return DecodedRequest(records: [body.bytes], single: true)
    }

    func decodeBase64List(_ body: ScoreRequestBody) throws(ServeError) -> DecodedRequest<[UInt8]> {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(body.bytes, limits: .init(maxDepth: min(body.limits.maxDepth, 2), maxMembers: body.limits.maxRecords,
                                                                        maxValues: body.limits.maxRecords + 1))
        } catch {
            throw ServeError(status: error.kind == .tooManyMembers ? 413 : 400, "the body is not a JSON list of base64 PNGs: \(error)",
                             hint: "send a JSON array of base64-encoded PNG strings")
        }
        let (items, single): ([JSONDocument], Bool)
        switch document {
        case let .array(elements): (items, single) = (elements, false)
        case .string: (items, single) = ([document], true)
        default: throw ServeError.badRequest("the body is \(document.typeName); a JSON array of base64 PNG strings is needed")
        }
        var records: [[UInt8]] = []
        records.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            let label = single ? "" : "image \(k + 1): "
            guard case let .string(text) = item else {
                throw ServeError.badRequest("\(label)\(item.typeName), not a base64 string", field: single ? nil : "\(k + 1)")
            }
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw ServeError.badRequest("\(label)not valid base64", field: single ? nil : "\(k + 1)", hint: "encode each PNG's bytes with standard base64")
            }
            records.append([UInt8](data))
        }
        return DecodedRequest(records: records, single: single)
    }

    public func score(_ records: [[UInt8]]) -> [Result<JSONValue, ServeError>] { classify(records) }
}
