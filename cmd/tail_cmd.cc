// `blockgate tail --url URL [--from H] [--until H] [--format json|binary]
// [--gzip] [--verify]`: a consumer of validated blocks, from another
// blockgate's /v1/stream (http://) or its JetStream stream (nats://,
// tls://). It prints blocks as they arrive (NDJSON lines, or u32 LE length +
// binary block frames), checks that each links to the one before (height + 1,
// prev_hash = hash of the previous header), optionally re-checks each block's
// Merkle root and every signature, and resumes after a disconnect from the
// last height it printed. Exit status: 0 after --until, 1 on a usage or
// connection problem past --idle-exit-s, 3 on a gap or a broken link, 4 on a
// block that fails --verify.
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "host/backend.h"
#include "server/block_source.h"

namespace bg::cmd {
namespace {

constexpr int kExitBroken = 3;
constexpr int kExitInvalid = 4;

void write_all(const void* data, size_t n) {
  std::fwrite(data, 1, n, stdout);
}

void print_block(const Block& b, bool binary) {
  if (binary) {
    const Bytes bytes = b.encode();
    const uint32_t n = uint32_t(bytes.size());
    const uint8_t len[4] = {uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)};
    write_all(len, 4);
    write_all(bytes.data(), bytes.size());
  } else {
    const std::string line = block_to_json_text(b);
    write_all(line.data(), line.size());
    write_all("\n", 1);
  }
  std::fflush(stdout);
}

// Merkle root and every signature; "" when the block is good.
std::string verify_block(const Block& b, VerifyBackend& backend) {
  if (compute_merkle_root(b.txs) != b.header.merkle_root) return "bad_merkle_root";
  std::vector<SigItem> items;
  items.reserve(b.txs.size());
  for (const Transaction& tx : b.txs) items.push_back(sig_item(tx));
  std::vector<uint8_t> valid(items.size());
  if (absl::Status st = backend.verify_batch(items, valid); !st.ok()) return std::string(st.message());
  for (size_t i = 0; i < valid.size(); ++i)
    if (!valid[i]) return "invalid_signature at tx_index " + std::to_string(i);
  return "";
}

struct TailConfig {
  std::string url;
  std::optional<std::string> from, until;
  std::string format = "json";
  bool gzip = false;
  bool verify = false;
  uint64_t idle_exit_s = 0;
  uint64_t max_block_bytes = 64ull << 20;
  uint64_t max_payload_bytes = 65536;
  NatsConfig nats;
};

absl::Status read_nats_token(TailConfig& c, std::string_view path) {
  std::ifstream f{std::string(path)};
  if (!f) return absl::InvalidArgumentError(cat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  c.nats.token = std::string(absl::StripAsciiWhitespace(ss.str()));
  return absl::OkStatus();
}

const FlagTable<TailConfig>& tail_flags() {
  static const FlagTable<TailConfig> table = [] {
    FlagTable<TailConfig> t("tail", std::string(command_summary("tail")));
    t.add("url", &TailConfig::url, "http://HOST:PORT (a blockgate) or nats://HOST:PORT (its JetStream stream)")
        .value("URL")
        .needed();
    t.add("from", &TailConfig::from, "first height to print (default: the upstream's tip + 1)").value("H");
    t.add("until", &TailConfig::until, "exit 0 after printing this height").value("H");
    t.add("format", &TailConfig::format, "output (and HTTP wire) format").one_of({"json", "binary"});
    t.add_switch("gzip", &TailConfig::gzip, "ask an HTTP upstream for a gzip-compressed feed");
    t.add_switch("verify", &TailConfig::verify, "also check every Merkle root and signature (CPU)");
    t.add("idle-exit-s", &TailConfig::idle_exit_s, "exit 1 when no new block arrived for this long (0: never)");
    t.add("max-block-bytes", &TailConfig::max_block_bytes, "largest block accepted from the upstream");
    t.add("max-payload-bytes", &TailConfig::max_payload_bytes, "largest transaction payload accepted");
    t.add("nats-stream", &TailConfig::nats, &NatsConfig::stream, "JetStream stream name").value("NAME");
    t.add("nats-subject", &TailConfig::nats, &NatsConfig::subject, "JetStream subject").value("SUBJECT");
    t.add("nats-creds", &TailConfig::nats, &NatsConfig::creds_file, "NATS credentials file").value("FILE");
    t.add_custom("nats-token-file", "FILE", "file", "NATS token, read from FILE", read_nats_token,
                 [](const TailConfig&) { return std::string(); });
    t.add("nats-ca-file", &TailConfig::nats, &NatsConfig::ca_file, "CA certificates for tls:// NATS servers")
        .value("FILE");
    return t;
  }();
  return table;
}

std::optional<uint64_t> parse_height(const std::optional<std::string>& v, const char* flag, bool* bad) {
  if (!v) return std::nullopt;
  uint64_t h = 0;
  if (v->empty() || v->find_first_not_of("0123456789") != std::string::npos || !absl::SimpleAtoi(*v, &h)) {
    std::cerr << "blockgate tail: --" << flag << " needs a height, got '" << *v << "'\n";
    *bad = true;
  }
  return h;
}

}  // namespace

int tail(int argc, char** argv) {
  TailConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(tail_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  bool bad = false;
  std::optional<uint64_t> from = parse_height(cfg.from, "from", &bad);
  const std::optional<uint64_t> until = parse_height(cfg.until, "until", &bad);
  if (bad) return 2;
  auto usage = [](const std::string& why) {
    std::cerr << "blockgate tail: " << why << "\n";
    return 2;
  };
  const std::string format = cfg.format;
  auto idle = std::optional<uint64_t>(cfg.idle_exit_s);

  BlockSourceOptions so;
  so.url = cfg.url;
  so.http_format.binary = format == "binary";
  so.http_format.gzip = cfg.gzip;
  so.max_block_bytes = cfg.max_block_bytes;
  so.max_payload_bytes = cfg.max_payload_bytes;
  so.nats = cfg.nats;
  so.nats.url = so.url;
  auto source = make_block_source(so);
  if (!source.ok()) return usage(std::string(source.status().message()));
  std::unique_ptr<VerifyBackend> backend;
  if (cfg.verify) {
    auto b = make_backend("cpu");
    if (!b.ok()) return usage(std::string(b.status().message()));
    backend = std::move(*b);
  }

  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  const auto idle_limit = std::chrono::seconds(*idle);
  auto backoff = std::chrono::milliseconds(100);
  std::optional<Hash32> prev_hash;  // hash of the last block printed (or of from - 1)
  uint64_t next = 0;
  bool positioned = false;
  for (;;) {
    if (*idle > 0 && Clock::now() - last_progress > idle_limit) {
      std::cerr << "blockgate tail: no new block for " << *idle << " s; giving up\n";
      return 1;
    }
    if (!positioned) {
      if (!from) {
        std::optional<uint64_t> tip = (*source)->upstream_tip();
        from = tip ? *tip + 1 : 0;
      }
      next = *from;
      if (next > 0) {
        auto h = (*source)->block_hash(next - 1);
        if (!h.ok()) {
          std::cerr << "blockgate tail: " << h.status().message() << "; retrying\n";
          std::this_thread::sleep_for(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
        prev_hash = *h;
      }
      positioned = true;
    }
    if (absl::Status st = (*source)->open(next); !st.ok()) {
      std::cerr << "blockgate tail: " << st.message() << "; retrying\n";
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    for (;;) {
      auto b = (*source)->next(std::chrono::milliseconds(500));
      if (!b.ok()) {
        if (absl::IsDataLoss(b.status())) {
          std::cerr << "blockgate tail: gap or bad data: " << b.status().message() << "\n";
          return kExitBroken;
        }
        std::cerr << "blockgate tail: " << b.status().message() << "; resuming from height " << next << "\n";
        break;
      }
      if (!*b) {
        if (*idle > 0 && Clock::now() - last_progress > idle_limit) break;
        continue;
      }
      const Block& block = (*b)->block;
      if (block.header.height != next) {
        std::cerr << "blockgate tail: gap: got height " << block.header.height << ", expected " << next << "\n";
        return kExitBroken;
      }
      if (prev_hash && block.header.prev_hash != *prev_hash) {
        std::cerr << "blockgate tail: broken link at height " << next << ": prev_hash " << to_hex(block.header.prev_hash)
                  << " is not the hash of block " << next - 1 << " (" << to_hex(*prev_hash) << ")\n";
        return kExitBroken;
      }
      if (backend)
        if (std::string bad = verify_block(block, *backend); !bad.empty()) {
          std::cerr << "blockgate tail: block " << next << " fails verification: " << bad << "\n";
          return kExitInvalid;
        }
      print_block(block, format == "binary");
      prev_hash = block.header.hash();
      last_progress = Clock::now();
      if (until && next >= *until) return 0;
      ++next;
    }
  }
}

}  // namespace bg::cmd
