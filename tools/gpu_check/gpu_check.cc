// gpu_check: proves the GPU kernels right on real hardware and times them.
// Reads the corpus make_gpu_corpus wrote (reference verdicts, OpenSSL hashes),
// expands its valid seeds into ~1M items per scheme, compares EVERY verdict,
// hash and root bit for bit (GPU vs expected, and GPU vs the same kernel code
// on the CPU), then times each kernel with CUDA events and prints one table.
// Builds with nvcc alone (see scripts/gpu-check.sh); -DGPU_CHECK_CPU_ONLY
// swaps the CUDA engine for CPU threads. Exit: 0 pass, 1 mismatch, 2 error.
#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tools/gpu_check/batches.h"
#include "tools/gpu_check/corpus.h"
#include "tools/gpu_check/cpu_kernels.h"
#include "tools/gpu_check/damage.h"
#include "tools/gpu_check/engine.h"

namespace bg::gpucheck {
namespace {

// The scheme table's name for a scheme byte; "?" for a byte with no row.
const char* scheme_label(uint8_t s) { return is_known_scheme(s) ? scheme_info(Scheme(s)).name : "?"; }

struct Options {
  std::string corpus = "out/gpu/corpus.bin";
  size_t expand = 1 << 20;        // items per scheme made on this machine
  size_t cpu_sample = 16384;      // of those, how many the CPU re-runs per scheme
  std::vector<size_t> sizes = {64, 256, 1024, 16384, 262144, 1 << 20};  // small ones locate the crossover
  size_t big = 1 << 20;           // 128-byte messages hashed / Merkle leaves
  size_t corpus_limit = 0;        // per scheme and origin; 0 = all
  size_t max_hash_len = 0;        // skip longer hash vectors; 0 = all
  size_t max_merkle = 0;          // skip larger Merkle cases; 0 = all
  int reps = 9;
  double budget_ms = 1500;  // per timed configuration and phase
  double deadline_s = 240;  // seconds after start: no timed configuration starts later
  bool timing = true;
  int threads = 0;
  std::vector<size_t> alt_threads = {64, 256};  // extra block sizes timed at the largest batch
  std::string tsv;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
const double g_start = now_s();

std::vector<size_t> parse_sizes(const std::string& s) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::stoul(s.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

bool parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--corpus") o->corpus = val();
    else if (a == "--expand") o->expand = std::stoul(val());
    else if (a == "--cpu-sample") o->cpu_sample = std::stoul(val());
    else if (a == "--sizes") o->sizes = parse_sizes(val());
    else if (a == "--big") o->big = std::stoul(val());
    else if (a == "--reps") o->reps = std::stoi(val());
    else if (a == "--budget-ms") o->budget_ms = std::stod(val());
    else if (a == "--deadline-s") o->deadline_s = std::stod(val());
    else if (a == "--version") {
      std::printf("gpu_check (corpus format %u)\n", kCorpusVersion);
      std::exit(0);
    }
    else if (a == "--threads") o->threads = std::stoi(val());
    else if (a == "--alt-threads") o->alt_threads = parse_sizes(val());
    else if (a == "--tsv") o->tsv = val();
    else if (a == "--no-timing") o->timing = false;
    else if (a == "--quick") {
      // Small enough for compute-sanitizer: every code path, few items.
      o->expand = 96;
      o->cpu_sample = 96;
      o->big = 4097;
      o->corpus_limit = 24;
      o->max_hash_len = 5000;
      o->max_merkle = 1000;
      o->timing = false;
    } else {
      std::fprintf(stderr,
                   "usage: gpu_check [--corpus F] [--expand N] [--cpu-sample N] [--sizes a,b,..] [--big N]\n"
                   "                 [--reps N] [--budget-ms MS] [--deadline-s S] [--threads T] [--alt-threads a,b]\n"
                   "                 [--tsv F]\n"
                   "                 [--no-timing] [--quick]\n");
      return false;
    }
  }
  return true;
}

// Counts mismatches per check and prints the first few of each in full.
class Checker {
 public:
  size_t total_mismatches = 0;
  size_t total_compared = 0;

