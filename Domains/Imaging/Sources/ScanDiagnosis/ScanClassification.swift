import Foundation
import LeptonCore
import LeptonIO

/// Where the scans to classify come from: every PNG under a folder (recursively, class subfolders
/// ignored), a list file (one path per line), or a CSV manifest with a `path` column.
public enum ScanSource {
    /// Calls `body` with each file `input` names, as it is found: in sorted order for a folder,
    /// in file order for a list or manifest. Nothing is collected first, so memory stays flat
    /// however many scans there are.
    public static func forEachFile(_ input: String, _ body: (String) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw DataError(file: input, message: "no such file or folder", hint: "give a folder of PNG scans, a list file or a CSV manifest.")
        }
        if isDirectory.boolValue {
            try FileWalk.forEachFile(under: input, suffix: ".png", body)
            return
        }
        let folder = (input as NSString).deletingLastPathComponent
        func resolved(_ path: String) -> String { path.hasPrefix("/") || folder.isEmpty ? path : folder + "/" + path }
        if input.lowercased().hasSuffix(".csv") {
            let reader = try CSVReader(path: input)
            guard let column = reader.columns.firstIndex(of: "path") else {
                throw DataError(file: input, row: 1, message: "the manifest has no 'path' column", hint: "name the column of image paths 'path'.")
            }
            _ = try reader.forEachRow { row in
                if row.problem == nil, let path = try? row.string(at: column), !path.isEmpty { try body(resolved(path)) }
            }
            return
        }
        try TextLines.forEach(path: input) { _, line in
            let path = line.trimmingCharacters(in: .whitespaces)
            if !path.isEmpty && !path.hasPrefix("#") { try body(resolved(path)) }
        }
    }

    /// The files `input` names (``forEachFile(_:_:)``), as a list.
    public static func files(_ input: String) throws -> [String] {
        var found: [String] = []
        try forEachFile(input) { found.append($0) }
        return found
    }

    /// A scan decoded to gray 0…1 at `width × height` (resized by area when its size differs), or the reason it cannot be used.
    public static func decode(_ path: String, to resize: ScanResize) -> Result<[Float], DataError> {
        do {
            let raster = resize.apply(try PNG.readFloat(path: path, as: .gray).raster)
            return .success(raster.pixels)
        } catch {
            return .failure(DataError(file: path, message: "\(error)", hint: "a PNG scan is needed"))
        }
    }
}

/// Batch classification: every scan read is either written (path, probability, decision) or
/// rejected (path, reason); decoding runs on every core, then the batch's inference.
public enum ScanClassification {
    public struct Summary: Sendable {
        public var read = 0
        public var written = 0
        public var rejected = 0
        public var flagged = 0
        public var seconds = 0.0
    }

    /// Classifies `files` into `output` (CSV: path, probability, decision, flag) and `rejects`, both atomic.
    /// With `saliency`, a saliency overlay (``SaliencyMethod``: Grad-CAM by default) is written there for every flagged scan.
    public static func run(model: ScanModel, files: [String], output: String, rejects: String, threads: Int,
                           batchSize: Int = 256, saliency: String? = nil, saliencyMethod: SaliencyMethod = .gradcam, progress: ((Int) -> Void)? = nil) throws -> Summary {
        try run(model: model, forEachFile: { body in try files.forEach(body) }, output: output, rejects: rejects, threads: threads,
                batchSize: batchSize, saliency: saliency, saliencyMethod: saliencyMethod, progress: progress)
    }

    /// Classifies the scans `input` names (a folder, a list file or a manifest, ``ScanSource``)
    /// as they are found, a batch at a time: memory stays flat for any number of scans.
    public static func run(model: ScanModel, input: String, output: String, rejects: String, threads: Int,
                           batchSize: Int = 256, saliency: String? = nil, saliencyMethod: SaliencyMethod = .gradcam, progress: ((Int) -> Void)? = nil) throws -> Summary {
        try run(model: model, forEachFile: { body in try ScanSource.forEachFile(input, body) }, output: output, rejects: rejects,
                threads: threads, batchSize: batchSize, saliency: saliency, saliencyMethod: saliencyMethod, progress: progress)
    }

    static func run(model: ScanModel, forEachFile: ((String) throws -> Void) throws -> Void, output: String, rejects: String, threads: Int,
                    batchSize: Int, saliency: String?, saliencyMethod: SaliencyMethod, progress: ((Int) -> Void)?) throws -> Summary {
        let started = Date()
        let out = try CSVWriter(path: output), rej = try CSVWriter(path: rejects)
        var summary = Summary()
        do {
            try out.writeRow(["path", "probability", "decision", "flag"])
            try rej.writeRow(["path", "reason"])
            if let saliency { try FileManager.default.createDirectory(atPath: saliency, withIntermediateDirectories: true) }
            let (w, h) = (model.spec.width, model.spec.height)
            let resize = model.spec.resize
            var batch: [String] = []
            batch.reserveCapacity(batchSize)
            // Pipelined: batch k+1 decodes in the background while batch k is classified and written.
            var pending: (paths: [String], decoding: Parallel.Background<[Result<[Float], DataError>]>)?
            func startDecoding() throws {
                let paths = batch
                batch.removeAll(keepingCapacity: true)
                let decoding = Parallel.Background { Parallel.map(paths.count, threads: threads) { ScanSource.decode(paths[$0], to: resize) } }
                if let previous = pending {
                    pending = (paths, decoding)
                    try classify(previous.paths, previous.decoding.value)
                } else {
                    pending = (paths, decoding)
                }
            }
            func classify(_ batch: [String], _ decoded: [Result<[Float], DataError>]) throws {
                var pixels: [Float] = [], kept: [String] = []
                pixels.reserveCapacity(batch.count * w * h)
                for (path, result) in zip(batch, decoded) {
                    switch result {
                    case let .success(p):
                        pixels += p
                        kept.append(path)
                    case let .failure(error):
                        try rej.writeRow([path, error.message])
                        summary.rejected += 1
                    }
                }
                summary.read += batch.count
                if !kept.isEmpty {
                    let probabilities = model.probabilities(Tensor(shape: [kept.count, 1, h, w], scalars: pixels))
                    for (k, (path, p)) in zip(kept, probabilities).enumerated() {
                        let answer = ScanInMemory.Answer(probability: p, model: model)
                        if !answer.flag.isEmpty {
                            summary.flagged += 1
                            if let saliency {
                                let image = Array(pixels[(k * w * h)..<((k + 1) * w * h)])
                                let name = (path as NSString).lastPathComponent.replacingOccurrences(of: ".png", with: "", options: .caseInsensitive)
                                try Saliency.writeOverlay(image: image, map: saliencyMethod.map(model: model, image: image), width: w, height: h,
                                                          to: "\(saliency)/\(String(format: "%06d", summary.written))-\(name)-saliency.png")
                            }
                        }
                        try out.writeRow([path, String(p), answer.decision, answer.flag])
                        summary.written += 1
                    }
                }
                progress?(summary.read)
            }
            try forEachFile { path in
                batch.append(path)
                if batch.count == batchSize { try startDecoding() }
            }
            if !batch.isEmpty { try startDecoding() }
            if let last = pending { try classify(last.paths, last.decoding.value) }
            try out.commit()
            try rej.commit()
        } catch {
            out.abandon()
            rej.abandon()
            throw error
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
