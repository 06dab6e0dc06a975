// Test helpers for the ledger suites.
#include "ledger/ledger_test_util.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "host/hash.h"

namespace bg::testing {

TempDir::TempDir(const std::string& tag) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bg-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back(0);
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

BlockMaker::BlockMaker(uint64_t seed, size_t payload_bytes) : seed_(seed), payload_bytes_(payload_bytes) {
  const Scheme schemes[3] = {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256};
  for (int s = 0; s < 3; ++s) {
    Bytes secret(32, 0);
    secret[0] = uint8_t(seed);
    secret[31] = uint8_t(s + 1);
    keys_.push_back(*key_from_secret(schemes[s], secret));
  }
}

Transaction BlockMaker::tx(uint64_t height, uint32_t index) {
  Bytes payload(std::max<size_t>(payload_bytes_, 20), 0);
  for (int i = 0; i < 8; ++i) payload[i] = uint8_t(seed_ >> (8 * i));
  for (int i = 0; i < 8; ++i) payload[8 + i] = uint8_t(height >> (8 * i));
  for (int i = 0; i < 4; ++i) payload[16 + i] = uint8_t(index >> (8 * i));
  return sign_transaction(keys_[(height + index) % keys_.size()], std::move(payload));
}

Block BlockMaker::next(const TipInfo& tip, size_t n) {
  Block b;
  b.header.height = tip.height + 1;
  b.header.prev_hash = tip.hash;
  b.header.timestamp_ms = tip.timestamp_ms + 1;
  for (size_t i = 0; i < n; ++i) b.txs.push_back(tx(b.header.height, uint32_t(i)));
  b.header.tx_count = uint32_t(n);
  b.header.merkle_root = compute_merkle_root(b.txs);
  return b;
}

TipInfo tip_of(const Block& b) { return TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms}; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::map<std::string, std::string> hash_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string data = read_file(e.path().string());
    out[e.path().filename().string()] =
        to_hex(sha256(ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
  }
  return out;
}

std::vector<std::string> list_segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("segment-", 0) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bg::testing

namespace bg::testing {

int SlowSyncOps::fdatasync(int fd) {
  ++calls;
  int r = FileOps::fdatasync(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
  return r;
}

}  // namespace bg::testing
