@testable import LeptonIO
import XCTest
import LeptonCore

/// The window scanner against its byte-wise twin, field by field, and the line kernel with the
/// window scanner against the kernel without it, line by line.
final class PlainNumberWindowTests: XCTestCase {
    /// A random field heavy in the shapes that matter: signs, points, digit runs of every
    /// length (0…20 each side, leading zeros), exponents, and bytes that are not part of a number.
    private func randomField(_ rng: inout SeededGenerator) -> [UInt8] {
        var s: [UInt8] = []
        func digits(_ count: Int) {
            for _ in 0..<count { s.append(UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &rng)) }
        }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: s.append(UInt8(ascii: "-"))
        case 1: s.append([UInt8(ascii: "+"), UInt8(ascii: " "), UInt8(ascii: ".")][Int.random(in: 0..<3, using: &rng)])
        default: break
        }
        let shortRuns = Int.random(in: 0..<4, using: &rng) != 0
        digits(Int.random(in: 0...(shortRuns ? 9 : 20), using: &rng))
        if Int.random(in: 0..<4, using: &rng) != 0 {
            s.append(UInt8(ascii: "."))
            digits(Int.random(in: 0...(shortRuns ? 9 : 20), using: &rng))
        }
        if Int.random(in: 0..<12, using: &rng) == 0 {
            s.append(Bool.random(using: &rng) ? UInt8(ascii: "e") : UInt8(ascii: "E"))
            if Bool.random(using: &rng) { s.append(Bool.random(using: &rng) ? UInt8(ascii: "-") : UInt8(ascii: "+")) }
            digits(Int.random(in: 0...5, using: &rng))
        }
        if Int.random(in: 0..<20, using: &rng) == 0 {
            let junk: [UInt8] = Array(" .-x\t\"e5".utf8) + [0, 0x80, 0xFF, 0x2F, 0x3A]
            s.insert(junk[Int.random(in: 0..<junk.count, using: &rng)], at: Int.random(in: 0...s.count, using: &rng))
        }
        return s
    }

    func testWindowScannerEqualsByteWiseScannerOnRandomFields() {
        var rng = SeededGenerator(seed: 2024)
        let powers: [UInt64] = (0...8).map { (0..<$0).reduce(1) { p, _ in p * 10 } }
        let terminators: [UInt8] = [UInt8(ascii: ","), 0x0A, 0x0D, UInt8(ascii: ";"), UInt8(ascii: "x")]
        var answered = 0
        let trials = 400_000
        for _ in 0..<trials {
            var bytes = randomField(&rng)
            bytes.append(terminators[Int.random(in: 0..<terminators.count, using: &rng)])
            // Random bytes after, as in a real buffer, up to what the window may read.
            for _ in 0..<PlainNumberField.windowReadBytes { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            bytes.withUnsafeBufferPointer { buffer in
                let start = buffer.baseAddress!
                let window = powers.withUnsafeBufferPointer { PlainNumberField.scanWindow(start, powers: $0.baseAddress!) }
                // The contract: the caller takes the answer only when the byte at `length` is a
                // terminator it accepts, which can be any byte that is not part of a number.
                guard let window, PlainNumberField.windowAllows(delimiter: buffer[window.length]) else { return }
                answered += 1
                var p = start
                let reference = PlainNumberField.scan(&p)
                let text = String(decoding: buffer.prefix(window.length + 1), as: UTF8.self)
                XCTAssertEqual(reference, window.number, text)
                XCTAssertEqual(p - start, window.length, text)
            }
        }
        // The window must answer for most fields of the common shape.
        XCTAssertGreaterThan(answered, trials / 3)
    }

    /// Lines of plain numbers mixed with what the kernel must decline, parsed by the kernel with
    /// and without the window scanner: the same lines taken, the same values bit for bit.
    func testLineKernelWithWindowEqualsWithout() {
        var rng = SeededGenerator(seed: 77)
        for delimiter in [UInt8(ascii: ","), UInt8(ascii: "\t")] {
            var text: [UInt8] = []
            let fieldCount = 4
            for _ in 0..<20_000 {
                var fields = (0..<fieldCount).map { _ in randomField(&rng) }
                // Mostly plain lines, so that runs of lines are taken.
                if Int.random(in: 0..<3, using: &rng) != 0 {
                    fields = fields.map { f in f.filter { (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") } }
                }
                if Int.random(in: 0..<50, using: &rng) == 0 { fields.removeLast() }
                for (k, f) in fields.enumerated() {
                    text += f
                    if k + 1 < fields.count { text.append(delimiter) }
                }
                text += Int.random(in: 0..<5, using: &rng) == 0 ? [0x0D, 0x0A] : [0x0A]
            }
            let end = text.count
            text.append(0x0A)  // the sentinel
            for _ in 0..<PlainNumberLine.readAhead { text.append(UInt8.random(in: 0...255, using: &rng)) }
            let slots = [0, -1, 1, 2]
            let results = [true, false].map { useWindow in
                let kernel = PlainNumberLine(fieldCount: fieldCount, slots: slots, delimiter: delimiter,
                                             maxRowBytes: 1 << 20, useWindow: useWindow)
                let columns = FloatColumns(width: 3, expectedRows: 16)
                var taken: [(next: Int, lines: Int)] = []
                text.withUnsafeBufferPointer { buffer in
                    var i = 0
                    while i < end {
                        let step = kernel.parseLines(buffer.baseAddress!, i, end, into: columns)
                        taken.append(step)
                        i = step.next
                        // Skip the declined line, as the general path would read it.
                        while i < end, buffer[i] != 0x0A { i += 1 }
                        i += 1
                    }
                }
                let values = (0..<3).map { c in (0..<columns.rows).map { columns.pointers[c]![$0].bitPattern } }
                return (taken.map { [$0.next, $0.lines] }, values)
            }
            XCTAssertEqual(results[0].0, results[1].0)
            XCTAssertEqual(results[0].1, results[1].1)
            XCTAssertGreaterThan(results[0].1[0].count, 5_000)
        }
    }
}
