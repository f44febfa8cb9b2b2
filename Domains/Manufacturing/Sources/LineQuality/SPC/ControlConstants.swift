import Foundation
import LeptonCore
import LeptonIO

/// The control chart constants for subgroups of n, computed from the normal distribution rather
/// than typed in (tested against the published tables):
///
///     d2(n) = E[W] = ∫ [1 − (1 − Φ(x))ⁿ − Φ(x)ⁿ] dx                       (W: range of n standard normals)
///     d3(n) = √(E[W²] − d2²),  E[W²] = 2 ∫∫_{x<y} [1 − Φ(y)ⁿ − (1 − Φ(x))ⁿ + (Φ(y) − Φ(x))ⁿ] dx dy
///     c4(n) = √(2/(n−1)) · Γ(n/2) / Γ((n−1)/2)                              (E[s] = c4·σ)
///
/// and from them A2 = 3/(d2√n), D3 = max(0, 1 − 3d3/d2), D4 = 1 + 3d3/d2, A3 = 3/(c4√n),
/// B3 = max(0, 1 − 3√(1−c4²)/c4), B4 = 1 + 3√(1−c4²)/c4.
public enum ControlConstants {
    private static let cache = Protected<[Int: (d2: Double, d3: Double)]>([:])

    /// d2(n) for n ≥ 2 (1.128 for n = 2, 2.326 for n = 5).
    public static func d2(_ n: Int) -> Double { rangeMoments(n).d2 }
    /// d3(n) for n ≥ 2 (0.853 for n = 2, 0.864 for n = 5).
    public static func d3(_ n: Int) -> Double { rangeMoments(n).d3 }

    /// c4(n) for n ≥ 2 (0.7979 for n = 2, 0.9400 for n = 5).
    public static func c4(_ n: Int) -> Double {
        precondition(n >= 2, "c4 needs n ≥ 2")
        return (2 / Double(n - 1)).squareRoot() * exp(lgamma(Double(n) / 2) - lgamma(Double(n - 1) / 2))
    }

    public static func a2(_ n: Int) -> Double { 3 / (d2(n) * Double(n).squareRoot()) }
    public static func d3Factor(_ n: Int) -> Double { max(0, 1 - 3 * d3(n) / d2(n)) }
    public static func d4Factor(_ n: Int) -> Double { 1 + 3 * d3(n) / d2(n) }
    public static func a3(_ n: Int) -> Double { 3 / (c4(n) * Double(n).squareRoot()) }
    public static func b3(_ n: Int) -> Double { max(0, 1 - 3 * (1 - c4(n) * c4(n)).squareRoot() / c4(n)) }
    public static func b4(_ n: Int) -> Double { 1 + 3 * (1 - c4(n) * c4(n)).squareRoot() / c4(n) }

    /// d2 and d3 by the integrals above (Simpson's rule on [−9, 9], step 0.01; cached per n).
    static func rangeMoments(_ n: Int) -> (d2: Double, d3: Double) {
        precondition(n >= 2, "d2 and d3 need n ≥ 2")
        if let known = cache.withLock({ $0[n] }) { return known }
        let step = 0.01, lo = -9.0, count = 1800
        let phi = (0...count).map { normalCDF(lo + Double($0) * step) }
        let nd = Double(n)
        func simpson(_ f: (Int) -> Double, from a: Int, to b: Int) -> Double {
            // Over grid points a…b (b − a even; a lone last interval by the trapezoid).
            guard b > a else { return 0 }
            var sum = f(a) + f(b)
            let even = (b - a) % 2 == 0 ? b : b - 1
            for k in stride(from: a + 1, to: even, by: 1) { sum += f(k) * ((k - a) % 2 == 1 ? 4 : 2) }
            var total = (b - a) % 2 == 0 ? sum * step / 3 : (sum - f(b) + f(even)) * step / 3
            if even != b { total += (f(even) + f(b)) * step / 2 }
            return total
        }
        let d2 = simpson({ 1 - pow(1 - phi[$0], nd) - pow(phi[$0], nd) }, from: 0, to: count)
        // Inner integral over x < y for each y, then the outer one over y.
        let inner = (0...count).map { j -> Double in
            simpson({ i in 1 - pow(phi[j], nd) - pow(1 - phi[i], nd) + pow(phi[j] - phi[i], nd) }, from: 0, to: j)
        }
        let second = 2 * simpson({ inner[$0] }, from: 0, to: count)
        let result = (d2, (second - d2 * d2).squareRoot())
        cache.withLock { $0[n] = result }
        return result
    }
}
