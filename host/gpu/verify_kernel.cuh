// The verify kernel template shared by the per-scheme .cu files: one thread
// per record, a thin wrapper around verify_record (tested on the CPU). Each
// (scheme, variant) is its own translation unit, which explicitly
// instantiates the two templates for it, so nvcc compiles them in parallel; a
// .cu file is one BG_VERIFY_KERNEL_UNIT(scheme, variant) line.
#pragma once

#include "host/gpu/launch.h"
#include "host/gpu/sig_record.h"

namespace bg::gpu {

template <Scheme kScheme, int kVariant>
__global__ void verify_kernel(const SigRecord* __restrict__ recs, const uint8_t* __restrict__ blob, uint32_t n,
                              uint8_t* __restrict__ valid) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  SigRecord r = recs[i];  // 16-byte loads into registers; the math then never touches global memory for it
  valid[i] = verify_record_variant<kScheme, kVariant>(r, blob);
}

template <Scheme kScheme, int kVariant>
cudaError_t launch_verify_scheme(const SigRecord* recs, const uint8_t* blob, uint32_t n, uint8_t* valid,
                                 cudaStream_t stream, int threads_per_block) {
  if (n == 0) return cudaSuccess;
  int threads = threads_per_block > 0 ? threads_per_block : kDefaultVerifyThreads;
  uint32_t blocks = (n + uint32_t(threads) - 1) / uint32_t(threads);
  verify_kernel<kScheme, kVariant><<<blocks, threads, 0, stream>>>(recs, blob, n, valid);
  return cudaGetLastError();
}

template <Scheme kScheme, int kVariant>
cudaError_t verify_scheme_resources(int threads_per_block, KernelResources* out) {
  cudaFuncAttributes a{};
  cudaError_t e = cudaFuncGetAttributes(&a, verify_kernel<kScheme, kVariant>);
  if (e != cudaSuccess) return e;
  out->registers = a.numRegs;
  out->local_bytes = a.localSizeBytes;
  out->max_threads_per_block = a.maxThreadsPerBlock;
  int threads = threads_per_block > 0 ? threads_per_block : kDefaultVerifyThreads;
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(&out->blocks_per_sm, verify_kernel<kScheme, kVariant>,
                                                       threads, 0);
}

// Defines the kernel of scheme S (a Scheme enumerator), variant V, in the
// including translation unit.
#define BG_VERIFY_KERNEL_UNIT(S, V)                                                                          \
  template cudaError_t launch_verify_scheme<S, V>(const SigRecord*, const uint8_t*, uint32_t, uint8_t*,       \
                                                  cudaStream_t, int);                                        \
  template cudaError_t verify_scheme_resources<S, V>(int, KernelResources*)

}  // namespace bg::gpu
