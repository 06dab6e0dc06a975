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
#include "server/metrics.h"
#include "server/sealer.h"
#include "server/server_core.h"
#include "server/session.h"
#include "server/tx_pipeline.h"

namespace bg {

namespace net = boost::asio;

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
  std::unique_ptr<Api> api;
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
    if (sealer) sealer->stop();
    if (pipeline) pipeline->stop();
    ioc.reset();
  }

  void observe_fsync() {
    const LedgerStats s = ledger->stats();
    if (last_fsyncs.exchange(s.fsyncs) != s.fsyncs) metrics.fsync_seconds.observe(s.last_fsync_seconds);
  }
};

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

  ServerCore core = make_server_core(
      {s.opts, *s.ledger, *s.backend, s.metrics, s.draining,
       [&s](std::function<void()> f) { net::post(*s.ioc, std::move(f)); }, [&s](uint64_t) { s.observe_fsync(); }});
  s.feed = std::move(core.feed);
  s.pipeline = std::move(core.pipeline);
  s.sealer = std::move(core.sealer);
  s.api = std::move(core.api);
  s.shared.reset(new SessionShared{*s.api, s.opts, *s.ledger, *s.feed, s.metrics, s.draining});
  s.listener = std::make_shared<Listener>(*s.ioc, *s.shared);
  BG_RETURN_IF_ERROR(s.listener->listen(opts.host, opts.port));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->listener->local_port(); }

std::string Server::url() const {
  const std::string& h = impl_->opts.host;
  const bool v6 = h.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", h, v6 ? "]" : "", ":", port());
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
  // 2. Everything admitted is verified, sealed and committed (or failed).
  s.pipeline->stop();
  s.sealer->stop();
  // 3. Every answer is written.
  const auto deadline = std::chrono::steady_clock::now() + s.opts.drain_timeout;
  while (s.shared->requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
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
