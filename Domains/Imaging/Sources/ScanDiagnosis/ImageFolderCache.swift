import Foundation
import LeptonCore
import LeptonIO

extension ImageFolder {
    /// ``load(source:classNames:resize:)`` through an on-disk ``DataCache``: a folder of scans is
    /// decoded once, then read back as one tensor while nothing under it changes (the key holds
    /// the entries of the folder, every PNG's path, size and modification time, the class names
    /// asked for and the resize).
    /// Manifests and list files are decoded every time (their referenced files are not fingerprinted).
    public static func load(source: String, classNames expected: [String]? = nil, resize: ScanResize? = nil,
                            cache: DataCache?) throws -> ImageFolder {
        var isDirectory: ObjCBool = false
        guard let cache, FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            return try load(source: source, classNames: expected, resize: resize)
        }
        // The class folders (an empty one must still be refused) and every PNG under them.
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []).sorted()
        let key = DataCache.key(["scan-folder-v2", URL(fileURLWithPath: source).standardizedFileURL.path, entries.joined(separator: "/"),
                                 DataCache.folderFingerprint(source, suffix: ".png"), (expected ?? []).joined(separator: "/"),
                                 resize.map { "\($0.width)x\($0.height)-\($0.fit.rawValue)" } ?? "as-is"])
        var decodeError: Error?
        let contents = try cache.contents(key: key) {
            do {
                return try load(source: source, classNames: expected, resize: resize).cacheContents()
            } catch {
                decodeError = error
                throw error
            }
        }
        if let decodeError { throw decodeError }
        return try ImageFolder(cached: contents, path: source)
    }

    /// The folder as model-file contents: the images and labels as tensors, names in the manifest.
    func cacheContents() throws -> ModelFileContents {
        var extra: [String: JSONValue] = ["paths": .array(paths.map { .string($0) }),
                                          "bitDepths": .object(bitDepthCounts.sorted { $0.key < $1.key }.map { ("\($0.key)", .int($0.value)) })]
        if let patients { extra["patients"] = .array(patients.map { .string($0) }) }
        let manifest = ModelManifest(kind: "data-cache", inputShape: Array(images.shape.dropFirst()), classNames: classNames, extra: extra)
        return ModelFileContents(manifest: manifest, tensors: [("images", images), ("labels", Tensor(shape: [labels.count], scalars: labels.map(Float.init)))])
    }

    /// The folder back from ``cacheContents()``, checked.
    init(cached contents: ModelFileContents, path: String) throws {
        let m = contents.manifest, byName = contents.tensorsByName
        guard let images = byName["images"], images.rank == 4, let labels = byName["labels"], labels.count == images.shape[0],
              let paths = m.extra["paths"]?.array?.compactMap(\.string), paths.count == labels.count,
              labels.scalars.allSatisfy({ $0 >= 0 && Int($0) < m.classNames.count }) else {
            throw DataError(file: path, message: "a cached decoding of this folder is inconsistent", hint: "delete the cache folder (\(DataCache.defaultDirectory)).")
        }
        var depths: [Int: Int] = [:]
        if case let .object(pairs)? = m.extra["bitDepths"] { for (k, v) in pairs { if let d = Int(k), let n = v.number { depths[d] = Int(n) } } }
        self.init(classNames: m.classNames, images: images, labels: labels.scalars.map { Int($0) }, paths: paths,
                  patients: m.extra["patients"]?.array?.compactMap(\.string), bitDepthCounts: depths)
    }
}
