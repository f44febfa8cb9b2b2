import Foundation
import LeptonTestSupport
import XCTest
@testable import LeptonCore

final class DataCacheTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("data-cache") }
    override func tearDown() { dir.remove() }

    private func contents(_ n: Int) -> ModelFileContents {
        ModelFileContents(manifest: ModelManifest(kind: "x"), tensors: [("t", Tensor(shape: [n], scalars: (0..<n).map(Float.init)))])
    }

    func testHitsMissesDamageAndEviction() throws {
        let cache = DataCache(directory: dir.file("c"), maxBytes: 10_000)
        var builds = 0
        let a = try cache.contents(key: "a") { builds += 1; return contents(100) }
        let b = try cache.contents(key: "a") { builds += 1; return contents(100) }
        XCTAssertEqual(builds, 1)
        XCTAssertEqual(a.tensors[0].tensor, b.tensors[0].tensor)
        XCTAssertEqual(cache.hits, 1)
        XCTAssertEqual(cache.misses, 1)
        XCTAssertEqual(cache.hitRate, 0.5)
        // A damaged entry is a miss, rebuilt.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("c/a.lepton"))))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("c/a.lepton")))
        _ = try cache.contents(key: "a") { builds += 1; return contents(100) }
        XCTAssertEqual(builds, 2)
        // The folder stays under its bound: old entries go first.
        for k in 0..<20 { _ = try cache.contents(key: "k\(k)") { contents(400) } }
        let total = try FileManager.default.contentsOfDirectory(atPath: dir.file("c")).reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: dir.file("c/\($1)"))[.size] as! Int)
        }
        XCTAssertLessThanOrEqual(total, 10_000)
        XCTAssert(FileManager.default.fileExists(atPath: dir.file("c/k19.lepton")), "the newest entry stays")
        // An unwritable folder only skips caching.
        let unwritable = DataCache(directory: "/proc/lepton-cannot-write")
        XCTAssertEqual(try unwritable.contents(key: "z") { contents(3) }.tensors.count, 1)
    }

    func testFolderFingerprintFollowsTheFiles() throws {
        try FileManager.default.createDirectory(atPath: dir.file("f/a"), withIntermediateDirectories: true)
        _ = try dir.write("f/a/1.png", "x")
        let first = DataCache.folderFingerprint(dir.file("f"), suffix: ".png")
        XCTAssertEqual(first, DataCache.folderFingerprint(dir.file("f"), suffix: ".png"))
        _ = try dir.write("f/a/2.png", "y")
        XCTAssertNotEqual(first, DataCache.folderFingerprint(dir.file("f"), suffix: ".png"), "a new file")
        let second = DataCache.folderFingerprint(dir.file("f"), suffix: ".png")
        _ = try dir.write("f/a/2.png", "yy")
        XCTAssertNotEqual(second, DataCache.folderFingerprint(dir.file("f"), suffix: ".png"), "a changed file")
        XCTAssertNotEqual(DataCache.key(["a", "b"]), DataCache.key(["ab"]))
    }
}
