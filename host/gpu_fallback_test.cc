// Backend choice when no GPU is usable (this machine, CI): `gpu` fails with a
// clear Unavailable status and `auto` falls back to `cpu`. Where a device is
// usable the same test checks the other branch: `auto` then picks `gpu`.
#include <gtest/gtest.h>

#include "host/backend.h"

namespace bg {
namespace {

TEST(GpuFallback, GpuBackendIsUnavailableOrWorks) {
  auto gpu = make_gpu_backend(BackendOptions{});
  if (gpu.ok()) {
    EXPECT_EQ((*gpu)->name(), "gpu");
    EXPECT_FALSE((*gpu)->description().empty());
    return;
  }
  EXPECT_EQ(gpu.status().code(), absl::StatusCode::kUnavailable) << gpu.status();
  // The message must say why, for the operator reading the log.
  std::string msg(gpu.status().message());
  bool says_why = msg.find("gpu backend unavailable: ") == 0 || msg.find("no CUDA backend") != std::string::npos;
  EXPECT_TRUE(says_why) << msg;
}

TEST(GpuFallback, AutoFallsBackToCpuWithoutADevice) {
  bool gpu_usable = make_gpu_backend(BackendOptions{}).ok();
  auto backend = make_backend("auto");
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->name(), gpu_usable ? "gpu" : "cpu");
}

TEST(GpuFallback, ExplicitGpuFailsCleanlyWithoutADevice) {
  auto gpu = make_gpu_backend(BackendOptions{});
  if (gpu.ok()) GTEST_SKIP() << "a CUDA device is usable here: " << (*gpu)->description();
  auto backend = make_backend("gpu");
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(backend.status().message(), gpu.status().message());
}

TEST(GpuFallback, FallbackBackendVerifies) {
  // `auto` without a device must still give a working backend: one real check.
  auto backend = make_backend("auto");
  ASSERT_TRUE(backend.ok());
  std::vector<Hash32> ids(3);
  for (size_t i = 0; i < ids.size(); ++i) ids[i].fill(uint8_t(i));
  auto root = (*backend)->merkle_root(ids);
  ASSERT_TRUE(root.ok());
  auto cpu_root = make_cpu_backend({})->merkle_root(ids);
  EXPECT_EQ(*root, *cpu_root);
}

}  // namespace
}  // namespace bg
