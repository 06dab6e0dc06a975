// A small command-line flag parser for the helper tools (bench/, tools/):
// `--name value` or `--name=value`, boolean `--name`, and a clear error for
// anything unknown. The `blockgate` commands themselves use the flag tables of
// cmd/flags.h, which also print --help.
#pragma once

#include <absl/status/statusor.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bg::cmd {

class Args {
 public:
  // `valued` flags take a value; `switches` do not. argv[0] is the subcommand.
  static absl::StatusOr<Args> parse(int argc, char** argv, const std::set<std::string>& valued,
                                    const std::set<std::string>& switches = {}) {
    Args a;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0) return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
      std::string name = arg.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (switches.count(name)) {
        if (has_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
        a.values_[name] = "1";
        continue;
      }
      if (!valued.count(name)) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
      if (!has_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      a.values_[name] = value;
    }
    return a;
  }

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& def = "") const {
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  absl::StatusOr<uint64_t> get_u64(const std::string& name, uint64_t def) const {
    auto it = values_.find(name);
    if (it == values_.end()) return def;
    uint64_t v;
    if (!absl::SimpleAtoi(it->second, &v))
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a non-negative integer, got '", it->second, "'"));
    return v;
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace bg::cmd
