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

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "cmd/args.h"
#include "cmd/commands.h"
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

}  // namespace

int tail(int argc, char** argv) {
  auto args = Args::parse(argc, argv,
                          {"url", "from", "until", "format", "idle-exit-s", "nats-stream", "nats-subject", "nats-creds",
                           "nats-token-file", "nats-ca-file", "max-block-bytes", "max-payload-bytes"},
                          {"gzip", "verify"});
  auto usage = [](const std::string& why) {
    std::cerr << "blockgate tail: " << why << "\n";
    return 2;
  };
  if (!args.ok()) return usage(std::string(args.status().message()));
  if (!args->has("url")) return usage("--url http://HOST:PORT or nats://HOST:PORT is required");
  const std::string format = args->get("format", "json");
  if (format != "json" && format != "binary") return usage("--format must be json or binary");
  auto idle = args->get_u64("idle-exit-s", 0);
  auto max_block = args->get_u64("max-block-bytes", 64ull << 20);
  auto max_payload = args->get_u64("max-payload-bytes", 65536);
  if (!idle.ok()) return usage(std::string(idle.status().message()));
  if (!max_block.ok()) return usage(std::string(max_block.status().message()));
  if (!max_payload.ok()) return usage(std::string(max_payload.status().message()));
  std::optional<uint64_t> from, until;
  if (args->has("from")) {
    auto v = args->get_u64("from", 0);
    if (!v.ok()) return usage(std::string(v.status().message()));
    from = *v;
  }
  if (args->has("until")) {
    auto v = args->get_u64("until", 0);
    if (!v.ok()) return usage(std::string(v.status().message()));
    until = *v;
  }

  BlockSourceOptions so;
  so.url = args->get("url");
  so.http_format.binary = format == "binary";
  so.http_format.gzip = args->has("gzip");
  so.max_block_bytes = *max_block;
  so.max_payload_bytes = *max_payload;
  so.nats.url = so.url;
  so.nats.stream = args->get("nats-stream", so.nats.stream);
  so.nats.subject = args->get("nats-subject", so.nats.subject);
  so.nats.creds_file = args->get("nats-creds");
  so.nats.ca_file = args->get("nats-ca-file");
  if (args->has("nats-token-file")) {
    std::ifstream f(args->get("nats-token-file"));
    if (!f) return usage("cannot read --nats-token-file " + args->get("nats-token-file"));
    std::stringstream ss;
    ss << f.rdbuf();
    so.nats.token = std::string(absl::StripAsciiWhitespace(ss.str()));
  }
  auto source = make_block_source(so);
  if (!source.ok()) return usage(std::string(source.status().message()));
  std::unique_ptr<VerifyBackend> backend;
  if (args->has("verify")) {
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
