import Foundation
import LeptonCore
import LeptonIO

/// Why a folder-per-class image tree could not be loaded. Every case names the folder or file.
public enum ImageFolderError: Error, CustomStringConvertible {
    case notADirectory(String)
    case noClasses(String)
    case emptyClass(folder: String)
    case classesDiffer(root: String, found: [String], expected: [String])
    case unknownPositiveClass(String, known: [String])
    case badImage(path: String, reason: String)
    case sizeMismatch(path: String, expected: (width: Int, height: Int), found: (width: Int, height: Int))

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path): not a folder. Hint: pass a folder with one subfolder of PNG images per class."
        case .noClasses(let path):
            return "\(path): no class subfolders. Hint: lay the images out as \(path)/<class>/*.png."
        case .emptyClass(let folder):
            return "\(folder): no .png images in this class folder. Hint: put the class's scans in it, or remove the empty folder."
        case .classesDiffer(let root, let found, let expected):
            return "\(root): classes \(found) differ from the training classes \(expected). Hint: use the same class subfolders as in training."
        case .unknownPositiveClass(let name, let known):
            return "unknown positive class '\(name)' (known: \(known.joined(separator: ", "))). Hint: name one of the class subfolders."
        case .badImage(let path, let reason):
            return "\(path): cannot use this image: \(reason). Hint: remove or replace the file (classify puts such files in its rejects)."
        case .sizeMismatch(let path, let e, let f):
            return "\(path): image is \(f.width)×\(f.height), the others are \(e.width)×\(e.height). Hint: pass --size (and --fit) to bring every scan to one size, or resize them first."
        }
    }
}

/// A folder-per-class tree of PNG images (`root/<class>/*.png`) decoded to gray Float tensors.
///
/// Class names are the subfolders' names in sorted (byte) order and become class indices
/// 0, 1, …; files are visited in sorted order, so the same tree always gives the same tensor.
/// Pixels are gray in 0...1 (``PNG/readFloat(path:as:options:)``); every image must have the
/// size of the first one.
public struct ImageFolder: Sendable {
    /// Class names, index = label.
    public let classNames: [String]
    /// Images (N, 1, H, W), gray in 0...1.
    public let images: Tensor
    /// Class index of every image (N).
    public let labels: [Int]
    /// Path of every image, in tensor order.
    public let paths: [String]
    /// The patient of every image (from a manifest's `patient_id` column), or nil: splits then
    /// keep each patient's images on one side.
    public let patients: [String]?
    /// How many of the decoded files had each PNG bit depth (empty for subsets and tensors built in memory).
    public let bitDepthCounts: [Int: Int]

    /// Number of images.
    public var count: Int { labels.count }

    /// Images and labels already decoded (for splits and manifests).
    public init(classNames: [String], images: Tensor, labels: [Int], paths: [String], patients: [String]? = nil,
                bitDepthCounts: [Int: Int] = [:]) {
        self.bitDepthCounts = bitDepthCounts
        self.classNames = classNames
        self.images = images
        self.labels = labels
        self.paths = paths
        self.patients = patients
    }

