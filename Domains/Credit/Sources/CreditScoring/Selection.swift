import LeptonReport
/// Settings of characteristic selection: plain values.
public struct SelectionConfig: Codable, Sendable, Equatable {
    /// Characteristics with less information value are dropped (0.02: "not predictive" in the usual reading).
    public var minIV = 0.02
    /// Of two characteristics whose WOE columns correlate more than this (absolute Pearson), the
    /// one with less information value is dropped.
    public var maxCorrelation = 0.7
    /// While a characteristic's variance inflation factor exceeds this, the one with the largest is dropped.
    public var maxVIF = 5.0
    /// At most this many characteristics, those of highest IV among the ones the filters keep
    /// (`compress --method characteristics`); nil: no limit.
    public var maxCharacteristics: Int?

    public init() {}
}

/// Why a characteristic is not in the scorecard.
public struct ExcludedCharacteristic: Codable, Sendable, Equatable {
    public var name: String
    public var iv: Double
    public var reason: String
}

/// Characteristic selection: information value threshold, then a correlation filter (greedy by
/// decreasing IV), then a variance-inflation filter, all on the WOE-transformed columns.
public enum CharacteristicSelection {
    /// Returns the indices kept (in decreasing IV order) and the excluded ones with their reasons.
    ///
    /// `woe[j]` holds characteristic j's WOE per row — or per distinct pattern of bins, with the
    /// pattern's row count in `weights` (the same figures, summed in another order). Columns of
    /// characteristics below the IV threshold are never read (they may be empty).
    public static func select(ivs: [Double], names: [String], woe: [[Double]], weights: [Double]? = nil,
                              config: SelectionConfig) -> (kept: [Int], excluded: [ExcludedCharacteristic]) {
        var excluded: [ExcludedCharacteristic] = []
        let order = ivs.indices.sorted { ivs[$0] != ivs[$1] ? ivs[$0] > ivs[$1] : $0 < $1 }
        var kept: [Int] = []
        for j in order {
            if ivs[j] < config.minIV {
                excluded.append(.init(name: names[j], iv: ivs[j], reason: "IV \(fixed(ivs[j], 4)) below \(fixed(config.minIV, 4))"))
                continue
            }
            if let other = kept.first(where: { abs(correlation(woe[$0], woe[j], weights: weights)) > config.maxCorrelation }) {
                let r = correlation(woe[other], woe[j], weights: weights)
                excluded.append(.init(name: names[j], iv: ivs[j],
                                      reason: "WOE correlation \(fixed(r, 3)) with '\(names[other])' (higher IV) above \(fixed(config.maxCorrelation, 2))"))
                continue
            }
            kept.append(j)
        }
        while kept.count > 2 {
            let vifs = varianceInflation(kept.map { woe[$0] }, weights: weights)
            guard let worst = vifs.indices.max(by: { vifs[$0] < vifs[$1] }), vifs[worst] > config.maxVIF else { break }
            let j = kept.remove(at: worst)
            excluded.append(.init(name: names[j], iv: ivs[j], reason: "VIF \(fixed(vifs[worst], 2)) above \(fixed(config.maxVIF, 2))"))
        }
        if let limit = config.maxCharacteristics, kept.count > max(1, limit) {
            // `kept` is in decreasing IV order: the tail has the least information.
            for j in kept[max(1, limit)...] {
                excluded.append(.init(name: names[j], iv: ivs[j], reason: "beyond the \(max(1, limit)) characteristics of highest IV kept"))
            }
            kept = Array(kept.prefix(max(1, limit)))
        }
        return (kept, excluded)
    }

    /// Pearson correlation Σw(x−x̄)(y−ȳ) / √(Σw(x−x̄)² Σw(y−ȳ)²) with weighted means (weights 1
    /// when nil); 0 when either column is constant.
    public static func correlation(_ x: [Double], _ y: [Double], weights: [Double]? = nil) -> Double {
        let n = weights?.reduce(0, +) ?? Double(x.count)
        guard n > 1 else { return 0 }
        var mx = 0.0, my = 0.0
        for i in x.indices {
            let w = weights?[i] ?? 1
            mx += w * x[i]
            my += w * y[i]
        }
        mx /= n
        my /= n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            let w = weights?[i] ?? 1
            let dx = x[i] - mx, dy = y[i] - my
            sxy += w * dx * dy; sxx += w * dx * dx; syy += w * dy * dy
        }
        guard sxx > 0, syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Variance inflation factors VIF_j = 1 / (1 − R²_j) = (R⁻¹)_jj with R the correlation
    /// matrix of the columns; +∞ for a column that the others determine exactly.
    public static func varianceInflation(_ columns: [[Double]], weights: [Double]? = nil) -> [Double] {
        let p = columns.count
        var r = [Double](repeating: 0, count: p * p)
        for a in 0..<p {
            r[a * p + a] = 1
            for b in (a + 1)..<max(a + 1, p) {
                let c = correlation(columns[a], columns[b], weights: weights)
                r[a * p + b] = c
                r[b * p + a] = c
            }
        }
        guard let inverse = invert(r, size: p) else { return [Double](repeating: .infinity, count: p) }
        return (0..<p).map { inverse[$0 * p + $0] }
    }

    /// Gauss–Jordan inverse with partial pivoting; nil when singular.
    static func invert(_ a: [Double], size n: Int) -> [Double]? {
        var m = a
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            var pivot = col
            for row in col..<n where abs(m[row * n + col]) > abs(m[pivot * n + col]) { pivot = row }
            guard abs(m[pivot * n + col]) > 1e-12 else { return nil }
            if pivot != col {
                for k in 0..<n {
                    m.swapAt(col * n + k, pivot * n + k)
                    inv.swapAt(col * n + k, pivot * n + k)
                }
            }
            let d = m[col * n + col]
            for k in 0..<n { m[col * n + k] /= d; inv[col * n + k] /= d }
            for row in 0..<n where row != col {
                let f = m[row * n + col]
                if f == 0 { continue }
                for k in 0..<n { m[row * n + k] -= f * m[col * n + k]; inv[row * n + k] -= f * inv[col * n + k] }
            }
        }
        return inv
    }
}

/// `value` with `decimals` decimals, ungrouped, in ASCII (LeptonReport's ``NumberFormat``): for messages.
func fixed(_ value: Double, _ decimals: Int) -> String {
    NumberFormat.fixed(value, decimals: decimals, grouping: false, ascii: true)
}
