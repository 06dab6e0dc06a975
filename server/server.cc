// Server: construction order is dependency order (ledger, backend, pipeline,
// sealer, api, listener) and destruction the reverse, so no component outlives
// what it calls. Shutdown drains front to back: listener, batcher, sealer and
// ledger, answers, streams, io threads.
#include "server/server.h"

#include <absl/strings/str_cat.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <boost/asio/ssl/context.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "host/backend.h"
#include "host/status_macros.h"
#include "host/thread_pool.h"
#include "server/api.h"
#include "server/block_feed.h"
#include "server/follower.h"
#include "server/metrics.h"
#include "server/publisher.h"
#include "server/sealer.h"
#include "server/server_core.h"
#include "server/session.h"
#include "server/tx_pipeline.h"

namespace bg {

namespace net = boost::asio;

namespace {

NatsConfig nats_config(const ServerOptions& o, const std::string& url) {
  NatsConfig c;
  c.url = url;
  c.creds_file = o.nats_creds_file;
  c.token = o.nats_token;
  c.ca_file = o.nats_ca_file;
  c.stream = o.nats_stream;
  c.subject = o.nats_subject;
  return c;
}

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<VerifyBackend> backend;
  Metrics metrics;
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> last_fsyncs{0};
  // Destroyed first (see ~Impl): its queued handlers own sessions, which use
  // everything below.
  std::unique_ptr<net::io_context> ioc;
  std::unique_ptr<BlockFeed> feed;
  std::unique_ptr<TxPipeline> pipeline;
  std::unique_ptr<Sealer> sealer;
  std::unique_ptr<Follower> follower;    // serve --follow
  std::unique_ptr<Publisher> publisher;  // serve --publish
  std::unique_ptr<Api> api;
  std::unique_ptr<net::ssl::context> tls;
  std::unique_ptr<SessionShared> shared;
  std::shared_ptr<Listener> listener;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  explicit Impl(const ServerOptions& o)
      : opts(o),
        ioc(std::make_unique<net::io_context>(
            int(o.io_threads ? o.io_threads : std::max(1u, std::thread::hardware_concurrency())))) {}

  ~Impl() {
    // Stop producers before the io_context they post into goes away, and the
    // io_context (with the sessions its handlers own) before what they use.
    if (follower) follower->stop();
    if (publisher) publisher->stop();
    if (sealer) sealer->stop();
    if (pipeline) pipeline->stop();
    // The listener's acceptor and timer hold the io_context's strand: they go
    // before it does (destroying it after was a use-after-free on every exit).
    listener.reset();
    ioc.reset();
  }

  // A block became durable (sealed, POSTed or followed), in height order:
  // what every commit does besides waking the block feed.
  void observe_commit(uint64_t height) {
    observe_fsync();
    if (publisher) publisher->notify(height);
  }
  // A followed block became durable.
  void on_committed(uint64_t height) {
    observe_commit(height);
    feed->publish(height);
  }

  void observe_fsync() {
    const LedgerStats s = ledger->stats();
    if (last_fsyncs.exchange(s.fsyncs) != s.fsyncs) metrics.fsync_seconds.observe(s.last_fsync_seconds);
  }
};

namespace {

// Every connection and stream is a file descriptor: raise the soft limit to
// the hard one, and say so when the configured counts cannot fit under it
// (the ledger's files and a margin included). Accept backs off when it runs
// out anyway (session.cc).
void raise_fd_limit(const ServerOptions& opts) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  const uint64_t needed = opts.max_connections + opts.max_streams + 64;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed)
    std::cerr << "blockgate: warning: the open-file limit (" << lim.rlim_cur << ") is below --max-connections + "
              << "--max-streams + 64 (" << needed << "); connections past it wait in the listen queue\n";
}

// TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only (1.3's
// suites are all AEAD). No compression, no renegotiation, no tickets kept
// across restarts (each process has its own ticket key).
absl::StatusOr<std::unique_ptr<net::ssl::context>> make_tls_context(const ServerOptions& opts) {
  if (opts.tls_cert_file.empty() || opts.tls_key_file.empty())
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
    return absl::InternalError("TLS: no usable TLS 1.2 cipher suites");
  if (SSL_CTX_use_certificate_chain_file(c, opts.tls_cert_file.c_str()) != 1)
    return absl::InvalidArgumentError(absl::StrCat("cannot load --tls-cert ", opts.tls_cert_file, ": ",
                                                   ERR_reason_error_string(ERR_get_error())));
  if (SSL_CTX_use_PrivateKey_file(c, opts.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1)
    return absl::InvalidArgumentError(absl::StrCat("cannot load --tls-key ", opts.tls_key_file,
                                                   " (or it does not match the certificate): ",
                                                   ERR_reason_error_string(ERR_get_error())));
  return ctx;
}

}  // namespace

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() = default;

