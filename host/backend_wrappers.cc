// Backends that wrap other backends: the fallback wrapper a device backend is
// served through (host/backend.h), and the test doubles selected by the
// "test-" backend names (latency, accept-all, fault injection). The doubles
// stand in for what cannot run on a machine without a GPU: device latency and
// device faults. They are never meant to serve real traffic.
#include <absl/strings/str_cat.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "host/backend.h"
#include "host/hash.h"
#include "host/thread_pool.h"

namespace bg {
namespace {

// ---- fallback --------------------------------------------------------------

class FallbackBackend final : public VerifyBackend {
 public:
  FallbackBackend(std::unique_ptr<VerifyBackend> primary, BackendFactory factory, std::unique_ptr<VerifyBackend> cpu,
                  const FallbackOptions& opts)
      : name_(primary->name()),
        primary_(std::move(primary)),
        factory_(std::move(factory)),
        cpu_(std::move(cpu)),
        opts_(opts) {
    retry_thread_ = std::thread([this] { retry_loop(); });
  }
  ~FallbackBackend() override {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    retry_thread_.join();
  }

  std::string_view name() const override { return name_; }
  std::string description() const override {
    auto p = current();
    if (p) return p->description();
    return absl::StrCat(cpu_->description(), " (", name_, " failed; re-creating it)");
  }
  std::string active_name() const override { return current() ? name_ : std::string(cpu_->name()); }
  uint64_t fallback_count() const override { return fallbacks_.load(); }

  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    if (auto p = current()) {
      absl::Status st = p->verify_batch(items, valid);
      if (st.ok() || absl::IsInvalidArgument(st)) return st;
      failed(p, st);
    }
    return cpu_->verify_batch(items, valid);
  }

  absl::Status hash_batch(std::span<const ByteSpan> messages, std::span<Hash32> out) override {
    if (auto p = current()) {
      absl::Status st = p->hash_batch(messages, out);
      if (st.ok() || absl::IsInvalidArgument(st)) return st;
      failed(p, st);
    }
    return cpu_->hash_batch(messages, out);
  }

  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override {
    if (auto p = current()) {
      auto r = p->merkle_root(ids);
      if (r.ok() || absl::IsInvalidArgument(r.status())) return r;
      failed(p, r.status());
    }
    return cpu_->merkle_root(ids);
  }

 private:
  std::shared_ptr<VerifyBackend> current() const {
    std::lock_guard lk(mu_);
    return primary_;
  }

  // The first caller to see `p` fail drops it and wakes the retry thread;
  // callers that were running on the same `p` just re-run on cpu.
  void failed(const std::shared_ptr<VerifyBackend>& p, const absl::Status& st) {
    {
      std::lock_guard lk(mu_);
      if (primary_ != p) return;
      primary_.reset();
      fallbacks_.fetch_add(1);
      attempts_ = 0;
    }
    std::cerr << "blockgate: " << name_ << " backend failed (" << st.message() << "); serving on "
              << cpu_->name() << " and re-creating it (first retry in " << opts_.first_retry.count()
              << " ms, backing off to " << opts_.max_retry.count() << " ms)\n";
    cv_.notify_all();
  }

