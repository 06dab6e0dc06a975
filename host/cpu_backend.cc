// The `cpu` backend: reference libraries (host/reference_verify.h) on every
// core through one ThreadPool sized at start.
#include <absl/strings/str_cat.h>

#include "host/backend.h"
#include "host/hash.h"
#include "host/reference_verify.h"
#include "host/thread_pool.h"

namespace bg {
namespace {

class CpuBackend final : public VerifyBackend {
 public:
  explicit CpuBackend(const BackendOptions& opts) : pool_(opts.cpu_threads) { reference_init(); }

  std::string_view name() const override { return "cpu"; }
  std::string description() const override {
    return absl::StrCat("cpu: libsodium/libsecp256k1/OpenSSL on ", pool_.size(), " threads");
  }

  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    if (items.size() != valid.size()) return absl::InvalidArgumentError("verify_batch: size mismatch");
    pool_.parallel_for(items.size(), 16, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) valid[i] = reference_verify(items[i]) ? 1 : 0;
    });
    return absl::OkStatus();
  }

  absl::Status hash_batch(std::span<const ByteSpan> messages, std::span<Hash32> out) override {
    if (messages.size() != out.size()) return absl::InvalidArgumentError("hash_batch: size mismatch");
    pool_.parallel_for(messages.size(), 256, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) out[i] = sha256(messages[i]);
    });
    return absl::OkStatus();
  }

  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override { return bg::merkle_root(ids); }

 private:
  ThreadPool pool_;
};

}  // namespace

std::unique_ptr<VerifyBackend> make_cpu_backend(const BackendOptions& opts) {
  return std::make_unique<CpuBackend>(opts);
}

}  // namespace bg
