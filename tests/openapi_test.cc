// docs/openapi.yaml describes exactly the server's route table: every
// (method, pattern) of Api::routes() is under `paths:` and nothing else is.
// A small line parser suffices: path keys are the two-space-indented keys
// under the top-level `paths:`, their operations the four-space-indented ones.
#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "server/api.h"

namespace bg {
namespace {

using Op = std::pair<std::string, std::string>;  // (method in upper case, path)

std::set<Op> openapi_operations(const std::string& file) {
  std::ifstream f(file);
  std::set<Op> ops;
  bool in_paths = false;
  std::string path, line;
  static const std::regex path_key("^  (/[^:]*):\\s*$");
  static const std::regex op_key("^    (get|put|post|delete|options|head|patch|trace):\\s*$");
  while (std::getline(f, line)) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    std::smatch m;
    if (std::regex_match(line, m, path_key)) {
      path = m[1].str();
      if (path.size() > 1 && path.front() == '"') path = path.substr(1, path.size() - 2);
    } else if (std::regex_match(line, m, op_key) && !path.empty()) {
      std::string method = m[1].str();
      for (char& c : method) c = char(std::toupper(static_cast<unsigned char>(c)));
      ops.insert({method, path});
    }
  }
  return ops;
}

TEST(OpenApi, PathsAreExactlyTheRouteTable) {
  const std::set<Op> documented = openapi_operations(std::string(BLOCKGATE_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_FALSE(documented.empty()) << "no paths in docs/openapi.yaml";
  std::set<Op> routes;
  for (const Route& r : Api::routes())
    routes.insert({std::string(boost::beast::http::to_string(r.method)), std::string(r.pattern)});
  for (const Op& op : routes)
    EXPECT_TRUE(documented.count(op)) << op.first << " " << op.second << " is a route but not in docs/openapi.yaml";
  for (const Op& op : documented)
    EXPECT_TRUE(routes.count(op)) << op.first << " " << op.second << " is in docs/openapi.yaml but not a route";
}

TEST(OpenApi, DeclaresVersion31AndEveryPathParameter) {
  std::ifstream f(std::string(BLOCKGATE_SOURCE_DIR) + "/docs/openapi.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  EXPECT_EQ(text.rfind("openapi: 3.1", 0), 0u) << "the file starts with openapi: 3.1.x";
  // Every {param} in a route pattern is a declared path parameter.
  for (const Route& r : Api::routes()) {
    const std::string p(r.pattern);
    for (size_t b = p.find('{'); b != std::string::npos; b = p.find('{', b + 1)) {
      const std::string name = p.substr(b + 1, p.find('}', b) - b - 1);
      EXPECT_TRUE(std::regex_search(text, std::regex("name: " + name + "\\s+in: path"))) << name;
    }
  }
}

}  // namespace
}  // namespace bg
