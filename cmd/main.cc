// blockgate: one binary, several subcommands (SPEC §5), dispatched through the
// command table in cmd/commands.cc.
#include <iostream>
#include <string_view>

#include "cmd/commands.h"

namespace {

void print_usage(std::ostream& out) {
  out << "usage: blockgate <command> [flags]\n"
         "       blockgate <command> --help   the flags of one command\n"
         "       blockgate --version\n\ncommands:\n";
  size_t width = 0;
  for (const bg::cmd::Command& c : bg::cmd::commands()) width = std::max(width, c.name.size());
  for (const bg::cmd::Command& c : bg::cmd::commands())
    out << "  " << c.name << std::string(width + 2 - c.name.size(), ' ') << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return 2;
  }
  const std::string_view c = argv[1];
  if (c == "--help" || c == "-h" || c == "help") {
    print_usage(std::cout);
    return 0;
  }
  if (c == "--version" || c == "version") {
    std::cout << bg::cmd::version_text();
    return 0;
  }
  for (const bg::cmd::Command& cmd : bg::cmd::commands())
    if (cmd.name == c) return cmd.run(argc - 1, argv + 1);
  std::cerr << "blockgate: unknown command '" << c << "'\n";
  print_usage(std::cerr);
  return 2;
}
