// The subcommands of the one `blockgate` binary (SPEC §5), as one table: the
// dispatch in main.cc, the top-level usage and each command's --help summary
// all read it. Each command returns the process exit code; argv[0] is the
// subcommand name.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace bg::cmd {

int serve(int argc, char** argv);
int verify(int argc, char** argv);
int audit(int argc, char** argv);
int keygen(int argc, char** argv);
int sign(int argc, char** argv);
int loadgen(int argc, char** argv);
int bench(int argc, char** argv);
int reindex(int argc, char** argv);
int tail(int argc, char** argv);

struct Command {
  std::string_view name;
  std::string_view summary;  // one line, shown by `blockgate --help` and `<cmd> --help`
  int (*run)(int argc, char** argv);
};

// Every command, in the order `blockgate --help` lists them.
std::span<const Command> commands();
// The summary line of `name` (empty when there is no such command).
std::string_view command_summary(std::string_view name);

// `blockgate --version`: version, git commit, whether the GPU backend is built in.
std::string version_text();

}  // namespace bg::cmd
