// The command table and the version line (cmd/commands.h).
#include "cmd/commands.h"

#include <string>

#include "cmd/git_commit.h"  // generated at build time (cmd/CMakeLists.txt)

namespace bg::cmd {
namespace {

constexpr Command kCommands[] = {
    {"serve", "run the HTTP server: verify, seal and durably commit transactions and blocks", serve},
    {"verify", "verify JSON transactions offline, one verdict per input line", verify},
    {"audit", "re-validate a whole ledger directory read-only", audit},
    {"keygen", "generate a key pair as JSON", keygen},
    {"sign", "sign a payload with a key file and print the JSON transaction", sign},
    {"loadgen", "send signed load to a running server and check every answer", loadgen},
    {"bench", "time verification, hashing and Merkle roots per backend beside the reference libraries", bench},
    {"reindex", "rebuild a ledger's transaction index from its segments, offline", reindex},
    {"tail", "print validated blocks from a blockgate or its JetStream stream, checking every link", tail},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

std::string_view command_summary(std::string_view name) {
  for (const Command& c : kCommands)
    if (c.name == name) return c.summary;
  return {};
}

std::string version_text() {
#ifdef BLOCKGATE_HAVE_CUDA
  constexpr std::string_view kGpu = "compiled in";
#else
  constexpr std::string_view kGpu = "not compiled in";
#endif
  return std::string("blockgate ") + BLOCKGATE_VERSION + "\ncommit " + BLOCKGATE_GIT_COMMIT + "\ngpu backend " +
         std::string(kGpu) + "\n";
}

}  // namespace bg::cmd
