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
public struct ScanModel: @unchecked Sendable {  // the network is only read (inference) once trained
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
    }

    public var network: NeuralNetwork
    public var spec: Spec

    /// Probabilities of the positive class for gray images (N, 1, H, W) in 0…1.
    public func probabilities(_ images: Tensor) -> [Double] {
        let x = standardized(images, mean: spec.mean, std: spec.std)
        let p = network.predictProbabilities(x)
        let k = p.shape[1]
        return (0..<p.shape[0]).map { Double(p[flat: $0 * k + spec.positiveClass]) }
    }

    public static let domainKind = "scan-classifier"

    /// Writes the model file (the network's tensors, the domain manifest with the spec in `extra.scan`).
    public func write(to path: String, metrics: [String: Double], provenance: RunProvenance) throws {
        let details = ModelManifest(kind: NeuralNetwork.kind, domain: "imaging", architecture: network.architecture.name,
                                    features: ["gray \(spec.height)×\(spec.width)"], classNames: spec.classNames,
                                    preprocessing: ["gray_mean": .double(Double(spec.mean)), "gray_std": .double(Double(spec.std))],
                                    metrics: metrics, provenance: provenance,
                                    extra: ["scan": try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(spec))])
        try network.save(to: path, details: details)
    }

    public static func read(path: String) throws -> ScanModel {
        let (network, manifest) = try NeuralNetwork.load(from: path)
        guard manifest.domain == "imaging", let scan = manifest.extra["scan"] else {
            throw DataError(file: path, message: "a neural network without the imaging part (not written by lepton-scan train)",
                            hint: "give a model written by lepton-scan train.")
        }
        do {
            let spec = try JSONDecoder().decode(Spec.self, from: JSONEncoder().encode(scan))
            return ScanModel(network: network, spec: spec)
        } catch {
            throw DataError(file: path, message: "the imaging part of the manifest is malformed (\(error))", hint: "train the model again.")
        }
    }
}
