// Host-callable launchers for the GPU kernels (host/gpu/*.cu). They take raw
// device pointers and a stream and return the launch's cudaError_t; no
// Abseil, so the CUDA-only tools/gpu_check links the very same kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "host/gpu/sig_record.h"

namespace bg::gpu {

constexpr int kDefaultVerifyThreads = 128;

// valid[i] = verify_record_variant<scheme, variant>(recs[i], blob) for i < n;
// every record must be of `scheme`. variant 1..kernels/verify_variant.h's
// count for that scheme. cudaErrorInvalidValue for a scheme with no row in
// kernels/schemes.h or a variant it does not have. threads_per_block 0 means
// the default.
cudaError_t launch_verify(Scheme scheme, const SigRecord* recs, const uint8_t* blob, uint32_t n,
                          uint8_t* valid, cudaStream_t stream, int threads_per_block = 0, int variant = 1);

// out[32 i ..] = SHA-256(blob[msgs[i].offset .. + msgs[i].len]).
cudaError_t launch_sha256(const MsgRecord* msgs, const uint8_t* blob, uint32_t n, uint8_t* out, cudaStream_t stream);

// RFC 6962: out[i] = leaf(ids[i]) for i < n; then one launch per level,
// out[i] = node(in[2i], in[2i+1]) or in[2i] when unpaired, for i < (n+1)/2.
cudaError_t launch_merkle_leaves(const uint8_t* ids, uint32_t n, uint8_t* out, cudaStream_t stream);
cudaError_t launch_merkle_level(const uint8_t* in, uint32_t n, uint8_t* out, cudaStream_t stream);

// Compiler resources of a verify kernel, read from the loaded module
// (registers per thread, local memory = spills + stack, bytes per thread).
struct KernelResources {
  int registers = 0;
  size_t local_bytes = 0;
  int max_threads_per_block = 0;
  int blocks_per_sm = 0;  // resident blocks of `threads_per_block` threads per SM
};
cudaError_t verify_kernel_resources(Scheme scheme, int threads_per_block, KernelResources* out, int variant = 1);

// One verify kernel per (scheme, variant), each defined (explicitly
// instantiated) in its own host/gpu/verify_<name>[_v<N>].cu (nvcc builds them
// in parallel; scripts/kernel-stats.sh counts each); launch_verify and
// verify_kernel_resources reach them through BG_KERNEL_VARIANTS in
// hash_kernels.cu.
template <Scheme S, int kVariant>
cudaError_t launch_verify_scheme(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                                 cudaStream_t stream, int threads_per_block);
template <Scheme S, int kVariant>
cudaError_t verify_scheme_resources(int threads_per_block, KernelResources* out);

}  // namespace bg::gpu