absl::StatusOr<std::unique_ptr<Server>> Server::create(const ServerOptions& opts, const LedgerOptions& ledger_opts) {
  auto impl = std::make_unique<Impl>(opts);
  Impl& s = *impl;
  BG_ASSIGN_OR_RETURN(s.ledger, Ledger::open(opts.data_dir, ledger_opts));
  BackendOptions bopts;
  bopts.cpu_threads = opts.verify_threads;
  bopts.kernel_variant = opts.kernel_variant;
  BG_ASSIGN_OR_RETURN(s.backend, make_backend(opts.backend, bopts));

  // The largest block this node can commit: sealed blocks stop at
  // --max-block-bytes and POSTed or followed ones past it are refused.
  const uint64_t max_tx_bytes = tx_fixed_size(Scheme::kSecp256k1) + opts.max_payload_bytes;
  if (opts.max_block_bytes < kHeaderSize + max_tx_bytes)
    return absl::InvalidArgumentError(absl::StrCat("--max-block-bytes ", opts.max_block_bytes,
                                                   " is below one header plus one largest transaction (",
                                                   kHeaderSize + max_tx_bytes, ")"));
  if (!opts.publish.empty()) {
    NatsConfig nc = nats_config(opts, opts.publish);
    s.publisher = std::make_unique<Publisher>(*s.ledger, nc, opts.max_block_bytes);
    if (absl::Status st = s.publisher->start(); !st.ok()) return st;
  }
  if (!opts.follow.empty()) {
    FollowerOptions fo;
    fo.source.url = opts.follow;
    fo.source.nats = nats_config(opts, opts.follow);
    fo.source.max_block_bytes = opts.max_block_bytes;
    fo.source.max_payload_bytes = opts.max_payload_bytes;
    fo.max_future_ms = opts.max_future_ms;
    fo.max_batch_signatures = opts.max_batch;
    fo.verify_depth = opts.verify_depth;
    s.follower = std::make_unique<Follower>(*s.ledger, *s.backend, fo, [&s](uint64_t h) { s.on_committed(h); });
  }

  ServerCoreDeps deps{s.opts, *s.ledger, *s.backend, s.metrics, s.draining,
                      [&s](std::function<void()> f) { net::post(*s.ioc, std::move(f)); },
                      [&s](uint64_t h) { s.observe_commit(h); }};
  deps.follower = s.follower.get();
  deps.publisher = s.publisher.get();
  ServerCore core = make_server_core(deps);
  s.feed = std::move(core.feed);
  s.pipeline = std::move(core.pipeline);
  s.sealer = std::move(core.sealer);
  s.api = std::move(core.api);
  s.shared.reset(new SessionShared{*s.api, s.opts, *s.ledger, *s.feed, s.metrics, s.draining});
  if (!opts.tls_cert_file.empty() || !opts.tls_key_file.empty()) {
    auto tls = make_tls_context(opts);
    if (!tls.ok()) return tls.status();
    s.tls = std::move(*tls);
    s.shared->tls = s.tls.get();
  }
  s.shared->body_bytes.set_limit(opts.max_body_buffer_bytes);
  s.shared->response_bytes.set_limit(opts.max_response_bytes);
  raise_fd_limit(opts);
  s.listener = std::make_shared<Listener>(*s.ioc, *s.shared);
  BG_RETURN_IF_ERROR(s.listener->listen(opts.host, opts.port));
  if (s.follower) BG_RETURN_IF_ERROR(s.follower->start());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->listener->local_port(); }

std::string Server::url() const {
  const std::string& h = impl_->opts.host;
  const bool v6 = h.find(':') != std::string::npos;
  return absl::StrCat(impl_->tls ? "https://" : "http://", v6 ? "[" : "", h, v6 ? "]" : "", ":", port());
}

void Server::shutdown() {
  std::lock_guard lk(impl_->stop_mu);
  impl_->stop_requested = true;
  impl_->stop_cv.notify_all();
}

absl::Status Server::run(bool handle_signals) {
  Impl& s = *impl_;
  auto work = net::make_work_guard(*s.ioc);
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(*s.ioc, SIGINT, SIGTERM);
    signals->async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      std::cerr << "blockgate: signal " << sig << ", draining\n";
      shutdown();
    });
  }
  s.listener->start();
  const size_t n = s.opts.io_threads ? s.opts.io_threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i)
    threads.emplace_back([&s] {
      set_thread_name("bg-io");
      s.ioc->run();
    });

  {
    std::unique_lock lk(s.stop_mu);
    s.stop_cv.wait(lk, [&] { return s.stop_requested; });
  }
  // 1. No new connections; new POSTs get 503; answers close their connections.
  s.draining.store(true);
  s.listener->stop();
  if (s.follower) s.follower->stop();
  // 2. Everything admitted is verified, sealed and committed (or failed).
  s.pipeline->stop();
  s.sealer->stop();
  // 3. Every answer is written.
  const auto deadline = std::chrono::steady_clock::now() + s.opts.drain_timeout;
  while (s.shared->requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (s.publisher) s.publisher->stop();
  // 4. Streams end with their last chunk.
  s.feed->close();
  const auto stream_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (s.metrics.streams_open.load() > 0 && std::chrono::steady_clock::now() < stream_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  work.reset();
  s.ioc->stop();
  for (std::thread& t : threads) t.join();
  if (s.shared->requests_in_flight.load() > 0)
    return absl::DeadlineExceededError(
        absl::StrCat(s.shared->requests_in_flight.load(), " answers still unwritten after the drain timeout"));
  return absl::OkStatus();
}

}  // namespace bg
