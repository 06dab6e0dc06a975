// `blockgate bench`: signature verification, SHA-256 ids and Merkle roots per
// backend, scheme and batch size, each beside the reference libraries' one-core
// rate measured in the same run (in the spirit of `openssl speed`). Timing is
// host/timing.h's, the routine tools/gpu_check uses; on a GPU the kernel-only
// and end-to-end numbers come from gpu_check's own CUDA engine, so a bench
// line and a gpu_check table row measure the same thing. Progress goes to
// stderr, the table (or, with --json, one JSON document) to stdout.
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "host/backend.h"
#include "host/hash.h"
#include "host/kernel_variants.h"
#include "host/reference_verify.h"
#include "host/signer.h"
#include "host/timing.h"
#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
#include "host/gpu/sig_record.h"
#include "tools/gpu_check/engine.h"
#endif

namespace bg::cmd {
namespace {

struct Opts {
  std::string backend = "all";
  std::string scheme = "all";
  std::vector<size_t> batches;  // empty: per-backend default
  std::array<int, 4> variant{1, 1, 1, 1};
  double seconds = 1;
  uint64_t threads = 0;
  bool json = false;
  // Derived from backend and scheme after parsing.
  std::vector<std::string> backends, schemes;
};

absl::Status parse_count(std::string_view text, size_t* out) {
  absl::string_view s(text.data(), text.size());
  uint64_t mul = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mul = 1024, s.remove_suffix(1);
  else if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) mul = 1 << 20, s.remove_suffix(1);
  uint64_t v = 0;
  if (!absl::SimpleAtoi(s, &v) || v == 0 || v > (uint64_t(1) << 24) / mul)
    return absl::InvalidArgumentError(cat("'", text, "' is not a batch size in 1..16M"));
  *out = size_t(v * mul);
  return absl::OkStatus();
}

FlagTable<Opts> make_bench_flags() {
  FlagTable<Opts> t("bench", std::string(command_summary("bench")));
  t.add("backend", &Opts::backend, "backends to time").one_of({"all", "cpu", "gpu", "kernels-on-cpu"});
  t.add("scheme", &Opts::scheme, "schemes to time (mixed: a third of each in one batch)")
      .one_of({"all", "ed25519", "secp256k1", "p256", "mixed"});
  t.add_custom(
      "batch", "LIST", "batch sizes", "comma-separated batch sizes, k = 1024, M = 1048576",
      [](Opts& o, std::string_view list) {
        o.batches.clear();
        for (absl::string_view b : absl::StrSplit(absl::string_view(list.data(), list.size()), ',', absl::SkipEmpty())) {
          size_t n = 0;
          if (absl::Status st = parse_count(std::string_view(b.data(), b.size()), &n); !st.ok()) return st;
          o.batches.push_back(n);
        }
        if (o.batches.empty()) return absl::InvalidArgumentError("needs at least one batch size");
        return absl::OkStatus();
      },
      [](const Opts&) { return std::string("64,1k,16k; gpu also 256k,1M"); });
  t.add_custom(
      "variant", "SPEC", "kernel variants", "kernel variants for gpu and kernels-on-cpu: vN or SCHEME=vN, comma-separated",
      [](Opts& o, std::string_view spec) { return parse_kernel_variants(spec, &o.variant); },
      [](const Opts& o) { return format_kernel_variants(o.variant); });
  t.add_custom(
      "seconds", "S", "seconds", "time budget per measurement (at least one timed run each)",
      [](Opts& o, std::string_view text) {
        double v = 0;
        if (!absl::SimpleAtod(absl::string_view(text.data(), text.size()), &v) || !(v > 0) || v > 3600)
          return absl::InvalidArgumentError(cat("needs seconds in (0, 3600], got '", text, "'"));
        o.seconds = v;
        return absl::OkStatus();
      },
      [](const Opts& o) { return std::to_string(o.seconds).substr(0, 4); });
  t.add("threads", &Opts::threads, "CPU threads of the cpu and kernels-on-cpu backends (0: every core)");
  t.add_switch("json", &Opts::json, "one JSON document on stdout instead of the tables");
  return t;
}

const FlagTable<Opts>& bench_flags() {
  static const FlagTable<Opts> table = make_bench_flags();
  return table;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// Signed transactions of one scheme: a pool of distinct ones, repeated to fill
// the largest batch (verification cost does not depend on repetition).
struct Pool {
  std::vector<Transaction> txs;
};

Pool make_pool(Scheme s, size_t n) {
  Pool p;
  const KeyPair key = generate_key(s);
  p.txs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Bytes payload(100);
    for (size_t j = 0; j < payload.size(); ++j) payload[j] = uint8_t(i * 131 + j * 7 + 1);
    p.txs.push_back(sign_transaction(key, std::move(payload)));
  }
  return p;
}

std::vector<SigItem> items_for(const std::string& scheme, const std::vector<Pool*>& pools, size_t n) {
  // pools[1..3] by scheme byte; "mixed" takes a third of each, grouped by scheme.
  std::vector<SigItem> out;
  out.reserve(n);
  auto take = [&](int s, size_t count) {
    const Pool& p = *pools[s];
    for (size_t i = 0; i < count; ++i) out.push_back(sig_item(p.txs[i % p.txs.size()]));
  };
  if (scheme == "mixed") {
    take(1, n - 2 * (n / 3));
    take(2, n / 3);
    take(3, n / 3);
  } else {
    take(scheme == "ed25519" ? 1 : scheme == "secp256k1" ? 2 : 3, n);
  }
  return out;
}

struct VerifyRow {
  std::string backend, scheme, variant;
  size_t batch = 0;
  double per_s = 0, latency_ms = 0;        // end to end through the backend
  double kernel_per_s = 0, kernel_ms = 0;  // gpu only
  double ref_1core_per_s = 0;
  int reps = 0;
};
struct HashRow {
  std::string backend, what;  // "sha256-ids" or "merkle-root"
  size_t n = 0;
  double per_s = 0, latency_ms = 0, kernel_ms = 0, ref_1core_per_s = 0;
  int reps = 0;
};

std::string human(double per_s) { return timing::human_rate(per_s); }

std::string variant_label(const std::string& backend, const std::string& scheme, const std::array<int, 4>& v) {
  if (backend == "cpu") return "ref";
  if (scheme == "mixed") return format_kernel_variants(v);
  const int s = scheme == "ed25519" ? 1 : scheme == "secp256k1" ? 2 : 3;
  return absl::StrCat("v", v[s]);
}

#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
// gpu_check's CUDA engine on a batch of items (grouped by scheme already).
struct GpuBatch {
  std::vector<gpu::SigRecord> recs;
  std::vector<uint8_t> blob;
  gpucheck::VerifyBatch view;
};
GpuBatch pack(const std::vector<SigItem>& items, const std::array<int, 4>& variant) {
  GpuBatch g;
  g.recs.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const SigItem& it = items[i];
    gpu::pack_sig_record(g.recs[i], it.scheme, it.public_key, it.signature, g.blob.size(), it.message_len);
    g.blob.insert(g.blob.end(), it.message, it.message + it.message_len);
    g.view.count[scheme_index(it.scheme)]++;
  }
  g.view.recs = g.recs.data();
  g.view.n = g.recs.size();
  g.view.blob = g.blob.data();
  g.view.blob_len = g.blob.size();
  for (int s = 0; s < 4; ++s) g.view.variant[s] = variant[s];
  return g;
}
#endif

