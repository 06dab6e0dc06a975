// Built when CUDA is not compiled in: `gpu` is unavailable, `auto` falls back.
#include "host/backend.h"

namespace bg {

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const BackendOptions&) {
  return absl::UnavailableError("this build of blockgate has no CUDA backend (built without nvcc)");
}

}  // namespace bg
