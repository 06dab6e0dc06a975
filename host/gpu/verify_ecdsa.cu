// The ECDSA verify kernels (scheme 2 secp256k1, scheme 3 P-256): one
// translation unit, since both curves share the ECDSA code path.
#include "host/gpu/verify_kernel.cuh"

namespace bg::gpu {

cudaError_t launch_verify_secp256k1(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                                    cudaStream_t stream, int threads_per_block) {
  return launch_verify_scheme<2>(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t launch_verify_p256(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                               cudaStream_t stream, int threads_per_block) {
  return launch_verify_scheme<3>(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t verify_secp256k1_resources(int threads, KernelResources* out) {
  return verify_scheme_resources<2>(threads, out);
}
cudaError_t verify_p256_resources(int threads, KernelResources* out) {
  return verify_scheme_resources<3>(threads, out);
}

}  // namespace bg::gpu
