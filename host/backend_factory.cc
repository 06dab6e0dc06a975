// The one place that chooses a backend by name (SPEC §5 --backend).
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>

#include <iostream>
#include <mutex>

#include "host/backend.h"
#include "host/kernel_variants.h"

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

// A usable device is served through the fallback wrapper: a run-time fault
// moves its work to cpu while the device context is re-created.
std::unique_ptr<VerifyBackend> with_fallback(std::unique_ptr<VerifyBackend> gpu, const BackendOptions& opts) {
  BackendOptions again = opts;
  again.gpu_reset_device = true;
  BackendFactory recreate = [again] { return make_gpu_backend(again); };
  return make_fallback_backend(std::move(gpu), std::move(recreate), make_cpu_backend(opts));
}

}  // namespace

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_backend(std::string_view name,
                                                            const BackendOptions& opts) {
  if (absl::Status st = check_kernel_variants(opts.kernel_variant); !st.ok()) return st;
  if (name == "cpu") return make_cpu_backend(opts);
  if (name == "kernels-on-cpu") return make_kernels_cpu_backend(opts);
  if (name == "gpu") {
    auto gpu = make_gpu_backend(opts);
    if (!gpu.ok()) return gpu.status();
    return with_fallback(std::move(*gpu), opts);
  }
  if (name == "auto") {
    auto gpu = make_gpu_backend(opts);
    if (gpu.ok()) return with_fallback(std::move(*gpu), opts);
    log_gpu_fallback(gpu.status());
    return make_cpu_backend(opts);
  }
  if (name.rfind("test-", 0) == 0) {
    auto test = make_test_backend(name, opts);
    if (test.ok())
      std::cerr << "blockgate: backend '" << name << "' is a test double, for tests and benchmarks only\n";
    return test;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend '", std::string(name), "' (expected auto, cpu, gpu or kernels-on-cpu)"));
}

}  // namespace bg
