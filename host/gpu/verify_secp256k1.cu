// The secp256k1 ECDSA verify kernel (scheme 2), alone in its translation unit
// so nvcc builds each curve in parallel (each takes ~50 s on one core).
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

cudaError_t launch_verify_secp256k1(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                                    cudaStream_t stream, int threads_per_block) {
  return launch_verify_scheme<2>(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t verify_secp256k1_resources(int threads, KernelResources* out) {
  return verify_scheme_resources<2>(threads, out);
}

}  // namespace bg::gpu
