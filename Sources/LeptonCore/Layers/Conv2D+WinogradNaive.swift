/// Scalar twins of the Winograd F(2×2, 3×3) transforms in CLeptonKernels/winograd.c, written from
/// the matrices in Conv2D+Winograd.swift with the same additions in the same order, so the tests
/// can hold the vector kernels to them bit for bit. Layouts as in lepton_kernels.h.
extension Conv2D {
    /// Pixel (y, x) of channel c to padded pixel-major `((y + 1)·paddedW + x + 1)·C + c`.
    static func naiveWinogradPad(_ x: UnsafePointer<Float>, _ g: WinogradGeometry, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<g.c {
            for y in 0..<g.h {
                for col in 0..<g.w { dst[((y + 1) * g.paddedW + col + 1) * g.c + c] = x[(c * g.h + y) * g.w + col] }
            }
        }
    }

    /// The reverse of ``naiveWinogradPad(_:_:into:)``.
    static func naiveWinogradUnpad(_ src: UnsafePointer<Float>, _ g: WinogradGeometry, into x: UnsafeMutablePointer<Float>) {
        for c in 0..<g.c {
            for y in 0..<g.h {
                for col in 0..<g.w { x[(c * g.h + y) * g.w + col] = src[((y + 1) * g.paddedW + col + 1) * g.c + c] }
            }
        }
    }

    /// `v[k][t][c] = (Bᵀ d_t B)[i][j]` of one sample's padded pixel-major input.
    static func naiveWinogradInputTransform(_ src: [Float], paddedW: Int, channels: Int, tilesH: Int, tilesW: Int,
                                            kStride: Int, into v: inout [Float]) {
        for ty in 0..<tilesH {
            for tx in 0..<tilesW {
                for c in 0..<channels {
                    func d(_ i: Int, _ j: Int) -> Float { src[((2 * ty + i) * paddedW + 2 * tx + j) * channels + c] }
                    var t = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                    for j in 0..<4 { // Bᵀ d
                        t[0][j] = d(0, j) - d(2, j)
                        t[1][j] = d(1, j) + d(2, j)
                        t[2][j] = d(2, j) - d(1, j)
                        t[3][j] = d(1, j) - d(3, j)
                    }
                    let out = (ty * tilesW + tx) * channels + c
                    for i in 0..<4 { // (Bᵀ d) B
                        v[(4 * i) * kStride + out] = t[i][0] - t[i][2]
                        v[(4 * i + 1) * kStride + out] = t[i][1] + t[i][2]
                        v[(4 * i + 2) * kStride + out] = t[i][2] - t[i][1]
                        v[(4 * i + 3) * kStride + out] = t[i][1] - t[i][3]
                    }
                }
            }
        }
    }

    /// `dst[(2ty + a)·w + 2tx + b][o] = (Aᵀ M_t A)[a][b]` inside the h × w image.
    static func naiveWinogradOutputTransform(_ m: [Float], kStride: Int, channels: Int, tilesH: Int, tilesW: Int,
                                             h: Int, w: Int, into dst: inout [Float]) {
        for ty in 0..<tilesH {
            for tx in 0..<tilesW {
                for c in 0..<channels {
                    func x(_ k: Int) -> Float { m[k * kStride + (ty * tilesW + tx) * channels + c] }
                    var s = [[Float]](repeating: [0, 0, 0, 0], count: 2)
                    for j in 0..<4 { // Aᵀ M
                        s[0][j] = x(j) + x(4 + j) + x(8 + j)
                        s[1][j] = x(4 + j) - x(8 + j) - x(12 + j)
                    }
                    for a in 0..<2 where 2 * ty + a < h { // (Aᵀ M) A
                        let row = ((2 * ty + a) * w + 2 * tx) * channels + c
                        dst[row] = s[a][0] + s[a][1] + s[a][2]
                        if 2 * tx + 1 < w { dst[row + channels] = s[a][1] - s[a][2] - s[a][3] }
                    }
                }
            }
        }
    }