  void retry_loop() {
    set_thread_name("bg-dev-retry");
    std::unique_lock lk(mu_);
    auto backoff = opts_.first_retry;
    for (;;) {
      cv_.wait(lk, [&] { return stopping_ || !primary_; });
      if (stopping_) return;
      backoff = attempts_ == 0 ? opts_.first_retry : std::min(backoff * 2, opts_.max_retry);
      if (cv_.wait_for(lk, backoff, [&] { return stopping_; })) return;
      ++attempts_;
      lk.unlock();
      absl::StatusOr<std::unique_ptr<VerifyBackend>> fresh =
          absl::UnavailableError("no way to re-create the backend");
      if (factory_) fresh = factory_();
      lk.lock();
      if (fresh.ok()) {
        primary_ = std::shared_ptr<VerifyBackend>(std::move(*fresh));
        std::cerr << "blockgate: " << name_ << " backend re-created after " << attempts_
                  << (attempts_ == 1 ? " try" : " tries") << "; serving on it again\n";
      }
    }
  }

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<VerifyBackend> primary_;  // null while failed
  BackendFactory factory_;
  std::unique_ptr<VerifyBackend> cpu_;
  FallbackOptions opts_;
  std::atomic<uint64_t> fallbacks_{0};
  uint64_t attempts_ = 0;  // re-creation tries in the current outage
  bool stopping_ = false;
  std::thread retry_thread_;
};

// ---- test doubles ----------------------------------------------------------

// Test double: INNER plus a fixed sleep per verify_batch call, standing in for
// a device's launch + copy + kernel latency. Calls overlap (each sleeps on
// its caller's thread), as batches in flight on a device would.
class LatencyTestBackend final : public VerifyBackend {
 public:
  LatencyTestBackend(std::shared_ptr<VerifyBackend> inner, std::chrono::microseconds latency)
      : inner_(std::move(inner)), latency_(latency) {}
  std::string_view name() const override { return "test-latency"; }
  std::string description() const override {
    return absl::StrCat("test double: ", inner_->description(), " + ", latency_.count(), " us per verify call");
  }
  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    std::this_thread::sleep_for(latency_);
    return inner_->verify_batch(items, valid);
  }
  absl::Status hash_batch(std::span<const ByteSpan> m, std::span<Hash32> out) override {
    return inner_->hash_batch(m, out);
  }
  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override { return inner_->merkle_root(ids); }

 private:
  std::shared_ptr<VerifyBackend> inner_;
  std::chrono::microseconds latency_;
};

// Test double: every signature of a known scheme is valid, without checking
// it. Measures the server's cost outside verification.
class AcceptAllTestBackend final : public VerifyBackend {
 public:
  std::string_view name() const override { return "test-accept-all"; }
  std::string description() const override { return "test double: accepts every signature unchecked"; }
  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    if (items.size() != valid.size()) return absl::InvalidArgumentError("verify_batch: size mismatch");
    for (size_t i = 0; i < items.size(); ++i) valid[i] = scheme_from_byte(uint8_t(items[i].scheme)) ? 1 : 0;
    return absl::OkStatus();
  }
  absl::Status hash_batch(std::span<const ByteSpan> m, std::span<Hash32> out) override {
    if (m.size() != out.size()) return absl::InvalidArgumentError("hash_batch: size mismatch");
    for (size_t i = 0; i < m.size(); ++i) out[i] = sha256(m[i]);
    return absl::OkStatus();
  }
  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override { return bg::merkle_root(ids); }
};

// Shared by every incarnation of one fault-injecting "device", so the fault
// and the failed re-creations are counted across re-creation.
struct FaultPlan {
  uint64_t fail_call = 0;               // 1-based verify_batch call that faults
  std::atomic<uint64_t> calls{0};       // verify_batch calls so far, all incarnations
  std::atomic<bool> broken{false};      // the current incarnation's context is lost
  std::atomic<int64_t> refuse_creates{0};  // re-creations still to fail
};

// Test double: a device that faults on verify_batch call K and stays faulted
// (every call on that incarnation fails, as after a sticky CUDA error).
class FaultTestBackend final : public VerifyBackend {
 public:
  FaultTestBackend(std::shared_ptr<VerifyBackend> inner, std::shared_ptr<FaultPlan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}
  std::string_view name() const override { return "test-fault"; }
  std::string description() const override {
    return absl::StrCat("test double: ", inner_->description(), " with a device fault on verify call ",
                        plan_->fail_call);
  }
  absl::Status verify_batch(std::span<const SigItem> items, std::span<uint8_t> valid) override {
    const uint64_t n = plan_->calls.fetch_add(1) + 1;
    if (n == plan_->fail_call) plan_->broken.store(true);
    if (plan_->broken.load()) {
      // Garbage in the verdicts, as a device that died mid-copy might leave.
      std::fill(valid.begin(), valid.end(), 1);
      return absl::InternalError(absl::StrCat("injected device fault (test double) on verify call ", n));
    }
    return inner_->verify_batch(items, valid);
  }
  absl::Status hash_batch(std::span<const ByteSpan> m, std::span<Hash32> out) override {
    if (plan_->broken.load()) return absl::InternalError("injected device fault (test double)");
    return inner_->hash_batch(m, out);
  }
  absl::StatusOr<Hash32> merkle_root(std::span<const Hash32> ids) override {
    if (plan_->broken.load()) return absl::InternalError("injected device fault (test double)");
    return inner_->merkle_root(ids);
  }

