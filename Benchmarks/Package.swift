// swift-tools-version: 6.1
//
// Benchmarks for l2hmc (ordo-one/benchmark). A separate package so the main package does not depend on the
// benchmark tooling. Run from this directory:
//
//   swift package -c release -Xswiftc -target-cpu -Xswiftc native benchmark
//
// See ../BENCHMARKS.md for the figures and how they were derived.
import PackageDescription

let package = Package(
    name: "l2hmc-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "l2hmc", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "U1Kernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "L2HMC", package: "l2hmc"),
            ],
            path: "Benchmarks/U1Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SU3Kernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "L2HMC", package: "l2hmc"),
            ],
            path: "Benchmarks/SU3Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LearningKernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "L2HMC", package: "l2hmc"),
            ],
            path: "Benchmarks/LearningKernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
