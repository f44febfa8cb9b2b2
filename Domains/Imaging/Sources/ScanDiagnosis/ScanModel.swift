import Foundation
import LeptonCore
import LeptonIO

/// How the operating point (the decision threshold on the positive probability) is chosen on
/// validation data.
public enum OperatingPointRule: Codable, Sendable, Equatable {
    /// Youden's J = sensitivity + specificity − 1, maximised.
    case youden
    /// The highest threshold whose sensitivity is at least this (screening: 0.95).
    case sensitivity(Double)
    /// The lowest threshold whose specificity is at least this.
    case specificity(Double)

    /// The threshold for `rule` on `scores` (probabilities of the positive class) of labelled data.
    public func threshold(labels: [Double], scores: [Double]) -> Double? {
        switch self {
        case let .sensitivity(target): return LeptonCore.threshold(forSensitivity: target, labels: labels, scores: scores)
        case let .specificity(target): return LeptonCore.threshold(forSpecificity: target, labels: labels, scores: scores)
        case .youden:
            guard let curve = rocCurve(labels: labels, scores: scores) else { return nil }
            var best = 0, bestJ = -Double.infinity
            for k in curve.thresholds.indices where curve.thresholds[k].isFinite {
                let j = curve.truePositiveRates[k] - curve.falsePositiveRates[k]
                if j > bestJ { (best, bestJ) = (k, j) }
            }
            return curve.thresholds[best].isFinite ? curve.thresholds[best] : nil
        }
    }
}

/// A trained scan classifier: the network, how pixels are prepared, the positive class and the operating point.
///
/// Sendable so that it can be handed between threads, but inference is not re-entrant: the
/// network's layers keep per-call buffers, so one model must not classify on two threads at once
/// (`serve` scores one batch at a time; batch `classify` runs on one thread).
public struct ScanModel: @unchecked Sendable {
    /// What the model file keeps besides the network's tensors.
    public struct Spec: Codable, Sendable, Equatable {
        public var classNames: [String]
        public var positiveClass: Int
        /// Dataset mean and standard deviation of the gray pixels (0…1) in training.
        public var mean: Float
        public var std: Float
        /// Input size (height, width).
        public var height: Int
        public var width: Int
        public var threshold: Double
        public var rule: OperatingPointRule
        /// Logistic calibration fitted on validation scans (Platt scaling): p = σ(a·m + b) with m the
        /// positive class's logit margin over the others; nil: the plain softmax.
        public var calibration: [Double]?
        /// Per-scan intensity normalisation before standardisation (nil: none; models before it had none).
        public var intensity: IntensityNormalization?
        /// How scans of another size are brought to `width × height` (nil: stretch).
        public var fit: ScanResize.Fit?

        /// How new scans are brought to the model's input size.
        public var resize: ScanResize { ScanResize(width: width, height: height, fit: fit ?? .stretch) }

        public init(classNames: [String], positiveClass: Int, mean: Float, std: Float, height: Int, width: Int, threshold: Double,
                    rule: OperatingPointRule, calibration: [Double]? = nil, intensity: IntensityNormalization? = nil, fit: ScanResize.Fit? = nil) {
            self.classNames = classNames
            self.positiveClass = positiveClass
            self.mean = mean
            self.std = std
            self.height = height
            self.width = width
            self.threshold = threshold
            self.rule = rule
            self.calibration = calibration
            self.intensity = intensity
            self.fit = fit
        }
    }

    /// The network (the first member when the model is an ensemble).
    public var network: NeuralNetwork
    /// The other members of an ensemble (same architecture, other seeds); empty for one network.
    public var ensemble: [NeuralNetwork] = []
    public var spec: Spec

    public init(network: NeuralNetwork, spec: Spec, ensemble: [NeuralNetwork] = []) {
        self.network = network
        self.spec = spec
        self.ensemble = ensemble
    }

    /// Every network of the model, the first one first.
    public var members: [NeuralNetwork] { [network] + ensemble }

    /// Probabilities of the positive class for gray images (N, 1, H, W) in 0…1. With
    /// `intensityApplied`, the images already went through ``intensityNormalized(_:)``.
    public func probabilities(_ images: Tensor, intensityApplied: Bool = false) -> [Double] {
        Self.positiveProbabilities(logits: logits(images, intensityApplied: intensityApplied), positive: spec.positiveClass,
                                   calibration: spec.calibration)
    }

