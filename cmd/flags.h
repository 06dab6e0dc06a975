// One flag table per command: each row names a flag once (name, value kind,
// value name, help line, validation) and says which field of the command's
// options it sets. The same table parses argv (`--name value`, `--name=value`,
// switches) and prints `blockgate <cmd> --help`; defaults shown in the help are
// read from a default-constructed options struct, so they live in one place.
//
// Adding a flag is one row: see "How to add a flag" in docs/ARCHITECTURE.md.
#pragma once

#include <absl/status/status.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "host/status_macros.h"

namespace bg::cmd {

// String concatenation over std::string_view (this Abseil's StrCat takes its
// own string_view type, not the standard one).
namespace flags_internal {
inline void append(std::string& out, std::string_view s) { out.append(s); }
inline void append(std::string& out, uint64_t v) { out += std::to_string(v); }
}  // namespace flags_internal
template <class... A>
std::string cat(const A&... parts) {
  std::string out;
  (flags_internal::append(out, parts), ...);
  return out;
}

// How a value of type T is read from and written to the command line. One
// specialization per field type that flags may set.
template <class T>
struct FlagValue;

template <>
struct FlagValue<uint64_t> {  // size_t too (the same type on LP64)
  static constexpr std::string_view kKind = "integer";
  static constexpr std::string_view kValueName = "N";
  static absl::Status parse(std::string_view text, uint64_t* out) {
    // Digits only: SimpleAtoi would take "+5" and " 5".
    if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string_view::npos ||
        !absl::SimpleAtoi(absl::string_view(text.data(), text.size()), out))
      return absl::InvalidArgumentError(cat("needs a non-negative integer, got '", text, "'"));
    return absl::OkStatus();
  }
  static std::string format(uint64_t v) { return std::to_string(v); }
};
static_assert(std::is_same_v<size_t, uint64_t>, "flags use one integer type for size_t and uint64_t");

template <>
struct FlagValue<std::string> {
  static constexpr std::string_view kKind = "string";
  static constexpr std::string_view kValueName = "TEXT";
  static absl::Status parse(std::string_view text, std::string* out) {
    *out = std::string(text);
    return absl::OkStatus();
  }
  static std::string format(const std::string& v) { return v; }
};

template <>
struct FlagValue<std::optional<std::string>> {
  static constexpr std::string_view kKind = "string";
  static constexpr std::string_view kValueName = "TEXT";
  static absl::Status parse(std::string_view text, std::optional<std::string>* out) {
    *out = std::string(text);
    return absl::OkStatus();
  }
  static std::string format(const std::optional<std::string>& v) { return v ? *v : std::string(); }
};

template <>
struct FlagValue<std::chrono::milliseconds> {
  static constexpr std::string_view kKind = "milliseconds";
  static constexpr std::string_view kValueName = "MS";
  static absl::Status parse(std::string_view text, std::chrono::milliseconds* out) {
    uint64_t v = 0;
    BG_RETURN_IF_ERROR(FlagValue<uint64_t>::parse(text, &v));
    *out = std::chrono::milliseconds(v);
    return absl::OkStatus();
  }
  static std::string format(std::chrono::milliseconds v) { return std::to_string(v.count()); }
};

// One row. Built by FlagTable::add*; the builder methods refine it.
template <class O>
struct Flag {
  std::string name;        // without the leading "--"
  std::string value_name;  // "N", "DIR", ...; empty for a switch
  std::string kind;        // "integer", "string", "milliseconds", "switch", ...
  std::string help;        // one line
  std::function<absl::Status(O&, std::string_view)> set;
  std::function<std::string(const O&)> show;  // the value as the help prints it
  std::vector<std::string> choices;           // empty: any value
  std::optional<uint64_t> minimum;            // integers only
  bool required = false;

  bool is_switch() const { return kind == "switch"; }

  // Builders, so that a row stays one statement.
  Flag& value(std::string_view v) {
    value_name = std::string(v);
    return *this;
  }
  Flag& one_of(std::vector<std::string> c) {
    choices = std::move(c);
    if (value_name.empty() || value_name == "TEXT") value_name = absl::StrJoin(choices, "|");
    return *this;
  }
  Flag& at_least(uint64_t m) {
    minimum = m;
    return *this;
  }
  Flag& needed() {
    required = true;
    return *this;
  }
};

