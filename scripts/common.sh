# Shared settings of the project's scripts (sourced).
# Release build with native code generation: the SIMD kernels need it (REFERENCE §8: 20–40× slower without).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SWIFT_RELEASE_FLAGS=(-c release -Xswiftc -target-cpu -Xswiftc native)
