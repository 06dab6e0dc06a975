// `blockgate loadgen`: signed load against a running server (SPEC §5). Exit 0
// only when every transaction came back committed (or verified) with its id.
#include <sys/resource.h>

#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "server/loadgen.h"

namespace bg::cmd {

namespace {

constexpr const char* kLoadgenUsage =
    "usage: blockgate loadgen --url URL [--scheme ed25519|secp256k1|p256|mixed] [--transactions N]\n"
    "                         [--batch B] [--connections C] [--wait commit|verify] [--seed S]\n"
    "                         [--keys K] [--payload-bytes P] [--timeout-ms T] [--binary]\n"
    "                         [--ca-file PEM]   (https:// URLs: CA of the server certificate)\n"
    "       blockgate loadgen --out FILE [--scheme S] [--transactions N] ...\n"
    "  --out writes the signed transactions as JSON lines (input for `blockgate verify`)\n"
    "  instead of sending them. --binary sends application/octet-stream bodies.\n"
    "  Defaults: --scheme ed25519 --transactions 10000 --batch 250 --connections 8 --wait commit\n";

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
  auto args = Args::parse(argc, argv,
                          {"url", "scheme", "transactions", "batch", "connections", "wait", "seed", "keys",
                           "payload-bytes", "timeout-ms", "out", "ca-file"},
                          {"help", "binary"});
  if (!args.ok()) {
    std::cerr << "blockgate loadgen: " << args.status().message() << "\n" << kLoadgenUsage;
    return 2;
  }
  if (args->has("help")) {
    std::cout << kLoadgenUsage;
    return 0;
  }
  if (args->has("url") == args->has("out")) {
    std::cerr << "blockgate loadgen: give exactly one of --url and --out\n" << kLoadgenUsage;
    return 2;
  }
  auto url = parse_http_url(args->has("url") ? args->get("url") : "http://unused:1");
  auto transactions = args->get_u64("transactions", 10000);
  auto batch = args->get_u64("batch", 250);
  auto connections = args->get_u64("connections", 8);
  auto seed = args->get_u64("seed", 1);
  auto keys = args->get_u64("keys", 4);
  auto payload = args->get_u64("payload-bytes", 64);
  auto timeout_ms = args->get_u64("timeout-ms", 60000);
  for (const absl::Status& s : {url.status(), transactions.status(), batch.status(), connections.status(),
                                seed.status(), keys.status(), payload.status(), timeout_ms.status()}) {
    if (!s.ok()) {
      std::cerr << "blockgate loadgen: " << s.message() << "\n";
      return 2;
    }
  }
  const std::string wait = args->get("wait", "commit");
  if (wait != "commit" && wait != "verify") {
    std::cerr << "blockgate loadgen: --wait must be commit or verify\n";
    return 2;
  }
  if (*connections == 0 || *batch == 0) {
    std::cerr << "blockgate loadgen: --connections and --batch must be at least 1\n";
    return 2;
  }

  LoadPlanOptions plan_opts;
  plan_opts.scheme = args->get("scheme", "ed25519");
  plan_opts.transactions = *transactions;
  plan_opts.batch = *batch;
  plan_opts.seed = *seed;
  plan_opts.keys_per_scheme = *keys;
  plan_opts.payload_bytes = *payload;
  if (args->has("binary") && args->has("out")) {
    std::cerr << "blockgate loadgen: --out writes JSON lines; --binary applies to sending\n";
    return 2;
  }
  plan_opts.binary = args->has("binary");
  std::cerr << "loadgen: signing " << *transactions << " " << plan_opts.scheme << " transactions...\n";
  auto plan = build_load_plan(plan_opts);
  if (!plan.ok()) {
    std::cerr << "blockgate loadgen: " << plan.status().message() << "\n";
    return 2;
  }

  if (args->has("out")) return write_plan(*plan, args->get("out"));

  LoadRunOptions run_opts;
  run_opts.url = *url;
  run_opts.ca_file = args->get("ca-file");
  run_opts.wait = wait == "commit" ? WaitMode::kCommit : WaitMode::kVerify;
  run_opts.connections = *connections;
  run_opts.timeout = std::chrono::milliseconds(*timeout_ms);
  std::cerr << "loadgen: sending " << plan->batches.size() << " requests of up to " << *batch << " over "
            << *connections << " connections to " << args->get("url") << " (wait=" << wait << ")\n";
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
