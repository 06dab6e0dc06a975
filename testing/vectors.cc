// Reading the JSON-lines test vectors (see vectors.h).
#include "testing/vectors.h"

#include <boost/json.hpp>
#include <fstream>

#include "testing/process.h"

namespace bg::testing {

std::vector<VectorLine> read_vectors(const std::string& file) {
  std::ifstream in(testvectors_dir() + "/" + file);
  std::vector<VectorLine> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    boost::json::object o = boost::json::parse(line).as_object();
    out.push_back({line, std::string(o["expected"].as_string()), std::string(o["scheme"].as_string()),
                   std::string(o["source"].as_string())});
  }
  return out;
}

}  // namespace bg::testing