  void begin(const std::string& name) {
    name_ = name;
    mismatches_ = 0;
    compared_ = 0;
    t0_ = now_s();
  }
  void verdict(const OwnedBatch& b, size_t i, uint8_t want, uint8_t got, const char* against) {
    ++compared_;
    if (want == got) return;
    if (++mismatches_ <= kPrintLimit) {
      const gpu::SigRecord& r = b.recs[i];
      std::printf("MISMATCH %s: item %zu scheme %s origin %s source %u damage %s payload %u B: %s %u, got %u\n",
                  name_.c_str(), i, scheme_label(r.scheme), origin_name(b.origin[i]),
                  b.source[i], damage_name(b.damage[i]), r.message_len, against, unsigned(want), unsigned(got));
    }
  }
  void bytes(size_t i, const uint8_t* want, const uint8_t* got, size_t len, const std::string& what) {
    ++compared_;
    if (std::memcmp(want, got, len) == 0) return;
    if (++mismatches_ <= kPrintLimit) std::printf("MISMATCH %s: %s %zu differs\n", name_.c_str(), what.c_str(), i);
  }
  void end() {
    if (mismatches_ > kPrintLimit) std::printf("MISMATCH %s: ... %zu more not shown\n", name_.c_str(), mismatches_ - kPrintLimit);
    std::printf("CHECK %-28s %9zu compared %7zu mismatches  %6.1f s\n", name_.c_str(), compared_, mismatches_,
                now_s() - t0_);
    std::fflush(stdout);
    total_mismatches += mismatches_;
    total_compared += compared_;
  }

 private:
  static constexpr size_t kPrintLimit = 20;
  std::string name_;
  size_t mismatches_ = 0, compared_ = 0;
  double t0_ = 0;
};

struct Row {
  std::string what;
  size_t batch;
  Timing t;
  bool has_total;
};

std::string human(double per_s) {
  char buf[32];
  if (per_s >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", per_s / 1e9);
  else if (per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", per_s / 1e6);
  else if (per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", per_s);
  return buf;
}

void print_table(const std::vector<Row>& rows, const std::string& engine, const std::string& tsv) {
  std::printf("\nTABLE  %s\n", engine.c_str());
  std::printf("%-34s %9s %11s %12s %11s %12s %5s\n", "what", "batch", "kernel ms", "kernel /s", "e2e ms", "e2e /s",
              "reps");
  FILE* f = tsv.empty() ? nullptr : std::fopen(tsv.c_str(), "w");
  if (f) std::fprintf(f, "what\tbatch\tkernel_ms\tkernel_per_s\te2e_ms\te2e_per_s\treps\n");
  for (const Row& r : rows) {
    double kr = r.t.kernel_ms > 0 ? r.batch / (r.t.kernel_ms / 1e3) : 0;
    double er = r.t.total_ms > 0 ? r.batch / (r.t.total_ms / 1e3) : 0;
    char total[32] = "-";
    if (r.has_total) std::snprintf(total, sizeof total, "%.3f", r.t.total_ms);
    std::printf("%-34s %9zu %11.3f %12s %11s %12s %5d\n", r.what.c_str(), r.batch, r.t.kernel_ms, human(kr).c_str(),
                total, r.has_total ? human(er).c_str() : "-", r.t.reps);
    if (f)
      std::fprintf(f, "%s\t%zu\t%.4f\t%.0f\t%.4f\t%.0f\t%d\n", r.what.c_str(), r.batch, r.t.kernel_ms, kr,
                   r.has_total ? r.t.total_ms : 0.0, r.has_total ? er : 0.0, r.t.reps);
  }
  if (f) std::fclose(f);
}

int run(const Options& o) {
  std::vector<uint8_t> file;
  if (!read_file(o.corpus, &file)) {
    std::fprintf(stderr, "gpu_check: cannot read corpus %s (make it with make_gpu_corpus)\n", o.corpus.c_str());
    return 2;
  }
  Corpus corpus;
  std::string err;
  if (!parse_corpus(file, &corpus, &err)) {
    std::fprintf(stderr, "gpu_check: %s: %s\n", o.corpus.c_str(), err.c_str());
    return 2;
  }
  size_t by_origin[3] = {0, 0, 0};
  for (const CorpusTx& t : corpus.txs) by_origin[t.origin < 3 ? t.origin : 2]++;
  std::printf("gpu_check: corpus %s: %zu transactions (%zu wycheproof, %zu speccheck, %zu random), %zu hash vectors, "
              "%zu merkle cases, checksum ok\n",
              o.corpus.c_str(), corpus.txs.size(), by_origin[0], by_origin[1], by_origin[2], corpus.hashes.size(),
              corpus.merkle.size());

  std::unique_ptr<Engine> engine = make_engine(o.threads);
  std::printf("gpu_check: engine: %s\n%s\n", engine->describe().c_str(), engine->resources().c_str());
  std::printf("gpu_check: cpu threads for cross-checks: %u\n", cpu_threads());
  std::fflush(stdout);

  Checker ck;
  std::vector<Row> rows;

  // 1. Every corpus signature: against the reference verdicts, on the device
  //    and with the same kernel code on the CPU.
  {
    OwnedBatch b = batch_from_corpus(corpus, o.corpus_limit);
    std::vector<uint8_t> got(b.size(), 0xA5), cpu(b.size(), 0xA5);
    ck.begin("corpus-verify");
    engine->verify(b.view(), got.data());
    for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], got[i], "reference");
    ck.end();
    ck.begin("corpus-verify-cpu-kernels");
    cpu_verify(b.view(), 0, b.size(), cpu.data());
    for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], cpu[i], "reference");
    ck.end();
  }

