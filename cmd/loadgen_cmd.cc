// `blockgate loadgen`: signed load against a running server (SPEC §5). Exit 0
// only when every transaction came back committed (or verified) with its id.
#include <sys/resource.h>

#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "server/loadgen.h"

namespace bg::cmd {

namespace {

struct LoadgenConfig {
  std::optional<std::string> url;
  std::optional<std::string> out;
  std::string scheme = "ed25519";
  uint64_t transactions = 10000;
  uint64_t batch = 250;
  uint64_t connections = 8;
  std::string wait = "commit";
  uint64_t seed = 1;
  uint64_t keys = 4;
  uint64_t payload_bytes = 64;
  std::chrono::milliseconds timeout{60000};
  bool binary = false;
  std::string ca_file;
};

const FlagTable<LoadgenConfig>& loadgen_flags() {
  static const FlagTable<LoadgenConfig> table = [] {
    FlagTable<LoadgenConfig> t("loadgen", std::string(command_summary("loadgen")));
    t.add("url", &LoadgenConfig::url, "server to load, e.g. http://127.0.0.1:8700 (or --out)").value("URL");
    t.add("out", &LoadgenConfig::out, "write the signed transactions as JSON lines instead (input for verify)")
        .value("FILE");
    t.add("scheme", &LoadgenConfig::scheme, "signature scheme, or mixed for all of them in turn").value("SCHEME|mixed");
    t.add("transactions", &LoadgenConfig::transactions, "transactions to sign and send");
    t.add("batch", &LoadgenConfig::batch, "transactions per request").at_least(1);
    t.add("connections", &LoadgenConfig::connections, "keep-alive connections sending in parallel").at_least(1);
    t.add("wait", &LoadgenConfig::wait, "answer after commit (durable) or after verification").one_of({"commit", "verify"});
    t.add("seed", &LoadgenConfig::seed, "seed for keys and payloads (the same seed signs the same load)");
    t.add("keys", &LoadgenConfig::keys, "signing keys per scheme");
    t.add("payload-bytes", &LoadgenConfig::payload_bytes, "payload size of each transaction");
    t.add("timeout-ms", &LoadgenConfig::timeout, "per-request timeout");
    t.add_switch("binary", &LoadgenConfig::binary, "send application/octet-stream bodies instead of JSON");
    t.add("ca-file", &LoadgenConfig::ca_file, "https:// URLs: PEM CA of the server certificate (default: system store)")
        .value("FILE");
    return t;
  }();
  return table;
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// One transaction per line: the plan's bodies are JSON arrays whose elements
// contain no newline, so splitting them needs no re-encoding.
int write_plan(const LoadPlan& plan, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "blockgate loadgen: cannot open " << path << "\n";
    return 2;
  }
  for (const LoadPlan::Batch& b : plan.batches) {
    boost::json::value v = boost::json::parse(b.body);
    for (const boost::json::value& tx : v.as_array()) out << boost::json::serialize(tx) << '\n';
  }
  out.close();
  if (!out) {
    std::cerr << "blockgate loadgen: writing " << path << " failed\n";
    return 2;
  }
  std::cerr << "loadgen: wrote " << plan.transactions << " transactions to " << path << "\n";
  return 0;
}

}  // namespace

int loadgen(int argc, char** argv) {
  LoadgenConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(loadgen_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  if (cfg.url.has_value() == cfg.out.has_value()) {
    std::cerr << "blockgate loadgen: give exactly one of --url and --out\n";
    return 2;
  }
  auto url = parse_http_url(cfg.url ? *cfg.url : "http://unused:1");
  if (!url.ok()) {
    std::cerr << "blockgate loadgen: --url " << url.status().message() << "\n";
    return 2;
  }
  const std::string& wait = cfg.wait;

  LoadPlanOptions plan_opts;
  plan_opts.scheme = cfg.scheme;
  plan_opts.transactions = cfg.transactions;
  plan_opts.batch = cfg.batch;
  plan_opts.seed = cfg.seed;
  plan_opts.keys_per_scheme = cfg.keys;
  plan_opts.payload_bytes = cfg.payload_bytes;
  if (cfg.binary && cfg.out) {
    std::cerr << "blockgate loadgen: --out writes JSON lines; --binary applies to sending\n";
    return 2;
  }
  plan_opts.binary = cfg.binary;
  std::cerr << "loadgen: signing " << cfg.transactions << " " << plan_opts.scheme << " transactions...\n";
  auto plan = build_load_plan(plan_opts);
  if (!plan.ok()) {
    std::cerr << "blockgate loadgen: " << plan.status().message() << "\n";
    return 2;
  }

  if (cfg.out) return write_plan(*plan, *cfg.out);

  LoadRunOptions run_opts;
  run_opts.url = *url;
  run_opts.ca_file = cfg.ca_file;
  run_opts.wait = wait == "commit" ? WaitMode::kCommit : WaitMode::kVerify;
  run_opts.connections = cfg.connections;
  run_opts.timeout = cfg.timeout;
  std::cerr << "loadgen: sending " << plan->batches.size() << " requests of up to " << cfg.batch << " over "
            << cfg.connections << " connections to " << *cfg.url << " (wait=" << wait << ")\n";
  const double cpu_before = process_cpu_seconds();
  LoadReport report = run_load(*plan, run_opts);
  const double cpu = process_cpu_seconds() - cpu_before;
  std::cout << format_report(report, run_opts.wait);
  // The client shares the machine with the server when both run locally; its
  // own CPU time says how much of the box the measurement itself took.
  std::cout << "loadgen: client CPU " << cpu << " s over " << report.seconds << " s wall\n";
  return report.all_ok() ? 0 : 1;
}

}  // namespace bg::cmd
