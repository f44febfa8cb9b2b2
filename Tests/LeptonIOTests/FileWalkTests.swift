import Foundation
@testable import LeptonIO
import LeptonTestSupport
import XCTest

final class FileWalkTests: XCTestCase {
    /// The walk equals a naive twin built on Foundation's enumerator over a tree with nested
    /// folders, mixed-case suffixes, hidden files and folders, other files, an empty folder and
    /// a symbolic link to a file.
    func testWalkEqualsTheFoundationEnumerator() throws {
        let dir = try TemporaryDirectory("filewalk")
        defer { dir.remove() }
        for path in ["a/1.png", "a/2.PNG", "a/notes.txt", "b/c/d/3.png", "b/.hidden.png", ".cache/4.png", "z.png", "b/c/5.pngx"] {
            try FileManager.default.createDirectory(atPath: (dir.file(path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try dir.write(path, "x")
        }
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("b/link.png"), withDestinationPath: dir.file("z.png"))
        let walked = FileWalk.files(under: dir.path, suffix: ".png")
        var naive: [String] = []
        let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: dir.path))
        for case let name as String in walker {
            let components = name.split(separator: "/")
            if name.lowercased().hasSuffix(".png"), !components.contains(where: { $0.hasPrefix(".") }) { naive.append(dir.path + "/" + name) }
        }
        XCTAssertEqual(walked, naive.sorted())
        XCTAssertEqual(walked.map { String($0.dropFirst(dir.path.count + 1)) }, ["a/1.png", "a/2.PNG", "b/c/d/3.png", "b/link.png", "z.png"])
        XCTAssertEqual(FileWalk.files(under: dir.file("missing"), suffix: ".png"), [])
    }
}
