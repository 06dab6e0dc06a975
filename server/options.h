// Every knob of `blockgate serve` in one place: SPEC §5 flags plus the
// documented extras (docs/SERVER.md), with their defaults.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "host/transaction.h"

namespace bg {

struct ServerOptions {
  // SPEC §5.
  std::string data_dir = "./blockgate-data";
  std::string host = "127.0.0.1";
  uint16_t port = 8700;
  std::string backend = "auto";
  uint64_t max_body_bytes = 16ull << 20;
  uint64_t block_interval_ms = 50;
  uint64_t max_block_txs = 10000;
  uint64_t max_connections = 1024;
  std::string auth_token;  // empty: POSTs need no token

  // Extras.
  uint64_t max_batch = 4096;          // signatures per verify_batch call (a request is never split)
  uint64_t batch_deadline_us = 2000;  // oldest queued tx waits at most this long for a batch to fill
  uint64_t max_pending_txs = 262144;  // txs admitted but not yet final; past it POSTs get 503
  uint64_t max_pending_blocks = 64;   // POSTed blocks waiting for the writer; past it 503
  uint64_t max_payload_bytes = kDefaultMaxPayload;
  size_t io_threads = 0;              // 0: hardware_concurrency
  size_t verify_threads = 0;          // backend CPU threads; 0: all cores
  // --gpu-variant: kernel variant per scheme byte for the gpu and
  // kernels-on-cpu backends (kernels/verify_variant.h).
  std::array<int, 4> kernel_variant{1, 1, 1, 1};
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for a request's first byte
  std::chrono::milliseconds header_timeout{10000};  // first byte to end of headers
  std::chrono::milliseconds body_timeout{30000};    // end of headers to end of body
  std::chrono::milliseconds write_timeout{30000};   // one response write (a stream chunk included)
  std::chrono::milliseconds drain_timeout{30000};   // SIGTERM: longest wait for in-flight work
};

}  // namespace bg
