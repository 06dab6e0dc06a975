// The keygen, sign and verify subcommands end to end, through the real binary.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "host/transaction.h"
#include "testing/process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;

class Cli : public ::testing::Test {
 protected:
  std::string bin() const { return testing::blockgate_binary(); }
  testing::TempDir tmp_{"cli"};
  fs::path dir_{tmp_.path()};
};

TEST_F(Cli, KeygenSignVerifyRoundTripForEveryScheme) {
  for (std::string scheme : {"ed25519", "secp256k1", "p256"}) {
    fs::path key = dir_ / (scheme + ".key");
    int st = -1;
    run_shell(bin() + " keygen --scheme " + scheme + " --out " + key.string(), &st);
    ASSERT_EQ(st, 0);
    struct stat sb;
    ASSERT_EQ(::stat(key.c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 0777, 0600u) << "secret key file must be owner-only";
    std::ifstream kf(key);
    std::string key_json((std::istreambuf_iterator<char>(kf)), {});
    auto ko = boost::json::parse(key_json).as_object();
    EXPECT_EQ(std::string(ko["scheme"].as_string()), scheme);
    EXPECT_EQ(ko["secret_key"].as_string().size(), 64u);
    EXPECT_EQ(ko["public_key"].as_string().size(), scheme == "ed25519" ? 64u : 66u);

    std::string tx = run_shell(bin() + " sign --key " + key.string() + " --payload-hex 00c0ffee", &st);
    ASSERT_EQ(st, 0);
    auto to = boost::json::parse(tx).as_object();
    EXPECT_EQ(std::string(to["public_key"].as_string()), std::string(ko["public_key"].as_string()));
    EXPECT_EQ(std::string(to["payload"].as_string()), "00c0ffee");

    // Valid as signed; invalid once the payload changes.
    std::ofstream(dir_ / "txs.jsonl") << tx;
    std::string bad = tx;
    bad.replace(bad.find("00c0ffee"), 8, "00c0ffef");
    std::ofstream(dir_ / "txs.jsonl", std::ios::app) << bad;
    std::string out = run_shell(bin() + " verify --backend cpu --input " + (dir_ / "txs.jsonl").string() + " 2>/dev/null", &st);
    EXPECT_EQ(st, 0);
    EXPECT_EQ(out, "valid\ninvalid_signature\n") << scheme;
  }
}

// keygen --out onto an existing world-readable file: a new owner-only file
// replaces it (the old inode, here still reachable by a hard link, is left
// untouched rather than rewritten in place with its old mode).
TEST_F(Cli, KeygenOutReplacesAnExistingFileOwnerOnly) {
  fs::path key = dir_ / "existing.key";
  std::ofstream(key) << "old\n";
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  fs::path link = dir_ / "other-name";
  ASSERT_EQ(::link(key.c_str(), link.c_str()), 0);
  int st = -1;
  run_shell(bin() + " keygen --scheme ed25519 --out " + key.string(), &st);
  ASSERT_EQ(st, 0);
  struct stat sb;
  ASSERT_EQ(::stat(key.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::ifstream kf(key);
  std::string key_json((std::istreambuf_iterator<char>(kf)), {});
  EXPECT_NE(key_json.find("secret_key"), std::string::npos);
  std::ifstream lf(link);
  std::string old((std::istreambuf_iterator<char>(lf)), {});
  EXPECT_EQ(old, "old\n");
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);
}

TEST_F(Cli, SignReadsPayloadFiles) {
  fs::path key = dir_ / "k";
  int st = -1;
  run_shell(bin() + " keygen --scheme p256 --out " + key.string(), &st);
  ASSERT_EQ(st, 0);
  std::ofstream(dir_ / "payload", std::ios::binary) << std::string("hello\0world", 11);
  std::string tx = run_shell(bin() + " sign --key " + key.string() + " --payload-file " + (dir_ / "payload").string(), &st);
  ASSERT_EQ(st, 0);
  auto to = boost::json::parse(tx).as_object();
  EXPECT_EQ(std::string(to["payload"].as_string()), "68656c6c6f00776f726c64");
}

TEST_F(Cli, VerifyGivesOneVerdictPerLineInOrderFromStdin) {
  std::string key = run_shell(bin() + " keygen --scheme ed25519");
  std::ofstream(dir_ / "k") << key;
  std::string tx = run_shell(bin() + " sign --key " + (dir_ / "k").string() + " --payload-hex 01");
  tx.pop_back();  // trailing newline
  std::string input = tx + "\n" + "not json\n" + "\n" +
                      "{\"scheme\":\"rsa\",\"public_key\":\"00\",\"signature\":\"00\",\"payload\":\"\"}\n" + tx + "\r\n";
  std::ofstream(dir_ / "in.jsonl") << input;
  int st = -1;
  std::string out = run_shell("cat " + (dir_ / "in.jsonl").string() + " | " + bin() + " verify --backend cpu 2>/dev/null", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(out, "valid\nmalformed\nmalformed\nunsupported_scheme\nvalid\n");
}

TEST_F(Cli, BadUsageAndMissingInputFailClearly) {
  int st = -1;
  run_shell(bin() + " verify --input /nonexistent/file 2>/dev/null", &st);
  EXPECT_EQ(st, 1);
  run_shell(bin() + " verify --backend quantum 2>/dev/null", &st);
  EXPECT_EQ(st, 2);
  run_shell(bin() + " keygen --scheme rsa 2>/dev/null", &st);
  EXPECT_EQ(st, 2);
  run_shell(bin() + " sign --key /nonexistent 2>/dev/null", &st);
  EXPECT_EQ(st, 2);
  run_shell(bin() + " frobnicate 2>/dev/null", &st);
  EXPECT_EQ(st, 2);
}

}  // namespace
}  // namespace bg
