// `blockgate audit --data DIR [--backend B]`: re-validates the whole ledger
// read-only (ledger/audit.h) and ends with the SPEC §5 verdict line.
#include <cstdio>
#include <iostream>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "host/backend.h"
#include "ledger/audit.h"

namespace bg::cmd {

int audit(int argc, char** argv) {
  auto args = Args::parse(argc, argv, {"data", "backend", "threads"});
  if (!args.ok()) {
    std::cerr << "blockgate audit: " << args.status().message() << "\n";
    return 2;
  }
  if (!args->has("data")) {
    std::cerr << "blockgate audit: --data DIR is required\n";
    return 2;
  }
  auto threads = args->get_u64("threads", 0);
  if (!threads.ok()) {
    std::cerr << "blockgate audit: " << threads.status().message() << "\n";
    return 2;
  }
  BackendOptions bopts;
  bopts.cpu_threads = *threads;
  auto backend = make_backend(args->get("backend", "auto"), bopts);
  if (!backend.ok()) {
    std::cerr << "blockgate audit: " << backend.status().message() << "\n";
    return 2;
  }
  const std::string dir = args->get("data");
  auto rep = audit_ledger(dir, **backend);
  if (!rep.ok()) {
    // No data to judge (missing directory, unreadable file, backend error).
    std::cout << "audit failed at height 0: " << rep.status().message() << std::endl;
    return 1;
  }
  if (!rep->tail_note.empty()) std::cerr << "note: " << rep->tail_note << "\n";
  if (!rep->index_note.empty()) std::cerr << "note: " << rep->index_note << "\n";
  else std::cerr << "index: " << rep->index_entries_checked << " entries checked against the segments\n";
  std::cerr << "audited " << rep->blocks << " blocks, " << rep->transactions << " transactions, "
            << rep->signatures_checked << " signatures with backend " << (*backend)->name() << " in "
            << rep->seconds << " s\n";
  std::cout << audit_last_line(*rep) << std::endl;
  return rep->ok ? 0 : 1;
}

}  // namespace bg::cmd
