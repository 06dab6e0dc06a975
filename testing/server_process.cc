// ServerProcess (see server_process.h).
#include "testing/server_process.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "testing/process.h"

namespace bg::testing {
namespace {

constexpr size_t kMaxCapture = 1 << 20;  // a chatty server must not grow the test without limit

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& a) { return a == flag || a.rfind(flag + "=", 0) == 0; });
}

}  // namespace

ServerProcess::ServerProcess(const std::string& data_dir, std::vector<std::string> extra) {
  start(data_dir, std::move(extra));
}

ServerProcess::~ServerProcess() { stop(SIGKILL); }

bool ServerProcess::start(const std::string& data_dir, std::vector<std::string> extra,
                          std::chrono::milliseconds timeout) {
  stop(SIGKILL);
  data_dir_ = data_dir;
  extra_ = std::move(extra);
  exited_ = false;
  exit_code_ = -1;
  port_ = 0;
  host_.clear();
  listening_line_.clear();
  {
    std::lock_guard lock(mu_);
    stdout_.clear();
    stderr_.clear();
  }
  std::vector<std::string> argv = {blockgate_binary(), "serve", "--data", data_dir_};
  if (!has_flag(extra_, "--listen")) argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  if (!has_flag(extra_, "--backend")) argv.insert(argv.end(), {"--backend", "cpu"});
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  int raw_out = -1, raw_err = -1;
  pid_ = spawn(argv, &raw_out, &raw_err);
  out_fd_.reset(raw_out);
  err_fd_.reset(raw_err);
  if (pid_ < 0) {
    append(&stderr_, "[test] cannot spawn the server\n", 31);
    return false;
  }
  err_drainer_ = std::thread([this] { drain(err_fd_.get(), &stderr_); });

  static const std::regex kListening(R"(blockgate listening on https?://(\[[^\]]+\]|[^:\s]+):(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  char buf[4096];
  bool eof = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_.get(), POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t got = read(out_fd_.get(), buf, sizeof buf);
    if (got <= 0) {
      eof = true;
      break;
    }
    seen.append(buf, size_t(got));
    append(&stdout_, buf, size_t(got));
    const size_t nl = seen.find('\n');
    if (nl == std::string::npos) continue;
    listening_line_ = seen.substr(0, nl);
    std::smatch m;
    if (!std::regex_match(listening_line_, m, kListening)) break;
    host_ = m[1];
    if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    port_ = uint16_t(std::stoi(m[2]));
    out_drainer_ = std::thread([this] { drain(out_fd_.get(), &stdout_); });
    return true;
  }
  if (eof) {
    // It is exiting on its own (a bad flag, a port in use): keep its status.
    if (wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()) +
                  std::chrono::seconds(5)) >= 0)
      return false;
  }
  const std::string why = "[test] no listening line before the deadline\n";
  append(&stderr_, why.data(), why.size());
  stop(SIGKILL);
  return false;
}

bool ServerProcess::restart(std::chrono::milliseconds timeout) {
  const std::string dir = data_dir_;
  std::vector<std::string> extra = extra_;
  stop(SIGKILL);
  return start(dir, std::move(extra), timeout);
}

void ServerProcess::reap(int wait_status) {
  exited_ = true;
  exit_code_ = decode_wait_status(wait_status);
  // The child is gone, so its pipes reach end of file and the drainers end.
  if (out_drainer_.joinable()) out_drainer_.join();
  if (err_drainer_.joinable()) err_drainer_.join();
  out_fd_.reset();
  err_fd_.reset();
}

int ServerProcess::stop(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (exited_) return exit_code_;
  kill(pid_, sig);
  if (wait_exit(grace) >= 0) return exit_code_;
  kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  reap(st);
  return exit_code_;
}

void ServerProcess::signal(int sig) {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (exited_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      reap(st);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ServerProcess::running() const {
  if (pid_ <= 0 || exited_) return false;
  siginfo_t info{};
  return waitid(P_PID, id_t(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

std::string ServerProcess::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return std::string(listening_line_.find("https://") != std::string::npos ? "https://" : "http://") + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

HttpClient ServerProcess::client(std::chrono::milliseconds timeout) const {
  HttpClientOptions o;
  o.timeout = timeout;
  return HttpClient(host_, port_, o);
}

std::string ServerProcess::stdout_text() {
  std::lock_guard lock(mu_);
  return stdout_;
}

std::string ServerProcess::stderr_text() {
  std::lock_guard lock(mu_);
  return stderr_;
}

std::string ServerProcess::log() {
  std::lock_guard lock(mu_);
  return "--- server stdout ---\n" + stdout_ + "--- server stderr ---\n" + stderr_;
}

uint64_t ServerProcess::rss_kib() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

void ServerProcess::append(std::string* to, const char* data, size_t n) {
  std::lock_guard lock(mu_);
  if (to->size() < kMaxCapture) to->append(data, std::min(n, kMaxCapture - to->size()));
}

void ServerProcess::drain(int fd, std::string* to) {
  char buf[4096];
  for (;;) {
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got <= 0) return;
    append(to, buf, size_t(got));
  }
}

}  // namespace bg::testing
