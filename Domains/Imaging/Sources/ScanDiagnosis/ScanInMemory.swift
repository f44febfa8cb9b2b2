import LeptonCore
import LeptonIO

/// Classification of scans held in memory (PNG bytes received over HTTP), with the same
/// decoding, resizing, probability, decision and flag as batch classification.
public enum ScanInMemory {
    /// Why one scan could not be classified: the bytes are not a usable PNG, or the image is
    /// larger than the pixel limit.
    public enum Refusal: Error, Sendable, Equatable {
        case notDecodable(String)
        case overPixelLimit(String)
    }

    /// One scan's answer: the probability of the positive class, the decision (a class name) and
    /// the flag (`positive`, `borderline` within 0.05 of the threshold, or empty), as `classify` writes them.
    public struct Answer: Sendable, Equatable {
        public var probability: Double
        public var decision: String
        public var flag: String

        /// The answer for probability `p` under `model`'s threshold. Flag: positive, or within
        /// 0.05 of the threshold (worth a second look).
        public init(probability p: Double, model: ScanModel) {
            let positive = model.spec.classNames[model.spec.positiveClass]
            let negative = model.spec.classNames.enumerated().first { $0.offset != model.spec.positiveClass }?.element ?? "negative"
            let isPositive = p >= model.spec.threshold
            probability = p
            decision = isPositive ? positive : negative
            flag = isPositive ? "positive" : (abs(p - model.spec.threshold) < 0.05 ? "borderline" : "")
        }
    }

    /// Decodes every PNG (on `threads` threads; a PNG over `maxPixels` is refused before its
    /// pixels are allocated) and classifies the decodable ones in one batch.
    public static func classify(_ pngs: [[UInt8]], model: ScanModel, threads: Int, maxPixels: Int = 16_000_000) -> [Result<Answer, Refusal>] {
        let resize = model.spec.resize
        let options = PNGDecodeOptions(maxPixels: maxPixels)
        let decoded: [Result<[Float], Refusal>] = Parallel.map(pngs.count, threads: threads) { k in
            let decoded: PNGDecoded<Float>
            do {
                decoded = try PNG.decodeFloat(pngs[k], as: .gray, name: "image \(k + 1)", options: options)
            } catch let error as PNGError {
                if case .tooManyPixels = error { return .failure(.overPixelLimit("\(error)")) }
                return .failure(.notDecodable("\(error)"))
            } catch {
                return .failure(.notDecodable("\(error)"))
            }
            return .success(resize.apply(decoded.raster).pixels)
        }
        let (w, h) = (model.spec.width, model.spec.height)
        var pixels: [Float] = []
        var kept: [Int] = []
        for (k, result) in decoded.enumerated() {
            if case let .success(p) = result {
                pixels += p
                kept.append(k)
            }
        }
        var answers = decoded.map { result -> Result<Answer, Refusal> in
            switch result {
            case .success: return .failure(.notDecodable("not classified"))  // replaced below
            case let .failure(refusal): return .failure(refusal)
            }
        }
        guard !kept.isEmpty else { return answers }
        let probabilities = model.probabilities(Tensor(shape: [kept.count, 1, h, w], scalars: pixels))
        for (k, p) in zip(kept, probabilities) { answers[k] = .success(Answer(probability: p, model: model)) }
        return answers
    }
}
