import LeptonCore

/// XOR: four points, labels 0 1 1 0 (targets as (N, 1) for a single logit).
func xorData() -> (x: Tensor, y: Tensor) {
    (Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]), Tensor(shape: [4, 1], scalars: [0, 1, 1, 0]))
}

/// A generated two-class image task: 8×8 single-channel images with a bright horizontal bar
/// (class 0) or vertical bar (class 1) at a random position, on Gaussian noise.
/// Returns x (N, 1, 8, 8) and labels (N) as class indices.
func barImages(count: Int, seed: UInt64, size: Int = 8) -> (x: Tensor, y: Tensor) {
    var rng = SeededGenerator(seed: seed)
    var x = Tensor.normal([count, 1, size, size], std: 0.3, using: &rng)
    var labels: [Float] = []
    for n in 0..<count {
        let vertical = rng.nextInt(below: 2) == 1
        let at = rng.nextInt(below: size), from = rng.nextInt(below: size / 2)
        for t in from..<(from + size / 2) {
            if vertical { x[n, 0, t, at] += 1.5 } else { x[n, 0, at, t] += 1.5 }
        }
        labels.append(vertical ? 1 : 0)
    }
    return (x, Tensor(labels))
}
