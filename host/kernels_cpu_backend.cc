// The `kernels-on-cpu` backend: the GPU kernels' own per-item functions
// (kernels/verify_item.h, kernels/sha256.h, kernels/merkle.h) on CPU threads,
// so CI checks the GPU's logic without a GPU.
#include <absl/strings/str_cat.h>

#include <vector>

#include "host/backend.h"
#include "host/kernel_variants.h"
#include "host/thread_pool.h"
#include "kernels/merkle.h"
#include "kernels/sha256.h"
#include "kernels/verify_variant.h"

namespace bg {
namespace {

class KernelsCpuBackend final : public VerifyBackend {
 public:
  explicit KernelsCpuBackend(const BackendOptions& opts) : pool_(opts.cpu_threads), variant_(opts.kernel_variant) {}

  std::string_view name() const override { return "kernels-on-cpu"; }
  std::string description() const override {
    return absl::StrCat("kernels-on-cpu: GPU kernel code (", format_kernel_variants(variant_), ") on ", pool_.size(),
                        " CPU threads");
  }

  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    if (items.size() != valid.size()) return absl::InvalidArgumentError("verify_batch: size mismatch");
    pool_.parallel_for(items.size(), 8, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const SigItem& it = items[i];
        const uint8_t s = uint8_t(it.scheme);
        valid[i] = k::verify_item_variant(s, s < 4 ? variant_[s] : 1, it.public_key, it.signature, it.message,
                                          it.message_len)
                       ? 1
                       : 0;
      }
    });
    return absl::OkStatus();
  }

  absl::Status hash_batch(std::span<const ByteSpan> messages, std::span<Hash32> out) override {
    if (messages.size() != out.size()) return absl::InvalidArgumentError("hash_batch: size mismatch");
    pool_.parallel_for(messages.size(), 256, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) k::sha256(messages[i].data(), messages[i].size(), out[i].data());
    });
    return absl::OkStatus();
  }

  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override {
    Hash32 root;
    if (ids.empty()) {
      k::sha256(nullptr, 0, root.data());
      return root;
    }
    // Level 0: leaves, computed by the same per-item code the GPU runs.
    std::vector<uint8_t> level(ids.size() * 32);
    pool_.parallel_for(ids.size(), 1024, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) k::merkle_leaf(ids[i].data(), level.data() + 32 * i);
    });
    std::vector<uint8_t> next(level.size());
    for (size_t n = ids.size(); n > 1; n = (n + 1) / 2) {
      size_t m = (n + 1) / 2;
      pool_.parallel_for(m, 1024, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) k::merkle_level_item(level.data(), n, next.data(), i);
      });
      level.swap(next);
    }
    std::copy(level.begin(), level.begin() + 32, root.begin());
    return root;
  }

 private:
  ThreadPool pool_;
  std::array<int, 4> variant_;  // per scheme byte; checked by make_backend
};

}  // namespace

std::unique_ptr<VerifyBackend> make_kernels_cpu_backend(const BackendOptions& opts) {
  return std::make_unique<KernelsCpuBackend>(opts);
}

}  // namespace bg