 private:
  std::shared_ptr<VerifyBackend> inner_;
  std::shared_ptr<FaultPlan> plan_;
};

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_inner(std::string_view name, const BackendOptions& opts) {
  if (name == "cpu") return make_cpu_backend(opts);
  if (name == "kernels-on-cpu") return make_kernels_cpu_backend(opts);
  if (name == "test-accept-all") return std::unique_ptr<VerifyBackend>(new AcceptAllTestBackend());
  return absl::InvalidArgumentError(absl::StrCat("test backend: unknown inner backend '", std::string(name),
                                                 "' (expected cpu, kernels-on-cpu or test-accept-all)"));
}

template <typename T>
bool parse_int(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// "20ms", "500us" or "3" (milliseconds).
bool parse_latency(std::string_view s, std::chrono::microseconds* out) {
  uint64_t v = 0;
  if (s.size() > 2 && s.substr(s.size() - 2) == "us") {
    if (!parse_int(s.substr(0, s.size() - 2), &v)) return false;
    *out = std::chrono::microseconds(v);
    return true;
  }
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") s.remove_suffix(2);
  if (!parse_int(s, &v)) return false;
  *out = std::chrono::milliseconds(v);
  return true;
}

std::vector<std::string_view> split_colons(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t p; (p = s.find(':')) != std::string_view::npos; s.remove_prefix(p + 1)) parts.push_back(s.substr(0, p));
  parts.push_back(s);
  return parts;
}

}  // namespace

std::unique_ptr<VerifyBackend> make_fallback_backend(std::unique_ptr<VerifyBackend> primary, BackendFactory factory,
                                                     std::unique_ptr<VerifyBackend> cpu, const FallbackOptions& opts) {
  return std::make_unique<FallbackBackend>(std::move(primary), std::move(factory), std::move(cpu), opts);
}

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_test_backend(std::string_view name, const BackendOptions& opts) {
  const std::vector<std::string_view> parts = split_colons(name);
  if (parts[0] == "test-accept-all" && parts.size() == 1) return make_inner(parts[0], opts);
  if (parts[0] == "test-latency" && parts.size() == 3) {
    std::chrono::microseconds latency{};
    if (!parse_latency(parts[2], &latency))
      return absl::InvalidArgumentError(absl::StrCat("test-latency: bad latency '", std::string(parts[2]), "'"));
    auto inner = make_inner(parts[1], opts);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<VerifyBackend>(
        new LatencyTestBackend(std::shared_ptr<VerifyBackend>(std::move(*inner)), latency));
  }
  if (parts[0] == "test-fault" && (parts.size() == 3 || parts.size() == 4)) {
    auto plan = std::make_shared<FaultPlan>();
    int64_t refuse = 0;
    if (!parse_int(parts[2], &plan->fail_call) || plan->fail_call == 0 ||
        (parts.size() == 4 && (!parse_int(parts[3], &refuse) || refuse < 0)))
      return absl::InvalidArgumentError("test-fault:INNER:K[:R] needs K >= 1 and R >= 0");
    plan->refuse_creates.store(refuse);
    auto inner = make_inner(parts[1], opts);
    if (!inner.ok()) return inner.status();
    std::shared_ptr<VerifyBackend> shared_inner(std::move(*inner));
    BackendFactory recreate = [shared_inner, plan]() -> absl::StatusOr<std::unique_ptr<VerifyBackend>> {
      if (plan->refuse_creates.fetch_sub(1) > 0)
        return absl::UnavailableError("injected: device context still lost (test double)");
      plan->broken.store(false);
      return std::unique_ptr<VerifyBackend>(new FaultTestBackend(shared_inner, plan));
    };
    return make_fallback_backend(std::make_unique<FaultTestBackend>(shared_inner, plan), std::move(recreate),
                                 make_cpu_backend(opts), FallbackOptions{std::chrono::milliseconds(50),
                                                                         std::chrono::milliseconds(400)});
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown test backend '", std::string(name),
      "' (expected test-accept-all, test-latency:INNER:Nms or test-fault:INNER:K[:R])"));
}

}  // namespace bg
