// The P-256 ECDSA verify kernel, variant 1 (kernels/verify_variant.h), alone in its
// translation unit so nvcc builds the kernels in parallel.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {
BG_VERIFY_KERNEL_UNIT(Scheme::kP256, 1);
}  // namespace bg::gpu
