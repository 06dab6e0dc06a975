// Test helpers for the ledger suites: scratch directories, blocks of real
// signed transactions that extend a tip, and file hashing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/block.h"
#include "host/signer.h"
#include "ledger/ledger.h"

namespace bg::testing {

// A fresh empty directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "ledger");
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Deterministic keys and unique payloads: block `h` holds transactions whose
// payloads name (seed, h, i), so ids never repeat across a ledger.
class BlockMaker {
 public:
  explicit BlockMaker(uint64_t seed = 1, size_t payload_bytes = 24);
  // The next block on `tip`, with `n` signed transactions (schemes rotate).
  Block next(const TipInfo& tip, size_t n);
  Transaction tx(uint64_t height, uint32_t index);

 private:
  uint64_t seed_;
  size_t payload_bytes_;
  std::vector<KeyPair> keys_;
};

// The header's hash, the tip it makes.
TipInfo tip_of(const Block& b);

// SHA-256 of every regular file under dir, by name.
std::map<std::string, std::string> hash_files(const std::string& dir);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
std::vector<std::string> list_segments(const std::string& dir);

}  // namespace bg::testing

namespace bg::testing {

// Real system calls, with a pause after each fdatasync: makes group commit
// deterministic in tests (blocks submitted during the pause share the next one).
class SlowSyncOps : public FileOps {
 public:
  explicit SlowSyncOps(int sleep_ms) : sleep_ms_(sleep_ms) {}
  int fdatasync(int fd) override;
  // fdatasync calls started so far: lets a test wait until a batch is in flight.
  std::atomic<int> calls{0};

 private:
  int sleep_ms_;
};

}  // namespace bg::testing
