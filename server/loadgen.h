// Signed load for a running server (`blockgate loadgen`, and the crash and
// stream tests): pre-generates signed transactions, POSTs them in batches over
// keep-alive connections, and checks every answer against the ids it expects.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/bytes.h"
#include "host/transaction.h"
#include "server/http_client.h"

namespace bg {

struct LoadPlanOptions {
  std::string scheme = "ed25519";  // a scheme name (kernels/schemes.h) or "mixed"
  size_t transactions = 10000;
  size_t batch = 100;
  size_t payload_bytes = 64;       // >= 16: an 8-byte run nonce and an 8-byte index lead
  size_t keys_per_scheme = 4;
  uint64_t seed = 1;               // fixes the keys and the scheme mix
  // Makes this run's payloads distinct from every other run's, so a rerun
  // against the same ledger is not rejected as duplicates. 0: from the OS.
  uint64_t run_nonce = 0;
  size_t threads = 0;              // signing threads; 0 = all cores
  // Request bodies as concatenated canonical binary transactions
  // (application/octet-stream) instead of JSON arrays.
  bool binary = false;
};

// Everything the senders need, built before the clock starts.
struct LoadPlan {
  struct Batch {
    std::string body;               // JSON array of transactions, or binary ones
    std::vector<Hash32> ids;        // expected id of each, in order
  };
  std::vector<Batch> batches;
  size_t transactions = 0;
  std::string content_type = "application/json";
};

absl::StatusOr<LoadPlan> build_load_plan(const LoadPlanOptions& opts);

enum class WaitMode { kCommit, kVerify };

// One committed answer, as the server gave it.
struct CommittedTx {
  Hash32 id;
  uint64_t height = 0;
  uint64_t index = 0;
};

struct LoadRunOptions {
  HttpUrl url;          // server/http_client.h
  std::string ca_file;  // https:// URLs: PEM CA of the server certificate (empty: the system store)
  WaitMode wait = WaitMode::kCommit;
  size_t connections = 4;
  // Gives up on a batch after this many 503s in a row (each waits Retry-After).
  size_t max_retries_per_batch = 100;
  // Cap on one Retry-After sleep, so a long hint cannot stall a short run.
  double max_retry_after_s = 2.0;
  // Deadline for each connect, write and read (a commit answer included).
  std::chrono::milliseconds timeout{30000};
  // Keep every committed answer in the report (the crash test reads them).
  bool keep_committed = false;
  // After a transport error (connection lost) a sender reconnects and moves on
  // to the next batch; with this set it stops instead (the server is gone).
  bool stop_on_transport_error = false;
  // When set, counts transactions answered right as they come (progress for
  // a caller watching from another thread).
  std::atomic<size_t>* progress = nullptr;
  // Set from outside to stop the senders after their current request.
  std::atomic<bool>* stop = nullptr;
};

struct LoadReport {
  size_t transactions_planned = 0;
  size_t transactions_ok = 0;       // answered committed/verified with the right id
  size_t wrong_answers = 0;         // transactions whose answer was wrong in any way
  size_t requests = 0;              // completed HTTP exchanges, retries included
  size_t http_errors = 0;           // non-200, non-503 responses
  size_t shed_503 = 0;              // 503 responses (retried after Retry-After)
  size_t transport_errors = 0;      // connect/read/write failures
  size_t batches_abandoned = 0;     // batches never answered (transport error, retries exhausted)
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;  // per successful request
  std::vector<std::string> samples;  // the first few problems, for people
  std::vector<CommittedTx> committed;  // when keep_committed

  double tx_per_s() const { return seconds > 0 ? transactions_ok / seconds : 0; }
  // True when every planned transaction came back right.
  bool all_ok() const {
    return wrong_answers == 0 && http_errors == 0 && transport_errors == 0 && batches_abandoned == 0 &&
           transactions_ok == transactions_planned;
  }
};

// Sends every batch of `plan` and checks each answer. Blocks until done.
LoadReport run_load(const LoadPlan& plan, const LoadRunOptions& opts);

// Checks one 200 answer to a batch: `results` has one entry per expected id, in
// order, each with status committed (height >= 1, index) or verified and the
// expected id. Appends committed answers to *committed. Returns the number of
// wrong entries (the whole batch when the body does not parse); *why gets the
// first problem.
size_t check_batch_answer(std::string_view body, const std::vector<Hash32>& ids, WaitMode wait,
                          std::vector<CommittedTx>* committed, std::string* why);

// Human-readable summary (several lines).
std::string format_report(const LoadReport& r, WaitMode wait);

}  // namespace bg
