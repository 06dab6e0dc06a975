// Child processes for tests (see process.h).
#include "testing/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "host/fd.h"

namespace bg::testing {

std::string blockgate_binary() { return BLOCKGATE_BINARY; }
std::string testvectors_dir() { return BLOCKGATE_TESTVECTORS; }

int decode_wait_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

pid_t spawn(const std::vector<std::string>& argv, int* out_fd, int* err_fd) {
  int out[2], err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  UniqueFd out_r(out[0]), out_w(out[1]), err_r, err_w;
  if (err_fd != nullptr) {
    if (pipe2(err, O_CLOEXEC) != 0) return -1;
    err_r.reset(err[0]);
    err_w.reset(err[1]);
  }
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err_fd != nullptr ? err[1] : out[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  out_w.reset();  // the child holds the only write ends: EOF once it exits
  err_w.reset();
  if (pid < 0) return -1;
  *out_fd = out_r.release();
  if (err_fd != nullptr) *err_fd = err_r.release();
  return pid;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandResult r;
  int raw_out = -1;
  const pid_t pid = spawn(argv, &raw_out);
  if (pid < 0) return r;
  UniqueFd out(raw_out);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{out.get(), POLLIN, 0};
    if (poll(&p, 1, int(std::min<int64_t>(left.count(), 1000))) <= 0) continue;
    ssize_t got = read(out.get(), buf, sizeof buf);
    if (got <= 0) break;
    r.output.append(buf, size_t(got));
  }
  out.reset();
  int st = 0;
  waitpid(pid, &st, 0);
  r.exit_code = decode_wait_status(st);
  return r;
}

std::string run_shell(const std::string& command, int* status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    if (status) *status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    lines.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return lines;
}

}  // namespace bg::testing
