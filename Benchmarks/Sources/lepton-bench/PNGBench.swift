import ArgumentParser
import Foundation
import LeptonIO

/// `lepton-bench png`: decode every PNG under a folder to Float32 gray, one thread.
struct PNGBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "png",
        abstract: "Time decoding every .png under a folder to Float32 gray in 0...1 (files are read into memory first; only decoding is timed).")

    @Option(help: "The folder to search for .png files (recursively).")
    var dir: String

    @Option(help: "Timed repetitions; the best is reported.")
    var `repeat` = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let files = try pngFiles(under: dir)
        guard !files.isEmpty else { throw ValidationError("no .png files under \(dir)") }
        let contents = try files.map { path in try PNG.readBytes(path: path, maxBytes: 256 << 20) }
        let bytes = contents.reduce(0) { $0 + $1.count }
        var best = Double.infinity
        var checksum = 0.0, pixels = 0
        for _ in 0..<max(1, `repeat`) {
            let ((sum, count), seconds) = try secondsTaken { () throws -> (Double, Int) in
                var sum: Float = 0, count = 0
                for (path, data) in zip(files, contents) {
                    let image = try PNG.decodeFloat(data, as: .gray, name: path).raster
                    sum += image.pixels[image.pixels.count / 2] // keeps the work observable, cheaply
                    count += image.pixels.count
                }
                return (Double(sum), count)
            }
            best = min(best, seconds)
            checksum = sum
            pixels = count
        }
        let imagesPerSecond = Double(files.count) / best, megabytesPerSecond = Double(bytes) / 1e6 / best
        if json {
            printJSON(["tool": "lepton", "threads": 1, "images": files.count, "bytes": bytes, "pixels": pixels,
                       "seconds": best, "images_per_s": imagesPerSecond, "mb_per_s": megabytesPerSecond,
                       "checksum": checksum])
        } else {
            print(String(format: "lepton png: %d images (%.2f MB) in %.4f s = %.0f images/s, %.1f MB/s on 1 thread",
                         files.count, Double(bytes) / 1e6, best, imagesPerSecond, megabytesPerSecond))
        }
    }

    /// Paths of the .png files under `root`, sorted, so runs decode the same sequence.
    private func pngFiles(under root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw ValidationError("cannot list \(root)")
        }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.lowercased().hasSuffix(".png") { paths.append("\(root)/\(relative)") }
        }
        return paths.sorted()
    }
}