    /// `dm[k][t][o] = (A G_t Aᵀ)[i][j]` from one sample's pixel-major ∂L/∂y.
    static func naiveWinogradGradientTransform(_ gradient: [Float], channels: Int, tilesH: Int, tilesW: Int,
                                               h: Int, w: Int, kStride: Int, into dm: inout [Float]) {
        for ty in 0..<tilesH {
            for tx in 0..<tilesW {
                for c in 0..<channels {
                    func g(_ a: Int, _ b: Int) -> Float {
                        let (y, x) = (2 * ty + a, 2 * tx + b)
                        return y < h && x < w ? gradient[(y * w + x) * channels + c] : 0
                    }
                    var r = [[Float]](repeating: [0, 0], count: 4)
                    for j in 0..<2 { // A g
                        r[0][j] = g(0, j)
                        r[1][j] = g(0, j) + g(1, j)
                        r[2][j] = g(0, j) - g(1, j)
                        r[3][j] = 0 - g(1, j)
                    }
                    let out = (ty * tilesW + tx) * channels + c
                    for i in 0..<4 { // (A g) Aᵀ
                        dm[(4 * i) * kStride + out] = r[i][0]
                        dm[(4 * i + 1) * kStride + out] = r[i][0] + r[i][1]
                        dm[(4 * i + 2) * kStride + out] = r[i][0] - r[i][1]
                        dm[(4 * i + 3) * kStride + out] = 0 - r[i][1]
                    }
                }
            }
        }
    }

    /// Adds `(B dV_t Bᵀ)[a][b]` to padded pixel (2ty + a, 2tx + b) of `dst`, tile by tile.
    static func naiveWinogradInputGradientTransform(_ dv: [Float], kStride: Int, channels: Int, tilesH: Int, tilesW: Int,
                                                    paddedW: Int, into dst: inout [Float]) {
        for ty in 0..<tilesH {
            for tx in 0..<tilesW {
                for c in 0..<channels {
                    func x(_ k: Int) -> Float { dv[k * kStride + (ty * tilesW + tx) * channels + c] }
                    var t = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                    for j in 0..<4 { // B X
                        t[0][j] = x(j)
                        t[1][j] = x(4 + j) - x(8 + j) + x(12 + j)
                        t[2][j] = x(4 + j) - x(j) + x(8 + j)
                        t[3][j] = 0 - x(12 + j)
                    }
                    for i in 0..<4 { // (B X) Bᵀ
                        let y = [t[i][0], t[i][1] - t[i][2] + t[i][3], t[i][1] - t[i][0] + t[i][2], 0 - t[i][3]]
                        for j in 0..<4 { dst[((2 * ty + i) * paddedW + 2 * tx + j) * channels + c] += y[j] }
                    }
                }
            }
        }
    }

    /// `U[k][c][o] = (G g Gᵀ)[i][j]` for every kernel g = W[o, c].
    func naiveWinogradTransformedWeights() -> [Float] {
        let (o, c) = (outChannels, inChannels)
        var u = [Float](repeating: 0, count: 16 * c * o)
        for oc in 0..<o {
            for ic in 0..<c {
                func g(_ q: Int) -> Float { weight.value[flat: (oc * c + ic) * 9 + q] }
                var t = [[Float]](repeating: [0, 0, 0], count: 4)
                for j in 0..<3 { // G g
                    t[0][j] = g(j)
                    t[1][j] = 0.5 * (g(j) + g(3 + j) + g(6 + j))
                    t[2][j] = 0.5 * (g(j) - g(3 + j) + g(6 + j))
                    t[3][j] = g(6 + j)
                }
                for i in 0..<4 { // (G g) Gᵀ
                    let (a, b, e) = (t[i][0], t[i][1], t[i][2])
                    let row = [a, 0.5 * (a + b + e), 0.5 * (a - b + e), e]
                    for j in 0..<4 { u[((4 * i + j) * c + ic) * o + oc] = row[j] }
                }
            }
        }
        return u
    }