    /// Loads `source`: a folder (``load(_:classNames:)``) or a CSV manifest (``loadManifest(_:classNames:)``).
    /// With `resize`, every scan is brought to its size (scans of mixed sizes are then allowed).
    public static func load(source: String, classNames expected: [String]? = nil, resize: ScanResize? = nil) throws -> ImageFolder {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try loadManifest(source, classNames: expected, resize: resize)
        }
        return try load(source, classNames: expected, resize: resize)
    }

    /// Loads `root`. With `classNames` given (e.g. the training set's), the tree must have
    /// exactly those subfolders; otherwise they are discovered.
    public static func load(_ root: String, classNames expected: [String]? = nil, resize: ScanResize? = nil) throws -> ImageFolder {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImageFolderError.notADirectory(root)
        }
        let entries = try fm.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }.sorted()
        let classes = entries.filter { name in
            var dir: ObjCBool = false
            return fm.fileExists(atPath: "\(root)/\(name)", isDirectory: &dir) && dir.boolValue
        }
        guard !classes.isEmpty else { throw ImageFolderError.noClasses(root) }
        if let expected, expected != classes {
            throw ImageFolderError.classesDiffer(root: root, found: classes, expected: expected)
        }
        var files: [(path: String, label: Int)] = []
        for (label, name) in classes.enumerated() {
            let folder = "\(root)/\(name)"
            let pngs = try fm.contentsOfDirectory(atPath: folder)
                .filter { $0.lowercased().hasSuffix(".png") && !$0.hasPrefix(".") }.sorted()
            guard !pngs.isEmpty else { throw ImageFolderError.emptyClass(folder: folder) }
            files += pngs.map { ("\(folder)/\($0)", label) }
        }

        return try decode(files, classNames: classes, patients: nil, resize: resize)
    }

    /// Decodes `files` in order; every image must have the size of the first, or is resized by `resize`.
    static func decode(_ files: [(path: String, label: Int)], classNames: [String], patients: [String]?,
                       resize: ScanResize? = nil) throws -> ImageFolder {
        var pixels: [Float] = []
        var size: (width: Int, height: Int)?
        var depths: [Int: Int] = [:]
        for file in files {
            let raster: Raster<Float>
            do {
                let decoded = try PNG.readFloat(path: file.path, as: .gray)
                depths[decoded.info.bitDepth, default: 0] += 1
                raster = resize.map { $0.apply(decoded.raster) } ?? decoded.raster
            } catch {
                throw ImageFolderError.badImage(path: file.path, reason: error.description)
            }
            if let size, size != (raster.width, raster.height) {
                throw ImageFolderError.sizeMismatch(path: file.path, expected: size, found: (raster.width, raster.height))
            }
            if size == nil {
                size = (raster.width, raster.height)
                pixels.reserveCapacity(files.count * raster.pixels.count)
            }
            pixels += raster.pixels
        }
        let (w, h) = size ?? (0, 0)
        return ImageFolder(classNames: classNames, images: Tensor(shape: [files.count, 1, h, w], scalars: pixels),
                           labels: files.map(\.label), paths: files.map(\.path), patients: patients, bitDepthCounts: depths)
    }

    /// 1 for the scans of class `positive`, 0 for the others (the labels of the binary metrics).
    public func binaryLabels(positive: Int) -> [Double] { labels.map { $0 == positive ? 1 : 0 } }

    /// The labels as a float tensor (N) of class indices, the target form of ``SoftmaxCrossEntropy``.
    public var targets: Tensor { Tensor(labels.map(Float.init)) }

    /// The index of the positive class: `name` when given, else the second class in sorted order
    /// (the first when there is only one).
    public func positiveClassIndex(_ name: String?) throws -> Int {
        guard let name else { return min(1, classNames.count - 1) }
        guard let index = classNames.firstIndex(of: name) else {
            throw ImageFolderError.unknownPositiveClass(name, known: classNames)
        }
        return index
    }
}

extension ImageFolder {
    /// `limit` images evenly spaced over the sorted files (index ⌊i·N/limit⌋), so every class
    /// keeps its share; the whole set when `limit` is nil or not smaller. The PyTorch peer
    /// (`Benchmarks/peers/cnn_torch.py --limit`) takes the same images.
    public func evenlySpaced(_ limit: Int?) -> ImageFolder {
        guard let limit, limit > 0, limit < count else { return self }
        let picked = (0..<limit).map { $0 * count / limit }
        return subset(picked)
    }
}

extension ImageFolder {
    /// The images at `rows` (in that order).
    public func subset(_ rows: [Int]) -> ImageFolder {
        ImageFolder(classNames: classNames, images: images.gatherBatch(rows), labels: rows.map { labels[$0] }, paths: rows.map { paths[$0] },
                    patients: patients.map { p in rows.map { p[$0] } })
    }

}
