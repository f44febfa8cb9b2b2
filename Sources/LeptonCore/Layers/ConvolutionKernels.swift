import Foundation

/// Which convolution kernels 3×3 / stride-1 / padding-1 layers use, from `LEPTON_CONV_KERNELS`:
/// unset or `auto` (Winograd for layers of at least ``winogradMinimumChannels`` input and output
/// channels, the direct kernels below), `winograd` (Winograd wherever it applies), `direct` (never
/// Winograd) or `gemm` (im2col + GEMM everywhere) — the last three for comparisons. The direct
/// kernels are channels first: a channels-last layer without Winograd takes im2col + GEMM.
///
/// Measured with `lepton-bench conv-layers` (batch 128, 2 threads, one training step of each of
/// ResNet-18's stride-1 shapes): Winograd took 0.55–0.75× the direct kernels' time at 64 and 128
/// channels and 0.5–0.65× the im2col + GEMM path's at 256 and 512.
enum ConvolutionKernels: String {
    case auto, winograd, direct, gemm

    /// The fewest input and output channels for which `auto` picks Winograd. Its 16 products
    /// per tile have inner dimension C; below 64 channels BLAS runs them too far from its peak.
    static let winogradMinimumChannels = 64

    /// Outputs per side of the Winograd tiles for a layer and image size: F(4×4, 3×3) (a third
    /// fewer products per output than F(2×2, 3×3), and less data to transform) where its tiles
    /// cover no more padding than F(2×2)'s; else F(2×2, 3×3). `LEPTON_WINOGRAD_TILE=2` or `4` sets
    /// it for every layer (for comparisons). Measured with `lepton-bench conv-layers` on
    /// ResNet-18's shapes, channels last: F(4×4) took 0.6–0.8× F(2×2)'s time at 64 channels on
    /// 28 × 28, 256 on 7 × 7 and 512 on 4 × 4 (10.9 / 16.9 ms against 12.3 / 21.7 ms, forward /
    /// backward), and 1.0–1.1× at 128 on 14 × 14 (16 × 16 outputs computed for 14 × 14). The
    /// 512-channel layers used to lose with F(4×4) only because their 37 MB ∂L/∂U was allocated
    /// afresh, and page-faulted in, every batch; it is kept now.
    static func winogradOutputTile(inChannels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        switch ProcessInfo.processInfo.environment["LEPTON_WINOGRAD_TILE"] {
        case "2": return 2
        case "4": return 4
        default:
            func covered(_ size: Int, _ m: Int) -> Int { (size + m - 1) / m * m }
            let noMorePadding = covered(height, 4) <= covered(height, 2) && covered(width, 4) <= covered(width, 2)
            return noMorePadding ? 4 : 2
        }
    }

    static let selected: ConvolutionKernels = {
        let value = ProcessInfo.processInfo.environment["LEPTON_CONV_KERNELS"] ?? "auto"
        return ConvolutionKernels(rawValue: value) ?? .auto
    }()

    /// Whether a layer of `inChannels` → `outChannels` (multiples of 16) takes the Winograd path.
    func usesWinograd(inChannels: Int, outChannels: Int) -> Bool {
        switch self {
        case .auto: inChannels >= ConvolutionKernels.winogradMinimumChannels && outChannels >= ConvolutionKernels.winogradMinimumChannels
        case .winograd: true
        case .direct, .gemm: false
        }
    }
}
