// PLACEHOLDER: `blockgate audit` lands with its issue.
#include <iostream>

#include "cmd/commands.h"

namespace bg::cmd {

int audit(int, char**) {
  std::cerr << "blockgate audit: not built yet\n";
  return 2;
}

}  // namespace bg::cmd
