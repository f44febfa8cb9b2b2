/// The unfolding (im2col) and folding (col2im) of ``Conv2D``'s GEMM path: the input's
/// (C·kh·kw) × (N·Ho·Wo) column matrix that one GEMM multiplies by the weights, and its adjoint.
extension Conv2D {
    /// Unfolds samples `first..<first+count` of x (N, C, H, W) into cols (C·kh·kw, count·P):
    /// `cols[(c·kh + u)·kw + v, i·P + oy·Wo + ox] = x[first + i, c, oy·s − pad + u, ox·s − pad + v]`.
    ///
    /// For each output row the in-range columns `lo..<hi` are found once, so the inner loop is a
    /// plain copy (stride 1) or strided gather, with zeros written only at the padded edges.
    /// Runs on the calling thread (the callers split the batch over threads).
    static func im2col(_ x: UnsafePointer<Float>, _ g: Geometry, first: Int, count: Int,
                       into cols: UnsafeMutablePointer<Float>) {
        let rowLength = count * g.p
        if g.sameWidth {
            im2colSameWidth(x, g, first: first, count: count, into: cols)
            return
        }
        for i in 0..<count {
            let sample = x + (first + i) * g.c * g.h * g.w
            for c in 0..<g.c {
                let plane = sample + c * g.h * g.w
                for u in 0..<g.kh {
                    for v in 0..<g.kw {
                        let row = cols + ((c * g.kh + u) * g.kw + v) * rowLength + i * g.p
                        let (lo, hi) = g.validColumns(v)
                        for oy in 0..<g.ho {
                            let iy = oy * g.stride - g.pad + u
                            let dst = row + oy * g.wo
                            if iy < 0 || iy >= g.h {
                                dst.update(repeating: 0, count: g.wo)
                                continue
                            }
                            if lo > 0 { dst.update(repeating: 0, count: lo) }
                            if hi < g.wo { (dst + hi).update(repeating: 0, count: g.wo - hi) }
                            guard lo < hi else { continue }
                            let src = plane + iy * g.w + lo * g.stride - g.pad + v
                            if g.stride == 1 {
                                (dst + lo).update(from: src, count: hi - lo)
                            } else {
                                for ox in 0..<(hi - lo) { dst[lo + ox] = src[ox * g.stride] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds cols (C·kh·kw, count·P) back into dx for samples `first..<first+count`, summing
    /// overlapping windows (the adjoint of ``im2col``). dx for those samples must start at zero.
    /// Runs on the calling thread. The out-of-range entries of `cols` (gradients of padding) may
    /// be overwritten with zeros.
    static func col2im(_ cols: UnsafeMutablePointer<Float>, _ g: Geometry, first: Int, count: Int,
                       into dx: UnsafeMutablePointer<Float>) {
        let rowLength = count * g.p
        if g.sameWidth {
            col2imSameWidth(cols, g, first: first, count: count, into: dx)
            return
        }
        for i in 0..<count {
            let sample = dx + (first + i) * g.c * g.h * g.w
            for c in 0..<g.c {
                let plane = sample + c * g.h * g.w
                for u in 0..<g.kh {
                    for v in 0..<g.kw {
                        let row = cols + ((c * g.kh + u) * g.kw + v) * rowLength + i * g.p
                        let (lo, hi) = g.validColumns(v)
                        guard lo < hi else { continue }
                        for oy in 0..<g.ho {
                            let iy = oy * g.stride - g.pad + u
                            if iy < 0 || iy >= g.h { continue }
                            let src = row + oy * g.wo + lo
                            let dst = plane + iy * g.w + lo * g.stride - g.pad + v
                            if g.stride == 1 {
                                for ox in 0..<(hi - lo) { dst[ox] += src[ox] }
                            } else {
                                for ox in 0..<(hi - lo) { dst[ox * g.stride] += src[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// ``im2col`` for ``Geometry/sameWidth``: per (c, u, v) row one contiguous copy of the
    /// in-range span, then zeros over the rows and edge columns that fall in the padding (the
    /// copy brought in neighbouring-row values there).
    fileprivate static func im2colSameWidth(_ x: UnsafePointer<Float>, _ g: Geometry, first: Int, count: Int,
                                        into cols: UnsafeMutablePointer<Float>) {
        let rowLength = count * g.p
        for i in 0..<count {
            let sample = x + (first + i) * g.c * g.h * g.w
            for c in 0..<g.c {
                let plane = sample + c * g.h * g.w
                for u in 0..<g.kh {
                    let (rowLo, rowHi) = g.validRows(u)
                    for v in 0..<g.kw {
                        let dst = cols + ((c * g.kh + u) * g.kw + v) * rowLength + i * g.p
                        let (lo, hi) = g.validColumns(v)
                        guard rowLo < rowHi, lo < hi else {
                            dst.update(repeating: 0, count: g.p)
                            continue
                        }
                        let begin = rowLo * g.wo + lo, end = (rowHi - 1) * g.wo + hi
                        let shift = (u - g.pad) * g.w + (v - g.pad)
                        // Safe: begin + shift and end − 1 + shift are in-range input positions.
                        (dst + begin).update(from: plane + begin + shift, count: end - begin)
                        dst.update(repeating: 0, count: rowLo * g.wo + lo)
                        (dst + end).update(repeating: 0, count: g.p - end)
                        if lo > 0 || hi < g.wo {
                            // The columns from hi on this row to lo on the next are padding.
                            Conv2D.zeroRowGaps(dst, g, rows: rowLo..<(rowHi - 1), lo: lo, hi: hi)
                        }
                    }
                }
            }
        }
    }

    /// Zeroes the padding cells of one unfolded (c, u, v) row of a "same" convolution: on each
    /// output row in `rows`, the columns from `hi` to the end and, on the next row, up to `lo`.
    /// For 3×3 kernels that is one or two cells per row, stored directly: a zero-fill loop
    /// becomes a memset call per row, which cost ~10% of inference.
    @inline(__always)
    fileprivate static func zeroRowGaps(_ row: UnsafeMutablePointer<Float>, _ g: Geometry, rows: Range<Int>, lo: Int, hi: Int) {
        let gap = g.wo - hi + lo
        for oy in rows {
            let at = row + oy * g.wo + hi
            if gap <= 2 {
                at[0] = 0
                if gap == 2 { at[1] = 0 }
            } else {
                at.update(repeating: 0, count: gap)
            }
        }
    }

    /// ``col2im`` for ``Geometry/sameWidth``: the padding entries of each (c, u, v) row are zeroed
    /// in `cols`, then the in-range span is added to dx in one contiguous, vectorisable loop.
    fileprivate static func col2imSameWidth(_ cols: UnsafeMutablePointer<Float>, _ g: Geometry, first: Int, count: Int,
                                        into dx: UnsafeMutablePointer<Float>) {
        let rowLength = count * g.p
        for i in 0..<count {
            let sample = dx + (first + i) * g.c * g.h * g.w
            for c in 0..<g.c {
                let plane = sample + c * g.h * g.w
                for u in 0..<g.kh {
                    let (rowLo, rowHi) = g.validRows(u)
                    guard rowLo < rowHi else { continue }
                    for v in 0..<g.kw {
                        let src = cols + ((c * g.kh + u) * g.kw + v) * rowLength + i * g.p
                        let (lo, hi) = g.validColumns(v)
                        guard lo < hi else { continue }
                        if lo > 0 || hi < g.wo {
                            Conv2D.zeroRowGaps(src, g, rows: rowLo..<(rowHi - 1), lo: lo, hi: hi)
                        }
                        let begin = rowLo * g.wo + lo, end = (rowHi - 1) * g.wo + hi
                        // Safe: begin + shift and end − 1 + shift are in-range input positions.
                        let shift = (u - g.pad) * g.w + (v - g.pad)
                        let d = plane + begin + shift, s = src + begin
                        for q in 0..<(end - begin) { d[q] += s[q] }
                    }
                }
            }
        }
    }
}
