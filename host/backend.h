// The one verification interface (SPEC §2): a batch of signature checks in,
// one verdict per item out; plus batched SHA-256 and Merkle roots. Backends:
// `cpu` (reference libraries on all cores), `kernels-on-cpu` (the GPU kernels'
// per-item code on CPU threads) and `gpu` (CUDA). make_backend() chooses.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "host/bytes.h"
#include "host/transaction.h"

namespace bg {

// One signature check. Pointers stay valid for the duration of the call.
struct SigItem {
  Scheme scheme;
  const uint8_t* public_key;  // public_key_size(scheme) bytes
  const uint8_t* signature;   // 64 bytes
  const uint8_t* message;     // the payload; ECDSA backends hash it with SHA-256
  uint32_t message_len;
};

inline SigItem sig_item(const Transaction& tx) {
  return SigItem{tx.scheme, tx.public_key.data(), tx.signature.data(), tx.payload.data(),
                 uint32_t(tx.payload.size())};
}

class VerifyBackend {
 public:
  virtual ~VerifyBackend() = default;

  // "cpu", "kernels-on-cpu" or "gpu" (the configured backend).
  virtual std::string_view name() const = 0;
  // The backend answering now: name() except for a device backend that lost
  // its device and serves on "cpu" until the device is back.
  virtual std::string active_name() const { return std::string(name()); }
  // How many times the device failed and its work moved to the cpu backend.
  virtual uint64_t fallback_count() const { return 0; }
  // Human-readable detail for logs and /metrics (device name, thread count).
  virtual std::string description() const = 0;

  // valid[i] = 1 exactly when items[i] verifies under SPEC §2, else 0.
  // valid.size() == items.size(). Thread-safe: callers may overlap.
  virtual absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) = 0;

  // out[i] = SHA-256(messages[i]) (transaction ids from canonical encodings).
  virtual absl::Status hash_batch(std::span<const ByteSpan> messages, std::span<Hash32> out) = 0;

  // RFC 6962 Merkle Tree Hash over the ids.
  virtual absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) = 0;
};

struct BackendOptions {
  size_t cpu_threads = 0;  // 0: all cores
  bool gpu_reset_device = false;  // gpu: reset the device first (re-creation after a fault)
  // Kernel variant per SPEC §1 scheme byte (index 1..3) for the backends that
  // run kernels/ code (kernels-on-cpu, gpu); kernels/verify_variant.h lists
  // them, host/kernel_variants.h parses serve's --gpu-variant. 1 until a
  // recorded tuning.tsv says otherwise (docs/GPU.md, "Variants").
  std::array<int, 4> kernel_variant{1, 1, 1, 1};
  int gpu_threads_per_block = 0;  // verify kernels' block size; 0: their default
};

// name: "auto" (gpu when usable, else cpu), "cpu", "gpu", "kernels-on-cpu".
// "gpu" fails with a clear status when no device is usable. A gpu backend is
// wrapped in a fallback (make_fallback_backend): a batch that fails on the
// device re-runs on cpu while the device is re-created in the background.
//
// Test doubles, for tests and benchmarks only (never for serving real
// traffic; not listed in --help):
//   "test-latency:INNER:Nms"  INNER plus a fixed N ms sleep per verify_batch
//                             call (a stand-in for device latency)
//   "test-accept-all"         every signature valid, no signature work (to
//                             measure everything but verification)
//   "test-fault:INNER:K[:R]"  INNER whose verify_batch call K fails, and every
//                             call after it (a sticky device fault), inside
//                             the same fallback wrapper as gpu; the next R
//                             re-creations fail too, then the device is back
// INNER is cpu, kernels-on-cpu or test-accept-all.
absl::StatusOr<std::unique_ptr<VerifyBackend>> make_backend(std::string_view name,
                                                            const BackendOptions& opts = {});

std::unique_ptr<VerifyBackend> make_cpu_backend(const BackendOptions& opts);

// How a device backend that failed is retried.
struct FallbackOptions {
  std::chrono::milliseconds first_retry{100};  // after the failure
  std::chrono::milliseconds max_retry{30000};  // the backoff doubles up to this
};
using BackendFactory = std::function<absl::StatusOr<std::unique_ptr<VerifyBackend>>()>;
// Serves through `primary` while it works. A call that fails on it (any
// status but InvalidArgument) re-runs on `cpu`, the primary is dropped and a
// background thread re-creates it with `factory` (backoff between tries);
// until then every call runs on `cpu`. Logs once per outage and once on
// recovery, never per batch.
std::unique_ptr<VerifyBackend> make_fallback_backend(std::unique_ptr<VerifyBackend> primary, BackendFactory factory,
                                                     std::unique_ptr<VerifyBackend> cpu,
                                                     const FallbackOptions& opts = {});
// The "test-..." names above (test doubles; make_backend forwards them here).
absl::StatusOr<std::unique_ptr<VerifyBackend>> make_test_backend(std::string_view name, const BackendOptions& opts);
std::unique_ptr<VerifyBackend> make_kernels_cpu_backend(const BackendOptions& opts);
// Defined in host/gpu/ when CUDA is compiled in, else returns Unavailable.
absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const BackendOptions& opts);

}  // namespace bg