  // 2. Hashes: transaction ids and the length-edge vectors, against OpenSSL.
  {
    std::vector<const uint8_t*> want;
    OwnedHashBatch h = hash_batch_of_tx_encodings(corpus, o.corpus_limit ? 300 : 0, &want);
    std::vector<uint8_t> got(h.recs.size() * 32);
    ck.begin("corpus-ids-sha256");
    engine->sha256(h.view(), got.data());
    for (size_t i = 0; i < want.size(); ++i) ck.bytes(i, want[i], got.data() + 32 * i, 32, "transaction id");
    ck.end();
    want.clear();
    OwnedHashBatch v = hash_batch_of_vectors(corpus, o.max_hash_len, &want);
    got.assign(v.recs.size() * 32, 0);
    ck.begin("sha256-vectors");
    engine->sha256(v.view(), got.data());
    for (size_t i = 0; i < want.size(); ++i)
      ck.bytes(i, want[i], got.data() + 32 * i, 32, "digest of length " + std::to_string(v.recs[i].len));
    ck.end();
  }

  // 3. Merkle roots against bg::merkle_root.
  ck.begin("merkle-cases");
  for (size_t i = 0; i < corpus.merkle.size(); ++i) {
    const MerkleCase& m = corpus.merkle[i];
    if (o.max_merkle && m.count() > o.max_merkle) continue;
    uint8_t root[32];
    engine->merkle_root(m.ids.data(), m.count(), root);
    ck.bytes(m.count(), m.root, root, 32, "root of size");
  }
  ck.end();

