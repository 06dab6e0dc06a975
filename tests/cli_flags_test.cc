// The flag tables (cmd/flags.h) through the real binary: --help for every
// command, the top-level usage, --version, both value spellings, usage errors
// (exit 2), ledger options reaching the ledger, and docs/SERVER.md agreeing
// with `blockgate serve --help` in both directions.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;

const std::vector<std::string> kCommands = {"serve", "verify", "audit", "keygen", "sign", "loadgen"};

std::string bin() { return testing::blockgate_binary(); }

// Flags a doc mentions: code spans that start with "--name" (so that
// `curl --data-binary ...` is not taken for a serve flag), without the dashes.
std::set<std::string> flag_mentions(const std::string& text) {
  std::set<std::string> out;
  static const std::regex re("`--([a-z][a-z0-9]*(-[a-z0-9]+)*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1].str());
  return out;
}

// The flags a --help output defines: lines that start with "  --name".
std::set<std::string> help_flags(const std::string& help) {
  std::set<std::string> out;
  static const std::regex re("^  (-h, )?--([a-z0-9-]+)");
  for (const std::string& line : testing::split_lines(help)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.insert(m[2].str());
  }
  return out;
}

TEST(CliFlags, TopLevelHelpListsEveryCommandWithOneLine) {
  int st = -1;
  const std::string out = run_shell(bin() + " --help", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(out.rfind("usage: blockgate <command>", 0), 0u) << out;
  for (const std::string& c : kCommands) EXPECT_TRUE(std::regex_search(out, std::regex("\n  " + c + " +[a-z]"))) << c;
  run_shell(bin() + " 2>/dev/null", &st);
  EXPECT_EQ(st, 2) << "no command is a usage error";
  run_shell(bin() + " frobnicate 2>/dev/null", &st);
  EXPECT_EQ(st, 2);
}

// The commands `blockgate --help` lists (so a command added later is covered).
std::vector<std::string> listed_commands() {
  std::vector<std::string> out;
  bool in_list = false;
  for (const std::string& line : testing::split_lines(run_shell(bin() + " --help"))) {
    if (line == "commands:") in_list = true;
    std::smatch m;
    if (in_list && std::regex_match(line, m, std::regex("  ([a-z-]+) +.+"))) out.push_back(m[1].str());
  }
  return out;
}

TEST(CliFlags, EveryCommandAnswersHelpFromItsTable) {
  const std::vector<std::string> listed = listed_commands();
  for (const std::string& c : kCommands) EXPECT_NE(std::find(listed.begin(), listed.end(), c), listed.end()) << c;
  for (const std::string& c : listed) {
    int st = -1;
    const std::string out = run_shell(bin() + " " + c + " --help", &st);
    EXPECT_EQ(st, 0) << c;
    EXPECT_EQ(out.rfind("usage: blockgate " + c + " [flags]\n", 0), 0u) << out;
    EXPECT_NE(out.find("flags:\n"), std::string::npos) << c;
    EXPECT_TRUE(help_flags(out).count("help")) << c;
    // -h is the same, and help wins over other flags.
    EXPECT_EQ(run_shell(bin() + " " + c + " --data x -h", &st), out) << c;
  }
}

TEST(CliFlags, HelpShowsKindsAndDefaultsFromTheOptionStructs) {
  const std::string out = run_shell(bin() + " serve --help");
  EXPECT_NE(out.find("--data DIR"), std::string::npos) << out;
  EXPECT_NE(out.find("default: ./blockgate-data"), std::string::npos) << out;
  EXPECT_NE(out.find("--listen HOST:PORT"), std::string::npos) << out;
  EXPECT_NE(out.find("default: 127.0.0.1:8700"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("--max-batch N +.*\\[integer, default: 131072, at least 1\\]"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("--segment-bytes N +.*default: 268435456"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("--idle-timeout-ms MS +.*\\[milliseconds, default: 60000\\]"))) << out;
  const std::string lg = run_shell(bin() + " loadgen --help");
  EXPECT_TRUE(std::regex_search(lg, std::regex("--wait commit\\|verify +.*default: commit"))) << lg;
  EXPECT_TRUE(std::regex_search(lg, std::regex("--binary +.*\\[switch\\]"))) << lg;
  const std::string au = run_shell(bin() + " audit --help");
  EXPECT_TRUE(std::regex_search(au, std::regex("--data DIR +.*required"))) << au;
}

TEST(CliFlags, VersionNamesVersionCommitAndGpuBackend) {
  int st = -1;
  const std::vector<std::string> lines = testing::split_lines(run_shell(bin() + " --version", &st));
  EXPECT_EQ(st, 0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("blockgate [0-9]+\\.[0-9]+\\.[0-9]+"))) << lines[0];
  // A hex commit (possibly "-dirty", or a tag-based describe) or "unknown".
  EXPECT_TRUE(std::regex_match(lines[1], std::regex("commit ([0-9A-Za-z._-]+)"))) << lines[1];
  EXPECT_TRUE(lines[2] == "gpu backend compiled in" || lines[2] == "gpu backend not compiled in") << lines[2];
}

TEST(CliFlags, UsageErrorsExitTwoAndNameTheFlag) {
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"serve --no-such-flag", "unknown flag --no-such-flag"},
      {"serve --max-batch", "--max-batch needs a value"},
      {"serve --max-batch=0", "--max-batch must be at least 1"},
      {"serve --max-connections -3", "--max-connections needs a non-negative integer, got '-3'"},
      {"serve --listen nowhere", "--listen needs HOST:PORT"},
      {"serve --auth-token-file /nonexistent/token", "--auth-token-file cannot read /nonexistent/token"},
      {"serve stray", "unexpected argument 'stray'"},
      {"verify --threads=many", "--threads needs a non-negative integer, got 'many'"},
      {"audit", "--data is required"},
      {"keygen --scheme rot13", "--scheme names no known scheme: 'rot13'"},
      {"keygen", "--scheme is required"},
      {"sign --key k", "exactly one of --payload-hex, --payload-file"},
      {"loadgen --url http://127.0.0.1:1 --wait soon", "--wait must be one of commit, verify, got 'soon'"},
      {"loadgen --binary=yes", "--binary takes no value"},
      {"loadgen", "exactly one of --url and --out"},
  };
  for (const Case& c : cases) {
    int st = -1;
    const std::string err = run_shell(bin() + " " + c.args + " 2>&1 >/dev/null", &st);
    EXPECT_EQ(st, 2) << c.args;
    EXPECT_NE(err.find(c.message), std::string::npos) << c.args << " said: " << err;
  }
}

TEST(CliFlags, BothValueSpellingsParse) {
  testing::TempDir dir("cli-flags");
  const std::string key = dir.path() + "/k";
  int st = -1;
  run_shell(bin() + " keygen --scheme=p256 --out=" + key, &st);
  ASSERT_EQ(st, 0);
  const std::string a = run_shell(bin() + " sign --key " + key + " --payload-hex=0a0b", &st);
  ASSERT_EQ(st, 0);
  const std::string b = run_shell(bin() + " sign --key=" + key + " --payload-hex 0a0b", &st);
  ASSERT_EQ(st, 0);
  EXPECT_NE(a.find("\"payload\":\"0a0b\""), std::string::npos) << a;
  EXPECT_NE(b.find("\"payload\":\"0a0b\""), std::string::npos) << b;
}

// --segment-bytes reaches LedgerOptions: a tiny segment size makes the
// ledger start a new segment file after every block.
TEST(CliFlags, ServeLedgerFlagsReachTheLedger) {
  testing::TempDir dir("cli-segments");
  const std::string data = dir.path() + "/data";
  {
    testing::ServerProcess server(data, {"--segment-bytes", "1", "--scan-threads=1", "--block-interval-ms", "1"});
    ASSERT_TRUE(server.started()) << server.stderr_text();
    testing::TxFactory txs;
    HttpClient client = server.client();
    for (uint64_t n = 0; n < 3; ++n) {
      auto res = client.post("/v1/transactions", testing::tx_json(txs.tx(n)));
      ASSERT_TRUE(res.ok()) << res.status();
      ASSERT_EQ(res->status, 200) << res->body;
    }
  }
  size_t segments = 0;
  for (const auto& e : fs::directory_iterator(data))
    if (e.path().filename().string().rfind("segment-", 0) == 0) ++segments;
  EXPECT_GE(segments, 3u) << "one committed block per segment";
}

// Every flag docs/SERVER.md mentions is one `serve --help` prints, and every
// serve flag is documented there.
TEST(CliFlags, ServerDocAndServeHelpAgree) {
  std::ifstream f(std::string(BLOCKGATE_SOURCE_DIR) + "/docs/SERVER.md");
  ASSERT_TRUE(f) << "docs/SERVER.md";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::set<std::string> documented = flag_mentions(ss.str());
  std::set<std::string> in_help = help_flags(run_shell(bin() + " serve --help"));
  ASSERT_GT(in_help.size(), 10u);
  for (const std::string& d : documented) EXPECT_TRUE(in_help.count(d)) << "docs/SERVER.md mentions --" << d << ", which serve --help lacks";
  in_help.erase("help");
  for (const std::string& h : in_help) EXPECT_TRUE(documented.count(h)) << "serve --" << h << " is not documented in docs/SERVER.md";
}

}  // namespace
}  // namespace bg
