// The one place that chooses a backend by name (SPEC §5 --backend).
#include <absl/strings/str_cat.h>

#include <iostream>

#include "host/backend.h"
#include "host/kernel_variants.h"

namespace bg {

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_backend(std::string_view name,
                                                            const BackendOptions& opts) {
  if (absl::Status st = check_kernel_variants(opts.kernel_variant); !st.ok()) return st;
  if (name == "cpu") return make_cpu_backend(opts);
  if (name == "kernels-on-cpu") return make_kernels_cpu_backend(opts);
  if (name == "gpu") return make_gpu_backend(opts);
  if (name == "auto") {
    auto gpu = make_gpu_backend(opts);
    if (gpu.ok()) return gpu;
    std::cerr << "blockgate: no usable GPU (" << gpu.status().message() << "); using the cpu backend\n";
    return make_cpu_backend(opts);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend '", std::string(name), "' (expected auto, cpu, gpu or kernels-on-cpu)"));
}

}  // namespace bg
