// A running blockgate server: the ledger, the verification backend, the
// batcher and sealer, the HTTP listener and the io threads, wired together,
// plus the shutdown sequence (stop accepting, finish in-flight commits, exit).
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "ledger/ledger.h"
#include "server/options.h"

namespace bg {

class Server {
 public:
  // Opens (and recovers) the ledger, makes the backend, binds the listener.
  // Nothing is served until run().
  static absl::StatusOr<std::unique_ptr<Server>> create(const ServerOptions& opts,
                                                        const LedgerOptions& ledger_opts = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  // "http://HOST:PORT" with the real port.
  std::string url() const;

  // Serves until shutdown() or, with handle_signals, SIGTERM/SIGINT; then
  // drains (every admitted transaction is committed or answered, every
  // answer written) and returns.
  absl::Status run(bool handle_signals = true);
  // Thread-safe; run() returns once drained.
  void shutdown();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bg
