// gpu_check: proves the GPU kernels right on real hardware and times them.
// Reads the corpus make_gpu_corpus wrote (reference verdicts, OpenSSL hashes),
// expands its valid seeds into ~1M items per scheme, compares EVERY verdict,
// hash and root bit for bit (GPU vs expected, and GPU vs the same kernel code
// on the CPU), for every kernel variant (kernels/verify_variant.h), then times
// each variant that had no mismatch at 64/128/256 threads per block and four
// batch sizes with CUDA events, prints one table, and writes tuning.tsv (the
// winner per scheme and its crossover batch size against the CPU).
// Builds with nvcc alone (see scripts/gpu-check.sh); -DGPU_CHECK_CPU_ONLY
// swaps the CUDA engine for CPU threads. Exit: 0 pass, 1 mismatch, 2 error,
// 3 no mismatch but a step skipped (timings cut by --deadline-s).
#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
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
  std::vector<size_t> sizes = {1024, 16384, 262144, 1 << 20};  // the variant x block-size grid
  std::vector<size_t> small_sizes = {64, 256};  // timed for each scheme's winner only: the crossover
  size_t big = 1 << 20;           // 128-byte messages hashed / Merkle leaves
  size_t corpus_limit = 0;        // per scheme and origin; 0 = all
  size_t max_hash_len = 0;        // skip longer hash vectors; 0 = all
  size_t max_merkle = 0;          // skip larger Merkle cases; 0 = all
  int reps = 9;
  double budget_ms = 1500;  // per timed configuration and phase
  double deadline_s = 240;  // seconds after start: no timed configuration starts later
  bool timing = true;
  int threads = 0;                                   // block size of the correctness runs (0: default)
  std::vector<size_t> threads_list = {128, 64, 256};  // block sizes of the grid, most likely first
  std::string tsv;
  std::string tuning;        // tuning.tsv: winner per scheme, crossover vs the CPU
  std::string cpu_rates;     // "ed25519=R,secp256k1=R,p256=R": reference rates on this machine's CPU
  size_t carry_cases = 1 << 16;
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

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

