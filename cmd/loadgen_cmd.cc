// PLACEHOLDER: `blockgate loadgen` lands with its issue.
#include <iostream>

#include "cmd/commands.h"

namespace bg::cmd {

int loadgen(int, char**) {
  std::cerr << "blockgate loadgen: not built yet\n";
  return 2;
}

}  // namespace bg::cmd
