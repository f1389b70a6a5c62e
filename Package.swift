// swift-tools-version: 6.1
//
// l2hmc — Hybrid Monte Carlo and learned HMC (L2HMC) for lattice gauge theories.
//
// Module graph (one-way):
//   LatticeCore ← HMC (generic driver) ← U1 (conforms to the HMC protocols)
//   LatticeCore ← HMC ← SU3;  U1, SU3 ← Autodiff (CBLAS: reverse mode, dense layers, optimisers)
//   Autodiff ← LearnedHMC (leapfrog layers, L2HMC sampler and training)
//   Analysis (CFFTW)      LatticeIO (Foundation only)
//   L2HMC (umbrella, re-exports the above) ← L2HMCCLI (commands, config) ← l2hmc (executable)
//
// Native code generation: the SIMD kernels need `-target-cpu native` (REFERENCE §8: 20–40× otherwise).
// It is passed on the command line by scripts/build, scripts/test and scripts/l2hmc, never as
// unsafeFlags here, so the package stays importable by other packages.
import PackageDescription

let package = Package(
    name: "l2hmc",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "L2HMC", targets: ["L2HMC"]),
        .executable(name: "l2hmc", targets: ["l2hmc"]),
        .executable(name: "u1-hmc-example", targets: ["U1HMCExample"]),
        .executable(name: "mlp-regression-example", targets: ["MLPRegressionExample"]),
        .executable(name: "u1-l2hmc-example", targets: ["U1L2HMCExample"]),
        .executable(name: "su3-hmc-example", targets: ["SU3HMCExample"]),
        .executable(name: "su3-l2hmc-example", targets: ["SU3L2HMCExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "LatticeCore"),
        .target(name: "U1", dependencies: ["LatticeCore", "HMC"]),
        .target(name: "HMC", dependencies: ["LatticeCore"]),
        .target(name: "SU3", dependencies: ["LatticeCore", "HMC"]),
        .target(name: "Analysis", dependencies: ["CFFTW"]),
        .target(name: "LatticeIO"),
        .target(name: "Autodiff", dependencies: ["LatticeCore", "U1", "SU3", "CBLAS"]),
        .target(name: "LearnedHMC", dependencies: ["LatticeCore", "HMC", "U1", "SU3", "Autodiff"]),
        .target(name: "L2HMC", dependencies: ["LatticeCore", "U1", "SU3", "HMC", "Analysis", "LatticeIO", "Autodiff", "LearnedHMC"]),
        .target(name: "L2HMCCLI", dependencies: [
            "L2HMC",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "l2hmc", dependencies: ["L2HMCCLI"]),
        .executableTarget(name: "U1HMCExample", dependencies: ["L2HMC"], path: "Examples/U1HMCExample"),
        .executableTarget(name: "MLPRegressionExample", dependencies: ["Autodiff"], path: "Examples/MLPRegressionExample"),
        .executableTarget(name: "U1L2HMCExample", dependencies: ["L2HMC"], path: "Examples/U1L2HMCExample"),
        .executableTarget(name: "SU3HMCExample", dependencies: ["L2HMC"], path: "Examples/SU3HMCExample"),
        .executableTarget(name: "SU3L2HMCExample", dependencies: ["L2HMC"], path: "Examples/SU3L2HMCExample"),
        .testTarget(name: "L2HMCTests", dependencies: ["L2HMC", "L2HMCCLI", "Autodiff", "l2hmc", "U1HMCExample", "MLPRegressionExample", "U1L2HMCExample", "SU3HMCExample", "SU3L2HMCExample"]),
    ]
)
