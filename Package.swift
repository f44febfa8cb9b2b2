// swift-tools-version:6.1
// Lepton: one optimization core, a domain kit, and the domains built from them (ARCHITECTURE.md).
// Dependency direction: executables → domain libraries → LeptonCore → LeptonIO, and LeptonReport (no
// dependencies); LeptonCLI (what executables share) → LeptonCore, LeptonIO, LeptonReport. The core knows no domain.
// Only LeptonIO imports CCSV and CPNG; only LeptonCore/Tensor/BLAS.swift imports COpenBLAS
// (and lepton-bench's GEMM benchmark, which times the funnel against cblas_sgemm called directly);
// only LeptonCore/Trees/Histogram.swift, LeptonCore/Serialization/CRC32Streaming.swift and LeptonCore/Tensor/MemoryRetention.swift import CLeptonIntrinsics;
// CLeptonKernels is imported by the LeptonCore layers that call its kernels (Conv2D+Direct, Conv2D+Winograd,
// Conv2D+WinogradBatched, Conv2D+ChannelsLast, BatchNorm+ChannelsLast, ChannelsLast, DirectInferenceChain), by
// Training/Optimizers.swift (Adam's step) and by the core's kernel tests;
// only executables and LeptonCLI (for the shared option groups) import ArgumentParser. A domain never imports another domain.
import PackageDescription

