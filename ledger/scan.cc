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

#include "host/fd.h"
#include "host/hash.h"
#include "host/status_macros.h"
#include "host/thread_pool.h"
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

LedgerScan::LedgerScan(std::string dir, size_t threads) : dir_(std::move(dir)), threads_(threads) {}
LedgerScan::~LedgerScan() = default;

namespace {

absl::Status errno_status(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", errno_text(errno)));
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

// What the records of one segment carry: the salt of its first record (0 for
// a legacy segment). Every later record read at a known boundary must carry
// the same.
struct Framing {
  bool known = false;
  uint64_t salt = 0;
};

RecordStatus parse_framed(ByteSpan seg, uint64_t off, Framing& f, RecordView* rec) {
  const RecordStatus st = parse_record(seg, off, rec);
  if (st != RecordStatus::kOk) return st;
  if (!f.known) {
    f.known = true;
    f.salt = rec->salt;
    return RecordStatus::kOk;
  }
  return rec->salt == f.salt ? RecordStatus::kOk : RecordStatus::kBadSalt;
}

// Records found by searching past a bad one (not at a known boundary): only
// those carrying `salt` count (0: legacy records, whose search a payload can
// fool; see record.h). Calls `found(pos, record)` for each, in order, until it
// returns false.
template <class Found>
void search_records(ByteSpan seg, uint64_t bad, uint64_t salt, Found found) {
  const uint32_t m = salt != 0 ? kRecordMagicSalted : kRecordMagic;
  const uint8_t magic[4] = {uint8_t(m), uint8_t(m >> 8), uint8_t(m >> 16), uint8_t(m >> 24)};
  auto it = seg.begin() + bad + 1;
  while ((it = std::search(it, seg.end(), magic, magic + 4)) != seg.end()) {
    const uint64_t pos = uint64_t(it - seg.begin());
    RecordView r;
    if (parse_record(seg, pos, &r) == RecordStatus::kOk && r.salt == salt) {
      if (!found(pos, r)) return;
    }
    ++it;
  }
}

// The first intact record after `bad` (in the same segment) that belongs to a
// later write batch, if any: its existence proves `bad` had been fsynced.
std::optional<uint64_t> later_batch_record(ByteSpan seg, uint64_t bad, uint64_t salt) {
  std::optional<uint64_t> at;
  search_records(seg, bad, salt, [&](uint64_t pos, const RecordView& r) {
    if (r.batch_start > bad && r.batch_start <= pos) at = pos;
    return !at;
  });
  return at;
}

// Counts intact records after `bad` (same batch, being cut with it), for the log.
size_t intact_after(ByteSpan seg, uint64_t bad, uint64_t salt) {
  size_t n = 0;
  uint64_t next = bad + 1;
  search_records(seg, bad, salt, [&](uint64_t pos, const RecordView& r) {
    if (pos >= next) {
      ++n;
      next = pos + r.size();
    }
    return true;
  });
  return n;
}

// The per-block work that needs no neighbour, run in parallel: header,
// hash, transaction split, ids, computed Merkle root. Returns a reason when a
// transaction does not decode.
std::optional<std::string> decode_block(ByteSpan bytes, ScannedBlock* out, Hash32* computed_root, bool* header_ok,
                                        Transaction* scratch) {
  out->tx_bytes.clear();
  out->ids.clear();
  *header_ok = BlockHeader::decode(bytes, &out->header);
  if (!*header_ok) return "block shorter than its 85-byte header";
  out->hash = out->header.hash();
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
  *computed_root = merkle_root(out->ids);
  return std::nullopt;
}

// The checks against the previous block, in order.
std::optional<std::string> check_link(const ScannedBlock& b, bool header_ok,
                                      const std::optional<std::string>& decode_error, const Hash32& computed_root,
                                      const std::optional<TipInfo>& prev, uint64_t expected_height) {
  const BlockHeader& h = b.header;
  if (!header_ok) return decode_error;
  if (h.height != expected_height)
    return absl::StrCat("record holds height ", h.height, " where height ", expected_height, " belongs");
  if (decode_error) return decode_error;
  if (!prev) {
    const Block g = genesis_block();
    if (h != g.header || !b.tx_bytes.empty()) return "block 0 is not the genesis block";
    return std::nullopt;
  }
  if (BlockDecodeError e = check_extends_tip(h, *prev); !e.ok())
    return absl::StrCat(std::string(error_name(e.code)), ": ", e.detail);
  if (b.tx_bytes.size() != h.tx_count)
    return absl::StrCat("tx_count_mismatch: header says ", h.tx_count, ", record holds ", b.tx_bytes.size());
  if (computed_root != h.merkle_root) return "bad_merkle_root: merkle_root does not match the transactions";
  return std::nullopt;
}

// Blocks decoded in parallel per chunk: large enough to keep every thread
// busy, small enough to bound the memory of ids in flight.
constexpr size_t kChunkRecords = 2048;

}  // namespace

absl::StatusOr<ScanResult> LedgerScan::run(const Visitor& visit, const ScanStart* from) {
  ScanResult res;
  BG_ASSIGN_OR_RETURN(res.segments, list_segments(dir_));
  if (from) res.tip = from->prev;
  if (!pool_) pool_ = std::make_unique<ThreadPool>(threads_);
  struct ChunkItem {
    ScannedBlock block;
    Hash32 root{};
    bool header_ok = false;
    std::optional<std::string> error;
  };
  std::vector<RecordView> recs;
  std::vector<ChunkItem> chunk;
  uint64_t ledger_salt = 0;  // the salt of the latest salted segment walked
  for (size_t si = 0; si < res.segments.size(); ++si) {
    SegmentFile& seg = res.segments[si];
    const uint64_t next_height = res.tip ? res.tip->height + 1 : 0;
    if (seg.index != si) {
      res.fault = ChainFault{next_height, absl::StrCat(segment_file_name(uint32_t(si)), " is missing")};
      return res;
    }
    UniqueFd fd(::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno_status(absl::StrCat("cannot open ", seg.path));
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return errno_status(absl::StrCat("cannot stat ", seg.path));
    seg.size = uint64_t(st.st_size);
    if (from && seg.index < from->segment) {
      // Before the start: complete (only the last segment can have a tail).
      seg.valid_end = seg.size;
      continue;
    }
    if (from && seg.index == from->segment && from->offset > seg.size) {
      res.fault = ChainFault{next_height, absl::StrCat(segment_file_name(seg.index), " ends at ", seg.size,
                                                        " before the indexed offset ", from->offset)};
      return res;
    }
    auto map = std::make_unique<Mapping>();
    if (seg.size > 0) {
      void* a = mmap(nullptr, seg.size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
      if (a == MAP_FAILED) return errno_status(absl::StrCat("cannot map ", seg.path));
      map->addr = a;
      map->size = seg.size;
      madvise(a, seg.size, MADV_SEQUENTIAL);
    }
    fd.reset();  // the mapping stays valid without it
    const ByteSpan bytes = map->bytes();
    maps_.push_back(std::move(map));
    const bool last = si + 1 == res.segments.size();

    uint64_t off = from && seg.index == from->segment ? from->offset : 0;
    bool stop = false;
    Framing framing;
    if (off > 0) {
      // Starting after the indexed records: the segment's first record (a
      // known boundary) says what its records carry.
      RecordView first;
      if (parse_record(bytes, 0, &first) == RecordStatus::kOk) framing = Framing{true, first.salt};
    }
    while (off < bytes.size() && !stop) {
      // 1. Framing and checksums, in order, up to the first bad record.
      recs.clear();
      RecordStatus bad = RecordStatus::kOk;
      while (off < bytes.size() && recs.size() < kChunkRecords) {
        RecordView rec;
        bad = parse_framed(bytes, off, framing, &rec);
        if (bad != RecordStatus::kOk) break;
        recs.push_back(rec);
        off += rec.size();
      }
      // 2. Decoding and hashing, in parallel.
      if (chunk.size() < recs.size()) chunk.resize(recs.size());
      pool_->parallel_for(recs.size(), 8, [&](size_t b, size_t e) {
        Transaction scratch;
        for (size_t i = b; i < e; ++i) {
          ChunkItem& it = chunk[i];
          it.block.segment = seg.index;
          it.block.offset = recs[i].offset;
          it.block.record_bytes = recs[i].size();
          it.block.block_bytes = recs[i].block;
          it.error = decode_block(recs[i].block, &it.block, &it.root, &it.header_ok, &scratch);
        }
      });
      // 3. The chain and the visitor, in order.
      for (size_t i = 0; i < recs.size(); ++i) {
        const uint64_t height = res.tip ? res.tip->height + 1 : 0;
        const ChunkItem& it = chunk[i];
        if (auto why = check_link(it.block, it.header_ok, it.error, it.root, res.tip, height)) {
          res.fault = ChainFault{height, *why};
          return res;
        }
        if (auto why = visit(it.block)) {
          res.fault = ChainFault{height, *why};
          return res;
        }
        res.tip = TipInfo{height, it.block.hash, it.block.header.timestamp_ms};
        ++res.blocks;
        res.txs += it.block.ids.size();
      }
      if (bad == RecordStatus::kOk) continue;
      const uint64_t height = res.tip ? res.tip->height + 1 : 0;
      const std::string where = absl::StrCat(segment_file_name(seg.index), " offset ", off);
      if (!last) {
        res.fault = ChainFault{height, absl::StrCat("corrupt record (", record_status_name(bad), ") at ", where,
                                                    ", before the last segment")};
        return res;
      }
      // Past the bad record only the salt tells records from payload bytes:
      // this segment's, or (its first record being the bad one) the ledger's.
      const uint64_t salt = framing.known ? framing.salt : ledger_salt;
      if (auto later = later_batch_record(bytes, off, salt)) {
        res.fault = ChainFault{height, absl::StrCat("corrupt record (", record_status_name(bad), ") at ", where,
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
      cut.intact_records = intact_after(bytes, off, salt);
      cut.reason = record_status_name(bad);
      res.tail_cut = std::move(cut);
      stop = true;
    }
    seg.valid_end = off;
    if (framing.known && framing.salt != 0) ledger_salt = framing.salt;
  }
  return res;
}

}  // namespace bg
