// Batched SHA-256 and the per-level Merkle kernels, plus the scheme dispatch
// of the verify launchers (the verify kernels live in verify_*.cu).
#include "host/gpu/launch.h"
#include "kernels/merkle.h"

namespace bg::gpu {

cudaError_t verify_ed25519_resources(int threads, KernelResources* out);
cudaError_t verify_secp256k1_resources(int threads, KernelResources* out);
cudaError_t verify_p256_resources(int threads, KernelResources* out);

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

cudaError_t launch_verify(uint8_t scheme, const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                          cudaStream_t stream, int threads_per_block) {
  switch (scheme) {
    case 1: return launch_verify_ed25519(recs, blob, n, valid, stream, threads_per_block);
    case 2: return launch_verify_secp256k1(recs, blob, n, valid, stream, threads_per_block);
    case 3: return launch_verify_p256(recs, blob, n, valid, stream, threads_per_block);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t verify_kernel_resources(uint8_t scheme, int threads_per_block, KernelResources* out) {
  switch (scheme) {
    case 1: return verify_ed25519_resources(threads_per_block, out);
    case 2: return verify_secp256k1_resources(threads_per_block, out);
    case 3: return verify_p256_resources(threads_per_block, out);
    default: return cudaErrorInvalidValue;
  }
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