let package = Package(
    name: "Lepton",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "LeptonIO", targets: ["LeptonIO"]),
        .library(name: "LeptonCore", targets: ["LeptonCore"]),
        .executable(name: "lepton-bench", targets: ["lepton-bench"]),
        .executable(name: "lepton-credit", targets: ["lepton-credit"]),
        .executable(name: "lepton-qc", targets: ["lepton-qc"]),
        .executable(name: "lepton-scan", targets: ["lepton-scan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Serving (LeptonServe only): Hummingbird 2 without its optional traits (no swift-configuration).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        // The inline request path (LeptonServe/Inline): a channel handler in Hummingbird's pipeline.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.26.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
    ],
    targets: [
        // MARK: - C system libraries (a module map and one shim header each)
        .systemLibrary(name: "CCSV", path: "Sources/CCSV"),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // Header-only: compiler intrinsics (a prefetch hint for the GBDT histogram loop, a carry-less multiply CRC-32).
        .systemLibrary(name: "CLeptonIntrinsics", path: "Sources/CLeptonIntrinsics"),
        // C kernels: direct 3×3 convolution and Winograd transforms with AVX-512 (per-function target
        // attributes, checked at run time), and plain-C loops for channels-last BatchNorm and Adam
        // built twice (AVX-512 and baseline clones, picked by the loader). Optimised in debug builds
        // too, so the tests run the code that ships; -fno-math-errno lets sqrtf vectorise (nothing
        // here reads errno).
        .target(name: "CLeptonKernels", path: "Sources/CLeptonKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),

        // MARK: - Shared core
        .target(name: "LeptonIO", dependencies: ["CCSV", "CPNG"]),
        // LeptonIO sits below the core: the core writes model files atomically and speaks JSON through it.
        .target(name: "LeptonCore", dependencies: ["LeptonIO", "COpenBLAS", "CLeptonIntrinsics", "CLeptonKernels"]),
        // Charts (SVG) and self-contained HTML/Markdown reports: no dependencies, not even Foundation.
        .target(name: "LeptonReport"),
        // What the executables share: common options, exit codes, console, progress, the parallel batch job.
        // It imports ArgumentParser (otherwise only executables do) solely so that the
        // executables can share one `@OptionGroup` of options and the exit-code conventions.
        .target(
            name: "LeptonCLI",
            dependencies: [
                "LeptonIO", "LeptonCore", "LeptonReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The HTTP scoring API every executable's `serve` runs: Hummingbird, service lifecycle,
        // Prometheus metrics, dynamic batching; domains plug in a decoder, a scorer and an encoder.
        .target(
            name: "LeptonServe",
            dependencies: [
                "LeptonIO", "LeptonCore", "LeptonCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),

        // MARK: - Domains: Credit
        // Credit-risk scoring: optimal binning, WOE scorecards, validation, batch scoring (Domains/Credit/README.md).
        .target(name: "CreditScoring", dependencies: ["LeptonCore", "LeptonIO", "LeptonReport"],
                path: "Domains/Credit/Sources/CreditScoring"),
        .executableTarget(
            name: "lepton-credit",
            dependencies: [
                "CreditScoring", "LeptonCLI", "LeptonServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Domains/Credit/Sources/lepton-credit"),

        // MARK: - Domains: Manufacturing
        // Production-line quality control: control charts, capability, failure and anomaly models (Domains/Manufacturing/README.md).
        .target(name: "LineQuality", dependencies: ["LeptonCore", "LeptonIO", "LeptonReport"],
                path: "Domains/Manufacturing/Sources/LineQuality"),
        .executableTarget(
            name: "lepton-qc",
            dependencies: [
                "LineQuality", "LeptonCLI", "LeptonServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Domains/Manufacturing/Sources/lepton-qc"),

        // MARK: - Domains: Imaging
        // Chest-scan diagnosis: image folders, CNN training, clinical evaluation, batch classification (Domains/Imaging/README.md).
        .target(name: "ScanDiagnosis", dependencies: ["LeptonCore", "LeptonIO", "LeptonReport"],
                path: "Domains/Imaging/Sources/ScanDiagnosis"),
        .executableTarget(
            name: "lepton-scan",
            dependencies: [
                "ScanDiagnosis", "LeptonCLI", "LeptonReport", "LeptonServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Domains/Imaging/Sources/lepton-scan"),

        // MARK: - Benchmarks
        // COpenBLAS here only for `lepton-bench gemm`: the funnel against cblas_sgemm called directly.
        .executableTarget(
            name: "lepton-bench",
            dependencies: [
                "LeptonIO", "LeptonCore", "LeptonReport", "CreditScoring", "LineQuality", "ScanDiagnosis", "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Sources/lepton-bench"),

        // MARK: - Tests
        // What every test target needs: the gradient checker, closeness assertions, temporary
        // folders, a runner for the built executables (and the core's SeededGenerator, through LeptonCore).
        .target(name: "LeptonTestSupport", dependencies: ["LeptonCore"], path: "Tests/LeptonTestSupport"),
        .executableTarget(name: "lepton-io-probe", dependencies: ["LeptonIO"], path: "Tests/LeptonIOProbe"),
        .testTarget(name: "LeptonIOTests", dependencies: ["LeptonIO", "LeptonCore", "LeptonTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LeptonCoreTests", dependencies: ["LeptonCore", "CLeptonKernels", "LeptonTestSupport"]),
        .testTarget(name: "ScanDiagnosisTests", dependencies: ["ScanDiagnosis", "LeptonCore", "LeptonIO", "LeptonTestSupport"],
                    path: "Domains/Imaging/Tests/ScanDiagnosisTests"),
        .testTarget(name: "LeptonReportTests", dependencies: ["LeptonReport", "LeptonCore", "LeptonTestSupport"]),
        .testTarget(
            name: "LeptonCLITests",
            dependencies: [
                "LeptonCLI", "LeptonIO", "LeptonReport", "LeptonTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LeptonServeTests", dependencies: [
            "LeptonServe", "LeptonIO", "LeptonCLI", "LeptonCore", "LeptonTestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "LineQualityTests", dependencies: ["LineQuality", "LeptonCore", "LeptonIO", "LeptonTestSupport"],
                    path: "Domains/Manufacturing/Tests/LineQualityTests", resources: [.copy("Fixtures")]),
        .testTarget(name: "CreditScoringTests", dependencies: ["CreditScoring", "LeptonCore", "LeptonTestSupport"],
                    path: "Domains/Credit/Tests/CreditScoringTests"),
    ]
)

// The fuzz targets (Tests/Fuzz): one executable whose `main` is libFuzzer's, so it exists only in
// the instrumented build `make fuzz` runs (LEPTON_FUZZ=1 … -Xswiftc -sanitize=fuzzer,address).
if Context.environment["LEPTON_FUZZ"] != nil {
    package.products.append(.executable(name: "lepton-fuzz", targets: ["LeptonFuzz"]))
    package.targets.append(.executableTarget(
        name: "LeptonFuzz", dependencies: ["LeptonIO", "LeptonCore", "LeptonCLI", "CreditScoring", "LineQuality", "ScanDiagnosis"],
        path: "Tests/Fuzz/Sources/LeptonFuzz", swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
