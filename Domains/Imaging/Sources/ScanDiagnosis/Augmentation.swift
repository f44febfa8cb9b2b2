import LeptonCore

/// Seeded augmentation suitable for chest X-rays: a small shift (up to `maxShift` pixels in each
/// direction, edges repeated), brightness ±`brightness` and contrast ×(1 ± `contrast`) around the
/// image's mean. No flips: anatomy is not symmetric. Images are (N, 1, H, W), already standardised.
public struct XRayAugmentation: Sendable, Equatable {
    public var maxShift = 2
    public var brightness: Float = 0.1
    public var contrast: Float = 0.1
    public var seed: UInt64 = 0

    public init() {}

    /// The augmented batch; the same (seed, epoch, batch) always gives the same result.
    public func apply(_ batch: Tensor, epoch: Int, batch index: Int) -> Tensor {
        let (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3])
        var rng = SeededGenerator(seed: seed &+ UInt64(epoch) &* 1_000_003 &+ UInt64(index) &* 7_919)
        var out = [Float](repeating: 0, count: batch.count)
        let source = batch.scalars
        for i in 0..<n {
            let dy = Int(rng.next() % UInt64(2 * maxShift + 1)) - maxShift, dx = Int(rng.next() % UInt64(2 * maxShift + 1)) - maxShift
            let gain = 1 + (Float(rng.uniform()) * 2 - 1) * contrast, offset = (Float(rng.uniform()) * 2 - 1) * brightness
            let base = i * h * w
            var mean: Float = 0
            for k in 0..<(h * w) { mean += source[base + k] }
            mean /= Float(h * w)
            for y in 0..<h {
                let sy = min(h - 1, max(0, y - dy))
                for x in 0..<w {
                    let sx = min(w - 1, max(0, x - dx))
                    out[base + y * w + x] = (source[base + sy * w + sx] - mean) * gain + mean + offset
                }
            }
        }
        return Tensor(shape: batch.shape, scalars: out)
    }
}
