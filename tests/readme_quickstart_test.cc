// README.md's walk-through, run as written: the shell block between
// `<!-- quickstart:begin -->` and `<!-- quickstart:end -->` is executed line by
// line in one bash, in a scratch directory, against the real binary. The
// documented substitutions, and nothing else: `make ...` lines are skipped
// (the build is what is under test), `build/blockgate` becomes the binary
// under test, and port 8700 becomes a free loopback port. Every command must
// exit 0, every curl must get a 2xx, the POSTed transaction must commit and
// the final audit must pass.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "testing/process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

std::vector<std::string> quickstart_lines() {
  std::ifstream f(std::string(BLOCKGATE_SOURCE_DIR) + "/README.md");
  std::vector<std::string> out;
  bool in_block = false, in_fence = false;
  std::string line;
  while (std::getline(f, line)) {
    if (line.find("<!-- quickstart:begin -->") != std::string::npos) in_block = true;
    else if (line.find("<!-- quickstart:end -->") != std::string::npos) break;
    else if (in_block && line.rfind("```", 0) == 0) in_fence = !in_fence;
    else if (in_block && in_fence && !line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

TEST(ReadmeQuickstart, EveryCommandWorksAsWritten) {
  const std::vector<std::string> lines = quickstart_lines();
  ASSERT_GE(lines.size(), 8u) << "README.md has no quickstart block";
  const uint16_t port = free_port();
  ASSERT_NE(port, 0);
  testing::TempDir dir("readme");

  // One bash runs the block, so the background server and $! carry over. After
  // each foreground command the script prints its exit status; curl also
  // prints its HTTP code. The EXIT trap stops a server left behind by a failure.
  std::string script = "cd '" + dir.path() + "' || exit 99\ntrap '[ -n \"${bg_pid:-}\" ] && kill $bg_pid 2>/dev/null' EXIT\n";
  size_t commands = 0, curls = 0;
  for (std::string line : lines) {
    if (line.rfind("make ", 0) == 0) continue;
    line = replace_all(line, "build/blockgate", testing::blockgate_binary());
    line = replace_all(line, "127.0.0.1:8700", "127.0.0.1:" + std::to_string(port));
    if (line.rfind("curl ", 0) == 0) {
      line = "curl -w '\\n@@http %{http_code}\\n' " + line.substr(5);
      ++curls;
    }
    if (!line.empty() && line.back() == '&') {
      script += line + "\nbg_pid=$!\n";
      continue;
    }
    script += line + "\nprintf '\\n@@rc %d " + std::to_string(commands) + "\\n' $?\n";
    ++commands;
  }
  std::ofstream(dir.path() + "/quickstart.sh") << script;
  int status = -1;
  const std::string out = testing::run_shell("timeout 300 bash " + dir.path() + "/quickstart.sh 2>&1", &status);
  EXPECT_EQ(status, 0) << out;

  size_t rcs = 0, codes = 0;
  for (const std::string& l : testing::split_lines(out)) {
    std::smatch m;
    if (std::regex_match(l, m, std::regex("@@rc (\\d+) (\\d+)"))) {
      EXPECT_EQ(m[1].str(), "0") << "command " << m[2] << " failed:\n" << out;
      ++rcs;
    } else if (std::regex_search(l, m, std::regex("@@http (\\d+)"))) {
      EXPECT_EQ(m[1].str()[0], '2') << "curl got " << m[1] << ":\n" << out;
      ++codes;
    }
  }
  EXPECT_EQ(rcs, commands) << out;
  EXPECT_EQ(codes, curls) << out;
  EXPECT_NE(out.find("\"status\":\"committed\",\"height\":1,\"index\":0"), std::string::npos) << out;
  EXPECT_NE(out.find("audit ok: "), std::string::npos) << out;
}

}  // namespace
}  // namespace bg
