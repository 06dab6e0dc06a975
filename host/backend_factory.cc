// The one place that chooses a backend by name (SPEC §5 --backend).
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>

#include <iostream>
#include <mutex>

#include "host/backend.h"

namespace bg {
namespace {

// One line per process, however many `auto` backends it makes.
void log_gpu_fallback(const absl::Status& why) {
  static std::once_flag once;
  std::call_once(once, [&] {
    absl::string_view reason = why.message();
    absl::ConsumePrefix(&reason, "gpu backend unavailable: ");
    std::cerr << "blockgate: no usable GPU (" << reason << "); using the cpu backend\n";
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_backend(std::string_view name,
                                                            const BackendOptions& opts) {
  if (name == "cpu") return make_cpu_backend(opts);
  if (name == "kernels-on-cpu") return make_kernels_cpu_backend(opts);
  if (name == "gpu") return make_gpu_backend(opts);
  if (name == "auto") {
    auto gpu = make_gpu_backend(opts);
    if (gpu.ok()) return gpu;
    log_gpu_fallback(gpu.status());
    return make_cpu_backend(opts);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend '", std::string(name), "' (expected auto, cpu, gpu or kernels-on-cpu)"));
}

}  // namespace bg