  // 4. Expanded batches per scheme: the damage rule, plus GPU == CPU kernels.
  std::vector<OwnedBatch> expanded(kSchemeCount + 1);  // indexed by scheme byte
  for (uint8_t s = 1; s <= kSchemeCount; ++s) {
    double t0 = now_s();
    expanded[s] = expand_scheme(corpus, s, o.expand);
    const OwnedBatch& b = expanded[s];
    std::printf("gpu_check: expanded %zu %s items from the corpus seeds in %.1f s\n", b.size(), scheme_label(s),
                now_s() - t0);
    std::vector<uint8_t> got(b.size(), 0xA5);
    ck.begin(std::string("expanded-") + scheme_label(s));
    engine->verify(b.view(), got.data());
    for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], got[i], "damage rule");
    ck.end();
    size_t sample = std::min(o.cpu_sample, b.size());
    std::vector<uint8_t> cpu(sample, 0xA5);
    ck.begin(std::string("expanded-") + scheme_label(s) + "-vs-cpu");
    double c0 = now_s();
    cpu_verify(b.view(), 0, sample, cpu.data());
    double cpu_s = now_s() - c0;
    for (size_t i = 0; i < sample; ++i) ck.verdict(b, i, cpu[i], got[i], "cpu kernels");
    ck.end();
    if (sample > 0) {
      Timing t;
      t.kernel_ms = cpu_s * 1e3;
      t.reps = 1;
      rows.push_back(Row{std::string("cpu kernel code ") + scheme_label(s) + " (" + std::to_string(cpu_threads()) +
                             " thr)",
                         sample, t, false});
    }
  }
  std::vector<const OwnedBatch*> parts;
  for (uint8_t s = 1; s <= kSchemeCount; ++s) parts.push_back(&expanded[s]);
  OwnedBatch mixed = mixed_batch(parts, o.expand / kSchemeCount);
  {
    std::vector<uint8_t> got(mixed.size(), 0xA5);
    ck.begin("expanded-mixed");
    engine->verify(mixed.view(), got.data());
    for (size_t i = 0; i < mixed.size(); ++i) ck.verdict(mixed, i, mixed.expected[i], got[i], "damage rule");
    ck.end();
  }

  // 5. Big hash and Merkle batches: GPU against the same code on the CPU.
  OwnedHashBatch msgs = random_messages(o.big, 128, corpus.expand_seed + 1);
  {
    std::vector<uint8_t> got(o.big * 32), cpu(o.big * 32);
    ck.begin("sha256-128B-vs-cpu");
    engine->sha256(msgs.view(), got.data());
    cpu_sha256(msgs.view(), cpu.data());
    for (size_t i = 0; i < o.big; ++i) ck.bytes(i, cpu.data() + 32 * i, got.data() + 32 * i, 32, "message");
    ck.end();
    uint8_t gr[32], cr[32];
    ck.begin("merkle-big-vs-cpu");
    engine->merkle_root(msgs.blob.data(), o.big, gr);  // the random bytes as o.big 32-byte ids
    cpu_merkle_root(msgs.blob.data(), o.big, cr);
    ck.bytes(o.big, cr, gr, 32, "root of size");
    ck.end();
  }

  // 6. Timings, most important first (1M per scheme, mixed, hashing, then the
  //    smaller batches), so a slow kernel loses the small sizes, not the big.
  if (o.timing) {
    double deadline = g_start + o.deadline_s;
    size_t skipped = 0;
    auto timed = [&](auto&& fn) {
      if (now_s() > deadline) { ++skipped; return; }
      fn();
    };
    std::vector<size_t> sizes = o.sizes;
    std::sort(sizes.begin(), sizes.end(), std::greater<size_t>());
    for (size_t si = 0; si < sizes.size(); ++si) {
      size_t n = sizes[si];
      for (uint8_t s = 1; s <= kSchemeCount; ++s) {
        if (n > expanded[s].size()) continue;
        timed([&] {
          OwnedBatch p = prefix(expanded[s], n);
          rows.push_back(Row{std::string("verify ") + scheme_label(s), n,
                             engine->time_verify(p.view(), o.reps, o.budget_ms), true});
          std::printf("gpu_check: timed verify %s n=%zu: %.3f ms\n", scheme_label(s), n, rows.back().t.kernel_ms);
          std::fflush(stdout);
        });
      }
      if (si != 0) continue;
      timed([&] {
        if (mixed.size() == 0) return;
        rows.push_back(Row{"verify mixed (1/" + std::to_string(kSchemeCount) + " each)", mixed.size(), engine->time_verify(mixed.view(), o.reps, o.budget_ms),
                           true});
      });
      for (size_t m : {o.big, size_t(16384)}) {
        if (m > o.big) continue;
        timed([&] {
          HashBatch v = msgs.view();
          v.n = m;
          v.blob_len = m * 128;
          rows.push_back(Row{"sha256 of 128-byte messages", m, engine->time_sha256(v, o.reps, o.budget_ms), true});
        });
      }
      for (size_t m : {o.big, size_t(65537)}) {
        if (m > o.big) continue;
        timed([&] {
          rows.push_back(Row{"merkle root (leaves + levels)", m,
                             engine->time_merkle(msgs.blob.data(), m, o.reps, o.budget_ms), true});
        });
      }
    }
    // Block size: the kernels use 180-255 registers, so 128-thread blocks
    // fit only twice per SM; smaller blocks may pack more warps. Largest
    // batch only, after everything else.
    for (size_t alt : o.alt_threads) {
      int t = int(alt);
      for (uint8_t s = 1; s <= kSchemeCount; ++s) {
        if (sizes.empty() || sizes[0] > expanded[s].size()) continue;
        timed([&] {
          OwnedBatch p = prefix(expanded[s], sizes[0]);
          engine->set_verify_threads(t);
          rows.push_back(Row{std::string("verify ") + scheme_label(s) + " [" + std::to_string(t) + " thr/blk]",
                             sizes[0], engine->time_verify(p.view(), o.reps, o.budget_ms), true});
          engine->set_verify_threads(o.threads);
        });
      }
    }
    if (skipped) std::printf("gpu_check: --deadline-s %.0f reached: %zu configurations not timed\n", o.deadline_s, skipped);
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.what != b.what ? a.what < b.what : a.batch < b.batch;
    });
  }

  print_table(rows, engine->describe(), o.tsv);
  std::printf("\nRESULT %s: %zu mismatches over %zu comparisons\n", ck.total_mismatches ? "FAIL" : "PASS",
              ck.total_mismatches, ck.total_compared);
  return ck.total_mismatches ? 1 : 0;
}

}  // namespace
}  // namespace bg::gpucheck

int main(int argc, char** argv) {
  bg::gpucheck::Options o;
  try {
    if (!bg::gpucheck::parse_args(argc, argv, &o)) return 2;
    return bg::gpucheck::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_check: error: %s\n", e.what());
    std::printf("\nRESULT ERROR: %s\n", e.what());
    return 2;
  }
}
