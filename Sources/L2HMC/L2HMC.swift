// L2HMC — umbrella module. `import L2HMC` gives the whole library:
//   LatticeCore  geometry, counter-based RNG (Philox), SIMD math, generic integrators
//   U1           2D (any-D) U(1) Wilson gauge theory on SIMD chain blocks
//   SU3          4D SU(3) Wilson gauge theory: SIMD matrices, exact exponential, staples, flow
//   HMC          the Hybrid Monte Carlo driver, generic over the gauge system
//   Analysis     Γ-method autocorrelations (FFTW), exact finite-volume U(1) results
//   Autodiff     reverse-mode autodiff on batched tensors, dense layers/MLP, optimisers (OpenBLAS GEMM)
//   LearnedHMC   L2HMC: generalized leapfrog layers with exact inverses and log-det, sampler, training
//   LatticeIO    .npy, JSON lines, atomic files and checkpoints
@_exported import LatticeCore
@_exported import U1
@_exported import SU3
@_exported import HMC
@_exported import Analysis
@_exported import LatticeIO
@_exported import Autodiff
@_exported import LearnedHMC
