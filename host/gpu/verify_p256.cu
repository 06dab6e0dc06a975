// The P-256 ECDSA verify kernel, alone in its translation unit so nvcc
// builds each curve in parallel (each takes ~50 s on one core).
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

BG_INSTANTIATE_VERIFY_KERNEL(Scheme::kP256);

}  // namespace bg::gpu
