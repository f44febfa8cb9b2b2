@testable import LeptonIO
import LeptonTestSupport
import XCTest

final class TabularTableTests: XCTestCase {
    func testInfersKindsAndKeepsMissingAndRejects() throws {
        let dir = try TemporaryDirectory("tabular")
        defer { dir.remove() }
        let path = try dir.write("t.csv", """
        id,amount,purpose,flag\r
        1,100.5,"car, new",1\r
        2,NA,radio,0\r
        3,-3e2,,1\r
        4,7,car,\r
        5,8\r
        6,9,radio,x\r

        """)
        let table = try TabularTable.read(path: path)
        XCTAssertEqual(table.columns.map(\.kind), [.numeric, .numeric, .categorical, .categorical])
        XCTAssertEqual(table.rowCount, 5)
        XCTAssertEqual(table.rowsRead, 6)
        XCTAssertEqual(table.rejected.map(\.row), [6])
        let amount = try table.column("amount")
        XCTAssertEqual(amount.numbers[0], 100.5)
        XCTAssertTrue(amount.numbers[1].isNaN)
        XCTAssertEqual(amount.numbers[2], -300)
        let purpose = try table.column("purpose")
        XCTAssertEqual(purpose.levels, ["car, new", "radio", "car"])
        XCTAssertEqual(purpose.codes, [0, 1, -1, 2, 1])
        XCTAssertEqual(purpose.missingCount, 1)
        XCTAssertEqual(try table.column("flag").levels, ["1", "0", "x"], "one text value makes the column categorical")

        let forced = try TabularTable.read(path: path, kinds: ["id": .categorical, "flag": .numeric])
        XCTAssertEqual(forced.columns[0].kind, .categorical)
        XCTAssertEqual(forced.rejected.count, 2, "'x' is not a number in a column declared numeric")
        XCTAssertTrue(forced.rejected.last!.description.contains("column 'flag'"))
        XCTAssertThrowsError(try TabularTable.read(path: path, kinds: ["nope": .numeric]))
    }
}
