import LeptonCore
import XCTest

final class CrossValidationTests: XCTestCase {
    func testFoldsAreStratifiedSeededAndCoverEveryRow() {
        let labels = (0..<103).map { Double($0 % 10 < 3 ? 1 : 0) }
        let folds = stratifiedFolds(labels: labels, folds: 5, seed: 4)
        XCTAssertEqual(folds, stratifiedFolds(labels: labels, folds: 5, seed: 4))
        XCTAssertNotEqual(folds, stratifiedFolds(labels: labels, folds: 5, seed: 5))
        for k in 0..<5 {
            let members = folds.indices.filter { folds[$0] == k }
            let positives = members.filter { labels[$0] == 1 }.count
            XCTAssertTrue((20...21).contains(members.count), "fold \(k): \(members.count) rows")
            XCTAssertTrue((6...7).contains(positives), "fold \(k): \(positives) positives of 31")
        }
    }
}
