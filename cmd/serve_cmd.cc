// `blockgate serve`: parses the SPEC §5 flags (and the extras documented in
// docs/SERVER.md), starts the server, prints the one "listening" line on
// stdout once it accepts connections, and returns 0 after a clean drain.
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/args.h"
#include "host/kernel_variants.h"
#include "cmd/commands.h"
#include "server/server.h"

namespace bg::cmd {
namespace {

absl::Status parse_listen(const std::string& listen, ServerOptions* o) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("--listen needs HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  uint32_t port;
  if (host.empty() || !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port > 65535)
    return absl::InvalidArgumentError("--listen needs HOST:PORT with a port in 0..65535");
  o->host = host;
  o->port = uint16_t(port);
  return absl::OkStatus();
}

absl::Status parse_flags(int argc, char** argv, ServerOptions* o) {
  auto args = Args::parse(argc, argv,
                          {"data", "listen", "backend", "max-body-bytes", "block-interval-ms", "max-block-txs",
                           "max-connections", "auth-token-file", "max-batch", "batch-deadline-us",
                           "max-pending-txs", "max-pending-blocks", "max-payload-bytes", "io-threads",
                           "verify-threads", "idle-timeout-ms", "header-timeout-ms", "body-timeout-ms",
                           "write-timeout-ms", "gpu-variant"});
  if (!args.ok()) return args.status();
  o->data_dir = args->get("data", o->data_dir);
  o->backend = args->get("backend", o->backend);
  if (args->has("listen"))
    if (absl::Status st = parse_listen(args->get("listen"), o); !st.ok()) return st;
  struct U64Flag {
    const char* name;
    uint64_t* dst;
  };
  uint64_t io_threads = o->io_threads, verify_threads = o->verify_threads;
  uint64_t idle = o->idle_timeout.count(), header = o->header_timeout.count(), body = o->body_timeout.count(),
           write = o->write_timeout.count();
  for (const U64Flag& f : {U64Flag{"max-body-bytes", &o->max_body_bytes}, U64Flag{"block-interval-ms", &o->block_interval_ms},
                           U64Flag{"max-block-txs", &o->max_block_txs}, U64Flag{"max-connections", &o->max_connections},
                           U64Flag{"max-batch", &o->max_batch}, U64Flag{"batch-deadline-us", &o->batch_deadline_us},
                           U64Flag{"max-pending-txs", &o->max_pending_txs},
                           U64Flag{"max-pending-blocks", &o->max_pending_blocks},
                           U64Flag{"max-payload-bytes", &o->max_payload_bytes}, U64Flag{"io-threads", &io_threads},
                           U64Flag{"verify-threads", &verify_threads}, U64Flag{"idle-timeout-ms", &idle},
                           U64Flag{"header-timeout-ms", &header}, U64Flag{"body-timeout-ms", &body},
                           U64Flag{"write-timeout-ms", &write}}) {
    auto v = args->get_u64(f.name, *f.dst);
    if (!v.ok()) return v.status();
    *f.dst = *v;
  }
  if (o->max_block_txs == 0 || o->max_batch == 0 || o->max_connections == 0)
    return absl::InvalidArgumentError("--max-block-txs, --max-batch and --max-connections must be positive");
  o->io_threads = io_threads;
  o->verify_threads = verify_threads;
  o->idle_timeout = std::chrono::milliseconds(idle);
  o->header_timeout = std::chrono::milliseconds(header);
  o->body_timeout = std::chrono::milliseconds(body);
  o->write_timeout = std::chrono::milliseconds(write);
  if (args->has("gpu-variant"))
    if (absl::Status st = parse_kernel_variants(args->get("gpu-variant"), &o->kernel_variant); !st.ok())
      return absl::InvalidArgumentError(absl::StrCat("--gpu-variant: ", st.message()));
  if (args->has("auth-token-file")) {
    std::ifstream f(args->get("auth-token-file"));
    if (!f) return absl::InvalidArgumentError("cannot read --auth-token-file " + args->get("auth-token-file"));
    std::stringstream ss;
    ss << f.rdbuf();
    o->auth_token = std::string(absl::StripAsciiWhitespace(ss.str()));
    if (o->auth_token.empty()) return absl::InvalidArgumentError("--auth-token-file is empty");
  }
  return absl::OkStatus();
}

}  // namespace

int serve(int argc, char** argv) {
  ServerOptions opts;
  if (absl::Status st = parse_flags(argc, argv, &opts); !st.ok()) {
    std::cerr << "blockgate serve: " << st.message() << "\n";
    return 2;
  }
  auto server = Server::create(opts);
  if (!server.ok()) {
    std::cerr << "blockgate serve: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "blockgate listening on " << (*server)->url() << std::endl;  // endl flushes: scripts wait for it
  absl::Status st = (*server)->run();
  server->reset();  // drains the ledger's queue before we say goodbye
  if (!st.ok()) {
    std::cerr << "blockgate serve: " << st.message() << "\n";
    return 1;
  }
  std::cerr << "blockgate serve: stopped cleanly\n";
  return 0;
}

}  // namespace bg::cmd
