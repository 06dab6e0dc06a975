// `blockgate serve`: the flag table (SPEC §5 flags, the extras documented in
// docs/SERVER.md, the ledger's options), then start the server, print the one
// "listening" line on stdout once it accepts connections, and return 0 after a
// clean drain.
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/serve_flags.h"
#include "host/kernel_variants.h"
#include "server/server.h"

namespace bg::cmd {
namespace {

absl::Status parse_listen(ServeConfig& o, std::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return absl::InvalidArgumentError("needs HOST:PORT");
  std::string_view host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  uint64_t port = 0;
  if (host.empty() || !FlagValue<uint64_t>::parse(listen.substr(colon + 1), &port).ok() || port > 65535)
    return absl::InvalidArgumentError("needs HOST:PORT with a port in 0..65535");
  o.host = std::string(host);
  o.port = uint16_t(port);
  return absl::OkStatus();
}

// The token is read at parse time so that a missing or empty file is a usage
// error (exit 2) before anything is opened.
absl::Status read_token_file(ServeConfig& o, std::string_view path) {
  std::ifstream f{std::string(path)};
  if (!f) return absl::InvalidArgumentError(cat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  o.auth_token = std::string(absl::StripAsciiWhitespace(ss.str()));
  if (o.auth_token.empty()) return absl::InvalidArgumentError(cat("file ", path, " is empty"));
  return absl::OkStatus();
}

absl::Status read_nats_token_file(ServeConfig& o, std::string_view path) {
  std::ifstream f{std::string(path)};
  if (!f) return absl::InvalidArgumentError(cat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  o.nats_token = std::string(absl::StripAsciiWhitespace(ss.str()));
  if (o.nats_token.empty()) return absl::InvalidArgumentError(cat("file ", path, " is empty"));
  return absl::OkStatus();
}

FlagTable<ServeConfig> make_serve_flags() {
  FlagTable<ServeConfig> t("serve", std::string(command_summary("serve")));
  // SPEC §5.
  t.add("data", &ServerOptions::data_dir, "ledger directory (created when missing)").value("DIR");
  t.add_custom("listen", "HOST:PORT", "address", "address to listen on; port 0 picks a free port", parse_listen,
               [](const ServeConfig& o) { return cat(o.host, ":", o.port); });
  t.add("backend", &ServerOptions::backend, "signature verification: auto, cpu, gpu or kernels-on-cpu")
      .value("NAME");
  t.add("max-body-bytes", &ServerOptions::max_body_bytes, "largest request body; past it 413");
  t.add("block-interval-ms", &ServerOptions::block_interval_ms, "seal a block once its oldest transaction waited this long");
  t.add("max-block-txs", &ServerOptions::max_block_txs, "seal a block once this many transactions wait").at_least(1);
  t.add("max-connections", &ServerOptions::max_connections, "open connections; past it a canned 503").at_least(1);
  t.add_custom("auth-token-file", "FILE", "file", "POSTs need 'Authorization: Bearer <token in FILE>'",
               read_token_file, [](const ServeConfig&) { return std::string(); });
  // Extras (docs/SERVER.md).
  t.add("min-batch", &ServerOptions::min_batch, "signatures that go at once when no batch is in the backend")
      .at_least(1);
  t.add("max-batch", &ServerOptions::max_batch, "signatures per verify_batch call (a request is never split)").at_least(1);
  t.add("batch-deadline-us", &ServerOptions::batch_deadline_us,
        "longest wait, in microseconds, for a batch to fill while others are in the backend");
  t.add("verify-depth", &ServerOptions::verify_depth, "transaction batches in the backend at once").at_least(1);
  t.add("block-verify-chunk", &ServerOptions::block_verify_chunk,
        "signatures per verify call for a POSTed block (it stops at the first bad chunk)").at_least(1);
  t.add("max-block-sigs", &ServerOptions::max_block_sigs,
        "signatures of POSTed blocks being verified or waiting; past it 503");
  t.add("max-future-ms", &ServerOptions::max_future_ms,
        "how far a POSTed block's timestamp may lead the server clock; past it 422 bad_timestamp");
  t.add("max-pending-txs", &ServerOptions::max_pending_txs, "transactions admitted but not final; past it 503");
  t.add("max-pending-blocks", &ServerOptions::max_pending_blocks,
        "POSTed blocks being verified or waiting for the sealer; past it 503");
  t.add("max-payload-bytes", &ServerOptions::max_payload_bytes, "largest transaction payload");
  t.add("io-threads", &ServerOptions::io_threads, "HTTP io threads (0: one per core)");
  t.add("verify-threads", &ServerOptions::verify_threads, "CPU backend threads (0: every core)");
  t.add("idle-timeout-ms", &ServerOptions::idle_timeout, "keep-alive wait for a request's first byte");
  t.add("header-timeout-ms", &ServerOptions::header_timeout, "first byte to end of headers");
  t.add("body-timeout-ms", &ServerOptions::body_timeout, "end of headers to end of body");
  t.add("write-timeout-ms", &ServerOptions::write_timeout, "one response write (a stream chunk included)");
  t.add("drain-timeout-ms", &ServerOptions::drain_timeout, "on SIGTERM, longest wait for in-flight work");
  t.add_custom("gpu-variant", "SPEC", "kernel variants",
               "kernel variant per scheme for the gpu and kernels-on-cpu backends: vN or SCHEME=vN, comma-separated",
               [](ServeConfig& o, std::string_view spec) { return parse_kernel_variants(spec, &o.kernel_variant); },
               [](const ServeConfig& o) { return format_kernel_variants(o.kernel_variant); });
  // Byte and count bounds (docs/SERVER.md "Limits").
  t.add("max-request-txs", &ServerOptions::max_request_txs, "transactions in one POST; past it 413").at_least(1);
  t.add("max-pending-bytes", &ServerOptions::max_pending_bytes,
        "bytes of transactions and blocks admitted but not answered; past it 503");
  t.add("max-body-buffer-bytes", &ServerOptions::max_body_buffer_bytes,
        "request bodies being read, all connections; past it 503");
  t.add("max-response-bytes", &ServerOptions::max_response_bytes,
        "large answers and stream chunks being written, all connections; past it 503 or wait");
  t.add("max-streams", &ServerOptions::max_streams, "open /v1/stream consumers; past it 503").at_least(1);
  t.add("max-stream-ahead", &ServerOptions::max_stream_ahead, "how far past the tip a stream's from may be; else 400");
  t.add("stream-keepalive-ms", &ServerOptions::stream_keepalive, "blank line to a waiting stream consumer");
  // TLS (docs/SERVER.md "TLS").
  t.add("tls-cert", &ServerOptions::tls_cert_file, "serve HTTPS with this PEM certificate chain (with --tls-key)")
      .value("FILE");
  t.add("tls-key", &ServerOptions::tls_key_file, "PEM private key of --tls-cert").value("FILE");
  t.add("max-block-bytes", &ServerOptions::max_block_bytes,
        "largest block committed: sealed blocks stop here, a POSTed one past it gets 413");
  // Downstream (docs/SERVER.md, "Followers and JetStream").
  t.add("follow", &ServerOptions::follow,
        "follow http://HOST:PORT (another blockgate) or nats://HOST:PORT (its JetStream stream), read-only")
      .value("SOURCE");
  t.add("publish", &ServerOptions::publish, "publish every durable block to JetStream at nats://HOST:PORT")
      .value("URL");
  t.add("nats-stream", &ServerOptions::nats_stream, "JetStream stream name").value("NAME");
  t.add("nats-subject", &ServerOptions::nats_subject, "JetStream subject of the blocks").value("SUBJECT");
  t.add("nats-creds", &ServerOptions::nats_creds_file, "NATS credentials file (JWT and NKey)").value("FILE");
  t.add_custom("nats-token-file", "FILE", "file", "NATS token, read from FILE", read_nats_token_file,
               [](const ServeConfig&) { return std::string(); });
  t.add("nats-ca-file", &ServerOptions::nats_ca_file, "CA certificates for tls:// NATS servers").value("FILE");
  // Ledger (docs/LEDGER.md).
  t.add("segment-bytes", &ServeConfig::ledger, &LedgerOptions::segment_bytes,
        "start a new ledger segment file past this size").at_least(1);
  t.add("scan-threads", &ServeConfig::ledger, &LedgerOptions::scan_threads,
        "threads that scan the ledger when it opens (0: every core)");
  t.add("index-cache-mb", &ServeConfig::ledger, &LedgerOptions::index_cache_mb,
        "transaction index block cache, MiB (data, index and filter blocks)").at_least(1);
  t.add("index-memtable-mb", &ServeConfig::ledger, &LedgerOptions::index_memtable_mb,
        "transaction index write buffers, MiB (also bounds the catch-up after a crash)").at_least(2);
  t.add("index-filter-mb", &ServeConfig::ledger, &LedgerOptions::index_filter_mb,
        "id filter in front of the transaction index, MiB (~10 bits per id keeps 1-2 % false positives; 0: none)");
  t.add_custom("verify-on-open", "", "switch", "rescan and re-check every ledger record at start-up, not only the unindexed tail",
               [](ServeConfig& o, std::string_view) {
                 o.ledger.verify_on_open = true;
                 return absl::OkStatus();
               },
               [](const ServeConfig& o) { return std::string(o.ledger.verify_on_open ? "on" : "off"); });
  t.check([](const ServeConfig& c) {
    return c.min_batch <= c.max_batch ? absl::OkStatus()
                                      : absl::InvalidArgumentError("--min-batch must not exceed --max-batch");
  });
  return t;
}

}  // namespace

const FlagTable<ServeConfig>& serve_flags() {
  static const FlagTable<ServeConfig> table = make_serve_flags();
  return table;
}

int serve(int argc, char** argv) {
  // A server outlives whoever reads its output: with stdout or stderr a pipe
  // whose reader went away (`serve 2>&1 | head`, a log shipper restarting),
  // a log line must fail, not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  ServeConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(serve_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  auto server = Server::create(cfg, cfg.ledger);
  if (!server.ok()) {
    std::cerr << "blockgate serve: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "blockgate listening on " << (*server)->url() << std::endl;  // endl flushes: scripts wait for it
  absl::Status st = (*server)->run();
  server->reset();  // drains the ledger's queue before we say goodbye
  if (!st.ok()) {
    std::cerr << "blockgate serve: " << st.message() << "\n";
    return 1;
  }
  std::cerr << "blockgate serve: stopped cleanly\n";
  return 0;
}

}  // namespace bg::cmd
