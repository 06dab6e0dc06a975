// Every CUDA runtime call in the backend goes through BG_CUDA_TRY, which turns
// a failure into an absl::Status naming the expression and file:line.
#pragma once

#include <absl/status/status.h>
#include <cuda_runtime.h>

namespace bg::gpu {

// Unavailable for "no device / no driver" errors (so `auto` can fall back),
// Internal for everything else.
absl::Status cuda_status(cudaError_t err, const char* expr, const char* file, int line);

}  // namespace bg::gpu

#define BG_CUDA_TRY(expr)                                                       \
  do {                                                                          \
    cudaError_t bg_cuda_err_ = (expr);                                          \
    if (bg_cuda_err_ != cudaSuccess)                                            \
      return ::bg::gpu::cuda_status(bg_cuda_err_, #expr, __FILE__, __LINE__);   \
  } while (0)
