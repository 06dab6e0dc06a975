// The P-256 ECDSA verify kernel (scheme 3), alone in its translation unit
// so nvcc builds each curve in parallel (each takes ~50 s on one core).
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

cudaError_t launch_verify_p256(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                               cudaStream_t stream, int threads_per_block) {
  return launch_verify_scheme<3>(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t verify_p256_resources(int threads, KernelResources* out) {
  return verify_scheme_resources<3>(threads, out);
}

}  // namespace bg::gpu
