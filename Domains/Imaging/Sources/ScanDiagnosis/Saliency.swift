import Foundation
import LeptonCore
import LeptonIO

/// Where a classifier looked: occlusion sensitivity (Zeiler & Fergus 2014). A window of
/// `window × window` pixels set to the training mean slides over the scan with `stride`; each
/// pixel's saliency is the mean drop of the positive-class probability over the windows that
/// cover it (clipped at 0: only what supported the finding):
///
///     S(x, y) = mean over windows W ∋ (x, y) of max(0, p(image) − p(image with W occluded))
public enum Saliency {
    /// The occlusion map (H × W, row-major) of one gray scan (H × W, 0…1) for `model`'s positive class.
    public static func occlusion(model: ScanModel, image: [Float], window: Int? = nil, stride: Int? = nil) -> [Float] {
        let (h, w) = (model.spec.height, model.spec.width)
        precondition(image.count == h * w, "Saliency: the image is not the model's size")
        let size = max(1, window ?? max(2, min(h, w) / 6)), step = max(1, stride ?? max(1, size / 2))
        var origins: [(y: Int, x: Int)] = []
        for y in Swift.stride(from: 0, through: max(0, h - size), by: step) {
            for x in Swift.stride(from: 0, through: max(0, w - size), by: step) { origins.append((y, x)) }
        }
        // The base image and every occluded copy, scored in one batch. Occlusion happens after the
        // model's per-scan intensity normalisation, where the training mean lives, so hiding a
        // patch does not move the scan's window.
        let base = model.intensityNormalized(Tensor(shape: [1, 1, h, w], scalars: image)).scalars
        var batch = base
        for o in origins {
            var copy = base
            for y in o.y..<min(h, o.y + size) { for x in o.x..<min(w, o.x + size) { copy[y * w + x] = model.spec.mean } }
            batch += copy
        }
        let p = model.probabilities(Tensor(shape: [origins.count + 1, 1, h, w], scalars: batch), intensityApplied: true)
        var sum = [Float](repeating: 0, count: h * w), hits = [Float](repeating: 0, count: h * w)
        for (k, o) in origins.enumerated() {
            let drop = Float(max(0, p[0] - p[k + 1]))
            for y in o.y..<min(h, o.y + size) {
                for x in o.x..<min(w, o.x + size) {
                    sum[y * w + x] += drop
                    hits[y * w + x] += 1
                }
            }
        }
        return zip(sum, hits).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// The map as a heat overlay on the scan (RGB PNG): the scan in gray, the map (scaled to its
    /// maximum) added in red and taken from green and blue.
    public static func writeOverlay(image: [Float], map: [Float], width: Int, height: Int, to path: String) throws {
        try PNG.write(overlay(image: image, map: map, width: width, height: height), to: path)
    }

    /// The overlay of ``writeOverlay(image:map:width:height:to:)`` as PNG bytes (for reports).
    public static func overlayPNG(image: [Float], map: [Float], width: Int, height: Int) throws -> [UInt8] {
        try PNG.encode(overlay(image: image, map: map, width: width, height: height))
    }

    /// The scan alone as an 8-bit gray PNG (values clamped to [0, 1]).
    public static func grayPNG(image: [Float], width: Int, height: Int) throws -> [UInt8] {
        try PNG.encode(Raster(width: width, height: height, layout: .gray, pixels: image.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }))
    }

    static func overlay(image: [Float], map: [Float], width: Int, height: Int) -> Raster<UInt8> {
        let peak = max(map.max() ?? 0, 1e-12)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for i in 0..<(width * height) {
            let g = max(0, min(1, image[i])), heat = map[i] / peak
            func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
            pixels += [byte(g * (1 - heat) + heat), byte(g * (1 - heat)), byte(g * (1 - heat))]
        }
        return Raster(width: width, height: height, layout: .rgb, pixels: pixels)
    }

    /// The (row, column) of the map's largest value.
    public static func peak(_ map: [Float], width: Int) -> (y: Int, x: Int) {
        let i = map.indices.max { map[$0] < map[$1] } ?? 0
        return (i / width, i % width)
    }
}
