// The real `blockgate serve` as a child process for tests: started on a free
// loopback port (its "listening" line parsed), stdout and stderr captured,
// signalled or killed -9, and restarted on the same data directory.
#pragma once

#include <sys/types.h>

#include <csignal>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/fd.h"
#include "server/http_client.h"

namespace bg::testing {

class ServerProcess {
 public:
  ServerProcess() = default;
  // Starts at once (see start()); check started().
  explicit ServerProcess(const std::string& data_dir, std::vector<std::string> extra = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Runs `blockgate serve --data DIR --listen 127.0.0.1:0 --backend cpu EXTRA`
  // (--listen and --backend only when EXTRA does not give them) and waits up
  // to `timeout` for "blockgate listening on http://HOST:PORT" on stdout.
  // False when it exits first (exit_code() says how) or the line never comes
  // (then it is killed); the reason is in log().
  bool start(const std::string& data_dir, std::vector<std::string> extra = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // kill -9 if running, then start again with the same data dir and flags.
  bool restart(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Sends `sig` and waits for the exit (SIGKILL after `grace`). Returns the
  // exit status (128+signal), or -1 when nothing was started.
  int stop(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(20));
  int kill9() { return stop(SIGKILL); }
  // Sends `sig` and returns at once.
  void signal(int sig);
  // Exit status (128+signal) once the child has exited, or -1 if it has not
  // within `timeout`.
  int wait_exit(std::chrono::milliseconds timeout);
  // True while the child has not exited.
  bool running() const;

  bool started() const { return port_ != 0; }
  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  std::string url() const;
  const std::string& listening_line() const { return listening_line_; }
  // An HTTP/1.1 client for this server.
  HttpClient client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // What the child wrote so far (each kept up to 1 MiB).
  std::string stdout_text();
  std::string stderr_text();
  // Both, labelled, for assertion messages.
  std::string log();

  // Resident set size in KiB (VmRSS), 0 when unknown.
  uint64_t rss_kib() const;

 private:
  void append(std::string* to, const char* data, size_t n);
  void drain(int fd, std::string* to);
  void reap(int wait_status);

  std::string data_dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  UniqueFd out_fd_, err_fd_;
  std::thread out_drainer_, err_drainer_;
  std::mutex mu_;
  std::string stdout_, stderr_;
  std::string listening_line_;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace bg::testing
