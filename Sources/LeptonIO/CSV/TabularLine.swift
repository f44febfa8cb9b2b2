/// The one-pass kernel of ``TabularTable``'s parts: a line whose fields are all plain (no quote,
/// no space or tab at either end) or quoted edge to edge (no quote or line break inside), with
/// the right number of fields and nothing unusual in them, is tokenized and stored in the
/// columns in the same pass — no field bounds, no row object, no second look at the bytes.
///
/// It takes a line only when the general path (``TabularPart/add(_:)`` on libcsv's record)
/// would keep it with the same values; anything else — a blank line, a wrong field count, text
/// in a numeric column, a category that is not valid UTF-8, a field or line over the limits —
/// makes it decline, and the general path reads that line, with its rejects and row numbers.
extension TabularPart {
    /// Takes the line at `start` as a kept row and returns the index past its terminator, or
    /// nil to leave it to the general path. `data[end]` is readable and an LF (the range
    /// reader's sentinel), and 8 bytes past it are readable (for word-at-a-time scans).
    func takeLine(_ data: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        let quote = UInt8(ascii: "\""), lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        let delimiter = self.delimiter
        guard data[start] != lf, data[start] != cr, delimiter != quote else { return nil }
        var p = start
        for j in 0..<width {
            let fieldStart: Int, fieldEnd: Int, next: Int
            if data[p] == quote {
                let q = ByteScan.firstOf(quote, lf, cr, cr, in: data, from: p + 1, end: end)
                guard q < end, data[q] == quote else { return nil }  // a line break inside quotes
                fieldStart = p + 1
                fieldEnd = q
                next = q + 1
            } else {
                let d = ByteScan.firstOf(delimiter, quote, lf, cr, in: data, from: p, end: end)
                guard data[d] != quote || d == end else { return nil }  // a quote inside a plain field
                if d > p, data[p] == 0x20 || data[p] == 0x09 || data[d - 1] == 0x20 || data[d - 1] == 0x09 { return nil }
                fieldStart = p
                fieldEnd = d
                next = d
            }
            if j + 1 < width {
                guard next < end, data[next] == delimiter else { return nil }
            } else {
                guard data[next] == lf || data[next] == cr else { return nil }
            }
            guard fieldEnd - fieldStart <= maxFieldBytes else { return nil }
            let field = UnsafeBufferPointer(start: data + fieldStart, count: fieldEnd - fieldStart)
            guard stage(field, column: j, at: fieldStart) else { return nil }
            p = next + 1
        }
        let terminator = p - 1
        guard terminator - start <= maxRowBytes else { return nil }
        commitStagedRow(data)
        // A CRLF ends here too (the general path would skip the LF as a blank line); the byte at
        // `end` is the sentinel, not data.
        if data[terminator] == cr, terminator + 1 < end, data[terminator + 1] == lf { return terminator + 2 }
        return min(terminator + 1, end)
    }

    /// Stages field `j`'s value; false when the general path must judge the line.
    @inline(__always)
    private func stage(_ field: UnsafeBufferPointer<UInt8>, column j: Int, at offset: Int) -> Bool {
        switch kind[j] {
        case 0:
            if !context.hasNumericMissingToken, let first = field.first, (first >= 0x30 && first <= 0x39) || first == 0x2D {
                guard let value = DecimalParser.parseDouble(field) else { return false }
                stagedNumbers[j] = value
            } else if CSVRow.isMissing(field, context: context) {
                stagedNumbers[j] = .nan
            } else {
                guard let value = DecimalParser.parseDouble(field) else { return false }
                stagedNumbers[j] = value
            }
        case 1:
            if CSVRow.isMissing(field, context: context) {
                stagedCodes[j] = -1
                return true
            }
            let hash = ByteInterner.hash(field)
            let code = interners[j].code(of: field, hash: hash)
            if code >= 0 {
                stagedCodes[j] = code
            } else {
                guard String(validating: field, as: UTF8.self) != nil else { return false }
                stagedCodes[j] = -2
                stagedHashes[j] = hash
                stagedBounds[2 * j] = offset
                stagedBounds[2 * j + 1] = offset + field.count
            }
        default:
            if CSVRow.isMissing(field, context: context) {
                stagedTexts[j] = ""
            } else {
                guard let text = String(validating: field, as: UTF8.self) else { return false }
                stagedTexts[j] = text
            }
        }
        return true
    }

    /// Appends the staged row (new categories interned from the line's bytes).
    @inline(__always)
    private func commitStagedRow(_ data: UnsafePointer<UInt8>) {
        for j in 0..<width {
            switch kind[j] {
            case 0:
                numbers[j].append(stagedNumbers[j])
            case 1:
                var code = stagedCodes[j]
                if code == -2 {
                    let bytes = UnsafeBufferPointer(start: data + stagedBounds[2 * j], count: stagedBounds[2 * j + 1] - stagedBounds[2 * j])
                    code = interners[j].insertNew(bytes, hash: stagedHashes[j])
                }
                codes[j].append(code)
            default:
                texts[j].append(stagedTexts[j])
            }
        }
        keptRows += 1
    }
}
