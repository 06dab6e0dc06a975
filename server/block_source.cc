// The two block sources: an HTTP /v1/stream consumer and a JetStream ordered
// consumer. Both check that heights arrive without a gap.
#include "server/block_source.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include <boost/json.hpp>

#include "server/http_client.h"

namespace bg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTipProbeEvery = std::chrono::seconds(1);

class HttpBlockSource final : public BlockSource {
 public:
  HttpBlockSource(BlockSourceOptions opts, HttpUrl url) : opts_(std::move(opts)), url_(std::move(url)) {}

  std::string url() const override { return opts_.url; }

  absl::Status open(uint64_t from_height) override {
    HttpClientOptions co;
    co.timeout = std::chrono::milliseconds(5000);
    co.max_body_bytes = opts_.max_block_bytes * 3;
    client_ = std::make_unique<HttpClient>(url_.host, url_.port, co);
    HttpHeaders headers;
    headers.emplace_back("Accept", std::string(opts_.http_format.binary ? kBinaryType : kNdjsonType));
    if (opts_.http_format.gzip) headers.emplace_back("Accept-Encoding", "gzip");
    auto res = client_->open_stream(absl::StrCat(url_.path, "/v1/stream?from=", from_height), headers);
    if (!res.ok()) return res.status();
    if (res->status != 200)
      return absl::UnavailableError(absl::StrCat(opts_.url, " answered ", res->status, " to /v1/stream: ", res->body));
    StreamFormat got;
    got.binary = absl::StartsWithIgnoreCase(res->header("Content-Type"), std::string(kBinaryType));
    got.gzip = absl::EqualsIgnoreCase(res->header("Content-Encoding"), "gzip");
    decoder_ = std::make_unique<StreamDecoder>(got, opts_.max_block_bytes, opts_.max_payload_bytes);
    expected_ = from_height;
    last_byte_ = Clock::now();
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<SourcedBlock>> next(std::chrono::milliseconds timeout) override {
    if (!decoder_) return absl::FailedPreconditionError("source not open");
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto b = decoder_->next();
      if (!b.ok()) return b.status();
      if (*b) {
        SourcedBlock sb{std::move(**b), 0};
        sb.height = sb.block.header.height;
        if (sb.height != expected_)
          return absl::DataLossError(absl::StrCat(opts_.url, " sent height ", sb.height, " where ", expected_,
                                                  " was expected"));
        ++expected_;
        return std::optional<SourcedBlock>(std::move(sb));
      }
      const auto now = Clock::now();
      if (now >= deadline) return std::optional<SourcedBlock>();
      auto chunk = client_->read_stream(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      if (!chunk.ok()) {
        if (!absl::IsDeadlineExceeded(chunk.status())) return chunk.status();
        if (Clock::now() - last_byte_ > opts_.dead_after)
          return absl::UnavailableError(absl::StrCat(opts_.url, " sent nothing, not even a keep-alive, for ",
                                                     opts_.dead_after.count(), " ms"));
        return std::optional<SourcedBlock>();
      }
      if (chunk->empty()) return absl::UnavailableError(absl::StrCat(opts_.url, " ended the stream"));
      last_byte_ = Clock::now();
      if (absl::Status st = decoder_->feed(*chunk); !st.ok()) return st;
    }
  }

  std::optional<uint64_t> upstream_tip() override {
    if (Clock::now() - last_probe_ < kTipProbeEvery) return tip_;
    last_probe_ = Clock::now();
    HttpClientOptions co;
    co.timeout = std::chrono::milliseconds(2000);
    co.max_body_bytes = 1 << 20;
    if (!probe_) probe_ = std::make_unique<HttpClient>(url_.host, url_.port, co);
    auto res = probe_->get(absl::StrCat(url_.path, "/v1/status"));
    if (!res.ok() || res->status != 200) {
      probe_.reset();
      return tip_;
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(res->body, ec);
    if (!ec && v.is_object())
      if (const auto* h = v.as_object().if_contains("height"); h && h->is_number())
        tip_ = h->to_number<uint64_t>();
    return tip_;
  }

  absl::StatusOr<Hash32> block_hash(uint64_t height) override {
    HttpClientOptions co;
    co.timeout = std::chrono::milliseconds(5000);
    co.max_body_bytes = opts_.max_block_bytes * 3;
    HttpClient c(url_.host, url_.port, co);
    auto res = c.get(absl::StrCat(url_.path, "/v1/blocks/", height));
    if (!res.ok()) return res.status();
    if (res->status != 200)
      return absl::UnavailableError(absl::StrCat(opts_.url, " answered ", res->status, " for block ", height));
    Block b;
    if (BlockDecodeError e = decode_block_json_text(res->body, opts_.max_payload_bytes, &b); !e.ok())
      return absl::DataLossError(absl::StrCat("block ", height, " from ", opts_.url, " does not decode: ", e.detail));
    return b.header.hash();
  }

 private:
  BlockSourceOptions opts_;
  HttpUrl url_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<StreamDecoder> decoder_;
  uint64_t expected_ = 0;
  Clock::time_point last_byte_{};
  std::unique_ptr<HttpClient> probe_;
  Clock::time_point last_probe_{};
  std::optional<uint64_t> tip_;
};

class NatsBlockSource final : public BlockSource {
 public:
  explicit NatsBlockSource(BlockSourceOptions opts) : opts_(std::move(opts)) { opts_.nats.url = opts_.url; }

  std::string url() const override { return opts_.url; }

  absl::Status open(uint64_t from_height) override {
    js_.reset();
    auto js = JetStream::connect(opts_.nats);
    if (!js.ok()) return js.status();
    js_ = std::move(*js);
    if (absl::Status st = js_->subscribe_from(from_height + 1); !st.ok()) return st;
    expected_ = from_height;
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<SourcedBlock>> next(std::chrono::milliseconds timeout) override {
    if (!js_) return absl::FailedPreconditionError("source not open");
    auto m = js_->next(timeout);
    if (!m.ok()) return m.status();
    if (!*m) {
      if (!js_->connected()) return absl::UnavailableError(absl::StrCat("lost the connection to ", opts_.url));
      return std::optional<SourcedBlock>();
    }
    if ((*m)->sequence != expected_ + 1)
      return absl::DataLossError(absl::StrCat(opts_.url, " delivered stream sequence ", (*m)->sequence, " where ",
                                              expected_ + 1, " (height ", expected_, ") was expected"));
    SourcedBlock sb;
    if (BlockDecodeError e = decode_block_binary((*m)->bytes, opts_.max_payload_bytes, &sb.block); !e.ok())
      return absl::DataLossError(absl::StrCat("stream sequence ", (*m)->sequence, " does not decode: ", e.detail));
    sb.height = sb.block.header.height;
    if (sb.height != expected_)
      return absl::DataLossError(absl::StrCat("stream sequence ", (*m)->sequence, " holds height ", sb.height,
                                              " (sequence must be height + 1)"));
    ++expected_;
    return std::optional<SourcedBlock>(std::move(sb));
  }

  std::optional<uint64_t> upstream_tip() override {
    if (!js_ || Clock::now() - last_probe_ < kTipProbeEvery) return tip_;
    last_probe_ = Clock::now();
    auto last = js_->last_sequence();
    if (last.ok() && *last > 0) tip_ = *last - 1;
    return tip_;
  }

  absl::StatusOr<Hash32> block_hash(uint64_t height) override {
    std::unique_ptr<JetStream> own;
    JetStream* js = js_.get();
    if (!js) {
      auto c = JetStream::connect(opts_.nats);
      if (!c.ok()) return c.status();
      own = std::move(*c);
      js = own.get();
    }
    auto m = js->get(height + 1);
    if (!m.ok()) return m.status();
    BlockHeader h;
    if (!BlockHeader::decode(m->bytes, &h))
      return absl::DataLossError(absl::StrCat("stream sequence ", height + 1, " is shorter than a block header"));
    return h.hash();
  }

 private:
  BlockSourceOptions opts_;
  std::unique_ptr<JetStream> js_;
  uint64_t expected_ = 0;
  Clock::time_point last_probe_{};
  std::optional<uint64_t> tip_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlockSource>> make_block_source(const BlockSourceOptions& opts) {
  if (is_nats_url(opts.url)) return std::unique_ptr<BlockSource>(new NatsBlockSource(opts));
  if (absl::StartsWith(opts.url, "http://")) {
    auto url = parse_http_url(opts.url);
    if (!url.ok()) return url.status();
    return std::unique_ptr<BlockSource>(new HttpBlockSource(opts, *url));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported source '", opts.url, "': use http://HOST:PORT, nats://HOST:PORT or tls://HOST:PORT"));
}

}  // namespace bg
