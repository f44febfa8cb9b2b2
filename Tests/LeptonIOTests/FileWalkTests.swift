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
        for path in ["a/1.png", "a/2.PNG", "a/notes.txt", "b/c/d/3.png", "b/.hidden.png", ".cache/4.png", "z.png", "b/c/5.pngx",
                     "b.png", "b-2/6.png", "b/c.png"] {
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
        XCTAssertEqual(walked.map { String($0.dropFirst(dir.path.count + 1)) }, ["a/1.png", "a/2.PNG", "b-2/6.png", "b.png", "b/c.png", "b/c/d/3.png",
                                                                                   "b/link.png", "z.png"],
                       "sorted as whole paths: a folder's files after a sibling file whose name sorts before '/'")
        XCTAssertEqual(FileWalk.files(under: dir.file("missing"), suffix: ".png"), [])
    }

    /// Files stream out in order while the walk goes on (the body can stop it by throwing).
    func testWalkStreamsAndStopsWhenTheBodyThrows() throws {
        let dir = try TemporaryDirectory("filewalk-stream")
        defer { dir.remove() }
        for k in 0..<50 { try dir.write(String(format: "%03d.png", k), "x") }
        struct Enough: Error {}
        var seen: [String] = []
        XCTAssertThrowsError(try FileWalk.forEachFile(under: dir.path, suffix: ".png") { path in
            seen.append(path)
            if seen.count == 10 { throw Enough() }
        })
        XCTAssertEqual(seen.map { ($0 as NSString).lastPathComponent }, (0..<10).map { String(format: "%03d.png", $0) })
    }
}

final class TextLinesTests: XCTestCase {
    func testLinesWithLFAndCRLFAndNoFinalLineEnd() throws {
        let dir = try TemporaryDirectory("textlines")
        defer { dir.remove() }
        let path = try dir.write("list.txt", "a.png\r\n\nb c.png\nlast.png")
        var lines: [(Int, String)] = []
        try TextLines.forEach(path: path) { lines.append(($0, $1)) }
        XCTAssertEqual(lines.map(\.0), [1, 2, 3, 4])
        XCTAssertEqual(lines.map(\.1), ["a.png", "", "b c.png", "last.png"])
        for (text, expected) in [("a\rb\rc\r", ["a", "b", "c"]), ("a\r\nb", ["a", "b"]), ("\n\n", ["", ""]), ("x", ["x"]), ("a\r\rb\n", ["a", "", "b"])] {
            let file = try dir.write("cr.txt", text)
            var seen: [String] = []
            try TextLines.forEach(path: file) { _, line in seen.append(line) }
            XCTAssertEqual(seen, expected, text.debugDescription)
        }
        XCTAssertThrowsError(try TextLines.forEach(path: dir.file("missing.txt")) { _, _ in }) {
            XCTAssertTrue("\($0)".contains("missing.txt"), "\($0)")
        }
    }
}

final class StaleTemporaryFilesTests: XCTestCase {
    /// Hidden temporary files of dead processes go; those of live ones, and other files, stay.
    func testRemovesOnlyTheFilesOfProcessesThatAreGone() throws {
        let dir = try TemporaryDirectory("stale")
        defer { dir.remove() }
        let dead: Int32 = 4_000_000  // above Linux's pid_max (4,194,304 at most; 32,768 by default)
        let live = getpid()
        let names = [".out.csv.tmp-\(dead)-1a2b", ".out.csv.part0-\(dead)-17-9.csv", "..out.csv.part1-\(dead)-17-9.csv.tmp-\(dead)-ff",
                     ".out.csv.tmp-\(live)-3c4d", ".out.csv.part0-\(live)-17-9.csv", ".other.csv.tmp-\(dead)-1", "out.csv", ".out.csv.tmp-x"]
        for name in names { try dir.write(name, "x") }
        XCTAssertEqual(StaleTemporaryFiles.remove(besides: dir.file("out.csv")), 3)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(left, [".other.csv.tmp-\(dead)-1", ".out.csv.part0-\(live)-17-9.csv", ".out.csv.tmp-\(live)-3c4d", ".out.csv.tmp-x", "out.csv"])
    }
}