// What parse() found besides the values it stored.
struct ParsedFlags {
  bool help = false;                // --help / -h: print help() and exit 0
  std::set<std::string> given;      // names that appeared on the command line
  bool has(const std::string& name) const { return given.count(name) > 0; }
};

template <class O>
class FlagTable {
 public:
  // `command` is the subcommand name ("serve"); `summary` its one-line
  // description (the same line `blockgate --help` lists).
  FlagTable(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

  // A flag that sets field `m` (of O or of a base of O).
  template <class B, class T>
    requires std::is_base_of_v<B, O>
  Flag<O>& add(std::string_view name, T B::*m, std::string_view help) {
    return add_typed<T>(name, help, [m](auto& o) -> auto& { return o.*m; });
  }
  // A flag that sets field `m` of member struct `s` (e.g. the ledger options).
  template <class B, class S, class T>
    requires std::is_base_of_v<B, O>
  Flag<O>& add(std::string_view name, S B::*s, T S::*m, std::string_view help) {
    return add_typed<T>(name, help, [s, m](auto& o) -> auto& { return (o.*s).*m; });
  }
  // A switch (no value): sets a bool field to true.
  template <class B>
    requires std::is_base_of_v<B, O>
  Flag<O>& add_switch(std::string_view name, bool B::*m, std::string_view help) {
    Flag<O>& f = push(name, help, "switch", "");
    f.set = [m](O& o, std::string_view) {
      o.*m = true;
      return absl::OkStatus();
    };
    f.show = [m](const O& o) { return std::string(o.*m ? "on" : "off"); };
    return f;
  }
  // A switch that sets a bool field of member struct `s`.
  template <class B, class S>
    requires std::is_base_of_v<B, O>
  Flag<O>& add_switch(std::string_view name, S B::*s, bool S::*m, std::string_view help) {
    Flag<O>& f = push(name, help, "switch", "");
    f.set = [s, m](O& o, std::string_view) {
      (o.*s).*m = true;
      return absl::OkStatus();
    };
    f.show = [s, m](const O& o) { return std::string((o.*s).*m ? "on" : "off"); };
    return f;
  }
  // A rule over several flags, checked after every flag is parsed (e.g.
  // "--min-batch must not exceed --max-batch"); its error is a usage error.
  void check(std::function<absl::Status(const O&)> rule) { checks_.push_back(std::move(rule)); }

  // A flag whose value needs more than a field assignment (HOST:PORT, a file
  // to read). `show` prints the current value for the help's default.
  Flag<O>& add_custom(std::string_view name, std::string_view value_name, std::string_view kind,
                      std::string_view help, std::function<absl::Status(O&, std::string_view)> set,
                      std::function<std::string(const O&)> show) {
    Flag<O>& f = push(name, help, kind, value_name);
    f.set = std::move(set);
    f.show = std::move(show);
    return f;
  }

  const std::string& command() const { return command_; }
  const std::string& summary() const { return summary_; }
  const std::deque<Flag<O>>& flags() const { return flags_; }

  // Parses argv[1..argc) (argv[0] is the subcommand) into *out, which holds
  // the defaults on entry. Errors name the flag; the caller exits 2.
  absl::Status parse(int argc, char** argv, O* out, ParsedFlags* parsed) const {
    // Help wins over whatever else is on the line, errors included.
    for (int i = 1; i < argc; ++i) {
      if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
        parsed->help = true;
        return absl::OkStatus();
      }
    }
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg.substr(0, 2) != "--" || arg.size() == 2)
        return absl::InvalidArgumentError(cat("unexpected argument '", arg, "'"));
      std::string_view name = arg.substr(2), value;
      bool inline_value = false;
      if (size_t eq = name.find('='); eq != std::string_view::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      const Flag<O>* f = find(name);
      if (f == nullptr) return absl::InvalidArgumentError(cat("unknown flag --", name));
      if (f->is_switch()) {
        if (inline_value) return absl::InvalidArgumentError(cat("--", name, " takes no value"));
      } else if (!inline_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(cat("--", name, " needs a value"));
        value = argv[++i];
      }
      if (!f->choices.empty() && std::find(f->choices.begin(), f->choices.end(), value) == f->choices.end())
        return absl::InvalidArgumentError(
            cat("--", name, " must be one of ", absl::StrJoin(f->choices, ", "), ", got '", value, "'"));
      if (f->minimum) {
        uint64_t v = 0;
        if (FlagValue<uint64_t>::parse(value, &v).ok() && v < *f->minimum)
          return absl::InvalidArgumentError(cat("--", name, " must be at least ", *f->minimum));
      }
      if (absl::Status st = f->set(*out, value); !st.ok())
        return absl::Status(st.code(), cat("--", name, " ", std::string(st.message())));
      parsed->given.insert(std::string(name));
    }
    if (parsed->help) return absl::OkStatus();
    for (const Flag<O>& f : flags_)
      if (f.required && !parsed->has(f.name))
        return absl::InvalidArgumentError(cat("--", f.name, " is required"));
    for (const auto& rule : checks_)
      if (absl::Status st = rule(*out); !st.ok()) return st;
    return absl::OkStatus();
  }

  // `blockgate <cmd> --help`: usage, summary, then one line per flag with its
  // kind and default.
  std::string help() const {
    const O defaults{};
    std::vector<std::pair<std::string, std::string>> rows;
    size_t width = 0;
    for (const Flag<O>& f : flags_) {
      std::string left = cat("--", f.name);
      if (!f.is_switch()) left += cat(" ", f.value_name);
      std::string right = f.help;
      std::vector<std::string> notes{f.kind};
      if (f.required) {
        notes.push_back("required");
      } else if (!f.is_switch() && f.help.find("(default:") == std::string::npos) {
        std::string d = f.show(defaults);
        notes.push_back(cat("default: ", d.empty() ? "none" : d));
      }
      if (f.minimum) notes.push_back(cat("at least ", *f.minimum));
      right += cat(" [", absl::StrJoin(notes, ", "), "]");
      width = std::max(width, left.size());
      rows.emplace_back(std::move(left), std::move(right));
    }
    rows.emplace_back("-h, --help", "print this help and exit");
    width = std::max<size_t>(width, 10);
    std::string out = cat("usage: blockgate ", command_, " [flags]\n", summary_, "\n\nflags:\n");
    for (const auto& [left, right] : rows)
      out += cat("  ", left, std::string(width + 2 - left.size(), ' '), right, "\n");
    return out;
  }

 private:
  const Flag<O>* find(std::string_view name) const {
    for (const Flag<O>& f : flags_)
      if (f.name == name) return &f;
    return nullptr;
  }

  Flag<O>& push(std::string_view name, std::string_view help, std::string_view kind, std::string_view value_name) {
    // A duplicate name is a programming error in a table; fail loudly at start-up.
    if (find(name) != nullptr) throw std::logic_error(cat("flag --", name, " defined twice"));
    Flag<O> f;
    f.name = std::string(name);
    f.help = std::string(help);
    f.kind = std::string(kind);
    f.value_name = std::string(value_name);
    flags_.push_back(std::move(f));
    return flags_.back();
  }

  template <class T, class Access>
  Flag<O>& add_typed(std::string_view name, std::string_view help, Access access) {
    Flag<O>& f = push(name, help, FlagValue<T>::kKind, FlagValue<T>::kValueName);
    f.set = [access](O& o, std::string_view text) { return FlagValue<T>::parse(text, &access(o)); };
    f.show = [access](const O& o) { return FlagValue<T>::format(access(o)); };
    return f;
  }

  std::string command_;
  std::string summary_;
  std::deque<Flag<O>> flags_;  // a deque: the builders' references stay valid
  std::vector<std::function<absl::Status(const O&)>> checks_;
};

// The common start of every command: parse, answer --help (exit 0) or a usage
// error (message plus a pointer to --help, exit 2). Returns the exit code to
// stop with, or nullopt to go on.
template <class O>
std::optional<int> parse_command_line(const FlagTable<O>& table, int argc, char** argv, O* out,
                                      ParsedFlags* parsed) {
  absl::Status st = table.parse(argc, argv, out, parsed);
  if (st.ok() && parsed->help) {
    std::cout << table.help();
    return 0;
  }
  if (!st.ok()) {
    std::cerr << "blockgate " << table.command() << ": " << st.message() << "\n"
              << "run 'blockgate " << table.command() << " --help' for the flags\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace bg::cmd