    /// `∂L/∂W[o, c] = Gᵀ X G` with `X[i][j] = du[4i + j][c][o]`.
    func naiveWinogradWeightGradient(_ du: [Float]) -> [Float] {
        let (o, c) = (outChannels, inChannels)
        var dw = [Float](repeating: 0, count: o * c * 9)
        for oc in 0..<o {
            for ic in 0..<c {
                func x(_ k: Int) -> Float { du[(k * c + ic) * o + oc] }
                var z = [[Float]](repeating: [0, 0, 0, 0], count: 3)
                for j in 0..<4 { // Gᵀ X
                    let mid = 0.5 * (x(4 + j) + x(8 + j))
                    z[0][j] = x(j) + mid
                    z[1][j] = 0.5 * (x(4 + j) - x(8 + j))
                    z[2][j] = mid + x(12 + j)
                }
                for i in 0..<3 { // (Gᵀ X) G
                    let mid = 0.5 * (z[i][1] + z[i][2])
                    let base = (oc * c + ic) * 9 + 3 * i
                    dw[base] = z[i][0] + mid
                    dw[base + 1] = 0.5 * (z[i][1] - z[i][2])
                    dw[base + 2] = mid + z[i][3]
                }
            }
        }
        return dw
    }
}

/// Twins of the F(4×4, 3×3) kernels (and, as a second check, of F(2×2, 3×3)), computed as plain
/// matrix products in double precision from the matrices as published: they share no code or
/// order of operations with the kernels, so the tests hold the two to rounding, not bits.
enum WinogradReference {
    /// Bᵀ (α × α), G (α × 3) and Aᵀ (m × α) of F(m×m, 3×3), α = m + 2 (Lavin & Gray 2016).
    static func matrices(m: Int) -> (bt: [[Double]], g: [[Double]], at: [[Double]]) {
        if m == 2 {
            return ([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
                    [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
                    [[1, 1, 1, 0], [0, 1, -1, -1]])
        }
        precondition(m == 4, "F(\(m)×\(m), 3×3) has no reference matrices here")
        return ([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
                [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                 [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]],
                [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
    }

    static func product(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func transposed(_ a: [[Double]]) -> [[Double]] {
        (0..<a[0].count).map { j in a.map { $0[j] } }
    }

    /// `left · x · right` for every tile and channel of a transform, where `read(tile, channel)`
    /// gives the tile's matrix and `write(tile, channel, result)` takes the product.
    static func eachTile(tiles: Int, channels: Int, left: [[Double]], right: [[Double]],
                         read: (Int, Int) -> [[Double]], write: (Int, Int, [[Double]]) -> Void) {
        for t in 0..<tiles {
            for c in 0..<channels { write(t, c, product(product(left, read(t, c)), right)) }
        }
    }

    /// `v[k][t][c] = (Bᵀ d_t B)[i][j]`, k = α·i + j.
    static func inputTransform(_ g: Conv2D.WinogradGeometry, _ src: [Float], kStride: Int) -> [Float] {
        let (bt, _, _) = matrices(m: g.m), a = g.alpha
        var v = [Float](repeating: 0, count: g.positions * kStride)
        eachTile(tiles: g.tiles, channels: g.c, left: bt, right: transposed(bt), read: { t, c in
            let (ty, tx) = (t / g.tilesW, t % g.tilesW)
            return (0..<a).map { i in (0..<a).map { j in Double(src[((g.m * ty + i) * g.paddedW + g.m * tx + j) * g.c + c]) } }
        }, write: { t, c, r in
            for i in 0..<a { for j in 0..<a { v[(a * i + j) * kStride + t * g.c + c] = Float(r[i][j]) } }
        })
        return v
    }

    /// `dst[(m·ty + a)·w + m·tx + b][o] = (Aᵀ M_t A)[a][b]` inside the image.
    static func outputTransform(_ g: Conv2D.WinogradGeometry, _ mt: [Float], kStride: Int) -> [Float] {
        let (_, _, at) = matrices(m: g.m), a = g.alpha
        var dst = [Float](repeating: 0, count: g.p * g.o)
        eachTile(tiles: g.tiles, channels: g.o, left: at, right: transposed(at), read: { t, c in
            (0..<a).map { i in (0..<a).map { j in Double(mt[(a * i + j) * kStride + t * g.o + c]) } }
        }, write: { t, c, r in
            let (ty, tx) = (t / g.tilesW, t % g.tilesW)
            for i in 0..<g.m where g.m * ty + i < g.h {
                for j in 0..<g.m where g.m * tx + j < g.w { dst[((g.m * ty + i) * g.w + g.m * tx + j) * g.o + c] = Float(r[i][j]) }
            }
        })
        return dst
    }

    /// `dm[k][t][o] = (A G_t Aᵀ)[i][j]` from pixel-major ∂L/∂y (zero past the image).
    static func gradientTransform(_ g: Conv2D.WinogradGeometry, _ gradient: [Float], kStride: Int) -> [Float] {
        let (_, _, at) = matrices(m: g.m), a = g.alpha
        var dm = [Float](repeating: 0, count: g.positions * kStride)
        eachTile(tiles: g.tiles, channels: g.o, left: transposed(at), right: at, read: { t, c in
            let (ty, tx) = (t / g.tilesW, t % g.tilesW)
            return (0..<g.m).map { i in (0..<g.m).map { j in
                let (y, x) = (g.m * ty + i, g.m * tx + j)
                return y < g.h && x < g.w ? Double(gradient[(y * g.w + x) * g.o + c]) : 0
            } }
        }, write: { t, c, r in
            for i in 0..<a { for j in 0..<a { dm[(a * i + j) * kStride + t * g.o + c] = Float(r[i][j]) } }
        })
        return dm
    }

    /// `Σ_t` of `B dV_t Bᵀ` placed at each tile's padded input position.
    static func inputGradientTransform(_ g: Conv2D.WinogradGeometry, _ dv: [Float], kStride: Int) -> [Float] {
        let (bt, _, _) = matrices(m: g.m), a = g.alpha
        var dst = [Double](repeating: 0, count: g.paddedCount)
        eachTile(tiles: g.tiles, channels: g.c, left: transposed(bt), right: bt, read: { t, c in
            (0..<a).map { i in (0..<a).map { j in Double(dv[(a * i + j) * kStride + t * g.c + c]) } }
        }, write: { t, c, r in
            let (ty, tx) = (t / g.tilesW, t % g.tilesW)
            for i in 0..<a { for j in 0..<a { dst[((g.m * ty + i) * g.paddedW + g.m * tx + j) * g.c + c] += r[i][j] } }
        })
        return dst.map { Float($0) }
    }

    /// `U[k][c][o] = (G g Gᵀ)[i][j]` of `weights` (O, C, 3, 3).
    static func weightTransform(m: Int, _ weights: [Float], o: Int, c: Int) -> [Float] {
        let (_, gm, _) = matrices(m: m), a = m + 2
        var u = [Float](repeating: 0, count: a * a * c * o)
        for oc in 0..<o {
            for ic in 0..<c {
                let kernel = (0..<3).map { i in (0..<3).map { j in Double(weights[(oc * c + ic) * 9 + 3 * i + j]) } }
                let r = product(product(gm, kernel), transposed(gm))
                for i in 0..<a { for j in 0..<a { u[((a * i + j) * c + ic) * o + oc] = Float(r[i][j]) } }
            }
        }
        return u
    }

    /// `∂L/∂W[o, c] = Gᵀ X G` with `X[i][j] = du[α·i + j][c][o]`.
    static func weightGradientTransform(m: Int, _ du: [Float], o: Int, c: Int) -> [Float] {
        let (_, gm, _) = matrices(m: m), a = m + 2
        var dw = [Float](repeating: 0, count: o * c * 9)
        for oc in 0..<o {
            for ic in 0..<c {
                let x = (0..<a).map { i in (0..<a).map { j in Double(du[((a * i + j) * c + ic) * o + oc]) } }
                let r = product(product(transposed(gm), x), gm)
                for i in 0..<3 { for j in 0..<3 { dw[(oc * c + ic) * 9 + 3 * i + j] = Float(r[i][j]) } }
            }
        }
        return dw
    }
}
