// The P-256 ECDSA verify kernel, variant 2: 8x32-bit limbs, one joint window
// loop (kernels/ecdsa_verify_v2.h), alone in its translation unit so nvcc
// builds the kernels in parallel.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {
BG_VERIFY_KERNEL_UNIT(Scheme::kP256, 2);
}  // namespace bg::gpu
