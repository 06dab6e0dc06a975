// IdFilter: the blocked Bloom filter file under DIR/index/filter.
#include "ledger/id_filter.h"

#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "host/fd.h"
#include "ledger/crc32c.h"

namespace bg {
namespace {

constexpr char kMagic[8] = {'B', 'G', 'I', 'D', 'F', 'L', 'T', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kStateBuilding = 1;  // being filled from the index: never trusted
constexpr uint32_t kStateOpen = 2;      // complete, in use by a process of boot `boot_id`
constexpr uint32_t kStateClean = 3;     // closed cleanly: bits written back, CRC valid

// Header fields (little endian).
constexpr size_t kOffVersion = 8, kOffState = 12, kOffBytes = 16, kOffSeed = 24, kOffCrc = 32, kOffAdded = 40,
                 kOffBoot = 48, kBootLen = 48, kOffOwnerLen = 96, kOffOwner = 100, kOwnerMax = 256,
                 kOffHeaderCrc = IdFilter::kHeaderBytes - 4;

// The eight words of a block each get one bit, chosen by a multiplicative
// hash of the 32-bit h with a per-word odd constant (top 6 bits).
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

std::string current_boot_id() {
  std::ifstream f("/proc/sys/kernel/random/boot_id");
  std::string s;
  std::getline(f, s);
  return s.substr(0, kBootLen);
}

IdFilter::Pos IdFilter::pos(const Hash32& id) const {
  // Ids are SHA-256 outputs; the secret seed (random per file) keeps a client
  // that grinds ids from aiming them all at one block.
  const uint64_t a = mix64(load64(id.data()) ^ seed_);
  const uint64_t b = mix64(load64(id.data() + 8) ^ (seed_ * 0x9E3779B97F4A7C15ULL));
  return Pos{size_t((static_cast<unsigned __int128>(a) * blocks_) >> 64), uint32_t(b)};
}

bool IdFilter::test(const Pos& p) const {
  const uint64_t* w = bits_ + p.block * 8;
  for (int i = 0; i < 8; ++i) {
    const uint64_t bit = uint64_t(1) << ((p.h * kSalt[i]) >> 26);
    if (!(std::atomic_ref<const uint64_t>(w[i]).load(std::memory_order_relaxed) & bit)) return false;
  }
  return true;
}

void IdFilter::add(const Hash32& id) {
  const Pos p = pos(id);
  uint64_t* w = bits_ + p.block * 8;
  for (int i = 0; i < 8; ++i) {
    const uint64_t bit = uint64_t(1) << ((p.h * kSalt[i]) >> 26);
    std::atomic_ref<uint64_t> word(w[i]);
    // Most bits of a filled filter are set already: skip the locked write then.
    if (!(word.load(std::memory_order_relaxed) & bit)) word.fetch_or(bit, std::memory_order_relaxed);
  }
  added_.fetch_add(1, std::memory_order_relaxed);
}

bool IdFilter::may_contain(const Hash32& id) const { return test(pos(id)); }

void IdFilter::may_contain_batch(std::span<const Hash32> ids, uint8_t* maybe) const {
  constexpr size_t kGroup = 32;
  Pos ps[kGroup];
  for (size_t base = 0; base < ids.size(); base += kGroup) {
    const size_t n = std::min(kGroup, ids.size() - base);
    for (size_t i = 0; i < n; ++i) {
      ps[i] = pos(ids[base + i]);
      __builtin_prefetch(bits_ + ps[i].block * 8);
    }
    for (size_t i = 0; i < n; ++i) maybe[base + i] = test(ps[i]) ? 1 : 0;
  }
}

double IdFilter::expected_fp_rate(uint64_t n) const {
  // A blocked filter behaves like a standard one of 512 bits, k = 8, whose
  // load varies per block (Poisson with mean n/blocks): average over it.
  if (blocks_ == 0) return 1.0;
  const double lambda = double(n) / double(blocks_);
  double fp = 0, p = std::exp(-lambda);
  for (int j = 0; j < 2000; ++j) {
    fp += p * std::pow(1.0 - std::pow(1.0 - 1.0 / 64.0, j), 8);
    p *= lambda / double(j + 1);
    if (j > lambda && p < 1e-12) break;
  }
  return fp;
}

uint32_t IdFilter::bits_crc() const {
  // Only the file's data ranges are read: holes (never written) are zeros,
  // checksummed arithmetically. A new or lightly used filter costs little.
  uint32_t crc = 0;
  const off_t end = off_t(kHeaderBytes + bytes_);
  off_t pos = off_t(kHeaderBytes);
  while (pos < end) {
    off_t data = ::lseek(fd_, pos, SEEK_DATA);
    if (data < 0) data = errno == ENXIO ? end : pos;  // no more data, or no SEEK_DATA here: read it all
    data = std::min(data, end);
    if (data > pos) {
      crc = crc32c_extend_zeros(crc, uint64_t(data - pos));
      pos = data;
      if (pos >= end) break;
    }
    off_t hole = ::lseek(fd_, pos, SEEK_HOLE);
    if (hole <= pos || hole > end) hole = end;
    crc = crc32c_extend(crc, map_ + pos, size_t(hole - pos));
    pos = hole;
  }
  return crc;
}

absl::Status IdFilter::write_header(uint32_t state, uint32_t crc) {
  uint8_t* h = map_;
  std::memset(h, 0, kHeaderBytes);
  std::memcpy(h, kMagic, 8);
  auto put32 = [&](size_t off, uint32_t v) { std::memcpy(h + off, &v, 4); };
  auto put64 = [&](size_t off, uint64_t v) { std::memcpy(h + off, &v, 8); };
  put32(kOffVersion, kVersion);
  put32(kOffState, state);
  put64(kOffBytes, bytes_);
  put64(kOffSeed, seed_);
  put32(kOffCrc, crc);
  put64(kOffAdded, added_.load(std::memory_order_relaxed));
  const std::string boot = current_boot_id();
  std::memcpy(h + kOffBoot, boot.data(), std::min(boot.size(), kBootLen));
  put32(kOffOwnerLen, uint32_t(owner_.size()));
  std::memcpy(h + kOffOwner, owner_.data(), owner_.size());
  put32(kOffHeaderCrc, crc32c(h, kOffHeaderCrc));
  if (::msync(map_, kHeaderBytes, MS_SYNC) != 0)
    return absl::InternalError(absl::StrCat("id filter: msync of the header: ", errno_text(errno)));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IdFilter>> IdFilter::open(const std::string& path, size_t bytes,
                                                        const std::string& owner, bool* trusted, std::string* why) {
  std::unique_ptr<IdFilter> f(new IdFilter);
  f->bytes_ = std::max(kMinBytes, bytes / kBlockBytes * kBlockBytes);
  f->blocks_ = f->bytes_ / kBlockBytes;
  f->owner_ = owner.substr(0, kOwnerMax);
  f->map_bytes_ = kHeaderBytes + f->bytes_;
  *trusted = false;
  f->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (f->fd_ < 0) return absl::InternalError(absl::StrCat("cannot open ", path, ": ", errno_text(errno)));
  struct stat st;
  if (::fstat(f->fd_, &st) != 0) return absl::InternalError(absl::StrCat("cannot stat ", path, ": ", errno_text(errno)));
  auto map = [&]() -> absl::Status {
    void* m = ::mmap(nullptr, f->map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd_, 0);
    if (m == MAP_FAILED) return absl::InternalError(absl::StrCat("cannot map ", path, ": ", errno_text(errno)));
    f->map_ = static_cast<uint8_t*>(m);
    f->bits_ = reinterpret_cast<uint64_t*>(f->map_ + kHeaderBytes);
    return absl::OkStatus();
  };
  if (st.st_size == 0) {
    *why = "missing";
  } else if (uint64_t(st.st_size) != f->map_bytes_) {
    *why = absl::StrCat("its size (", st.st_size, " bytes) is not the configured ", f->map_bytes_);
  } else {
    if (absl::Status s = map(); !s.ok()) return s;
    const uint8_t* h = f->map_;
    auto get32 = [&](size_t off) {
      uint32_t v;
      std::memcpy(&v, h + off, 4);
      return v;
    };
    auto get64 = [&](size_t off) {
      uint64_t v;
      std::memcpy(&v, h + off, 8);
      return v;
    };
    const uint32_t owner_len = get32(kOffOwnerLen);
    const std::string boot(reinterpret_cast<const char*>(h + kOffBoot),
                           strnlen(reinterpret_cast<const char*>(h + kOffBoot), kBootLen));
    if (std::memcmp(h, kMagic, 8) != 0 || get32(kOffHeaderCrc) != crc32c(h, kOffHeaderCrc)) {
      *why = "its header is damaged";
    } else if (get32(kOffVersion) != kVersion) {
      *why = absl::StrCat("format version ", get32(kOffVersion));
    } else if (get64(kOffBytes) != f->bytes_) {
      *why = "it was made for another size";
    } else if (owner_len != f->owner_.size() || std::memcmp(h + kOffOwner, f->owner_.data(), owner_len) != 0) {
      *why = "it belongs to another index";
    } else if (get32(kOffState) == kStateClean) {
      if (f->bits_crc() != get32(kOffCrc)) *why = "checksum mismatch";
      else *trusted = true;
    } else if (get32(kOffState) == kStateOpen) {
      if (boot.empty() || boot != current_boot_id()) *why = "the machine restarted since it was last written";
      else *trusted = true;
    } else {
      *why = "a rebuild of it did not finish";
    }
    if (*trusted) {
      f->seed_ = get64(kOffSeed);
      f->added_.store(get64(kOffAdded), std::memory_order_relaxed);
    } else {
      ::munmap(f->map_, f->map_bytes_);
      f->map_ = nullptr;
    }
  }
  if (!*trusted) {
    // Zeroed (sparse) by truncating to nothing and back.
    if (::ftruncate(f->fd_, 0) != 0 || ::ftruncate(f->fd_, off_t(f->map_bytes_)) != 0)
      return absl::InternalError(absl::StrCat("cannot size ", path, ": ", errno_text(errno)));
    if (absl::Status s = map(); !s.ok()) return s;
    if (::getrandom(&f->seed_, sizeof f->seed_, 0) != sizeof f->seed_)
      return absl::InternalError(absl::StrCat("getrandom: ", errno_text(errno)));
    if (absl::Status s = f->write_header(kStateBuilding, 0); !s.ok()) return s;
  } else if (absl::Status s = f->write_header(kStateOpen, 0); !s.ok()) {
    // In use from now on: a reboot before close_clean() makes it untrusted.
    return s;
  }
  return f;
}

absl::Status IdFilter::mark_complete() { return write_header(kStateOpen, 0); }

absl::Status IdFilter::close_clean() {
  if (::msync(bits_, bytes_, MS_SYNC) != 0)
    return absl::InternalError(absl::StrCat("id filter: msync: ", errno_text(errno)));
  return write_header(kStateClean, bits_crc());
}

IdFilter::~IdFilter() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bg
