// absl::Status for a failed CUDA runtime call.
#include "host/gpu/cuda_status.h"

#include <absl/strings/str_cat.h>

#include "host/source_path.h"

namespace bg::gpu {

absl::Status cuda_status(cudaError_t err, const char* expr, const char* file, int line) {
  std::string msg = absl::StrCat(expr, " failed at ", source_relative(file), ":", line, ": ", cudaGetErrorName(err), " (",
                                 cudaGetErrorString(err), ")");
  switch (err) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorInitializationError:
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
    case cudaErrorCallRequiresNewerDriver:
      return absl::UnavailableError(msg);
    case cudaErrorMemoryAllocation:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace bg::gpu
