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

#include "host/fd.h"
#include "ledger/crc32c.h"

namespace bg {
namespace {

constexpr char kMagic[8] = {'B', 'G', 'I', 'D', 'F', 'L', 'T', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kStateBuilding = 1;  // being written by close_clean(): never trusted
constexpr uint32_t kStateOpen = 2;      // in use: the bits in memory are ahead of the file
constexpr uint32_t kStateClean = 3;     // closed cleanly: every bit written, CRC valid

// Header fields (little endian).
constexpr size_t kOffVersion = 8, kOffState = 12, kOffBytes = 16, kOffSeed = 24, kOffCrc = 32, kOffAdded = 40,
                 kOffOwnerLen = 96, kOffOwner = 100, kOwnerMax = 256,
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

// Calls fn(i, position of ids[i]) for every id, computing the positions a
// group ahead and prefetching their blocks (for writing when kWrite): one
// memory round trip per id, overlapped with the others of its group.
template <int kWrite, typename Fn>
void IdFilter::grouped(std::span<const Hash32> ids, Fn&& fn) const {
  constexpr size_t kGroup = 32;
  Pos ps[kGroup];
  for (size_t base = 0; base < ids.size(); base += kGroup) {
    const size_t n = std::min(kGroup, ids.size() - base);
    for (size_t i = 0; i < n; ++i) {
      ps[i] = pos(ids[base + i]);
      __builtin_prefetch(bits_ + ps[i].block * 8, kWrite);
    }
    for (size_t i = 0; i < n; ++i) fn(base + i, ps[i]);
  }
}

void IdFilter::set(const Pos& p) {
  uint64_t* w = bits_ + p.block * 8;
  for (int i = 0; i < 8; ++i) {
    const uint64_t bit = uint64_t(1) << ((p.h * kSalt[i]) >> 26);
    std::atomic_ref<uint64_t> word(w[i]);
    // Most bits of a filled filter are set already: skip the locked write then.
    if (!(word.load(std::memory_order_relaxed) & bit)) word.fetch_or(bit, std::memory_order_relaxed);
  }
}

void IdFilter::add(const Hash32& id) {
  set(pos(id));
  added_.fetch_add(1, std::memory_order_relaxed);
}

void IdFilter::add_batch(std::span<const Hash32> ids) {
  grouped</*kWrite=*/1>(ids, [this](size_t, const Pos& p) { set(p); });
  added_.fetch_add(ids.size(), std::memory_order_relaxed);
}

bool IdFilter::may_contain(const Hash32& id) const { return test(pos(id)); }

void IdFilter::may_contain_batch(std::span<const Hash32> ids, uint8_t* maybe) const {
  grouped</*kWrite=*/0>(ids, [&](size_t i, const Pos& p) { maybe[i] = test(p) ? 1 : 0; });
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

absl::Status IdFilter::write_header(uint32_t state, uint32_t crc) {
  uint8_t h[kHeaderBytes] = {0};
  std::memcpy(h, kMagic, 8);
  auto put32 = [&](size_t off, uint32_t v) { std::memcpy(h + off, &v, 4); };
  auto put64 = [&](size_t off, uint64_t v) { std::memcpy(h + off, &v, 8); };
  put32(kOffVersion, kVersion);
  put32(kOffState, state);
  put64(kOffBytes, bytes_);
  put64(kOffSeed, seed_);
  put32(kOffCrc, crc);
  put64(kOffAdded, added_.load(std::memory_order_relaxed));
  put32(kOffOwnerLen, uint32_t(owner_.size()));
  std::memcpy(h + kOffOwner, owner_.data(), owner_.size());
  put32(kOffHeaderCrc, crc32c(h, kOffHeaderCrc));
  if (::pwrite(fd_, h, kHeaderBytes, 0) != ssize_t(kHeaderBytes) || ::fdatasync(fd_) != 0)
    return absl::InternalError(absl::StrCat("id filter: cannot write its header: ", errno_text(errno)));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IdFilter>> IdFilter::open_read_only(const std::string& path, const std::string& owner,
                                                                  std::string* why) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no id filter at ", path));
    return absl::InternalError(absl::StrCat("cannot stat ", path, ": ", errno_text(errno)));
  }
  if (uint64_t(st.st_size) <= kHeaderBytes) {
    *why = "it is empty";
    return nullptr;
  }
  bool trusted = false;
  auto f = open_impl(path, size_t(st.st_size) - kHeaderBytes, owner, /*read_only=*/true, &trusted, why);
  if (!f.ok()) return f.status();
  if (!trusted) return nullptr;
  return f;
}

absl::StatusOr<std::unique_ptr<IdFilter>> IdFilter::open(const std::string& path, size_t bytes,
                                                        const std::string& owner, bool* trusted, std::string* why) {
  return open_impl(path, bytes, owner, /*read_only=*/false, trusted, why);
}

absl::StatusOr<std::unique_ptr<IdFilter>> IdFilter::open_impl(const std::string& path, size_t bytes,
                                                             const std::string& owner, bool read_only, bool* trusted,
                                                             std::string* why) {
  std::unique_ptr<IdFilter> f(new IdFilter);
  f->bytes_ = std::max(kMinBytes, bytes / kBlockBytes * kBlockBytes);
  f->blocks_ = f->bytes_ / kBlockBytes;
  f->owner_ = owner.substr(0, kOwnerMax);
  *trusted = false;
  f->fd_ = ::open(path.c_str(), read_only ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (f->fd_ < 0) return absl::InternalError(absl::StrCat("cannot open ", path, ": ", errno_text(errno)));
  // The bits live in anonymous memory (huge pages where the kernel gives
  // them): no file-system work on the hot path.
  void* m = ::mmap(nullptr, f->bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return absl::ResourceExhaustedError(absl::StrCat("id filter: cannot map ", f->bytes_, " bytes"));
  ::madvise(m, f->bytes_, MADV_HUGEPAGE);
  // Faulted in now, writable: the configured memory is taken at open (no page
  // faults on the writer's path later). Best effort on kernels before 5.14.
  ::madvise(m, f->bytes_, MADV_POPULATE_WRITE);
  f->bits_ = static_cast<uint64_t*>(m);
  struct stat st;
  if (::fstat(f->fd_, &st) != 0) return absl::InternalError(absl::StrCat("cannot stat ", path, ": ", errno_text(errno)));
  if (st.st_size == 0) {
    *why = "missing";
  } else if (uint64_t(st.st_size) != kHeaderBytes + f->bytes_) {
    *why = absl::StrCat("its size (", st.st_size, " bytes) is not the configured ", kHeaderBytes + f->bytes_);
  } else {
    uint8_t h[kHeaderBytes];
    if (::pread(f->fd_, h, kHeaderBytes, 0) != ssize_t(kHeaderBytes))
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", errno_text(errno)));
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
    if (std::memcmp(h, kMagic, 8) != 0 || get32(kOffHeaderCrc) != crc32c(h, kOffHeaderCrc)) {
      *why = "its header is damaged";
    } else if (get32(kOffVersion) != kVersion) {
      *why = absl::StrCat("format version ", get32(kOffVersion));
    } else if (get64(kOffBytes) != f->bytes_) {
      *why = "it was made for another size";
    } else if (owner_len != f->owner_.size() || std::memcmp(h + kOffOwner, f->owner_.data(), owner_len) != 0) {
      *why = "it belongs to another index";
    } else if (get32(kOffState) == kStateOpen) {
      *why = "the process that used it did not stop cleanly";
    } else if (get32(kOffState) != kStateClean) {
      *why = "a rebuild of it did not finish";
    } else {
      absl::StatusOr<uint32_t> crc = f->load_bits();
      if (!crc.ok()) return crc.status();
      if (*crc != get32(kOffCrc)) {
        *why = "checksum mismatch";
        std::memset(f->bits_, 0, f->bytes_);  // back to zeros
      } else {
        *trusted = true;
        f->seed_ = get64(kOffSeed);
        f->added_.store(get64(kOffAdded), std::memory_order_relaxed);
      }
    }
  }
  if (read_only) return f;  // the caller looks at *trusted; nothing is written
  if (!*trusted) {
    if (::getrandom(&f->seed_, sizeof f->seed_, 0) != sizeof f->seed_)
      return absl::InternalError(absl::StrCat("getrandom: ", errno_text(errno)));
    // The file's old bits are worthless now: a hole of the configured size.
    if (::ftruncate(f->fd_, 0) != 0 || ::ftruncate(f->fd_, off_t(kHeaderBytes + f->bytes_)) != 0)
      return absl::InternalError(absl::StrCat("cannot size ", path, ": ", errno_text(errno)));
  }
  // From now on the file is stale until close_clean() writes the bits back:
  // a crash leaves it untrusted (rebuilt from the index at the next open).
  if (absl::Status s = f->write_header(kStateOpen, 0); !s.ok()) return s;
  return f;
}

absl::StatusOr<uint32_t> IdFilter::load_bits() {
  // Reads only the file's data ranges (holes are zeros, already so in
  // memory), checksumming as it goes; holes are checksummed arithmetically.
  uint32_t crc = 0;
  const off_t end = off_t(kHeaderBytes + bytes_);
  off_t pos = off_t(kHeaderBytes);
  uint8_t* dst = reinterpret_cast<uint8_t*>(bits_) - kHeaderBytes;  // dst + file offset
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
    while (pos < hole) {
      const ssize_t r = ::pread(fd_, dst + pos, size_t(hole - pos), pos);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return absl::InternalError(absl::StrCat("id filter: read failed: ", r < 0 ? errno_text(errno) : "short file"));
      crc = crc32c_extend(crc, dst + pos, size_t(r));
      pos += r;
    }
  }
  return crc;
}

absl::Status IdFilter::mark_complete() { return absl::OkStatus(); }

absl::Status IdFilter::close_clean() {
  absl::Status st = write_back();
  // A write-back that failed (disk full above all) leaves an empty file, which
  // the next open rebuilds, rather than a partial one holding the space that
  // the index's own flush needs next.
  if (!st.ok() && ::ftruncate(fd_, 0) != 0)
    return absl::InternalError(absl::StrCat(st.message(), "; and cannot empty the file: ", errno_text(errno)));
  return st;
}

absl::Status IdFilter::write_back() {
  // The file is rewritten sparse: only 64 KiB chunks holding a set bit are
  // written; the rest stays a hole (zeros), so a young filter costs little.
  if (::ftruncate(fd_, 0) != 0 || ::ftruncate(fd_, off_t(kHeaderBytes + bytes_)) != 0)
    return absl::InternalError(absl::StrCat("id filter: cannot size its file: ", errno_text(errno)));
  if (absl::Status s = write_header(kStateBuilding, 0); !s.ok()) return s;
  constexpr size_t kChunk = 64 * 1024;
  const uint8_t* src = reinterpret_cast<const uint8_t*>(bits_);
  uint32_t crc = 0;
  for (size_t off = 0; off < bytes_; off += kChunk) {
    const size_t n = std::min(kChunk, bytes_ - off);
    const uint64_t* w = reinterpret_cast<const uint64_t*>(src + off);
    bool zero = true;
    for (size_t i = 0; i < n / 8 && zero; ++i) zero = w[i] == 0;
    if (zero) {
      crc = crc32c_extend_zeros(crc, n);
      continue;
    }
    crc = crc32c_extend(crc, src + off, n);
    for (size_t done = 0; done < n;) {
      const ssize_t r = ::pwrite(fd_, src + off + done, n - done, off_t(kHeaderBytes + off + done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return absl::InternalError(absl::StrCat("id filter: write failed: ", errno_text(errno)));
      done += size_t(r);
    }
  }
  if (::fdatasync(fd_) != 0) return absl::InternalError(absl::StrCat("id filter: fdatasync: ", errno_text(errno)));
  // The bits are durable before the header calls them clean.
  return write_header(kStateClean, crc);
}

IdFilter::~IdFilter() {
  if (bits_ != nullptr) ::munmap(bits_, bytes_);
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bg
