// What `blockgate serve` is configured with: the server's options, the
// ledger's options, and the flag table that fills them (cmd/serve_cmd.cc).
#pragma once

#include "cmd/flags.h"
#include "ledger/ledger.h"
#include "server/options.h"

namespace bg::cmd {

struct ServeConfig : ServerOptions {
  LedgerOptions ledger;
};

const FlagTable<ServeConfig>& serve_flags();

}  // namespace bg::cmd
