// The ed25519 verify kernel (scheme 1), alone in its translation unit so nvcc
// builds the three curves in parallel.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

cudaError_t launch_verify_ed25519(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                                  cudaStream_t stream, int threads_per_block) {
  return launch_verify_scheme<1>(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t verify_ed25519_resources(int threads, KernelResources* out) {
  return verify_scheme_resources<1>(threads, out);
}

}  // namespace bg::gpu