int run(const Opts& o) {
  reference_init();
  const double budget_ms = o.seconds * 1e3;
  const int kMaxReps = 1000000;
  boost::json::object machine;
  machine["cpu"] = cpu_model();
  machine["cpu_threads"] = std::thread::hardware_concurrency();
  std::string gpu_line = "none";
#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
  std::unique_ptr<gpucheck::Engine> engine;
  try {
    engine = gpucheck::make_engine(0);
    gpu_line = engine->describe();
  } catch (const std::exception& e) {
    gpu_line = absl::StrCat("unavailable (", e.what(), ")");
  }
#else
  gpu_line = "unavailable (this build has no CUDA)";
#endif
  machine["gpu"] = gpu_line;

  // Which backends run; gpu is skipped (with a note) where there is none.
  std::vector<std::pair<std::string, std::unique_ptr<VerifyBackend>>> backends;
  std::vector<std::string> skipped;
  for (const std::string& name : o.backends) {
    BackendOptions bo;
    bo.cpu_threads = size_t(o.threads);
    bo.kernel_variant = o.variant;
    auto b = make_backend(name, bo);
    if (!b.ok()) {
      skipped.push_back(absl::StrCat(name, ": ", b.status().message()));
      if (o.backends.size() == 1) {
        std::cerr << "blockgate bench: " << b.status().message() << "\n";
        return 1;
      }
      continue;
    }
    backends.emplace_back(name, std::move(*b));
  }

  size_t max_batch = 0;
  auto batches_for = [&](const std::string& backend) {
    if (!o.batches.empty()) return o.batches;
    std::vector<size_t> d = {64, 1024, 16384};
    if (backend == "gpu") d.insert(d.end(), {262144, size_t(1) << 20});
    return d;
  };
  for (auto& [name, b] : backends)
    for (size_t n : batches_for(name)) max_batch = std::max(max_batch, n);

  // Signed pools and the reference one-core rate per scheme.
  std::vector<Pool> pool_store(4);
  std::vector<Pool*> pools(4, nullptr);
  double ref_rate[4] = {0, 0, 0, 0};
  const size_t pool_n = std::min<size_t>(std::max<size_t>(max_batch, 1), 4096);
  for (int s = 1; s <= 3; ++s) {
    std::cerr << "bench: signing " << pool_n << " " << scheme_name(Scheme(s)) << " transactions\n";
    pool_store[s] = make_pool(Scheme(s), pool_n);
    pools[s] = &pool_store[s];
    const size_t chunk = std::min<size_t>(pool_n, 256);
    std::vector<SigItem> items = items_for(std::string(scheme_name(Scheme(s))), pools, chunk);
    size_t bad = 0;
    const double ms = timing::median_host_ms(
        [&] {
          for (const SigItem& it : items) bad += reference_verify(it) ? 0 : 1;
        },
        kMaxReps, budget_ms / 2);
    if (bad) {
      std::cerr << "blockgate bench: the reference rejected " << bad << " freshly signed transactions\n";
      return 1;
    }
    ref_rate[s] = chunk / (ms / 1e3);
    std::cerr << "bench: reference " << scheme_name(Scheme(s)) << " one core: " << human(ref_rate[s]) << "/s\n";
  }
  auto ref_for = [&](const std::string& scheme) {
    if (scheme != "mixed") return ref_rate[scheme == "ed25519" ? 1 : scheme == "secp256k1" ? 2 : 3];
    // Harmonic mean: a third of the items at each rate.
    return 3.0 / (1 / ref_rate[1] + 1 / ref_rate[2] + 1 / ref_rate[3]);
  };

  std::vector<VerifyRow> vrows;
  for (auto& [name, backend] : backends) {
    for (const std::string& scheme : o.schemes) {
      for (size_t n : batches_for(name)) {
        std::vector<SigItem> items = items_for(scheme, pools, n);
        std::vector<uint8_t> valid(n);
        VerifyRow r{name, scheme, variant_label(name, scheme, o.variant), n};
        r.ref_1core_per_s = ref_for(scheme);
        std::cerr << "bench: " << name << " " << scheme << " batch " << n << " ...\n";
        absl::Status st;
        r.latency_ms = timing::median_host_ms([&] { st.Update(backend->verify_batch(items, valid)); }, kMaxReps,
                                              budget_ms, &r.reps);
        size_t bad = 0;
        for (uint8_t v : valid) bad += v == 1 ? 0 : 1;
        if (!st.ok() || bad) {
          std::cerr << "blockgate bench: " << name << " " << scheme << ": "
                    << (st.ok() ? absl::StrCat(bad, " valid signatures rejected") : std::string(st.message())) << "\n";
          return 1;
        }
        r.per_s = n / (r.latency_ms / 1e3);
#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
        if (name == "gpu" && engine) {
          GpuBatch g = pack(items, o.variant);
          gpucheck::Timing t = engine->time_verify(g.view, kMaxReps, budget_ms);
          r.kernel_ms = t.kernel_ms;
          r.kernel_per_s = n / (t.kernel_ms / 1e3);
        }
#endif
        vrows.push_back(r);
      }
    }
  }

  // SHA-256 of 128-byte messages (transaction-id sized) and Merkle roots over
  // the largest batch's worth of ids.
  std::vector<HashRow> hrows;
  const size_t hn = std::max<size_t>(max_batch, 1024);
  std::vector<uint8_t> msg_bytes(hn * 128);
  for (size_t i = 0; i < msg_bytes.size(); ++i) msg_bytes[i] = uint8_t(i * 2654435761u >> 13);
  std::vector<ByteSpan> msgs(hn);
  for (size_t i = 0; i < hn; ++i) msgs[i] = ByteSpan(msg_bytes.data() + 128 * i, 128);
  std::vector<Hash32> ids(hn);
  double ref_sha = 0, ref_merkle = 0;
  {
    const size_t chunk = std::min<size_t>(hn, 4096);
    const double ms = timing::median_host_ms(
        [&] {
          for (size_t i = 0; i < chunk; ++i) ids[i] = sha256(msgs[i]);
        },
        kMaxReps, budget_ms / 2);
    ref_sha = chunk / (ms / 1e3);
    for (size_t i = 0; i < hn; ++i) ids[i] = sha256(msgs[i]);
    const double mms = timing::median_host_ms([&] { (void)merkle_root(ids); }, kMaxReps, budget_ms / 2);
    ref_merkle = 1e3 / mms;
  }
  for (auto& [name, backend] : backends) {
    std::cerr << "bench: " << name << " sha256 and merkle over " << hn << " ...\n";
    std::vector<Hash32> out(hn);
    absl::Status st;
    HashRow h{name, "sha256-ids", hn};
    h.latency_ms = timing::median_host_ms([&] { st.Update(backend->hash_batch(msgs, out)); }, kMaxReps, budget_ms,
                                          &h.reps);
    h.per_s = hn / (h.latency_ms / 1e3);
    h.ref_1core_per_s = ref_sha;
    if (!st.ok() || out[hn - 1] != ids[hn - 1]) {
      std::cerr << "blockgate bench: " << name << " hash_batch disagrees with the reference\n";
      return 1;
    }
#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
    if (name == "gpu" && engine) {
      std::vector<gpu::MsgRecord> recs(hn);
      for (size_t i = 0; i < hn; ++i) recs[i] = gpu::MsgRecord{128 * i, 128, 0};
      gpucheck::HashBatch hb{recs.data(), hn, msg_bytes.data(), msg_bytes.size()};
      h.kernel_ms = engine->time_sha256(hb, kMaxReps, budget_ms).kernel_ms;
    }
#endif
    hrows.push_back(h);
    HashRow m{name, "merkle-root", hn};
    absl::StatusOr<Hash32> root;
    m.latency_ms = timing::median_host_ms([&] { root = backend->merkle_root(ids); }, kMaxReps, budget_ms, &m.reps);
    m.per_s = 1e3 / m.latency_ms;
    m.ref_1core_per_s = ref_merkle;
#if defined(BLOCKGATE_HAVE_CUDA) && defined(BLOCKGATE_BENCH_GPU_ENGINE)
    if (name == "gpu" && engine)
      m.kernel_ms = engine->time_merkle(ids[0].data(), hn, kMaxReps, budget_ms).kernel_ms;
#endif
    if (!root.ok() || *root != merkle_root(ids)) {
      std::cerr << "blockgate bench: " << name << " merkle_root disagrees with the reference\n";
      return 1;
    }
    hrows.push_back(m);
  }

  if (o.json) {
    boost::json::object doc;
    doc["machine"] = machine;
    boost::json::array v, h, sk;
    for (const VerifyRow& r : vrows) {
      boost::json::object j{{"backend", r.backend},        {"scheme", r.scheme},   {"variant", r.variant},
                            {"batch", r.batch},            {"per_s", r.per_s},     {"latency_ms", r.latency_ms},
                            {"ref_1core_per_s", r.ref_1core_per_s}, {"reps", r.reps}};
      if (r.backend == "gpu") {
        j["kernel_per_s"] = r.kernel_per_s;
        j["kernel_ms"] = r.kernel_ms;
      }
      v.push_back(j);
    }
    for (const HashRow& r : hrows) {
      boost::json::object j{{"backend", r.backend}, {"what", r.what}, {"n", r.n}, {"per_s", r.per_s},
                            {"latency_ms", r.latency_ms}, {"ref_1core_per_s", r.ref_1core_per_s}, {"reps", r.reps}};
      if (r.backend == "gpu") j["kernel_ms"] = r.kernel_ms;
      h.push_back(j);
    }
    for (const std::string& s : skipped) sk.push_back(boost::json::string(s));
    doc["verify"] = v;
    doc["hash"] = h;
    doc["skipped"] = sk;
    doc["seconds"] = o.seconds;
    std::cout << boost::json::serialize(doc) << "\n";
    return 0;
  }
  std::printf("blockgate bench: CPU %s, %u threads; GPU %s\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), gpu_line.c_str());
  for (const std::string& s : skipped) std::printf("skipped %s\n", s.c_str());
  // host/timing.h's rate table, as gpu_check prints it.
  timing::RateTable vt{{"backend", "scheme", "variant", "batch", "verify/s", "latency ms", "kernel/s", "kernel ms",
                        "ref 1-core/s", "x ref"},
                       3};
  for (const VerifyRow& r : vrows)
    vt.add({r.backend, r.scheme, r.scheme == "mixed" ? "mixed" : r.variant, std::to_string(r.batch), human(r.per_s),
            timing::fixed(r.latency_ms, 3), r.backend == "gpu" ? human(r.kernel_per_s) : "-",
            r.backend == "gpu" ? timing::fixed(r.kernel_ms, 3) : "-", human(r.ref_1core_per_s),
            timing::fixed(r.per_s / r.ref_1core_per_s, 2)});
  std::printf("\n");
  vt.print(stdout);
  timing::RateTable ht{{"backend", "what", "n", "per s", "latency ms", "kernel ms", "ref 1-core/s", "x ref"}, 2};
  for (const HashRow& r : hrows)
    ht.add({r.backend, r.what, std::to_string(r.n), human(r.per_s), timing::fixed(r.latency_ms, 3),
            r.backend == "gpu" ? timing::fixed(r.kernel_ms, 3) : "-", human(r.ref_1core_per_s),
            timing::fixed(r.per_s / r.ref_1core_per_s, 2)});
  std::printf("\n");
  ht.print(stdout);
  return 0;
}

}  // namespace

int bench(int argc, char** argv) {
  Opts o;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(bench_flags(), argc, argv, &o, &parsed)) return *exit_code;
  o.backends = o.backend == "all" ? std::vector<std::string>{"cpu", "kernels-on-cpu", "gpu"}
                                  : std::vector<std::string>{o.backend};
  o.schemes = o.scheme == "all" ? std::vector<std::string>{"ed25519", "secp256k1", "p256", "mixed"}
                                : std::vector<std::string>{o.scheme};
  return run(o);
}

}  // namespace bg::cmd
