// The secp256k1 ECDSA verify kernel, alone in its translation unit so nvcc
// builds each curve in parallel (each takes ~50 s on one core).
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

BG_INSTANTIATE_VERIFY_KERNEL(Scheme::kSecp256k1);

}  // namespace bg::gpu
