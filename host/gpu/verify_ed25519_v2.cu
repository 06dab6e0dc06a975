// The Ed25519 verify kernel, variant 2: every fe25519 limb product one
// mul.wide.s32 (kernels/fe25519.h), alone in its translation unit so nvcc
// builds the kernels in parallel.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {
BG_VERIFY_KERNEL_UNIT(Scheme::kEd25519, 2);
}  // namespace bg::gpu
