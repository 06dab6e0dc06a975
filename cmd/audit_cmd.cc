// `blockgate audit --data DIR [--backend B]`: re-validates the whole ledger
// read-only (ledger/audit.h) and ends with the SPEC §5 verdict line.
#include <cstdio>
#include <iostream>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "host/backend.h"
#include "ledger/audit.h"

namespace bg::cmd {
namespace {

struct AuditConfig {
  std::string data;
  std::string backend = "auto";
  uint64_t threads = 0;
};

const FlagTable<AuditConfig>& audit_flags() {
  static const FlagTable<AuditConfig> table = [] {
    FlagTable<AuditConfig> t("audit", std::string(command_summary("audit")));
    t.add("data", &AuditConfig::data, "ledger directory to audit").value("DIR").needed();
    t.add("backend", &AuditConfig::backend, "signature verification: auto, cpu, gpu or kernels-on-cpu")
        .value("NAME");
    t.add("threads", &AuditConfig::threads, "CPU backend threads (0: every core)");
    return t;
  }();
  return table;
}

}  // namespace

int audit(int argc, char** argv) {
  AuditConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(audit_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  BackendOptions bopts;
  bopts.cpu_threads = cfg.threads;
  auto backend = make_backend(cfg.backend, bopts);
  if (!backend.ok()) {
    std::cerr << "blockgate audit: " << backend.status().message() << "\n";
    return 2;
  }
  const std::string dir = cfg.data;
  auto rep = audit_ledger(dir, **backend);
  if (!rep.ok()) {
    // No data to judge (missing directory, unreadable file, backend error).
    std::cout << "audit failed at height 0: " << rep.status().message() << std::endl;
    return 1;
  }
  if (!rep->tail_note.empty()) std::cerr << "note: " << rep->tail_note << "\n";
  if (!rep->index_note.empty()) std::cerr << "note: " << rep->index_note << "\n";
  else std::cerr << "index: " << rep->index_entries_checked << " entries checked against the segments\n";
  if (!rep->filter_note.empty()) std::cerr << rep->filter_note << "\n";
  std::cerr << "audited " << rep->blocks << " blocks, " << rep->transactions << " transactions, "
            << rep->signatures_checked << " signatures with backend " << (*backend)->name() << " in "
            << rep->seconds << " s\n";
  std::cout << audit_last_line(*rep) << std::endl;
  return rep->ok ? 0 : 1;
}

}  // namespace bg::cmd