    /// The stored per-scan intensity normalisation applied (the images unchanged without one).
    public func intensityNormalized(_ images: Tensor) -> Tensor { spec.intensity.map { $0.apply(batch: images) } ?? images }

    /// The networks' input: intensity normalisation (unless already applied), then standardisation.
    public func prepared(_ images: Tensor, intensityApplied: Bool = false) -> Tensor {
        standardized(intensityApplied ? images : intensityNormalized(images), mean: spec.mean, std: spec.std)
    }

    /// The logits (N × classes) for gray images in 0…1; for an ensemble, the mean of its members' logits.
    public func logits(_ images: Tensor, intensityApplied: Bool = false) -> [[Double]] {
        let x = prepared(images, intensityApplied: intensityApplied)
        var sum: [[Double]] = []
        for member in members {
            let out = member.predict(x)
            let k = out.shape[1]
            let z = (0..<out.shape[0]).map { i in (0..<k).map { Double(out[flat: i * k + $0]) } }
            sum = sum.isEmpty ? z : zip(sum, z).map { a, b in zip(a, b).map(+) }
        }
        let scale = 1 / Double(members.count)
        return sum.map { $0.map { $0 * scale } }
    }

    /// The positive class's margin m = z₊ − log Σ_{j≠+} e^{z_j} (softmax(z)₊ = σ(m)).
    static func margin(_ z: [Double], positive: Int) -> Double {
        let others = z.indices.filter { $0 != positive }.map { z[$0] }
        let top = others.max() ?? 0
        return z[positive] - (top + log(others.map { exp($0 - top) }.reduce(0, +)))
    }

    /// σ(a·m + b) with `calibration` = [a, b], or σ(m) (the softmax) without.
    public static func positiveProbabilities(logits: [[Double]], positive: Int, calibration: [Double]?) -> [Double] {
        logits.map { z in
            let m = margin(z, positive: positive)
            let t = calibration.map { $0[0] * m + $0[1] } ?? m
            return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))
        }
    }

    /// Platt scaling (a logistic regression of the label on the margin, lightly L2-penalised so
    /// that separable validation data stay finite): [a, b]. It keeps the ranking (a > 0) and fixes
    /// both the scale and the bias of the probabilities.
    public static func fitCalibration(logits: [[Double]], labels: [Double], positive: Int) throws -> [Double] {
        let margins = logits.map { margin($0, positive: positive) }
        var config = LogisticRegressionConfig(penalty: .l2, C: 10)
        config.threads = 1
        let model = try LogisticRegression.fit(DesignMatrix(columns: [margins]), labels: labels, config: config)
        return [model.coefficients[0], model.intercept]
    }

    public static let domainKind = "scan-classifier"

    /// Writes the model file (the network's tensors, the domain manifest with the spec in `extra.scan`).
    public func write(to path: String, metrics: [String: Double], provenance: RunProvenance) throws {
        let details = ModelManifest(kind: NeuralNetwork.kind, domain: "imaging", architecture: network.architecture.name,
                                    features: ["gray \(spec.height)×\(spec.width)"], classNames: spec.classNames,
                                    preprocessing: ["gray_mean": .double(Double(spec.mean)), "gray_std": .double(Double(spec.std))],
                                    metrics: metrics, provenance: provenance,
                                    extra: ["scan": try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(spec))])
        try network.save(to: path, details: details, ensemble: ensemble)
    }

    public static func read(path: String) throws -> ScanModel {
        let (networks, manifest) = try NeuralNetwork.loadEnsemble(from: path)
        guard manifest.domain == "imaging", let scan = manifest.extra["scan"] else {
            throw DataError(file: path, message: "a neural network without the imaging part (not written by lepton-scan train)",
                            hint: "give a model written by lepton-scan train.")
        }
        do {
            let spec = try JSONDecoder().decode(Spec.self, from: JSONEncoder().encode(scan))
            return ScanModel(network: networks[0], spec: spec, ensemble: Array(networks.dropFirst()))
        } catch {
            throw DataError(file: path, message: "the imaging part of the manifest is malformed (\(error))", hint: "train the model again.")
        }
    }
}
