import Foundation
import LeptonCore
import LeptonIO

extension PartsData {
    /// ``load(path:target:positive:drop:derived:schema:textColumns:threads:)`` through an on-disk
    /// ``DataCache``: the parsed columns, derived features and labels of a per-part log are kept
    /// and read back as long as the file (path, size, modification time) and the settings (target,
    /// positive value, dropped columns, expressions, schema) are the same. A file with rejected rows
    /// is read every time (the rejects' messages are not cached), as is one read with text columns.
    public static func load(path: String, target: String?, positive: String?, drop: [String] = [], derived: [FeatureExpression] = [],
                            schema: FeatureSchema? = nil, threads: Int = ThreadCount.auto.resolved, cache: DataCache?) throws -> PartsData {
        var info = stat()
        guard let cache, stat(path, &info) == 0 else {
            return try load(path: path, target: target, positive: positive, drop: drop, derived: derived, schema: schema, threads: threads)
        }
        #if os(Linux)
        let time = info.st_mtim
        #else
        let time = info.st_mtimespec
        #endif
        let settings = (try? JSONValue.encoding(derived).text) ?? "", schemaText = (try? schema.map { try JSONValue.encoding($0).text }) ?? ""
        let key = DataCache.key(["parts-v1", URL(fileURLWithPath: path).standardizedFileURL.path, "\(info.st_size)", "\(time.tv_sec).\(time.tv_nsec)",
                                 target ?? "", positive ?? "", drop.joined(separator: "\u{1E}"), settings, schemaText])
        if let cached = cache.lookup(key: key), let data = try? PartsData(cached: cached, path: path) { return data }
        let t0 = SpeedMeter.now()
        let data = try load(path: path, target: target, positive: positive, drop: drop, derived: derived, schema: schema, threads: threads)
        if data.rejected.isEmpty { cache.store(key: key, try data.cacheContents(), buildSeconds: SpeedMeter.now() - t0) }
        return data
    }

    func cacheContents() throws -> ModelFileContents {
        let n = count
        let manifest = ModelManifest(kind: "data-cache", extra: ["schema": try JSONValue.encoding(schema), "rowsRead": .int(rowsRead),
                                                                  "nonFiniteDerived": .int(nonFiniteDerived)])
        return ModelFileContents(manifest: manifest, tensors: [("columns", Tensor(shape: [columns.count, n], scalars: columns.flatMap { $0 })),
                                                              ("labels", Tensor(shape: [labels.count], scalars: labels.map(Float.init)))])
    }

    init(cached contents: ModelFileContents, path: String) throws {
        let m = contents.manifest, byName = contents.tensorsByName
        guard let json = m.extra["schema"], let schema = try? json.decoding(FeatureSchema.self), let columns = byName["columns"],
              columns.rank == 2, columns.shape[0] == schema.names.count, let labels = byName["labels"],
              labels.count == 0 || labels.count == columns.shape[1] else {
            throw DataError(file: path, message: "a cached reading of this file is inconsistent", hint: "delete the cache folder (\(DataCache.defaultDirectory)).")
        }
        let n = columns.shape[1], values = columns.scalars
        self.init(schema: schema, columns: (0..<columns.shape[0]).map { Array(values[($0 * n)..<(($0 + 1) * n)]) },
                  labels: labels.scalars.map(Double.init), rowsRead: Int(m.extra["rowsRead"]?.number ?? Double(n)), rejected: [],
                  nonFiniteDerived: Int(m.extra["nonFiniteDerived"]?.number ?? 0))
    }
}
