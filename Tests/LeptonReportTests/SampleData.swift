import Foundation
import LeptonCore
import LeptonReport

/// A scored binary data set and the curves computed from it (the way LeptonCore's metrics would).
struct ScoredSample {
    var labels: [Bool]
    var scores: [Double]

    /// `count` records, `prevalence` of them positive, with class-conditional logit scores
    /// `separation` standard deviations apart.
    static func make(seed: UInt64, count: Int, prevalence: Double, separation: Double) -> ScoredSample {
        var rng = SeededGenerator(seed: seed)
        var labels: [Bool] = [], scores: [Double] = []
        for _ in 0..<count {
            let positive = rng.uniform() < prevalence
            let logit = rng.normal(mean: positive ? separation / 2 : -separation / 2) - 1.2
            labels.append(positive)
            scores.append(1 / (1 + exp(-logit)))
        }
        return ScoredSample(labels: labels, scores: scores)
    }

    var positives: [Double] { zip(labels, scores).filter(\.0).map(\.1) }
    var negatives: [Double] { zip(labels, scores).filter { !$0.0 }.map(\.1) }

    var labelValues: [Double] { labels.map { $0 ? 1 : 0 } }

    /// The ROC curve and its AUC from LeptonCore's metrics.
    func roc(name: String) -> ROCCurve {
        let curve = rocCurve(labels: labelValues, scores: scores)!
        return ROCCurve(name: name, falsePositiveRates: curve.falsePositiveRates, truePositiveRates: curve.truePositiveRates,
                        thresholds: curve.thresholds, auc: rocAUC(labels: labelValues, scores: scores))
    }

    /// The precision–recall curve and average precision from LeptonCore's metrics.
    func precisionRecall(name: String) -> PrecisionRecallCurve {
        let curve = precisionRecallCurve(labels: labelValues, scores: scores)!
        return PrecisionRecallCurve(name: name, recalls: curve.recalls, precisions: curve.precisions, thresholds: curve.thresholds,
                                    averagePrecision: averagePrecision(labels: labelValues, scores: scores))
    }

    /// Calibration bins (uniform on [0, 1]) from LeptonCore's metrics.
    func calibration(bins: Int = 10) -> [CalibrationBin] {
        calibrationBins(labels: labelValues, probabilities: scores, bins: bins)!.map {
            CalibrationBin(meanPredicted: $0.meanPredicted, observedRate: $0.observedRate, count: Int($0.weight))
        }
    }

    /// The lowest threshold whose specificity is at least `specificity` (LeptonCore's metrics).
    func threshold(forSpecificity specificity: Double) -> Double {
        LeptonCore.threshold(forSpecificity: specificity, labels: labelValues, scores: scores) ?? 0.5
    }
}

/// A minimal PNG encoder (8-bit grey or RGBA, zlib "stored" blocks) so that the tests do not
/// depend on LeptonIO's libpng wrapper.
enum TinyPNG {
    static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> [UInt8] {
        precondition((channels == 1 || channels == 4) && pixels.count == width * height * channels)
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            raw += pixels[(y * width * channels)..<((y + 1) * width * channels)]
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            let final: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<(offset + n)]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        zlib += be32(b << 16 | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, channels == 1 ? 0 : 6, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return be32(UInt32(data.count)) + body + be32(~crc)
    }

    /// A synthetic 64×64 "chest scan": two dark lung fields in a bright body, noise, and for
    /// positives a bright opacity; plus a saliency overlay (red, alpha ∝ closeness to the opacity).
    static func scan(seed: UInt64, positive: Bool) -> (image: [UInt8], overlay: [UInt8]) {
        var rng = SeededGenerator(seed: seed)
        let size = 64
        let cx = 18 + rng.uniform() * 28, cy = 20 + rng.uniform() * 26, radius = 4 + rng.uniform() * 4
        var grey = [UInt8](repeating: 0, count: size * size)
        var rgba = [UInt8](repeating: 0, count: size * size * 4)
        for y in 0..<size {
            for x in 0..<size {
                let fx = Double(x), fy = Double(y)
                var v = 170.0 - 40 * abs(fx - 32) / 32
                for lungX in [20.0, 44.0] {
                    let d = pow((fx - lungX) / 10, 2) + pow((fy - 32) / 20, 2)
                    if d < 1 { v -= 110 * (1 - d) }
                }
                let dist = ((fx - cx) * (fx - cx) + (fy - cy) * (fy - cy)).squareRoot()
                if positive && dist < radius * 1.6 { v += 90 * max(0, 1 - dist / (radius * 1.6)) }
                v += rng.normal(sd: 8)
                grey[y * size + x] = UInt8(max(0, min(255, v)))
                let saliency = positive ? max(0, 1 - dist / (radius * 3)) : max(0, 0.25 - dist / 200)
                rgba[(y * size + x) * 4] = 230
                rgba[(y * size + x) * 4 + 1] = 60
                rgba[(y * size + x) * 4 + 2] = 20
                rgba[(y * size + x) * 4 + 3] = UInt8(min(255, saliency * 255))
            }
        }
        return (encode(width: size, height: size, channels: 1, pixels: grey), encode(width: size, height: size, channels: 4, pixels: rgba))
    }
}
