// `blockgate verify`: offline verification of JSON transactions, one per line,
// in chunks: lines decoded in parallel, signatures through the chosen backend,
// one verdict per input line on stdout, a summary on stderr.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "host/backend.h"
#include "host/thread_pool.h"

namespace bg::cmd {
namespace {

constexpr size_t kChunkLines = 16384;

struct VerifyConfig {
  std::string backend = "auto";
  std::optional<std::string> input;
  uint64_t max_payload_bytes = kDefaultMaxPayload;
  uint64_t threads = 0;
};

const FlagTable<VerifyConfig>& verify_flags() {
  static const FlagTable<VerifyConfig> table = [] {
    FlagTable<VerifyConfig> t("verify", std::string(command_summary("verify")));
    t.add("backend", &VerifyConfig::backend, "signature verification: auto, cpu, gpu or kernels-on-cpu")
        .value("NAME");
    t.add("input", &VerifyConfig::input, "JSON transactions, one per line (default: stdin)").value("FILE");
    t.add("max-payload-bytes", &VerifyConfig::max_payload_bytes, "largest transaction payload");
    t.add("threads", &VerifyConfig::threads, "decode and CPU backend threads (0: every core)");
    return t;
  }();
  return table;
}

struct Decoded {
  Transaction tx;
  ErrorCode code = ErrorCode::kOk;
};

}  // namespace

int verify(int argc, char** argv) {
  VerifyConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(verify_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  BackendOptions bopts;
  bopts.cpu_threads = cfg.threads;
  auto backend = make_backend(cfg.backend, bopts);
  if (!backend.ok()) {
    std::cerr << "blockgate verify: " << backend.status().message() << "\n";
    return 2;
  }

  std::ifstream file;
  std::istream* in = &std::cin;
  if (cfg.input) {
    file.open(*cfg.input, std::ios::binary);
    if (!file) {
      std::cerr << "blockgate verify: cannot open " << *cfg.input << "\n";
      return 1;
    }
    in = &file;
  }

  ThreadPool decode_pool(cfg.threads);
  std::map<std::string_view, uint64_t> counts;
  uint64_t total = 0;
  double verify_seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> lines;
  std::vector<Decoded> decoded;
  std::vector<SigItem> items;
  std::vector<size_t> item_line;
  std::vector<uint8_t> valid;
  std::string out;
  bool eof = false;
  while (!eof) {
    lines.clear();
    std::string line;
    while (lines.size() < kChunkLines) {
      if (!std::getline(*in, line)) {
        eof = true;
        break;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
    }
    if (in->bad()) {
      std::cerr << "blockgate verify: read error\n";
      return 1;
    }
    if (lines.empty()) break;
    decoded.assign(lines.size(), Decoded{});
    decode_pool.parallel_for(lines.size(), 256, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) decoded[i].code = decode_tx_json_text(lines[i], cfg.max_payload_bytes, &decoded[i].tx);
    });
    items.clear();
    item_line.clear();
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (decoded[i].code != ErrorCode::kOk) continue;
      items.push_back(sig_item(decoded[i].tx));
      item_line.push_back(i);
    }
    valid.assign(items.size(), 0);
    const auto v0 = std::chrono::steady_clock::now();
    if (absl::Status st = (*backend)->verify_batch(items, valid); !st.ok()) {
      std::cerr << "blockgate verify: backend failed: " << st.message() << "\n";
      return 1;
    }
    verify_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - v0).count();
    for (size_t j = 0; j < items.size(); ++j)
      if (!valid[j]) decoded[item_line[j]].code = ErrorCode::kInvalidSignature;
    out.clear();
    for (const Decoded& d : decoded) {
      std::string_view verdict = d.code == ErrorCode::kOk ? "valid" : error_name(d.code);
      ++counts[verdict];
      out.append(verdict);
      out.push_back('\n');
    }
    total += decoded.size();
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::fflush(stdout);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "blockgate verify: " << total << " transactions in " << seconds << " s ("
            << (seconds > 0 ? total / seconds : 0) << " tx/s overall, "
            << (verify_seconds > 0 ? total / verify_seconds : 0) << " tx/s in the backend) on "
            << (*backend)->description() << "\n";
  for (const auto& [k, v] : counts) std::cerr << "  " << k << ": " << v << "\n";
  return 0;
}

}  // namespace bg::cmd
