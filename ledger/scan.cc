// The scan: map each segment read-only, walk its records, check each block
// against the one before it. A bad record in the last segment is a torn tail
// unless a later record of a *later* write batch is intact (see record.h).
#include "ledger/scan.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "host/hash.h"
#include "ledger/record.h"
#include "ledger/validate.h"

namespace bg {

std::string segment_file_name(uint32_t index) { return absl::StrFormat("segment-%08u.log", index); }

struct LedgerScan::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr != nullptr) munmap(addr, size);
  }
  ByteSpan bytes() const { return ByteSpan(static_cast<const uint8_t*>(addr), size); }
};

LedgerScan::LedgerScan(std::string dir) : dir_(std::move(dir)) {}
LedgerScan::~LedgerScan() = default;

namespace {

absl::Status errno_status(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<std::vector<SegmentFile>> list_segments(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no ledger directory ", dir));
    return errno_status(absl::StrCat("cannot open ledger directory ", dir));
  }
  std::vector<SegmentFile> out;
  while (dirent* e = readdir(d)) {
    unsigned idx = 0;
    char tail = 0;
    const std::string name = e->d_name;
    if (name.size() != 20 || std::sscanf(name.c_str(), "segment-%8u.lo%c", &idx, &tail) != 2 || tail != 'g') continue;
    if (segment_file_name(idx) != name) continue;
    SegmentFile f;
    f.index = idx;
    f.path = absl::StrCat(dir, "/", name);
    out.push_back(std::move(f));
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.index < b.index; });
  return out;
}

// The first intact record after `bad` (in the same segment) that belongs to a
// later write batch, if any: its existence proves `bad` had been fsynced.
std::optional<uint64_t> later_batch_record(ByteSpan seg, uint64_t bad) {
  const uint8_t magic[4] = {uint8_t(kRecordMagic), uint8_t(kRecordMagic >> 8), uint8_t(kRecordMagic >> 16),
                            uint8_t(kRecordMagic >> 24)};
  auto it = seg.begin() + bad + 1;
  while (true) {
    it = std::search(it, seg.end(), magic, magic + 4);
    if (it == seg.end()) return std::nullopt;
    const uint64_t pos = uint64_t(it - seg.begin());
    RecordView r;
    if (parse_record(seg, pos, &r) == RecordStatus::kOk && r.batch_start > bad && r.batch_start <= pos) return pos;
    ++it;
  }
}

// Counts intact records after `bad` (same batch, being cut with it), for the log.
size_t intact_after(ByteSpan seg, uint64_t bad) {
  const uint8_t magic[4] = {uint8_t(kRecordMagic), uint8_t(kRecordMagic >> 8), uint8_t(kRecordMagic >> 16),
                            uint8_t(kRecordMagic >> 24)};
  size_t n = 0;
  auto it = seg.begin() + bad + 1;
  while ((it = std::search(it, seg.end(), magic, magic + 4)) != seg.end()) {
    RecordView r;
    const uint64_t pos = uint64_t(it - seg.begin());
    if (parse_record(seg, pos, &r) == RecordStatus::kOk) {
      ++n;
      it = seg.begin() + pos + r.size();
    } else {
      ++it;
    }
  }
  return n;
}

