import Foundation
import XCTest
import LeptonCore

/// End-to-end agreement with LightGBM on fixed data. The data, LightGBM's raw test margins
/// and its AUC come from `Benchmarks/peers/gbdt_reference.py` (committed fixtures).
final class GBDTLightGBMAgreementTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/peers/fixtures")

    /// Reads a fixture CSV: feature columns x0…x7 and `cat`, `label`, optionally `lgb_raw`.
    private func load(_ name: String) throws -> (x: FeatureColumns, y: [Double], reference: [Double]) {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let featureNames = header.filter { $0 != "label" && $0 != "lgb_raw" }
        var cols = [[Float]](repeating: [], count: featureNames.count)
        var y: [Double] = [], reference: [Double] = []
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, header.count)
            for (k, name) in header.enumerated() {
                let field = String(fields[k])
                switch name {
                case "label": y.append(Double(field)!)
                case "lgb_raw": reference.append(Double(field)!)
                default: cols[featureNames.firstIndex(of: name)!].append(field.isEmpty ? .nan : Float(field)!)
                }
            }
        }
        let kinds = featureNames.map { $0 == "cat" ? FeatureColumns.Kind.categorical : .numeric }
        return (FeatureColumns(columns: cols, names: featureNames, kinds: kinds), y, reference)
    }

    func testAUCAndPredictionsAgreeWithLightGBM() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("gbdt_reference.json")))
        let lightgbmAUC = try XCTUnwrap((json as? [String: Any])?["test_auc"] as? Double)
        let train = try load("gbdt_reference_train.csv"), test = try load("gbdt_reference_test.csv")
        XCTAssertEqual(train.x.rowCount, 4000)
        XCTAssertEqual(test.reference.count, 2000)
        // The hyperparameters of gbdt_reference.py.
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 100, learningRate: 0.1, maxLeaves: 15, seed: 1)
        c.minDataInLeaf = 20; c.minHessianInLeaf = 1e-3; c.maxBins = 255
        c.categoricalSmoothing = 10; c.categoricalL2 = 10; c.maxCategoriesPerSplit = 32; c.minDataPerCategory = 50
        c.threads = 2
        let model = try GBDT(config: c).fit(train.x, labels: train.y)
        let raw = model.predictRaw(test.x)
        let auc = testAUC(labels: test.y, scores: raw)
        XCTAssertEqual(auc, lightgbmAUC, accuracy: 0.005, "Lepton AUC \(auc) vs LightGBM \(lightgbmAUC)")
        XCTAssertGreaterThan(testCorrelation(raw, test.reference), 0.97)
        XCTAssertTrue(model.trees.contains { $0.nodes.contains { $0.isCategorical } }, "the categorical column is split natively")
    }
}
