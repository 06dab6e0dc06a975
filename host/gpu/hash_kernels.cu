// Batched SHA-256 and the per-level Merkle kernels, plus the launcher table
// of the verify kernels (which live in verify_<scheme>.cu).
#include "host/gpu/launch.h"
#include "kernels/merkle.h"

namespace bg::gpu {
namespace {

// The kernel-launcher column of the scheme table (kernels/schemes.h): one row
// per scheme, in table order; a scheme without one fails the static_assert,
// a row whose verify_<scheme>.cu is missing fails to link.
struct VerifyKernel {
  Scheme id;
  cudaError_t (*launch)(const SigRecord*, const uint8_t*, uint32_t, uint8_t*, cudaStream_t, int);
  cudaError_t (*resources)(int, KernelResources*);
};
constexpr VerifyKernel kVerifyKernels[] = {
    {Scheme::kEd25519, launch_verify_scheme<Scheme::kEd25519>, verify_scheme_resources<Scheme::kEd25519>},
    {Scheme::kSecp256k1, launch_verify_scheme<Scheme::kSecp256k1>, verify_scheme_resources<Scheme::kSecp256k1>},
    {Scheme::kP256, launch_verify_scheme<Scheme::kP256>, verify_scheme_resources<Scheme::kP256>},
};
static_assert(rows_follow_scheme_table(kVerifyKernels),
              "kVerifyKernels needs one row per kSchemes row, in the same order");

constexpr int kHashThreads = 256;

__global__ void sha256_kernel(const MsgRecord* __restrict__ msgs, const uint8_t* __restrict__ blob, uint32_t n,
                              uint8_t* __restrict__ out) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  hash_record(msgs[i], blob, out + 32 * size_t(i));
}

__global__ void merkle_leaf_kernel(const uint8_t* __restrict__ ids, uint32_t n, uint8_t* __restrict__ out) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  bg::k::merkle_leaf(ids + 32 * size_t(i), out + 32 * size_t(i));
}

__global__ void merkle_level_kernel(const uint8_t* __restrict__ in, uint32_t n, uint8_t* __restrict__ out) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (size_t(i) >= (size_t(n) + 1) / 2) return;
  bg::k::merkle_level_item(in, n, out, i);
}

uint32_t blocks_for(size_t n, int threads) { return uint32_t((n + size_t(threads) - 1) / size_t(threads)); }

}  // namespace

cudaError_t launch_verify(Scheme scheme, const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                          cudaStream_t stream, int threads_per_block) {
  if (!is_known_scheme(uint8_t(scheme))) return cudaErrorInvalidValue;
  return kVerifyKernels[scheme_index(scheme)].launch(recs, blob, n, valid, stream, threads_per_block);
}

cudaError_t verify_kernel_resources(Scheme scheme, int threads_per_block, KernelResources* out) {
  if (!is_known_scheme(uint8_t(scheme))) return cudaErrorInvalidValue;
  return kVerifyKernels[scheme_index(scheme)].resources(threads_per_block, out);
}

cudaError_t launch_sha256(const MsgRecord* msgs, const uint8_t* blob, uint32_t n, uint8_t* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  sha256_kernel<<<blocks_for(n, kHashThreads), kHashThreads, 0, stream>>>(msgs, blob, n, out);
  return cudaGetLastError();
}

cudaError_t launch_merkle_leaves(const uint8_t* ids, uint32_t n, uint8_t* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  merkle_leaf_kernel<<<blocks_for(n, kHashThreads), kHashThreads, 0, stream>>>(ids, n, out);
  return cudaGetLastError();
}

cudaError_t launch_merkle_level(const uint8_t* in, uint32_t n, uint8_t* out, cudaStream_t stream) {
  if (n < 2) return cudaSuccess;
  merkle_level_kernel<<<blocks_for((size_t(n) + 1) / 2, kHashThreads), kHashThreads, 0, stream>>>(in, n, out);
  return cudaGetLastError();
}

}  // namespace bg::gpu