std::string utc_now() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
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
    else if (a == "--threads-list") o->threads_list = parse_sizes(val());
    else if (a == "--small-sizes") o->small_sizes = parse_sizes(val());
    else if (a == "--tsv") o->tsv = val();
    else if (a == "--tuning") o->tuning = val();
    else if (a == "--cpu-rates") o->cpu_rates = val();
    else if (a == "--carry-cases") o->carry_cases = std::stoul(val());
    else if (a == "--corpus-limit") o->corpus_limit = std::stoul(val());
    else if (a == "--no-timing") o->timing = false;
    else if (a == "--quick") {
      // Small enough for compute-sanitizer: every code path, few items.
      o->expand = 96;
      o->cpu_sample = 96;
      o->big = 4097;
      o->corpus_limit = 24;
      o->max_hash_len = 5000;
      o->max_merkle = 1000;
      o->carry_cases = 256;
      o->timing = false;
    } else {
      std::fprintf(stderr,
                   "usage: gpu_check [--corpus F] [--expand N] [--cpu-sample N] [--sizes a,b,..] [--big N]\n"
                   "                 [--reps N] [--budget-ms MS] [--deadline-s S] [--threads T] [--threads-list a,b]\n"
                   "                 [--small-sizes a,b] [--tsv F] [--tuning F] [--cpu-rates ed25519=R,...]\n"
                   "                 [--carry-cases N] [--corpus-limit N (per scheme and origin)]\n"
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
    const gpu::SigRecord& r = b.recs[i];
    const int v = r.scheme < 4 ? b.variant[r.scheme] : 0;
    if (r.scheme < 4 && v >= 0 && v <= k::kMaxKernelVariants) ++variant_mismatches[r.scheme][v];
    if (++mismatches_ <= kPrintLimit) {
      std::printf("MISMATCH %s: item %zu scheme %s v%d origin %s source %u damage %s payload %u B: %s %u, got %u\n",
                  name_.c_str(), i, scheme_label(r.scheme), v, origin_name(b.origin[i]),
                  b.source[i], damage_name(b.damage[i]), r.message_len, against, unsigned(want), unsigned(got));
    }
  }
  // Mismatches of each scheme's kernel variant over all checks so far: a
  // variant is timed only when its count is 0.
  size_t variant_mismatches[4][k::kMaxKernelVariants + 1] = {};
  void bytes(size_t i, const uint8_t* want, const uint8_t* got, size_t len, const std::string& what) {
    ++compared_;
    if (std::memcmp(want, got, len) == 0) return;
    if (++mismatches_ <= kPrintLimit) std::printf("MISMATCH %s: %s %zu differs\n", name_.c_str(), what.c_str(), i);
  }
  void end() {
    if (mismatches_ > kPrintLimit) std::printf("MISMATCH %s: ... %zu more not shown\n", name_.c_str(), mismatches_ - kPrintLimit);
    std::printf("CHECK %-30s %9zu compared %7zu mismatches  %6.1f s\n", name_.c_str(), compared_, mismatches_,
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
  uint8_t scheme = 0;  // verify grid rows: scheme, variant, block size
  int variant = 0;
  int threads = 0;
};

std::string human(double per_s) { return timing::human_rate(per_s); }

// The rate table (host/timing.h's, as `blockgate bench` prints it) and the
// same rows as numbers in --tsv.
void print_table(const std::vector<Row>& rows, const std::string& engine, const std::string& tsv) {
  std::printf("\nTABLE  %s\n", engine.c_str());
  timing::RateTable table{{"what", "batch", "kernel ms", "kernel /s", "e2e ms", "e2e /s", "reps"}};
  FILE* f = tsv.empty() ? nullptr : std::fopen(tsv.c_str(), "w");
  if (f) std::fprintf(f, "what\tbatch\tkernel_ms\tkernel_per_s\te2e_ms\te2e_per_s\treps\n");
  for (const Row& r : rows) {
    double kr = r.t.kernel_ms > 0 ? r.batch / (r.t.kernel_ms / 1e3) : 0;
    double er = r.t.total_ms > 0 ? r.batch / (r.t.total_ms / 1e3) : 0;
    table.add({r.what, std::to_string(r.batch), timing::fixed(r.t.kernel_ms, 3), human(kr),
               r.has_total ? timing::fixed(r.t.total_ms, 3) : "-", r.has_total ? human(er) : "-",
               std::to_string(r.t.reps)});
    if (f)
      std::fprintf(f, "%s\t%zu\t%.4f\t%.0f\t%.4f\t%.0f\t%d\n", r.what.c_str(), r.batch, r.t.kernel_ms, kr,
                   r.has_total ? r.t.total_ms : 0.0, r.has_total ? er : 0.0, r.t.reps);
  }
  table.print(stdout);
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

  // 0. The carry primitives (kernels/carry.h): the device's PTX chains
  //    against the host versions, on random words biased toward all-ones.
  {
    std::vector<uint32_t> in(o.carry_cases * kCarryInWords), got(o.carry_cases * kCarryOutWords, 0xA5A5A5A5u),
        want(o.carry_cases * kCarryOutWords);
    uint64_t x = corpus.expand_seed ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < o.carry_cases; ++i) {
      const int mode = int(i % 4);  // 0 random, 1 all-ones, 2 ones or zeros, 3 random with top words full
      for (size_t w = 0; w < kCarryInWords; ++w) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = uint32_t(x >> 32);
        if (mode == 1 || (mode == 3 && w % 8 >= 4)) r = 0xffffffffu;
        if (mode == 2) r = (r & 1) ? 0xffffffffu : 0;
        in[kCarryInWords * i + w] = r;
      }
      in[kCarryInWords * i + 25] = 0;  // t[9] = 0, t[8] <= 1: t + a*b stays below 2^320
      in[kCarryInWords * i + 24] &= 1;
      cpu_carry_case(&in[kCarryInWords * i], &want[kCarryOutWords * i]);
    }
    ck.begin("carry-primitives");
    engine->carry_primitives(in.data(), o.carry_cases, got.data());
    for (size_t i = 0; i < o.carry_cases; ++i)
      ck.bytes(i, reinterpret_cast<const uint8_t*>(&want[kCarryOutWords * i]),
               reinterpret_cast<const uint8_t*>(&got[kCarryOutWords * i]), kCarryOutWords * 4, "carry case");
    ck.end();
  }

  // The largest variant number of any scheme: correctness rounds 1..max_v;
  // round v runs each scheme's variant min(v, count).
  int max_v = 1;
  for (uint8_t s = 1; s <= 3; ++s) max_v = std::max(max_v, k::variant_count(s));
  auto round_variants = [&](OwnedBatch& b, int v) {
    for (uint8_t s = 1; s <= 3; ++s) b.set_variant(s, std::min(v, k::variant_count(s)));
  };
  auto vname = [](const std::string& base, int v) { return base + "-v" + std::to_string(v); };

  // 1. Every corpus signature: against the reference verdicts, on the device
  //    and with the same kernel code on the CPU, once per variant round.
  {
    OwnedBatch b = batch_from_corpus(corpus, o.corpus_limit);
    for (int v = 1; v <= max_v; ++v) {
      round_variants(b, v);
      std::vector<uint8_t> got(b.size(), 0xA5), cpu(b.size(), 0xA5);
      ck.begin(vname("corpus-verify", v));
      engine->verify(b.view(), got.data());
      for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], got[i], "reference");
      ck.end();
      ck.begin(vname("corpus-verify-cpu-kernels", v));
      cpu_verify(b.view(), 0, b.size(), cpu.data());
      for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], cpu[i], "reference");
      ck.end();
    }
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

  // 4. Expanded batches per scheme and variant: the damage rule, plus GPU ==
  //    the same variant's kernel code on the CPU.
  std::vector<OwnedBatch> expanded(4);
  double cpu_kernel_rate[4] = {0, 0, 0, 0};  // items/s of the v1 kernel code on this machine's cores
  for (uint8_t s = 1; s <= 3; ++s) {
    double t0 = now_s();
    expanded[s] = expand_scheme(corpus, s, o.expand);
    OwnedBatch& b = expanded[s];
    std::printf("gpu_check: expanded %zu %s items from the corpus seeds in %.1f s\n", b.size(), scheme_label(s),
                now_s() - t0);
    for (int v = 1; v <= k::variant_count(s); ++v) {
      b.set_variant(s, v);
      const std::string base = std::string("expanded-") + scheme_label(s);
      std::vector<uint8_t> got(b.size(), 0xA5);
      ck.begin(vname(base, v));
      engine->verify(b.view(), got.data());
      for (size_t i = 0; i < b.size(); ++i) ck.verdict(b, i, b.expected[i], got[i], "damage rule");
      ck.end();
      size_t sample = std::min(o.cpu_sample, b.size());
      std::vector<uint8_t> cpu(sample, 0xA5);
      ck.begin(vname(base, v) + "-vs-cpu");
      double c0 = now_s();
      cpu_verify(b.view(), 0, sample, cpu.data());
      double cpu_s = now_s() - c0;
      for (size_t i = 0; i < sample; ++i) ck.verdict(b, i, cpu[i], got[i], "cpu kernels");
      ck.end();
      if (sample > 0) {
        Timing t;
        t.kernel_ms = cpu_s * 1e3;
        t.reps = 1;
        if (v == 1) cpu_kernel_rate[s] = sample / cpu_s;
        rows.push_back(Row{std::string("cpu kernel code ") + scheme_label(s) + " v" + std::to_string(v) + " (" +
                               std::to_string(cpu_threads()) + " thr)",
                           sample, t, false});
      }
    }
    b.set_variant(s, 1);
  }
  std::vector<const OwnedBatch*> parts = {&expanded[1], &expanded[2], &expanded[3]};
  OwnedBatch mixed = mixed_batch(parts, o.expand / 3);
  for (int v = 1; v <= max_v; ++v) {
    round_variants(mixed, v);
    std::vector<uint8_t> got(mixed.size(), 0xA5);
    ck.begin(vname("expanded-mixed", v));
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

  std::printf("gpu_check: variants with 0 mismatches (timed):");
  bool timeable[4][k::kMaxKernelVariants + 1] = {};
  for (uint8_t s = 1; s <= 3; ++s) {
    for (int v = 1; v <= k::variant_count(s); ++v) {
      timeable[s][v] = ck.variant_mismatches[s][v] == 0;
      std::printf(" %s v%d %s", scheme_label(s), v, timeable[s][v] ? "yes" : "NO");
    }
  }
  std::printf("\n");
  std::fflush(stdout);

  // 6. Timings, most important first, so a slow kernel loses the small
  //    configurations, not the big ones: per batch size (largest first) every
  //    scheme x variant x block size; after the largest, the mixed batch with
  //    each scheme's winner, hashing and Merkle roots; last the small batches
  //    of each winner that locate the crossover against the CPU.
  size_t skipped = 0;
  struct Winner {
    int variant = 0, threads = 0;
    double rate = 0;
    size_t batch = 0;
  } win[4];
  if (o.timing) {
    double deadline = g_start + o.deadline_s;
    auto timed = [&](auto&& fn) {
      if (now_s() > deadline) { ++skipped; return; }
      fn();
    };
    auto block = [&](size_t t) { return t > 0 ? int(t) : (o.threads > 0 ? o.threads : 128); };
    auto time_one = [&](uint8_t s, int v, int threads, size_t n) {
      timed([&] {
        OwnedBatch p = prefix(expanded[s], n);
        p.set_variant(s, v);
        engine->set_verify_threads(threads);
        Row r{std::string("verify ") + scheme_label(s) + " v" + std::to_string(v) + " [" + std::to_string(threads) +
                  " thr/blk]",
              n, engine->time_verify(p.view(), o.reps, o.budget_ms), true, s, v, threads};
        engine->set_verify_threads(o.threads);
        std::printf("gpu_check: timed %s n=%zu: %.3f ms\n", r.what.c_str(), n, r.t.kernel_ms);
        std::fflush(stdout);
        rows.push_back(r);
      });
    };
    std::vector<size_t> sizes = o.sizes;
    std::sort(sizes.begin(), sizes.end(), std::greater<size_t>());
    for (size_t si = 0; si < sizes.size(); ++si) {
      size_t n = sizes[si];
      for (size_t t : o.threads_list)
        for (uint8_t s = 1; s <= 3; ++s)
          for (int v = 1; v <= k::variant_count(s); ++v)
            if (timeable[s][v] && n <= expanded[s].size()) time_one(s, v, block(t), n);
      if (si != 0) continue;
      // Winners at the largest batch: best kernel rate per scheme.
      for (const Row& r : rows) {
        if (r.scheme == 0 || r.batch != n || r.t.kernel_ms <= 0) continue;
        const double rate = r.batch / (r.t.kernel_ms / 1e3);
        if (rate > win[r.scheme].rate) win[r.scheme] = Winner{r.variant, r.threads, rate, r.batch};
      }
      timed([&] {
        if (mixed.size() == 0) return;
        for (uint8_t s = 1; s <= 3; ++s) mixed.set_variant(s, win[s].variant > 0 ? win[s].variant : 1);
        const int t = win[1].threads > 0 ? win[1].threads : block(0);
        engine->set_verify_threads(t);
        rows.push_back(Row{"verify mixed (1/3 each, winners) [" + std::to_string(t) + " thr/blk]", mixed.size(),
                           engine->time_verify(mixed.view(), o.reps, o.budget_ms), true});
        engine->set_verify_threads(o.threads);
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
    for (size_t n : o.small_sizes)
      for (uint8_t s = 1; s <= 3; ++s)
        if (win[s].variant > 0 && n <= expanded[s].size()) time_one(s, win[s].variant, win[s].threads, n);
    if (skipped) std::printf("gpu_check: --deadline-s %.0f reached: %zu configurations not timed\n", o.deadline_s, skipped);
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.what != b.what ? a.what < b.what : a.batch < b.batch;
    });
  }

  print_table(rows, engine->describe(), o.tsv);

  // 7. tuning.tsv: per scheme the winner at the largest batch and the
  //    smallest batch at which it beats the CPU end to end.
  if (o.timing) {
    double ref_rate[4] = {0, 0, 0, 0};
    for (const std::string& kv : split_list(o.cpu_rates)) {
      const size_t eq = kv.find('=');
      for (uint8_t s = 1; s <= 3; ++s)
        if (eq != std::string::npos && kv.substr(0, eq) == scheme_label(s)) ref_rate[s] = std::stod(kv.substr(eq + 1));
    }
    FILE* f = o.tuning.empty() ? nullptr : std::fopen(o.tuning.c_str(), "w");
    if (f) {
      std::fprintf(f, "# tuning.tsv from gpu_check on %s, %s\n", engine->describe().c_str(), utc_now().c_str());
      std::fprintf(f, "scheme\tvariant\tthreads_per_block\tbatch\tkernel_per_s\te2e_per_s\tcpu_per_s\tcpu_source\t"
                      "crossover_batch\n");
    }
    std::printf("\n");
    for (uint8_t s = 1; s <= 3; ++s) {
      if (win[s].variant == 0) {
        std::printf("TUNING %s: no timed configuration\n", scheme_label(s));
        continue;
      }
      const bool have_ref = ref_rate[s] > 0;
      const double cpu_rate = have_ref ? ref_rate[s] : cpu_kernel_rate[s];
      double e2e = 0;
      size_t crossover = 0;
      for (const Row& r : rows) {  // sorted by batch within one `what`
        if (r.scheme != s || r.variant != win[s].variant || r.threads != win[s].threads || r.t.total_ms <= 0) continue;
        const double rate = r.batch / (r.t.total_ms / 1e3);
        if (r.batch == win[s].batch) e2e = rate;
        if (crossover == 0 && cpu_rate > 0 && rate >= cpu_rate) crossover = r.batch;
      }
      std::printf("TUNING %s: v%d, %d threads/block: %s/s kernel, %s/s end to end at %zu; CPU %s/s (%s); "
                  "crossover %s\n",
                  scheme_label(s), win[s].variant, win[s].threads, human(win[s].rate).c_str(), human(e2e).c_str(),
                  win[s].batch, human(cpu_rate).c_str(), have_ref ? "reference libraries" : "kernel code",
                  crossover ? std::to_string(crossover).c_str() : "none timed");
      if (f)
        std::fprintf(f, "%s\t%d\t%d\t%zu\t%.0f\t%.0f\t%.0f\t%s\t%zu\n", scheme_label(s), win[s].variant,
                     win[s].threads, win[s].batch, win[s].rate, e2e, cpu_rate, have_ref ? "reference" : "kernel-code",
                     crossover);
    }
    if (f) std::fclose(f);
  }

  if (ck.total_mismatches) {
    std::printf("\nRESULT FAIL: %zu mismatches over %zu comparisons\n", ck.total_mismatches, ck.total_compared);
    return 1;
  }
  if (skipped) {
    std::printf("\nRESULT INCOMPLETE: 0 mismatches over %zu comparisons; %zu timed configurations skipped\n",
                ck.total_compared, skipped);
    return 3;
  }
  std::printf("\nRESULT PASS: 0 mismatches over %zu comparisons\n", ck.total_compared);
  return 0;
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
