// Child processes for tests: the paths the build gives them (the blockgate
// binary, the test vectors), running a command to completion with its output,
// and the fork/exec both this and ServerProcess use.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace bg::testing {

// The `blockgate` binary of this build.
std::string blockgate_binary();
// The test-vector folder of this build (tests/vectors in the source tree).
std::string testvectors_dir();

// Exit status of a finished child: its code, or 128 + signal.
int decode_wait_status(int wait_status);

// Forks and execs argv[0] with argv. The child's stdout goes to *out_fd's pipe;
// its stderr to *err_fd's pipe, or to the same pipe as stdout when err_fd is
// null. Returns the child's pid, or -1 when no pipe or process could be made.
pid_t spawn(const std::vector<std::string>& argv, int* out_fd, int* err_fd = nullptr);

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed (also past the timeout)
  std::string output;  // stdout and stderr together
};
// Runs argv to completion, killed with SIGKILL past `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a /bin/sh command line (pipes, redirections) and returns its stdout;
// *status gets the exit code (-1 when killed by a signal).
std::string run_shell(const std::string& command, int* status = nullptr);

// Splits on '\n'; a final newline does not make an empty last line.
std::vector<std::string> split_lines(const std::string& s);

}  // namespace bg::testing
