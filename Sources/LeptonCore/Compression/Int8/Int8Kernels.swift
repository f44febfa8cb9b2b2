import CLeptonKernels
import Foundation

/// Which int8 convolution kernel runs (CLeptonKernels/int8_conv.c). All three give identical
/// int32 sums (7-bit activations: no int16 saturation on the AVX2 path).
public enum Int8KernelPath: String, Sendable, CaseIterable {
    /// Plain C: the reference, on every processor.
    case naive
    /// vpmaddubsw + vpmaddwd, for processors with AVX2 but without AVX-512 VNNI.
    case avx2
    /// vpdpbusd (AVX-512 VNNI).
    case vnni

    var code: Int32 {
        switch self {
        case .naive: return 0
        case .avx2: return 1
        case .vnni: return 2
        }
    }

    /// Whether this processor runs the path.
    public var isAvailable: Bool {
        switch self {
        case .naive: return true
        case .avx2: return lepton_int8_avx2_available() != 0
        case .vnni: return lepton_int8_vnni_available() != 0
        }
    }

    /// The fastest path this processor runs, unless `LEPTON_INT8_PATH` (naive, avx2, vnni) names
    /// an available one (benchmarks force the AVX2 path on a VNNI machine this way).
    public static let best: Int8KernelPath = {
        if let name = ProcessInfo.processInfo.environment["LEPTON_INT8_PATH"], let forced = Int8KernelPath(rawValue: name), forced.isAvailable {
            return forced
        }
        return [.vnni, .avx2].first { $0.isAvailable } ?? .naive
    }()
}

/// A network quantized to int8 (``Int8ConvNet``, ``Int8ResidualNet``): an inference-only layer
/// whose kernel path a test or benchmark can force, and whose saved tensors load back into a
/// skeleton of the same shapes (``Int8Quantizer/skeleton(of:inputShape:)``).
public protocol Int8Network: Layer {
    /// The kernel path (``Int8KernelPath/best`` unless forced); a path this processor lacks is a
    /// programmer error (it would end in SIGILL).
    var path: Int8KernelPath { get set }
    /// Restores the tensors of `namedParameters` (a model file's, its codes in `layout`),
    /// checking every length.
    func load(_ tensors: [String: Tensor], layout: Int8WeightLayout) throws
}

extension Int8Network {
    /// ``load(_:layout:)`` of codes in the kernels' order.
    public func load(_ tensors: [String: Tensor]) throws { try load(tensors, layout: .blockMajor) }
}
