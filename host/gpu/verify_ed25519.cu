// The ed25519 verify kernel, alone in its translation unit so nvcc builds
// the curves in parallel.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

BG_INSTANTIATE_VERIFY_KERNEL(Scheme::kEd25519);

}  // namespace bg::gpu
