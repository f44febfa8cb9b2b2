#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Φ(x), the standard normal distribution function: ½·erfc(−x/√2).
public func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

/// Φ⁻¹(p), the standard normal quantile, for p in (0, 1) (±∞ at 0 and 1, NaN outside): Acklam's
/// rational approximation (relative error < 1.2·10⁻⁹) refined by one Halley step on Φ.
public func normalQuantile(_ p: Double) -> Double {
    guard p > 0, p < 1 else { return p == 0 ? -.infinity : (p == 1 ? .infinity : .nan) }
    let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
             -3.066479806614716e+01, 2.506628277459239e+00]
    let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
             -1.328068155288572e+01]
    let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
             4.374664141464968e+00, 2.938163982698783e+00]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let low = 0.02425
    var x: Double
    if p < low {
        let q = (-2 * log(p)).squareRoot()
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    } else if p <= 1 - low {
        let q = p - 0.5, r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    } else {
        let q = (-2 * log(1 - p)).squareRoot()
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    // One Halley step: e = Φ(x) − p, u = e·√(2π)·e^{x²/2}, x ← x − u / (1 + x·u/2).
    let e = normalCDF(x) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    return x - u / (1 + x * u / 2)
}

/// The p-quantile of the χ² distribution with k degrees of freedom: the x with P(χ²_k ≤ x) = p,
/// by bisection on ``chiSquareSurvival(_:degreesOfFreedom:)`` to 1e-12 relative (Wilson–Hilferty above 1,000 degrees).
public func chiSquareQuantile(_ p: Double, degreesOfFreedom k: Int) -> Double {
    guard p > 0, p < 1, k >= 1 else { return p == 0 ? 0 : (p == 1 ? .infinity : .nan) }
    if k > 1000 {
        // Wilson–Hilferty: (χ²/k)^{1/3} is nearly normal with mean 1 − 2/(9k), variance 2/(9k) (relative error < 10⁻⁵ here).
        let v = 2 / (9 * Double(k))
        return Double(k) * pow(1 - v + normalQuantile(p) * v.squareRoot(), 3)
    }
    var lo = 0.0, hi = max(1.0, Double(k))
    while 1 - chiSquareSurvival(hi, degreesOfFreedom: k) < p { hi *= 2 }
    for _ in 0..<200 {
        let mid = (lo + hi) / 2
        if 1 - chiSquareSurvival(mid, degreesOfFreedom: k) < p { lo = mid } else { hi = mid }
        if hi - lo <= 1e-12 * max(1, hi) { break }
    }
    return (lo + hi) / 2
}
