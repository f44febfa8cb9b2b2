import Foundation
import LeptonCore
import LeptonIO

/// Training a scan classifier: the core's network and trainer with the shared CNN recipe (Adam,
/// reduce-on-plateau and early stopping on validation AUC, best weights restored), then the
/// operating point chosen on the validation scans.
public enum ScanTraining {
    public struct Result: @unchecked Sendable {  // holds a ScanModel
        public var model: ScanModel
        /// The figures on the validation scans at the chosen operating point.
        public var validation: ScanEvaluation
        public var epochs: Int
        public var bestEpoch: Int
        public var secondsPerEpoch: Double
        public var trainCount: Int
        public var valCount: Int
    }

    /// A seeded stratified split of `data`: every fifth image of each class (after a seeded shuffle) to validation;
    /// with patient ids, a grouped split (``groupedFolds(labels:groups:folds:seed:)``): no patient on both sides.
    public static func split(_ data: ImageFolder, seed: UInt64) -> (train: ImageFolder, val: ImageFolder) {
        let labels = data.labels.map(Double.init)
        let fold = data.patients.map { groupedFolds(labels: labels, groups: $0, folds: 5, seed: seed) } ?? stratifiedFolds(labels: labels, folds: 5, seed: seed)
        return (data.subset(fold.indices.filter { fold[$0] != 0 }), data.subset(fold.indices.filter { fold[$0] == 0 }))
    }

    /// `calibration` is fitted on the validation scans (``CalibrationMethod``: Platt scaling by default).
    public static func run(train: ImageFolder, val: ImageFolder, recipe: CNNRecipe, positive: String?, rule: OperatingPointRule,
                           seed: UInt64, calibration: CalibrationMethod = .platt) throws -> Result {
        guard train.classNames.count >= 2 else {
            throw DataError(file: train.paths.first.map { ($0 as NSString).deletingLastPathComponent } ?? "", message: "only one class (\(train.classNames.joined()))",
                            hint: "a classifier needs a subfolder per class, at least two.")
        }
        // The networks see normalised scans; the model applies the same normalisation to raw ones.
        let (netTrain, netVal) = (recipe.intensity.map { train.normalized($0) } ?? train, recipe.intensity.map { val.normalized($0) } ?? val)
        let outcome = try trainCNN(recipe, train: netTrain, val: netVal, test: nil, positiveName: positive)
        var others: [NeuralNetwork] = []
        for k in 1..<max(1, recipe.ensembleSize) {
            var member = recipe
            member.seed = recipe.seed &+ UInt64(k)
            member.augmentation?.seed = member.seed
            others.append(try trainCNN(member, train: netTrain, val: netVal, test: nil, positiveName: positive).network)
        }
        let positiveIndex = try train.positiveClassIndex(positive)
        let (h, w) = (train.images.shape[2], train.images.shape[3])
        var spec = ScanModel.Spec(classNames: train.classNames, positiveClass: positiveIndex, mean: outcome.normalization.mean,
                                  std: outcome.normalization.std, height: h, width: w, threshold: 0.5, rule: rule, calibration: nil,
                                  intensity: recipe.intensity)
        var model = ScanModel(network: outcome.network, spec: spec, ensemble: others)
        let labels = val.binaryLabels(positive: positiveIndex)
        // Calibration on the validation scans, then the operating point on the calibrated probabilities.
        let logits = model.logits(val.images)
        if Set(labels).count == 2 {
            switch calibration {
            case .platt:
                if let fitted = try? ScanModel.fitCalibration(logits: logits, labels: labels, positive: positiveIndex), fitted[0] > 0 {
                    spec.calibration = fitted
                }
            case .temperature: spec.calibration = ScanModel.fitTemperature(logits: logits, labels: labels, positive: positiveIndex)
            case .none: break
            }
        }
        let scores = ScanModel.positiveProbabilities(logits: logits, positive: positiveIndex, calibration: spec.calibration)
        spec.threshold = rule.threshold(labels: labels, scores: scores) ?? 0.5
        model.spec = spec
        let records = outcome.history.records
        return Result(model: model, validation: ScanEvaluation(labels: labels, scores: scores, threshold: spec.threshold, seed: seed),
                      epochs: records.count, bestEpoch: outcome.history.bestEpoch,
                      secondsPerEpoch: records.map(\.seconds).reduce(0, +) / Double(max(records.count, 1)),
                      trainCount: train.count, valCount: val.count)
    }

    /// Seeded stratified k-fold cross-validation of `recipe` on `data`: each fold's model trains on
    /// the other folds (its early stopping on a fifth of them) and scores the fold; fold AUCs and their mean.
    public static func crossValidate(_ data: ImageFolder, recipe: CNNRecipe, positive: String?, folds: Int, seed: UInt64) throws -> CrossValidationResult {
        let positiveIndex = try data.positiveClassIndex(positive)
        let labels = data.binaryLabels(positive: positiveIndex)
        return try LeptonCore.crossValidate(labels: labels, groups: data.patients, folds: folds, seed: seed, fitAndScore: { trainRows, testRows in
            let (train, val) = split(data.subset(trainRows), seed: seed)
            let result = try run(train: train, val: val, recipe: recipe, positive: positive, rule: .youden, seed: seed)
            return result.model.probabilities(data.subset(testRows).images)
        }, metric: { l, s, _ in rocAUC(labels: l, scores: s) })
    }

    /// The bit depths of the files `data` was decoded from, e.g. "8-bit 2,300, 16-bit 128" (nil when unknown).
    public static func bitDepthLine(_ data: ImageFolder) -> String? {
        guard !data.bitDepthCounts.isEmpty else { return nil }
        let patients = data.patients.map { ", \(Set($0).count) patients" } ?? ""
        return "source PNGs: " + data.bitDepthCounts.keys.sorted().map { "\($0)-bit \(data.bitDepthCounts[$0]!)" }.joined(separator: ", ") + patients
    }

    /// A summary of the data before training: classes with their counts, image size.
    public static func dataLines(_ train: ImageFolder, _ val: ImageFolder) -> [String] {
        func balance(_ d: ImageFolder) -> String {
            d.classNames.enumerated().map { c, name in "\(name) \(d.labels.filter { $0 == c }.count)" }.joined(separator: ", ")
        }
        return ["training scans: \(train.count) (\(balance(train))), validation: \(val.count) (\(balance(val))), size \(train.images.shape[3])×\(train.images.shape[2]) gray"]
    }
}
