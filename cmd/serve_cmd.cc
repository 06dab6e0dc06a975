// PLACEHOLDER: `blockgate serve` lands with its issue.
#include <iostream>

#include "cmd/commands.h"

namespace bg::cmd {

int serve(int, char**) {
  std::cerr << "blockgate serve: not built yet\n";
  return 2;
}

}  // namespace bg::cmd
