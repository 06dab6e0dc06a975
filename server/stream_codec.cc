// Stream formats over zlib (gzip wrapper, Z_SYNC_FLUSH after each unit).
#include "server/stream_codec.h"

#include <absl/strings/str_cat.h>
#include <zlib.h>

#include <cctype>
#include <cstring>
#include <limits>
#include <vector>

namespace bg {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// Splits at `sep`; every piece trimmed.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t at = s.find(sep);
    out.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// True when a comma-separated header value lists `token` without q=0.
bool header_lists(std::string_view value, std::string_view token) {
  for (std::string_view item : split(value, ',')) {
    std::vector<std::string_view> params = split(item, ';');
    if (!equals_ignore_case(params[0], token)) continue;
    bool refused = false;
    for (size_t i = 1; i < params.size(); ++i) {
      const std::string_view p = params[i];
      if (p.size() >= 3 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' &&
          p.find_first_not_of("0.", 2) == std::string_view::npos)
        refused = true;
    }
    if (!refused) return true;
  }
  return false;
}

}  // namespace

StreamFormat negotiate_stream_format(std::string_view accept, std::string_view accept_encoding) {
  StreamFormat f;
  f.binary = header_lists(accept, kBinaryType) && !header_lists(accept, kNdjsonType);
  f.gzip = header_lists(accept_encoding, "gzip");
  return f;
}

// --- encoder ----------------------------------------------------------------

struct StreamEncoder::Gzip {
  z_stream z{};
  bool ok = false;
  Gzip() { ok = deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~Gzip() {
    if (ok) deflateEnd(&z);
  }
};

StreamEncoder::StreamEncoder(StreamFormat format) : format_(format) {
  if (format_.gzip) gzip_ = std::make_unique<Gzip>();
}
StreamEncoder::~StreamEncoder() = default;

void StreamEncoder::emit(std::string_view plain, std::string* out) {
  if (!gzip_) {
    out->append(plain);
    return;
  }
  z_stream& z = gzip_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = uInt(plain.size());
  char tmp[16384];
  do {
    z.next_out = reinterpret_cast<Bytef*>(tmp);
    z.avail_out = sizeof(tmp);
    deflate(&z, Z_SYNC_FLUSH);
    out->append(tmp, sizeof(tmp) - z.avail_out);
  } while (z.avail_out == 0);
}

absl::Status StreamEncoder::add_block(ByteSpan block_bytes, std::string* out) {
  if (format_.gzip && !gzip_->ok) return absl::InternalError("zlib deflateInit2 failed");
  if (format_.binary) {
    if (block_bytes.size() > std::numeric_limits<uint32_t>::max())
      return absl::InternalError("block larger than a stream frame");
    const uint32_t n = uint32_t(block_bytes.size());
    const char len[4] = {char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff), char(n >> 24)};
    std::string frame;
    frame.reserve(4 + n);
    frame.append(len, 4);
    frame.append(reinterpret_cast<const char*>(block_bytes.data()), n);
    emit(frame, out);
    return absl::OkStatus();
  }
  Block block;
  if (BlockDecodeError e = decode_block_binary(block_bytes, std::numeric_limits<size_t>::max(), &block); !e.ok())
    return absl::DataLossError(absl::StrCat("stored block does not decode: ", e.detail));
  std::string line = block_to_json_text(block);
  line += '\n';
  emit(line, out);
  return absl::OkStatus();
}

void StreamEncoder::add_keepalive(std::string* out) {
  if (format_.binary) emit(std::string_view("\0\0\0\0", 4), out);
  else emit("\n", out);
}

// --- decoder ----------------------------------------------------------------

struct StreamDecoder::Gunzip {
  z_stream z{};
  bool ok = false;
  bool ended = false;
  Gunzip() { ok = inflateInit2(&z, 15 + 32) == Z_OK; }
  ~Gunzip() {
    if (ok) inflateEnd(&z);
  }
};

StreamDecoder::StreamDecoder(StreamFormat format, uint64_t max_block_bytes, uint64_t max_payload_bytes)
    : format_(format), max_block_bytes_(max_block_bytes), max_payload_bytes_(max_payload_bytes) {
  if (format_.gzip) gunzip_ = std::make_unique<Gunzip>();
}
StreamDecoder::~StreamDecoder() = default;

absl::Status StreamDecoder::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  if (!gunzip_) {
    buf_.append(bytes);
    return absl::OkStatus();
  }
  if (!gunzip_->ok) return absl::InternalError("zlib inflateInit2 failed");
  z_stream& z = gunzip_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  char tmp[65536];
  bool more = true;  // output may be pending even with no input left
  while ((z.avail_in > 0 || more) && !gunzip_->ended) {
    z.next_out = reinterpret_cast<Bytef*>(tmp);
    z.avail_out = sizeof(tmp);
    const int r = inflate(&z, Z_SYNC_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
      return absl::DataLossError(absl::StrCat("gzip stream is corrupt: ", z.msg ? z.msg : "inflate failed"));
    buf_.append(tmp, sizeof(tmp) - z.avail_out);
    if (r == Z_STREAM_END) gunzip_->ended = true;
    more = z.avail_out == 0;
    if (r == Z_BUF_ERROR && !more) break;
  }
  if (buf_.size() - pos_ > 3 * max_block_bytes_ + 4096)
    return absl::ResourceExhaustedError("stream data past the block size limit without a complete block");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Block>> StreamDecoder::next() {
  for (;;) {
    const size_t avail = buf_.size() - pos_;
    if (format_.binary) {
      if (avail < 4) return std::optional<Block>();
      const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + pos_);
      const uint32_t n = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
      if (n == 0) {
        pos_ += 4;
        ++keepalives_;
        continue;
      }
      if (n > max_block_bytes_)
        return absl::ResourceExhaustedError(absl::StrCat("stream frame of ", n, " bytes exceeds the limit of ",
                                                         max_block_bytes_));
      if (avail < 4 + size_t(n)) return std::optional<Block>();
      Block block;
      BlockDecodeError e = decode_block_binary(ByteSpan(p + 4, n), max_payload_bytes_, &block);
      pos_ += 4 + size_t(n);
      if (!e.ok()) return absl::DataLossError(absl::StrCat("stream frame does not decode: ", e.detail));
      return std::optional<Block>(std::move(block));
    }
    const size_t nl = buf_.find('\n', pos_);
    if (nl == std::string::npos) {
      if (avail > 2 * max_block_bytes_ + 4096)
        return absl::ResourceExhaustedError("stream line exceeds the block size limit");
      return std::optional<Block>();
    }
    std::string_view line(buf_.data() + pos_, nl - pos_);
    pos_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      ++keepalives_;
      continue;
    }
    Block block;
    BlockDecodeError e = decode_block_json_text(line, max_payload_bytes_, &block);
    if (!e.ok()) return absl::DataLossError(absl::StrCat("stream line does not decode: ", e.detail));
    return std::optional<Block>(std::move(block));
  }
}

}  // namespace bg
