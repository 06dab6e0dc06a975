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
  // HTTPS: PEM certificate chain and private key; both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;

  // Extras.
  // Batches follow the backlog: with no batch in the backend, whatever is
  // queued goes at once (from min_batch signatures); while batches are in
  // flight the next one fills up to max_batch or until its oldest
  // transaction has waited batch_deadline_us. A request is never split.
  uint64_t min_batch = 1;
  uint64_t max_batch = 131072;        // ~one full device wave
  uint64_t batch_deadline_us = 2000;
  uint64_t verify_depth = 2;          // transaction batches in the backend at once
  // POSTed blocks are verified beside the transaction batches, in calls of at
  // most block_verify_chunk signatures (stopping at the first invalid one);
  // at most max_block_sigs of their signatures wait or verify at once.
  uint64_t block_verify_chunk = 4096;
  uint64_t max_block_sigs = 1u << 20;
  uint64_t max_future_ms = 2 * 3600 * 1000;  // a POSTed block's timestamp may lead the server clock by this much
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

  // Byte and count bounds on what clients can make the server hold
  // (docs/SERVER.md "Limits").
  uint64_t max_request_txs = 32768;             // items in one POST /v1/transactions; past it 413
  uint64_t max_pending_bytes = 512ull << 20;    // decoded txs and blocks admitted, not yet answered; past it 503
  uint64_t max_body_buffer_bytes = 256ull << 20;  // request bodies being read, all connections; past it 503
  uint64_t max_response_bytes = 256ull << 20;   // large answers and stream chunks being written; past it 503
  uint64_t max_streams = 256;                   // open /v1/stream consumers (not counted as connections)
  uint64_t max_stream_ahead = 100000;           // `from` at most this far past the tip; else 400
  std::chrono::milliseconds stream_keepalive{5000};  // blank line to a waiting stream consumer

  // Downstream (docs/SERVER.md, "Followers and JetStream").
  uint64_t max_block_bytes = 16ull << 20;  // largest block committed: sealed blocks stop here, POSTed ones past it get 413
  std::string follow;                      // http://HOST:PORT or nats://HOST:PORT: follow it, read-only
  std::string publish;                     // nats://HOST:PORT: publish every durable block to JetStream
  std::string nats_stream = "BLOCKGATE";
  std::string nats_subject = "blockgate.blocks";
  std::string nats_creds_file;             // NATS credentials (JWT + NKey) file
  std::string nats_token;                  // NATS token (from --nats-token-file)
  std::string nats_ca_file;                // CA certificates for tls:// NATS servers
};

}  // namespace bg
