import LeptonIO

/// How a neural network was compressed; the model file keeps it in `extra.compression` (which
/// makes the file major version 2) and ``NeuralNetwork/load(from:)`` rebuilds the network from it.
public struct NetworkCompression: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Int8 post-training quantization (``Int8ConvNet``, ``Int8ResidualNet``).
        case int8
        /// Structured channel pruning (the smaller widths are in the architecture) or unstructured
        /// magnitude pruning (weights stored sparse).
        case prune
        /// Weight sharing: each weight tensor as codes into a small codebook.
        case cluster
        /// A smaller student trained on a teacher's softened outputs (an ordinary network file).
        case distill
    }

    public var method: Method
    /// int8: how activation ranges were calibrated.
    public var calibration: ActivationCalibration?
    /// cluster: centroids per tensor; the tensors stored as codes.
    public var clusters: Int?
    public var clusteredTensors: [String]?
    /// prune: `channels` (structured) or `unstructured`, the ratio removed, and the tensors stored sparse.
    public var pruning: String?
    public var ratio: Double?
    public var sparseTensors: [String]?
    /// Where the compressed network came from (the original's architecture summary or file).
    public var source: String?
    /// int8: the order of the packed codes (absent in files written before 2026-12-07, 22:24 UTC:
    /// tap-major). Block-major files are major version 3 (``ModelFile/majorVersion``).
    public var weightLayout: Int8WeightLayout?

    /// `weightLayout` defaults to the kernels' order for int8 (nil otherwise).
    public init(method: Method, calibration: ActivationCalibration? = nil, clusters: Int? = nil, clusteredTensors: [String]? = nil,
                pruning: String? = nil, ratio: Double? = nil, sparseTensors: [String]? = nil, source: String? = nil,
                weightLayout: Int8WeightLayout? = nil) {
        self.method = method; self.calibration = calibration; self.clusters = clusters; self.clusteredTensors = clusteredTensors
        self.pruning = pruning; self.ratio = ratio; self.sparseTensors = sparseTensors; self.source = source
        self.weightLayout = weightLayout ?? (method == .int8 ? .blockMajor : nil)
    }

    /// The tensors a model file stores for `tensors` (the network's own): clustered ones as
    /// `name#codes` + `name#codebook`, sparse ones as `name#mask` + `name#values`, each with
    /// `name#shape`; the rest as they are.
    func encode(_ tensors: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        let clustered = Set(clusteredTensors ?? []), sparse = Set(sparseTensors ?? [])
        return tensors.flatMap { name, t -> [(name: String, tensor: Tensor)] in
            let shape = Tensor(shape: [t.rank], scalars: t.shape.map { Float($0) })
            if clustered.contains(name) {
                let (codebook, codes) = WeightClustering.codes(t.scalars)
                let bits = codebook.count <= 16 ? 4 : 8
                return [("\(name)#shape", shape), ("\(name)#codebook", Tensor(shape: [codebook.count], scalars: codebook)),
                        ("\(name)#codes", Tensor(shape: [bits == 4 ? (codes.count + 7) / 8 : (codes.count + 3) / 4],
                                                 scalars: bits == 4 ? PackedCells.pack4(codes) : PackedCells.pack8(codes)))]
            }
            if sparse.contains(name) {
                let mask = t.scalars.map { $0 != 0 }
                let values = t.scalars.filter { $0 != 0 }
                return [("\(name)#shape", shape), ("\(name)#mask", Tensor(shape: [(mask.count + 31) / 32], scalars: PackedCells.packBits(mask))),
                        ("\(name)#values", Tensor(shape: [values.count], scalars: values))]
            }
            return [(name, t)]
        }
    }

    /// The network's tensors back from a file's (the reverse of ``encode(_:)``), checking every length.
    func decode(_ tensors: [(name: String, tensor: Tensor)], path: String) throws -> [(name: String, tensor: Tensor)] {
        func bad(_ reason: String) -> ModelFileError { .malformed(path: path, reason: reason) }
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var out = tensors.filter { !$0.name.contains("#") }
        func shape(_ name: String) throws -> [Int] {
            guard let s = byName["\(name)#shape"], s.scalars.allSatisfy({ $0 >= 0 && $0 < 1e9 && $0 == $0.rounded() }) else {
                throw bad("compressed tensor '\(name)' has no valid shape")
            }
            let dims = s.scalars.map { Int($0) }
            guard dims.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) < 1 << 30 else { throw bad("tensor '\(name)' is too large") }
            return dims
        }
        for name in clusteredTensors ?? [] {
            let dims = try shape(name)
            let n = dims.reduce(1, *)
            guard let codebook = byName["\(name)#codebook"]?.scalars, !codebook.isEmpty, codebook.count <= 256,
                  let cells = byName["\(name)#codes"]?.scalars else { throw bad("clustered tensor '\(name)' is incomplete") }
            let codes = codebook.count <= 16 ? PackedCells.unpack4(cells, count: n) : PackedCells.unpack8(cells, count: n)
            guard codes.count == n, codes.allSatisfy({ Int($0) < codebook.count }) else { throw bad("clustered tensor '\(name)' has invalid codes") }
            out.append((name, Tensor(shape: dims, scalars: codes.map { codebook[Int($0)] })))
        }
        for name in sparseTensors ?? [] {
            let dims = try shape(name)
            let n = dims.reduce(1, *)
            guard let maskCells = byName["\(name)#mask"]?.scalars, let values = byName["\(name)#values"]?.scalars else {
                throw bad("sparse tensor '\(name)' is incomplete")
            }
            let mask = PackedCells.unpackBits(maskCells, count: n)
            guard mask.count == n, mask.filter({ $0 }).count == values.count else { throw bad("sparse tensor '\(name)' has a mask that does not match its values") }
            var dense = [Float](repeating: 0, count: n)
            var k = 0
            for i in 0..<n where mask[i] { dense[i] = values[k]; k += 1 }
            out.append((name, Tensor(shape: dims, scalars: dense)))
        }
        return out
    }
}

extension PackedCells {
    /// Values below 16, eight to a cell.
    static func pack4(_ v: [UInt8]) -> [Float] {
        stride(from: 0, to: v.count, by: 8).map { i in
            var w: UInt32 = 0
            for k in 0..<8 where i + k < v.count { w |= UInt32(v[i + k] & 15) << (4 * k) }
            return Float(bitPattern: w)
        }
    }
    static func unpack4(_ cells: [Float], count: Int) -> [UInt8] {
        guard cells.count * 8 >= count else { return [] }
        return (0..<count).map { UInt8(truncatingIfNeeded: cells[$0 / 8].bitPattern >> (4 * UInt32($0 % 8))) & 15 }
    }
    static func packBits(_ v: [Bool]) -> [Float] {
        stride(from: 0, to: v.count, by: 32).map { i in
            var w: UInt32 = 0
            for k in 0..<32 where i + k < v.count && v[i + k] { w |= 1 << UInt32(k) }
            return Float(bitPattern: w)
        }
    }
    static func unpackBits(_ cells: [Float], count: Int) -> [Bool] {
        guard cells.count * 32 >= count else { return [] }
        return (0..<count).map { (cells[$0 / 32].bitPattern >> UInt32($0 % 32)) & 1 != 0 }
    }
}
