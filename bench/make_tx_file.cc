// make_tx_file: writes N signed JSON transactions (SPEC §1), one per line, for
// benchmarks and load tests:
//   make_tx_file --scheme NAME|mixed --count N [--seed X]
//                [--payload-bytes P] [--keys K] [--invalid-every M] > file.jsonl
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "bench/signed_corpus.h"
#include "cmd/args.h"

int main(int argc, char** argv) {
  using namespace bg;
  auto args = cmd::Args::parse(argc, argv, {"scheme", "count", "seed", "payload-bytes", "keys", "invalid-every"});
  if (!args.ok()) {
    std::cerr << "make_tx_file: " << args.status().message() << "\n";
    return 2;
  }
  bench::CorpusOptions opts;
  const std::string scheme = args->get("scheme", "ed25519");
  if (scheme == "mixed") {
    opts.scheme = std::nullopt;
  } else if (auto s = scheme_from_name(scheme)) {
    opts.scheme = *s;
  } else {
    std::cerr << "make_tx_file: --scheme must be one of " << scheme_names() << ", mixed\n";
    return 2;
  }
  auto count = args->get_u64("count", 1000);
  auto seed = args->get_u64("seed", 1);
  auto payload = args->get_u64("payload-bytes", 32);
  auto keys = args->get_u64("keys", 64);
  auto invalid = args->get_u64("invalid-every", 0);
  for (const auto* v : {&count, &seed, &payload, &keys, &invalid}) {
    if (!v->ok()) {
      std::cerr << "make_tx_file: " << v->status().message() << "\n";
      return 2;
    }
  }
  if (*payload > kDefaultMaxPayload) {
    std::cerr << "make_tx_file: --payload-bytes over the default limit " << kDefaultMaxPayload << "\n";
    return 2;
  }
  opts.count = *count;
  opts.seed = *seed;
  opts.payload_bytes = *payload;
  opts.keys = *keys;
  opts.invalid_every = *invalid;

  ThreadPool pool;
  // Chunks bound memory for large counts; seeds are per index, so chunking
  // does not change the output.
  constexpr size_t kChunk = 65536;
  std::string out;
  for (size_t done = 0; done < opts.count; done += kChunk) {
    bench::CorpusOptions part = opts;
    part.first_index = done;
    part.count = std::min(kChunk, opts.count - done);
    out.clear();
    for (const Transaction& tx : bench::make_signed_txs(part, &pool)) {
      out += boost::json::serialize(tx_to_json(tx));
      out.push_back('\n');
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
