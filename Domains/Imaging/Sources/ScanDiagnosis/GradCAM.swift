import Foundation
import LeptonCore
import LeptonIO

extension Saliency {
    /// Grad-CAM (Selvaraju et al. 2017) on the last convolutional block of a network whose head
    /// is global average pooling then one dense layer (cnn-small, resnet18).
    ///
    /// With A_k (H′ × W′) the activations entering the pooling and the target the positive
    /// class's logit margin m = z₊ − log Σ_{j≠+} e^{z_j}, the weights are
    /// α_k = mean_{ij} ∂m/∂A_k(i, j) = (W₊ₖ − Σ_{j≠+} s_j W_jk) / (H′W′) with s the softmax of
    /// the other logits: exact here, because m depends on A only through the pooled means.
    /// The map is ReLU(Σ_k α_k A_k), bilinearly resized to the scan; for an ensemble, the mean
    /// of its members' maps. Returns nil when the network has no such head (logistic, mlp).
    /// It runs the layers one by one (their inference caches change), so it must not run
    /// concurrently with other passes through the same model.
    public static func gradCAM(model: ScanModel, image: [Float]) -> [Float]? {
        let (h, w) = (model.spec.height, model.spec.width)
        precondition(image.count == h * w, "Grad-CAM: the image is not the model's size")
        let x = model.prepared(Tensor(shape: [1, 1, h, w], scalars: image))
        var total: [Float]?
        for network in model.members {
            guard let map = classActivationMap(network, x, positive: model.spec.positiveClass) else { return nil }
            let resized = Raster(width: map.width, height: map.height, layout: .gray, pixels: map.values)
                .resized(width: w, height: h, filter: .bilinear).pixels
            total = total.map { zip($0, resized).map(+) } ?? resized
        }
        return total.map { sum in sum.map { $0 / Float(model.members.count) } }
    }

    /// The Grad-CAM map at the resolution of the last convolutional block, or nil without a
    /// GlobalAvgPool → Dense head.
    static func classActivationMap(_ network: NeuralNetwork, _ x: Tensor, positive: Int) -> (values: [Float], width: Int, height: Int)? {
        let layers = network.model.layers
        guard layers.count >= 2, let pool = layers[layers.count - 2] as? GlobalAvgPool, let dense = layers.last as? Dense else { return nil }
        var a = x
        for layer in layers.dropLast(2) { a = layer.forward(a, training: false) }
        let channelsLast = pool.layout == .channelsLast
        let (c, hh, ww) = channelsLast ? (a.shape[3], a.shape[1], a.shape[2]) : (a.shape[1], a.shape[2], a.shape[3])
        let logits = dense.forward(pool.forward(a, training: false), training: false).scalars.map(Double.init)
        let k = dense.outputFeatures
        // ∂m/∂z_j: 1 for the positive class, −softmax over the others for the rest.
        let others = (0..<k).filter { $0 != positive }
        let top = others.map { logits[$0] }.max() ?? 0
        let e = others.map { exp(logits[$0] - top) }, sum = e.reduce(0, +)
        var dz = [Double](repeating: 0, count: k)
        dz[positive] = 1
        for (i, j) in others.enumerated() { dz[j] = -e[i] / sum }
        let weight = dense.weight.value.scalars  // (outputs, inputs)
        let area = Float(hh * ww)
        let alpha: [Float] = (0..<c).map { ch in Float((0..<k).reduce(0.0) { $0 + dz[$1] * Double(weight[$1 * c + ch]) }) / area }
        let activations = a.scalars
        var map = [Float](repeating: 0, count: hh * ww)
        for p in 0..<(hh * ww) {
            var v: Float = 0
            for ch in 0..<c { v += alpha[ch] * activations[channelsLast ? p * c + ch : ch * hh * ww + p] }
            map[p] = max(0, v)
        }
        return (map, ww, hh)
    }
}

/// Which saliency map `classify --saliency` writes.
public enum SaliencyMethod: String, Sendable, CaseIterable {
    /// ``Saliency/gradCAM(model:image:)``, or occlusion for a model without a convolutional block.
    case gradcam
    /// ``Saliency/occlusion(model:image:window:stride:)``.
    case occlusion

    /// The map of one scan (H × W).
    public func map(model: ScanModel, image: [Float]) -> [Float] {
        switch self {
        case .gradcam: return Saliency.gradCAM(model: model, image: image) ?? Saliency.occlusion(model: model, image: image)
        case .occlusion: return Saliency.occlusion(model: model, image: image)
        }
    }
}
