import Foundation
import LeptonCore
import LeptonIO
import LeptonTestSupport
@testable import ScanDiagnosis
import XCTest

final class ImageFolderTests: XCTestCase {
    /// Writes `root/<class>/<i>.png` gray images; image i of class c has every pixel `10·c + i`.
    private func makeTree(_ root: String, classes: [String], perClass: Int, size: Int = 4) throws {
        for (c, name) in classes.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
            for i in 0..<perClass {
                let value = UInt8(10 * c + i)
                try PNG.write(Raster(width: size, height: size, layout: .gray, repeating: value),
                              to: "\(root)/\(name)/\(i).png")
            }
        }
    }

    func testLoadsClassesInSortedOrderWithLabelsAndPixels() throws {
        let dir = try TemporaryDirectory("imagefolder")
        defer { dir.remove() }
        try makeTree(dir.path, classes: ["zebra", "apple"], perClass: 3)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: dir.file("apple/notes.txt")))
        let set = try ImageFolder.load(dir.path)
        XCTAssertEqual(set.classNames, ["apple", "zebra"])
        XCTAssertEqual(set.labels, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(set.images.shape, [6, 1, 4, 4])
        // apple was written as class 1 (values 10, 11, 12), zebra as class 0 (0, 1, 2).
        XCTAssertEqual(set.images[1, 0, 2, 3], 11 / 255, accuracy: 1e-6)
        XCTAssertEqual(set.images[5, 0, 0, 0], 2 / 255, accuracy: 1e-6)
        XCTAssertEqual(set.targets.scalars, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(try set.positiveClassIndex(nil), 1)
        XCTAssertEqual(try set.positiveClassIndex("apple"), 0)
        XCTAssertThrowsError(try set.positiveClassIndex("pear")) { error in
            XCTAssertEqual("\(error)", "unknown positive class 'pear' (known: apple, zebra). Hint: name one of the class subfolders.")
        }
    }

    func testBadImagesAndMismatchedTreesNameTheCulprit() throws {
        let dir = try TemporaryDirectory("imagefolder")
        defer { dir.remove() }
        try makeTree(dir.file("good"), classes: ["a", "b"], perClass: 2)

        try makeTree(dir.file("corrupt"), classes: ["a", "b"], perClass: 2)
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: URL(fileURLWithPath: dir.file("corrupt/b/1.png")))
        XCTAssertThrowsError(try ImageFolder.load(dir.file("corrupt"))) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.file("corrupt/b/1.png") + ": cannot use this image"), "\(error)")
        }

        try makeTree(dir.file("sizes"), classes: ["a", "b"], perClass: 2)
        try PNG.write(Raster(width: 5, height: 4, layout: .gray, repeating: 0), to: dir.file("sizes/b/0.png"))
        XCTAssertThrowsError(try ImageFolder.load(dir.file("sizes"))) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.file("sizes/b/0.png") + ": image is 5×4, the others are 4×4"), "\(error)")
        }

        try makeTree(dir.file("other"), classes: ["a", "c"], perClass: 1)
        XCTAssertThrowsError(try ImageFolder.load(dir.file("other"), classNames: ["a", "b"])) { error in
            XCTAssertTrue("\(error)".contains("classes [\"a\", \"c\"] differ from the training classes [\"a\", \"b\"]"), "\(error)")
        }

        try FileManager.default.createDirectory(atPath: dir.file("empty/a"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.load(dir.file("empty"))) { error in
            XCTAssertEqual("\(error)", dir.file("empty/a") + ": no .png images in this class folder. Hint: put the class's scans in it, or remove the empty folder.")
        }
        XCTAssertThrowsError(try ImageFolder.load(dir.file("missing"))) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.file("missing") + ": not a folder"), "\(error)")
        }
        XCTAssertNoThrow(try ImageFolder.load(dir.file("good")))
    }

    /// The `lepton-bench cnn` recipe end to end on a tiny separable tree: seeded runs agree
    /// exactly, and the test set is scored only when given.
    func testTrainingRecipeIsSeededAndScoresTheTestSet() throws {
        let dir = try TemporaryDirectory("imagefolder")
        defer { dir.remove() }
        // Class "dark" pixels 0…7, class "light" 200…207: trivially separable.
        for (name, base) in [("dark", 0), ("light", 200)] {
            try FileManager.default.createDirectory(atPath: dir.file("train/\(name)"), withIntermediateDirectories: true)
            for i in 0..<8 {
                let pixels = (0..<64).map { UInt8(base + ($0 + i) % 8) }
                try PNG.write(Raster(width: 8, height: 8, layout: .gray, pixels: pixels), to: dir.file("train/\(name)/\(i).png"))
            }
        }
        let train = try ImageFolder.load(dir.file("train"))
        var recipe = CNNRecipe()
        recipe.epochs = 3
        recipe.batchSize = 8
        recipe.threads = 1
        recipe.learningRate = 3e-3
        let a = try trainCNN(recipe, train: train, val: train, test: nil, positiveName: nil)
        let b = try trainCNN(recipe, train: train, val: train, test: train, positiveName: nil)
        XCTAssertEqual(a.valAUC, b.valAUC)
        XCTAssertEqual(a.history.records.map(\.trainLoss), b.history.records.map(\.trainLoss))
        XCTAssertNil(a.testAUC)
        XCTAssertEqual(b.testAUC, b.valAUC, "the same images give the same AUC")
        XCTAssertEqual(b.positiveClass, "light")
        XCTAssertGreaterThan(b.valAUC, 0.9)
    }
}
