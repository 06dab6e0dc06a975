// Load generation: the plan (keys, signed transactions, request bodies) is
// built on all cores before any request; the senders are one thread per
// keep-alive connection, so a sender's latency is exactly its request's.
#include "server/loadgen.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "host/hash.h"
#include "host/reference_verify.h"
#include "host/signer.h"
#include "host/status_macros.h"
#include "host/thread_pool.h"
#include "server/http_client.h"

namespace bg {
namespace {

using Clock = std::chrono::steady_clock;

// splitmix64: a cheap, well-mixed function of (seed, index), so any thread can
// derive transaction i's scheme, key and filler without shared RNG state.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Deterministic keys: secret = SHA-256("blockgate-loadgen" ‖ seed ‖ scheme ‖ k ‖ attempt),
// retried on the (negligible) chance that it is not a valid ECDSA scalar.
absl::StatusOr<KeyPair> derive_key(uint64_t seed, Scheme scheme, size_t k) {
  for (uint64_t attempt = 0; attempt < 16; ++attempt) {
    Bytes material;
    const std::string_view tag = "blockgate-loadgen";
    material.insert(material.end(), tag.begin(), tag.end());
    put_u64le(material, seed);
    material.push_back(uint8_t(scheme));
    put_u64le(material, k);
    put_u64le(material, attempt);
    Hash32 secret = sha256(material);
    auto key = key_from_secret(scheme, ByteSpan(secret.data(), secret.size()));
    if (key.ok()) return key;
  }
  return absl::InternalError("could not derive a loadgen key");
}

void append_json_tx(std::string& out, const Transaction& tx) {
  absl::StrAppend(&out, "{\"scheme\":\"", std::string(scheme_name(tx.scheme)), "\",\"public_key\":\"",
                  to_hex(tx.public_key_span()), "\",\"signature\":\"",
                  to_hex(ByteSpan(tx.signature.data(), tx.signature.size())), "\",\"payload\":\"",
                  to_hex(tx.payload), "\"}");
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = size_t(q * double(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

const char* wait_name(WaitMode w) { return w == WaitMode::kCommit ? "commit" : "verify"; }

}  // namespace

absl::StatusOr<LoadPlan> build_load_plan(const LoadPlanOptions& opts) {
  std::vector<Scheme> schemes;
  if (opts.scheme == "mixed") {
    for (const SchemeInfo& s : kSchemes) schemes.push_back(s.id);
  } else if (auto s = scheme_from_name(opts.scheme)) {
    schemes = {*s};
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown scheme '", opts.scheme, "' (", scheme_names(), ", mixed)"));
  }
  if (opts.batch == 0) return absl::InvalidArgumentError("batch must be at least 1");
  if (opts.keys_per_scheme == 0) return absl::InvalidArgumentError("keys_per_scheme must be at least 1");
  if (opts.payload_bytes < 16) return absl::InvalidArgumentError("payload_bytes must be at least 16");
  if (opts.payload_bytes > kDefaultMaxPayload)
    return absl::InvalidArgumentError(absl::StrCat("payload_bytes above the default limit ", kDefaultMaxPayload));

  reference_init();
  uint64_t nonce = opts.run_nonce;
  while (nonce == 0) randombytes_buf(&nonce, sizeof nonce);

  // keys[scheme slot][k]
  std::vector<std::vector<KeyPair>> keys(schemes.size());
  for (size_t s = 0; s < schemes.size(); ++s) {
    for (size_t k = 0; k < opts.keys_per_scheme; ++k) {
      BG_ASSIGN_OR_RETURN(KeyPair key, derive_key(opts.seed, schemes[s], k));
      keys[s].push_back(std::move(key));
    }
  }

  LoadPlan plan;
  plan.transactions = opts.transactions;
  if (opts.binary) plan.content_type = "application/octet-stream";
  const size_t nbatches = (opts.transactions + opts.batch - 1) / opts.batch;
  plan.batches.resize(nbatches);
  ThreadPool pool(opts.threads);
  // One batch per work item: signing dominates (tens of µs per tx), so the
  // pool's chunking balances well even for mixed schemes.
  pool.parallel_for(nbatches, 1, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      LoadPlan::Batch& batch = plan.batches[b];
      const size_t first = b * opts.batch, last = std::min(opts.transactions, first + opts.batch);
      batch.ids.reserve(last - first);
      batch.body.reserve((last - first) * (2 * (33 + 64 + opts.payload_bytes) + 80) + 2);
      if (!opts.binary) batch.body.push_back('[');
      for (size_t i = first; i < last; ++i) {
        const uint64_t r = mix64(opts.seed ^ mix64(i));
        const size_t s = schemes.size() == 1 ? 0 : r % schemes.size();
        const KeyPair& key = keys[s][(r >> 8) % opts.keys_per_scheme];
        // Payload: run nonce ‖ index ‖ filler. Nonce and index make every
        // transaction of every run distinct, so no id repeats.
        Bytes payload;
        payload.reserve(opts.payload_bytes);
        put_u64le(payload, nonce);
        put_u64le(payload, i);
        uint64_t f = r;
        while (payload.size() < opts.payload_bytes) {
          f = mix64(f);
          payload.push_back(uint8_t(f));
        }
        Transaction tx = sign_transaction(key, std::move(payload));
        if (opts.binary) {
          Bytes enc = tx.encode();
          batch.ids.push_back(sha256(enc));
          batch.body.append(reinterpret_cast<const char*>(enc.data()), enc.size());
          continue;
        }
        batch.ids.push_back(tx.id());
        if (i != first) batch.body.push_back(',');
        append_json_tx(batch.body, tx);
      }
      if (!opts.binary) batch.body.push_back(']');
    }
  });
  return plan;
}

size_t check_batch_answer(std::string_view body, const std::vector<Hash32>& ids, WaitMode wait,
                          std::vector<CommittedTx>* committed, std::string* why) {
  auto fail = [&](size_t n, std::string msg) {
    if (why->empty()) *why = std::move(msg);
    return n;
  };
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return fail(ids.size(), "answer is not a JSON object");
  const boost::json::value* results = v.get_object().if_contains("results");
  if (results == nullptr || !results->is_array()) return fail(ids.size(), "answer has no \"results\" array");
  const boost::json::array& arr = results->get_array();
  if (arr.size() != ids.size())
    return fail(ids.size(), absl::StrCat("answer has ", arr.size(), " results for ", ids.size(), " transactions"));
  const std::string_view want_status = wait == WaitMode::kCommit ? "committed" : "verified";
  size_t wrong = 0;
  for (size_t i = 0; i < arr.size(); ++i) {
    const boost::json::object* r = arr[i].if_object();
    if (r == nullptr) {
      wrong += fail(1, absl::StrCat("result ", i, " is not an object"));
      continue;
    }
    const boost::json::value* st = r->if_contains("status");
    const boost::json::value* id = r->if_contains("id");
    if (st == nullptr || !st->is_string() || st->get_string() != want_status) {
      std::string got = st && st->is_string() ? std::string(st->get_string()) : "?";
      if (const boost::json::value* e = r->if_contains("error"); e && e->is_string())
        absl::StrAppend(&got, " (", std::string(e->get_string()), ")");
      wrong += fail(1, absl::StrCat("result ", i, ": status ", got, ", expected ", std::string(want_status)));
      continue;
    }
    if (id == nullptr || !id->is_string() || hash_from_hex(std::string(id->get_string())) != ids[i]) {
      wrong += fail(1, absl::StrCat("result ", i, ": wrong id, expected ", to_hex(ids[i])));
      continue;
    }
    if (wait == WaitMode::kCommit) {
      const boost::json::value* h = r->if_contains("height");
      const boost::json::value* x = r->if_contains("index");
      if (h == nullptr || !h->is_int64() || h->get_int64() < 1 || x == nullptr || !x->is_int64() ||
          x->get_int64() < 0) {
        wrong += fail(1, absl::StrCat("result ", i, ": committed without a valid height/index"));
        continue;
      }
      if (committed) committed->push_back({ids[i], uint64_t(h->get_int64()), uint64_t(x->get_int64())});
    }
  }
  return wrong;
}

LoadReport run_load(const LoadPlan& plan, const LoadRunOptions& opts) {
  LoadReport report;
  report.transactions_planned = plan.transactions;
  const std::string target =
      absl::StrCat(opts.url.path, "/v1/transactions?wait=", wait_name(opts.wait));
  std::atomic<size_t> next_batch{0};
  std::mutex mu;  // guards report merging and samples
  std::vector<double> latencies;
  std::vector<CommittedTx> positions;  // every committed answer, for the uniqueness check

  auto sample = [&](std::string msg) {
    std::lock_guard<std::mutex> lock(mu);
    if (report.samples.size() < 8) report.samples.push_back(std::move(msg));
  };
  auto stopped = [&] { return opts.stop != nullptr && opts.stop->load(); };

  auto sender = [&]() {
    LoadReport mine;
    std::vector<double> lat;
    std::vector<CommittedTx> got;
    HttpClientOptions copts;
    copts.timeout = opts.timeout;
    copts.tls = opts.url.tls;
    copts.ca_file = opts.ca_file;
    HttpClient client(opts.url.host, opts.url.port, copts);
    bool gone = false;
    while (!gone && !stopped()) {
      const size_t b = next_batch.fetch_add(1);
      if (b >= plan.batches.size()) break;
      const LoadPlan::Batch& batch = plan.batches[b];
      size_t attempts = 0;
      for (;;) {
        const auto t0 = Clock::now();
        auto resp = client.post(target, batch.body, plan.content_type);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!resp.ok()) {
          ++mine.transport_errors;
          ++mine.batches_abandoned;
          sample(absl::StrCat("batch ", b, ": ", resp.status().ToString()));
          client.close();
          gone = opts.stop_on_transport_error;
          break;
        }
        ++mine.requests;
        if (resp->status == 503 && !stopped() && ++attempts <= opts.max_retries_per_batch) {
          ++mine.shed_503;
          double wait_s = 1.0;
          if (double hint; absl::SimpleAtod(resp->header("Retry-After"), &hint) && hint >= 0)
            wait_s = hint;
          std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait_s, opts.max_retry_after_s)));
          continue;
        }
        if (resp->status == 503) {
          ++mine.shed_503;
          ++mine.batches_abandoned;
          sample(absl::StrCat("batch ", b, ": still 503 after ", attempts, " tries"));
          break;
        }
        if (resp->status != 200) {
          ++mine.http_errors;
          ++mine.batches_abandoned;
          sample(absl::StrCat("batch ", b, ": HTTP ", resp->status, " ", resp->body.substr(0, 200)));
          break;
        }
        std::string why;
        size_t wrong = check_batch_answer(resp->body, batch.ids, opts.wait, &got, &why);
        mine.wrong_answers += wrong;
        mine.transactions_ok += batch.ids.size() - wrong;
        if (opts.progress != nullptr) opts.progress->fetch_add(batch.ids.size() - wrong);
        if (wrong) sample(absl::StrCat("batch ", b, ": ", why));
        lat.push_back(ms);
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    report.transactions_ok += mine.transactions_ok;
    report.wrong_answers += mine.wrong_answers;
    report.requests += mine.requests;
    report.http_errors += mine.http_errors;
    report.shed_503 += mine.shed_503;
    report.transport_errors += mine.transport_errors;
    report.batches_abandoned += mine.batches_abandoned;
    latencies.insert(latencies.end(), lat.begin(), lat.end());
    positions.insert(positions.end(), got.begin(), got.end());
  };

  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < std::max<size_t>(1, opts.connections); ++c) threads.emplace_back(sender);
  for (auto& t : threads) t.join();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // Two transactions answered with the same (height, index) cannot both be
  // right: the server double-booked a slot.
  std::sort(positions.begin(), positions.end(), [](const CommittedTx& a, const CommittedTx& b) {
    return a.height != b.height ? a.height < b.height : a.index < b.index;
  });
  for (size_t i = 1; i < positions.size(); ++i) {
    if (positions[i].height == positions[i - 1].height && positions[i].index == positions[i - 1].index) {
      ++report.wrong_answers;
      --report.transactions_ok;
      if (report.samples.size() < 8)
        report.samples.push_back(absl::StrCat("two transactions answered at height ", positions[i].height,
                                              " index ", positions[i].index));
    }
  }
  std::sort(latencies.begin(), latencies.end());
  report.p50_ms = percentile(latencies, 0.50);
  report.p99_ms = percentile(latencies, 0.99);
  report.p999_ms = percentile(latencies, 0.999);
  report.max_ms = latencies.empty() ? 0 : latencies.back();
  if (opts.keep_committed) report.committed = std::move(positions);
  return report;
}

std::string format_report(const LoadReport& r, WaitMode wait) {
  std::string out = absl::StrFormat(
      "loadgen: %zu/%zu transactions %s in %.3f s: %.0f tx/s\n"
      "loadgen: %zu requests, %zu wrong answers, %zu HTTP errors, %zu 503 (retried), %zu transport errors, "
      "%zu batches unanswered\n"
      "loadgen: %s latency per request: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
      r.transactions_ok, r.transactions_planned, wait == WaitMode::kCommit ? "committed" : "verified", r.seconds,
      r.tx_per_s(), r.requests, r.wrong_answers, r.http_errors, r.shed_503, r.transport_errors,
      r.batches_abandoned, wait_name(wait), r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms);
  for (const std::string& s : r.samples) absl::StrAppend(&out, "loadgen: problem: ", s, "\n");
  return out;
}

}  // namespace bg
