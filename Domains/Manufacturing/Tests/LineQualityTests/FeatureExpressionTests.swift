import Foundation
@testable import LineQuality
import XCTest

final class FeatureExpressionTests: XCTestCase {
    func value(_ definition: String, _ columns: [String: Double]) throws -> Double {
        try FeatureExpression(definition).evaluate { columns[$0] ?? .nan }
    }

    func testArithmeticQuotedNamesAndFunctions() throws {
        let row: [String: Double] = ["Torque [Nm]": 40, "Rotational speed [rpm]": 1500, "wear": 100, "a": -3]
        XCTAssertEqual(try value(#"power = "Torque [Nm]" * "Rotational speed [rpm]" * 2 * pi / 60"#, row), 40 * 1500 * 2 * .pi / 60, accuracy: 1e-9)
        XCTAssertEqual(try value("x = 1 + 2 * 3 - 4 / 2", [:]), 5)
        XCTAssertEqual(try value("x = (1 + 2) * 3", [:]), 9)
        XCTAssertEqual(try value("x = -a + abs(a) + max(a, 2, 1) + min(a, 0)", row), 3 + 3 + 2 - 3)
        XCTAssertEqual(try value("x = sqrt(wear) + log(exp(2))", row), 12, accuracy: 1e-12)
        XCTAssertEqual(try value("x = 1.5e2 + .5", [:]), 150.5)
        XCTAssertEqual(try value(#""ratio ""q"" [1]" = wear / 4"#, row), 25)
        XCTAssertEqual(try FeatureExpression(#""ratio ""q"" [1]" = wear / 4"#).name, #"ratio "q" [1]"#)
        XCTAssertEqual(try FeatureExpression(#"s = "Torque [Nm]" * wear + "Torque [Nm]""#).columns, ["Torque [Nm]", "wear"])
    }

    func testNonFiniteResultsAreMissing() throws {
        XCTAssertTrue(try value("x = wear / 0", ["wear": 1]).isNaN)
        XCTAssertTrue(try value("x = log(a)", ["a": -1]).isNaN)
        XCTAssertTrue(try value("x = wear + 1", [:]).isNaN)  // a missing input
    }

    func testErrorsPointAtTheCharacter() {
        func position(_ definition: String) -> Int? {
            do { _ = try FeatureExpression(definition); return nil } catch let error as FeatureExpressionError {
                XCTAssertTrue(error.description.contains("^") && error.description.contains("Hint:"), error.description)
                return error.position
            } catch { return nil }
        }
        XCTAssertEqual(position("x = 1 + * 2"), 8)
        XCTAssertEqual(position("x = (1 + 2"), 10)
        XCTAssertEqual(position(#"x = "open"#), 4)
        XCTAssertEqual(position("x = foo(1)"), 4)
        XCTAssertEqual(position("x = sqrt(1, 2)"), 4)
        XCTAssertEqual(position("x = 1 2"), 6)
        XCTAssertEqual(position("no equals sign"), 14)
        XCTAssertEqual(position(" = 1"), 0)
        let e = try! FeatureExpression(#"p = "Torqe [Nm]" * 2"#)
        XCTAssertThrowsError(try e.check(against: ["Torque [Nm]"])) { error in
            XCTAssertEqual((error as? FeatureExpressionError)?.position, 4)
            XCTAssertTrue("\(error)".contains("'Torqe [Nm]' is not in the file"))
        }
    }

    func testRoundTripThroughJSON() throws {
        let e = try FeatureExpression(#""strain [min·Nm]" = "Tool wear [min]" * "Torque [Nm]""#)
        let back = try JSONDecoder().decode(FeatureExpression.self, from: JSONEncoder().encode(e))
        XCTAssertEqual(back, e)
        XCTAssertEqual(back.evaluate { ["Tool wear [min]": 10, "Torque [Nm]": 3][$0]! }, 30)
    }
}
