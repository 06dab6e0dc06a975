// Batched SHA-256 and the per-level Merkle kernels, plus the launchers of the
// verify kernels (which live in verify_<scheme>[_v<N>].cu).
#include "host/gpu/launch.h"
#include "kernels/merkle.h"

namespace bg::gpu {
namespace {

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

// One case per kernel unit host/gpu/verify_*.cu: BG_KERNEL_VARIANTS
// (kernels/verify_variant.h) lists every (scheme, variant); a listed pair
// whose unit is missing fails to link.
cudaError_t launch_verify(Scheme scheme, const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                          cudaStream_t stream, int threads_per_block, int variant) {
#define BG_LAUNCH_CASE(S, V) \
  case int(S) * 16 + V: return launch_verify_scheme<S, V>(recs, blob, n, valid, stream, threads_per_block);
  switch (int(scheme) * 16 + variant) {
    BG_KERNEL_VARIANTS(BG_LAUNCH_CASE)
    default: return cudaErrorInvalidValue;
  }
#undef BG_LAUNCH_CASE
}

cudaError_t verify_kernel_resources(Scheme scheme, int threads_per_block, KernelResources* out, int variant) {
#define BG_RESOURCES_CASE(S, V) \
  case int(S) * 16 + V: return verify_scheme_resources<S, V>(threads_per_block, out);
  switch (int(scheme) * 16 + variant) {
    BG_KERNEL_VARIANTS(BG_RESOURCES_CASE)
    default: return cudaErrorInvalidValue;
  }
#undef BG_RESOURCES_CASE
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
