// Test support for suites that drive the real `blockgate` binary: a temporary
// directory, a server child process (started, parsed for its listening line,
// killed with any signal, restarted on the same data) and a command runner.
// Header-only so every tests/*_test.cc can include it without CMake changes.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bg::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "bg") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Exit status of a finished child: its code, or 128 + signal.
inline int decode_wait_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

// Forks and execs argv with stdout and stderr on one pipe. Returns the read
// end and sets *pid, or -1 when no pipe could be made.
inline int spawn_with_output_pipe(const std::vector<std::string>& argv, pid_t* pid) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  *pid = fork();
  if (*pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return fds[0];
}

// Runs argv to completion (bounded by timeout; killed past it), capturing
// stdout and stderr together. Returns the exit status (128+signal if killed).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
inline CommandResult run_command(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  CommandResult r;
  pid_t pid = -1;
  const int out_fd = spawn_with_output_pipe(argv, &pid);
  if (out_fd < 0) return r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{out_fd, POLLIN, 0};
    int n = poll(&p, 1, int(std::min<int64_t>(left.count(), 1000)));
    if (n <= 0) continue;
    ssize_t got = read(out_fd, buf, sizeof buf);
    if (got <= 0) break;
    r.output.append(buf, size_t(got));
  }
  close(out_fd);
  int st = 0;
  waitpid(pid, &st, 0);
  r.exit_code = decode_wait_status(st);
  return r;
}

// A bare TCP connection for protocol abuse: bytes go out exactly as given and
// a read that times out leaves the connection open (unlike HttpClient, which
// drops a connection after any failed read).
class RawConn {
 public:
  RawConn(const std::string& host, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (fd_ < 0 || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close_now();
      return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConn() { close_now(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  // False when the peer has gone (EPIPE/ECONNRESET) or the socket is closed.
  bool send(std::string_view bytes) {
    while (fd_ >= 0 && !bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(size_t(n));
    }
    return fd_ >= 0;
  }
  enum class Read { kData, kClosed, kTimeout, kError };
  // Waits up to `timeout` for bytes; appends them to *out.
  Read read(std::chrono::milliseconds timeout, std::string* out) {
    if (fd_ < 0) return Read::kError;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, int(timeout.count()));
    if (r == 0) return Read::kTimeout;
    if (r < 0) return Read::kError;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return Read::kClosed;
    if (n < 0) return Read::kError;  // ECONNRESET counts as the server cutting us
    out->append(buf, size_t(n));
    return Read::kData;
  }
  // Reads until the peer closes or `timeout` passes; true when it closed.
  bool read_until_closed(std::chrono::milliseconds timeout, std::string* out) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      Read r = read(left, out);
      if (r == Read::kClosed || r == Read::kError) return true;
      if (r == Read::kTimeout) return false;
    }
  }
  void close_now() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A `blockgate serve` child. stdout is read until the listening line; after
// that a thread drains stdout and stderr into log() so the child never blocks.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess() { stop(SIGKILL); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `blockgate serve --data DIR --listen 127.0.0.1:0 extra...` and waits
  // (up to `timeout`) for `blockgate listening on http://HOST:PORT`. False on
  // failure, with the reason in log().
  bool start(const std::string& binary, const std::string& data_dir, const std::vector<std::string>& extra = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    stop(SIGKILL);
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.clear();
    }
    std::vector<std::string> argv = {binary, "serve", "--data", data_dir, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    out_fd_ = spawn_with_output_pipe(argv, &pid_);
    if (out_fd_ < 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string seen;
    static const std::regex kListening(R"(blockgate listening on http://([^:\s]+):(\d+))");
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      ssize_t got = read(out_fd_, buf, sizeof buf);
      if (got <= 0) break;
      seen.append(buf, size_t(got));
      std::smatch m;
      if (std::regex_search(seen, m, kListening)) {
        host_ = m[1];
        port_ = uint16_t(std::stoi(m[2]));
        append_log(seen);
        drainer_ = std::thread([this] { drain(); });
        return true;
      }
    }
    append_log(seen + "\n[test] no listening line before the deadline\n");
    stop(SIGKILL);
    return false;
  }

  // Sends `sig` and waits for the exit (SIGKILL after `grace`). Returns the
  // exit status (128+signal), or -1 when nothing was running.
  int stop(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(20)) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int st = 0;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    pid_t r = 0;
    while ((r = waitpid(pid_, &st, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (r == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &st, 0);
    }
    pid_ = -1;
    if (drainer_.joinable()) drainer_.join();
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
    return decode_wait_status(st);
  }

  // True while the child has not exited. Does not reap it: stop() does.
  bool running() const {
    if (pid_ <= 0) return false;
    siginfo_t info{};
    return waitid(P_PID, pid_t(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
  }

  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://" + host_ + ":" + std::to_string(port_); }
  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

  // Resident set size in KiB from /proc/PID/status (VmRSS), 0 when unknown.
  uint64_t rss_kib() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    }
    return 0;
  }

 private:
  void append_log(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu_);
    // Bounded: a chatty server must not grow the test's memory without limit.
    if (log_.size() < (1u << 20)) log_ += s;
  }
  void drain() {
    char buf[4096];
    for (;;) {
      ssize_t got = read(out_fd_, buf, sizeof buf);
      if (got <= 0) return;
      append_log(std::string(buf, size_t(got)));
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::thread drainer_;
  std::mutex mu_;
  std::string log_;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace bg::testing
