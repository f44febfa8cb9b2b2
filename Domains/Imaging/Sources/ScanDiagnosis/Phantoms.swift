import Foundation
import LeptonCore
import LeptonIO

/// Seeded synthetic chest-like phantoms (`lepton-scan synth`): two darker lung fields, a bright
/// mediastinum and spine between them, rib arcs across the lungs, soft-tissue edges, Gaussian
/// noise; the `finding` class adds a focal opacity (a bright blob in one lung) or a diffuse one
/// (a haze over the lower part of a lung). Gray 8-bit PNGs in `out/normal` and `out/finding`.
public enum Phantoms {
    /// Writes `count` phantoms (half of each class) of `size × size` pixels; returns the paths.
    @discardableResult
    public static func write(count: Int, size: Int = 32, seed: UInt64, to folder: String) throws -> [String] {
        var paths: [String] = []
        for name in ["normal", "finding"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        }
        for i in 0..<count {
            var rng = SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(i))
            let finding = i % 2 == 1
            let pixels = image(size: size, finding: finding, rng: &rng)
            let path = "\(folder)/\(finding ? "finding" : "normal")/\(String(format: "%05d", i)).png"
            try PNG.write(Raster(width: size, height: size, layout: .gray, pixels: pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }), to: path)
            paths.append(path)
        }
        return paths
    }

    /// One phantom's gray values in 0…1.
    static func image(size: Int, finding: Bool, rng: inout SeededGenerator) -> [Float] {
        let s = Double(size)
        let shift = (rng.uniform() - 0.5) * 0.08, tilt = (rng.uniform() - 0.5) * 0.1
        let kind = rng.uniform() < 0.5  // focal or diffuse
        let side: Double = rng.uniform() < 0.5 ? -1 : 1
        let spot = (x: 0.5 + side * (0.17 + rng.uniform() * 0.1), y: 0.35 + rng.uniform() * 0.35, r: 0.05 + rng.uniform() * 0.05)
        var out = [Float](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let u = (Double(x) + 0.5) / s - 0.5 - shift, v = (Double(y) + 0.5) / s - 0.5 + tilt * u
                var value = 0.55  // soft tissue
                // Lung fields: ellipses left and right of the midline.
                for c in [-0.2, 0.2] {
                    let e = pow((u - c) / 0.16, 2) + pow((v - 0.02) / 0.34, 2)
                    if e < 1 { value -= 0.35 * (1 - pow(e, 4)) }
                }
                // Mediastinum and spine.
                if abs(u) < 0.07 + 0.05 * max(0, v) { value += 0.25 }
                // Ribs: arcs across the lungs.
                let rib = sin((v + 0.1 * u * u) * 40)
                if rib > 0.85 && abs(u) < 0.38 { value += 0.08 }
                if finding {
                    let px = (Double(x) + 0.5) / s, py = (Double(y) + 0.5) / s
                    if kind {
                        let d = pow(px - spot.x, 2) + pow(py - spot.y, 2)
                        value += 0.3 * exp(-d / (2 * spot.r * spot.r))
                    } else if (side < 0 ? px < 0.5 : px > 0.5) && py > 0.5 {
                        value += 0.12 * (py - 0.5) * 2
                    }
                }
                value += rng.normal(sd: 0.04)
                out[y * size + x] = Float(max(0, min(1, value)))
            }
        }
        return out
    }
}
