/// Structured channel pruning: whole convolution filters removed, with the matching inputs of
/// the next layer, so the network is physically smaller and every layer after it faster.
///
/// Criterion: the L1 norm Σ|W[o]| of each filter; in each convolution the ⌈(1 − ratio)·C⌉
/// filters of largest norm stay (at least one), in their original order. For `cnn-small` the
/// three convolutions lose filters and the next convolution (or the dense layer after the global
/// average pool) loses the matching input channels; the result is a `cnn-small` with the kept
/// widths in ``ArchitectureSpec/channels``. For `resnet18` each BasicBlock's inner width is
/// pruned (first convolution, its BatchNorm, the second convolution's inputs); the widths the
/// residual sums tie together stay. Fine-tune it afterwards (the domain's `compress` does).
public enum ChannelPruning {
    /// Architectures this pruning takes.
    public static let supported = ["cnn-small", "resnet18"]

    /// The pruned network (the original is not changed).
    public static func prune(_ network: NeuralNetwork, ratio: Double) throws -> NeuralNetwork {
        guard ratio > 0, ratio < 1 else { throw QuantizationError(description: "a pruning ratio is between 0 and 1 (exclusive), got \(ratio)") }
        guard supported.contains(network.architecture.name), network.compression == nil || network.compression?.method == .distill else {
            throw QuantizationError(description: "structured channel pruning takes an uncompressed cnn-small or resnet18; this is \(network.architecture.name)\(network.compression.map { " (\($0.method.rawValue))" } ?? "")")
        }
        if network.architecture.name == "resnet18" { return try pruneResNet(network, ratio: ratio) }
        let convIndices = [0, 3, 6], denseIndex = 9
        let convs = convIndices.map { network.model.layers[$0] as! Conv2D }
        let dense = network.model.layers[denseIndex] as! Dense
        let kept = convs.map { keptFilters($0, ratio: ratio) }
        var spec = network.architecture
        spec.channels = kept.map(\.count)
        let pruned = try NeuralNetwork(spec, seed: 0, classNames: network.classNames)
        for (k, index) in convIndices.enumerated() {
            let source = convs[k], target = pruned.model.layers[index] as! Conv2D
            let inputs = k == 0 ? Array(0..<source.inChannels) : kept[k - 1]
            target.weight.value = slice(source.weight.value, rows: kept[k], columns: inputs, inner: 9)
            if let b = source.bias, let tb = target.bias { tb.value = Tensor(shape: [kept[k].count], scalars: kept[k].map { b.value.scalars[$0] }) }
        }
        let target = pruned.model.layers[denseIndex] as! Dense
        target.weight.value = slice(dense.weight.value, rows: Array(0..<dense.outputFeatures), columns: kept[2], inner: 1)
        target.bias.value = dense.bias.value
        return NeuralNetwork(architecture: spec, model: pruned.model, classNames: network.classNames,
                             compression: NetworkCompression(method: .prune, pruning: "channels", ratio: ratio))
    }

    /// ResNet-18: in every BasicBlock the inner width (the first convolution's filters, its
    /// BatchNorm's four vectors, the second convolution's inputs) loses the filters of smallest L1
    /// norm; the block's output width, which the residual sum ties to its input, stays.
    static func pruneResNet(_ network: NeuralNetwork, ratio: Double) throws -> NeuralNetwork {
        let blocks = network.model.layers.compactMap { $0 as? ResidualBlock }
        guard blocks.count == 8 else { throw QuantizationError(description: "a resnet18 with \(blocks.count) residual blocks, expected 8") }
        let kept = blocks.map { keptFilters($0.main.layers[0] as! Conv2D, ratio: ratio) }
        var spec = network.architecture
        spec.channels = kept.map(\.count)
        let pruned = try NeuralNetwork(spec, seed: 0, classNames: network.classNames)
        // Every tensor outside the blocks' inner width is copied as it is.
        let source = Dictionary(network.model.namedParameters.map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
        for (name, p) in pruned.model.namedParameters where source[name]?.shape == p.value.shape { p.value = source[name]! }
        let targets = pruned.model.layers.compactMap { $0 as? ResidualBlock }
        for (k, (from, to)) in zip(blocks, targets).enumerated() {
            let (c1, n1, c2) = (from.main.layers[0] as! Conv2D, from.main.layers[1] as! BatchNorm, from.main.layers[3] as! Conv2D)
            let (t1, m1, t2) = (to.main.layers[0] as! Conv2D, to.main.layers[1] as! BatchNorm, to.main.layers[3] as! Conv2D)
            t1.weight.value = slice(c1.weight.value, rows: kept[k], columns: Array(0..<c1.inChannels), inner: 9)
            for (a, b) in zip(n1.namedParameters, m1.namedParameters) {
                b.parameter.value = Tensor(shape: [kept[k].count], scalars: kept[k].map { a.parameter.value.scalars[$0] })
            }
            t2.weight.value = slice(c2.weight.value, rows: Array(0..<c2.outChannels), columns: kept[k], inner: 9)
        }
        return NeuralNetwork(architecture: spec, model: pruned.model, classNames: network.classNames,
                             compression: NetworkCompression(method: .prune, pruning: "channels", ratio: ratio))
    }

    /// The ⌈(1 − ratio)·O⌉ filters (at least one) of largest L1 norm Σ|W[o]|, in their original order.
    static func keptFilters(_ conv: Conv2D, ratio: Double) -> [Int] {
        let w = conv.weight.value.scalars, per = conv.inChannels * conv.kernelHeight * conv.kernelWidth
        let norms = (0..<conv.outChannels).map { o in w[(o * per)..<((o + 1) * per)].reduce(Float(0)) { $0 + abs($1) } }
        let keep = max(1, Int((Double(conv.outChannels) * (1 - ratio)).rounded(.up)))
        return Array(norms.indices.sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }.prefix(keep)).sorted()
    }

    /// Rows `rows` and columns `columns` of a (R, C, inner…) tensor.
    static func slice(_ t: Tensor, rows: [Int], columns: [Int], inner: Int) -> Tensor {
        let c = t.shape[1], s = t.scalars
        var out: [Float] = []
        out.reserveCapacity(rows.count * columns.count * inner)
        for r in rows { for col in columns { out += s[((r * c + col) * inner)..<((r * c + col + 1) * inner)] } }
        return Tensor(shape: [rows.count, columns.count] + Array(t.shape.dropFirst(2)), scalars: out)
    }
}