// Splits the block bytes into header and transactions and checks the block
// against the previous one. Returns a reason on failure.
std::optional<std::string> check_block(ByteSpan bytes, const std::optional<TipInfo>& prev, uint64_t expected_height,
                                       ScannedBlock* out, Transaction* scratch) {
  if (!BlockHeader::decode(bytes, &out->header)) return "block shorter than its 85-byte header";
  const BlockHeader& h = out->header;
  out->hash = h.hash();
  if (h.height != expected_height)
    return absl::StrCat("record holds height ", h.height, " where height ", expected_height, " belongs");
  out->tx_bytes.clear();
  out->ids.clear();
  size_t off = kHeaderSize;
  while (off < bytes.size()) {
    size_t used = 0;
    ErrorCode c = decode_tx_binary(bytes.subspan(off), SIZE_MAX, scratch, &used);
    if (c != ErrorCode::kOk)
      return absl::StrCat(std::string(error_name(c)), ": transaction ", out->tx_bytes.size(), " does not decode");
    out->tx_bytes.push_back(bytes.subspan(off, used));
    out->ids.push_back(sha256(bytes.subspan(off, used)));
    off += used;
  }
  if (!prev) {
    const Block g = genesis_block();
    if (h != g.header || !out->tx_bytes.empty()) return "block 0 is not the genesis block";
    return std::nullopt;
  }
  if (BlockDecodeError e = check_extends_tip(h, *prev); !e.ok()) return absl::StrCat(std::string(error_name(e.code)), ": ", e.detail);
  if (out->tx_bytes.size() != h.tx_count)
    return absl::StrCat("tx_count_mismatch: header says ", h.tx_count, ", record holds ", out->tx_bytes.size());
  if (merkle_root(out->ids) != h.merkle_root) return "bad_merkle_root: merkle_root does not match the transactions";
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ScanResult> LedgerScan::run(const Visitor& visit) {
  auto listed = list_segments(dir_);
  if (!listed.ok()) return listed.status();
  ScanResult res;
  res.segments = std::move(*listed);
  ScannedBlock blk;
  Transaction scratch;
  for (size_t si = 0; si < res.segments.size(); ++si) {
    SegmentFile& seg = res.segments[si];
    const uint64_t next_height = res.tip ? res.tip->height + 1 : 0;
    if (seg.index != si) {
      res.fault = ChainFault{next_height, absl::StrCat(segment_file_name(uint32_t(si)), " is missing")};
      return res;
    }
    int fd = ::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status(absl::StrCat("cannot open ", seg.path));
    struct stat st;
    if (fstat(fd, &st) != 0) {
      ::close(fd);
      return errno_status(absl::StrCat("cannot stat ", seg.path));
    }
    seg.size = uint64_t(st.st_size);
    auto map = std::make_unique<Mapping>();
    if (seg.size > 0) {
      void* a = mmap(nullptr, seg.size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (a == MAP_FAILED) {
        ::close(fd);
        return errno_status(absl::StrCat("cannot map ", seg.path));
      }
      map->addr = a;
      map->size = seg.size;
      madvise(a, seg.size, MADV_SEQUENTIAL);
    }
    ::close(fd);
    const ByteSpan bytes = map->bytes();
    maps_.push_back(std::move(map));
    const bool last = si + 1 == res.segments.size();

    uint64_t off = 0;
    while (off < bytes.size()) {
      const uint64_t height = res.tip ? res.tip->height + 1 : 0;
      RecordView rec;
      RecordStatus rs = parse_record(bytes, off, &rec);
      if (rs != RecordStatus::kOk) {
        const std::string where = absl::StrCat(segment_file_name(seg.index), " offset ", off);
        if (!last) {
          res.fault = ChainFault{height, absl::StrCat("corrupt record (", record_status_name(rs), ") at ", where,
                                                      ", before the last segment")};
          return res;
        }
        if (auto later = later_batch_record(bytes, off)) {
          res.fault = ChainFault{height, absl::StrCat("corrupt record (", record_status_name(rs), ") at ", where,
                                                      " is followed by committed records (one at offset ", *later,
                                                      "); refusing to guess")};
          return res;
        }
        TailCut cut;
        cut.segment = seg.index;
        cut.path = seg.path;
        cut.offset = off;
        cut.bytes = bytes.size() - off;
        cut.first_height = height;
        cut.intact_records = intact_after(bytes, off);
        cut.reason = record_status_name(rs);
        res.tail_cut = std::move(cut);
        break;
      }
      blk.segment = seg.index;
      blk.offset = off;
      blk.record_bytes = rec.size();
      blk.block_bytes = rec.block;
      if (auto why = check_block(rec.block, res.tip, height, &blk, &scratch)) {
        res.fault = ChainFault{height, *why};
        return res;
      }
      if (auto why = visit(blk)) {
        res.fault = ChainFault{height, *why};
        return res;
      }
      res.tip = TipInfo{height, blk.hash, blk.header.timestamp_ms};
      ++res.blocks;
      res.txs += blk.ids.size();
      off += rec.size();
    }
    seg.valid_end = off;
  }
  return res;
}

}  // namespace bg
