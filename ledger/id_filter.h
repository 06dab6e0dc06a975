// IdFilter: a fixed-size, file-backed filter over every committed transaction
// id, in front of the RocksDB index (docs/LEDGER.md, "The id filter"). It
// answers "certainly not committed" for almost every unknown id from memory,
// so a duplicate check costs one cache line instead of a RocksDB lookup; an id
// it may hold is looked up in RocksDB, so answers stay exact.
//
// DIR/index/filter holds a 4 KiB header, then `bytes` of blocked Bloom filter
// (64-byte blocks, one bit in each of a block's eight 64-bit words per id).
// In use, the bits live in anonymous memory of exactly `bytes` (the flag's
// size, whatever the number of ids: past ~bytes*8/10 ids the false-positive
// rate rises and more lookups fall through to RocksDB, but no answer becomes
// wrong). The file is read at open and written back at a clean stop.
//
// Trust rules (the filter must hold every id the index holds, never fewer):
//  - bits are only ever set, and set before the ids' RocksDB write;
//  - the file is trusted only when it was closed cleanly: its header says so,
//    names the RocksDB database it belongs to (the index's identity), has
//    this size, and the CRC-32C of the bits matches;
//  - opening marks the file "in use" (durably) before anything else, so a
//    process that dies (kill -9, power cut) leaves it untrusted.
// Anything else (missing, wrong size, torn header, CRC mismatch, another
// index's) starts empty and is rebuilt from the index.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "host/bytes.h"

namespace bg {

class IdFilter {
 public:
  static constexpr size_t kHeaderBytes = 4096;
  static constexpr size_t kBlockBytes = 64;
  static constexpr size_t kMinBytes = 64 * 1024;

  // Opens (or creates) `path` with `bytes` of filter (rounded down to a
  // multiple of 64, at least kMinBytes), bound to `owner` (the index's
  // identity). *trusted: the existing bits may be used as they are. Otherwise
  // the filter is empty and *why says what was wrong; the caller adds every
  // indexed id and then calls mark_complete().
  static absl::StatusOr<std::unique_ptr<IdFilter>> open(const std::string& path, size_t bytes,
                                                        const std::string& owner, bool* trusted, std::string* why);
  // For `audit`: reads the file as it is (its own size) and writes nothing.
  // NotFound without a file; nullptr with *why when it would not be trusted.
  static absl::StatusOr<std::unique_ptr<IdFilter>> open_read_only(const std::string& path, const std::string& owner,
                                                                  std::string* why);
  ~IdFilter();  // unmaps; does not mark the file clean (close_clean does)
  IdFilter(const IdFilter&) = delete;
  IdFilter& operator=(const IdFilter&) = delete;

  // Thread-safe: add() from one or more threads while others query.
  void add(const Hash32& id);
  // add() for many ids, prefetching ahead as may_contain_batch does.
  void add_batch(std::span<const Hash32> ids);
  bool may_contain(const Hash32& id) const;
  // maybe[i] = 1 when ids[i] may be in the filter, 0 when it certainly is not.
  // Prefetches ahead: one memory round trip per id, overlapped.
  void may_contain_batch(std::span<const Hash32> ids, uint8_t* maybe) const;

  // Every indexed id has been added (after a rebuild). Nothing to write: the
  // caller starts answering from it; the file is written by close_clean().
  absl::Status mark_complete();
  // A clean stop: bits written (sparse) and fdatasync'ed, then the header
  // with their CRC and state clean (trusted at the next open).
  absl::Status close_clean();

  size_t bytes() const { return bytes_; }
  uint64_t ids_added() const { return added_.load(std::memory_order_relaxed); }
  // The false-positive rate expected with n ids in a filter of this size.
  double expected_fp_rate(uint64_t n) const;

 private:
  IdFilter() = default;
  struct Pos {
    size_t block;
    uint32_t h;
  };
  Pos pos(const Hash32& id) const;
  absl::Status write_back();  // close_clean without the cleanup of a failure
  bool test(const Pos& p) const;
  static absl::StatusOr<std::unique_ptr<IdFilter>> open_impl(const std::string& path, size_t bytes,
                                                             const std::string& owner, bool read_only, bool* trusted,
                                                             std::string* why);
  void set(const Pos& p);
  template <int kWrite, typename Fn>
  void grouped(std::span<const Hash32> ids, Fn&& fn) const;
  absl::Status write_header(uint32_t state, uint32_t crc);  // pwrite + fdatasync
  absl::StatusOr<uint32_t> load_bits();  // file -> memory; the CRC of the bits

  int fd_ = -1;
  uint64_t* bits_ = nullptr;  // anonymous memory, bytes_ long
  size_t bytes_ = 0;
  size_t blocks_ = 0;
  uint64_t seed_ = 0;
  std::string owner_;
  std::atomic<uint64_t> added_{0};
};

}  // namespace bg
