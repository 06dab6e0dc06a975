// FlagTable (cmd/flags.h) on its own: every kind of row, both value
// spellings, the validations, whole-config rules and the help text.
#include "cmd/flags.h"

#include <gtest/gtest.h>

namespace bg::cmd {
namespace {

struct Inner {
  uint64_t cache = 8;
  bool verify = false;
};
struct Base {
  std::string name = "x";
};
struct Config : Base {
  uint64_t lo = 1, hi = 10;
  std::chrono::milliseconds wait{250};
  std::optional<std::string> out;
  std::string mode = "fast";
  bool loud = false;
  Inner inner;
};

FlagTable<Config> table() {
  FlagTable<Config> t("demo", "a demo command");
  t.add("name", &Base::name, "a name").value("NAME").needed();
  t.add("lo", &Config::lo, "low bound");
  t.add("hi", &Config::hi, "high bound").at_least(2);
  t.add("wait", &Config::wait, "how long");
  t.add("out", &Config::out, "output file").value("FILE");
  t.add("mode", &Config::mode, "speed").one_of({"fast", "slow"});
  t.add_switch("loud", &Config::loud, "talk more");
  t.add("cache", &Config::inner, &Inner::cache, "cache size");
  t.add_switch("verify", &Config::inner, &Inner::verify, "check everything");
  t.check([](const Config& c) {
    return c.lo <= c.hi ? absl::OkStatus() : absl::InvalidArgumentError("--lo must not exceed --hi");
  });
  return t;
}

absl::Status parse(std::vector<std::string> args, Config* c, ParsedFlags* p) {
  args.insert(args.begin(), "demo");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return table().parse(int(argv.size()), argv.data(), c, p);
}

TEST(FlagTable, EveryRowKindSetsItsField) {
  Config c;
  ParsedFlags p;
  ASSERT_TRUE(parse({"--name", "n", "--lo=3", "--hi", "4", "--wait=7", "--out", "f", "--mode=slow", "--loud",
                     "--cache", "9", "--verify"},
                    &c, &p)
                  .ok());
  EXPECT_EQ(c.name, "n");
  EXPECT_EQ(c.lo, 3u);
  EXPECT_EQ(c.hi, 4u);
  EXPECT_EQ(c.wait, std::chrono::milliseconds(7));
  EXPECT_EQ(c.out, "f");
  EXPECT_EQ(c.mode, "slow");
  EXPECT_TRUE(c.loud);
  EXPECT_EQ(c.inner.cache, 9u);
  EXPECT_TRUE(c.inner.verify);
  EXPECT_TRUE(p.has("lo"));
  EXPECT_FALSE(p.help);
}

TEST(FlagTable, DefaultsStayWhenAbsent) {
  Config c;
  ParsedFlags p;
  ASSERT_TRUE(parse({"--name=n"}, &c, &p).ok());
  EXPECT_EQ(c.hi, 10u);
  EXPECT_FALSE(c.out.has_value());
  EXPECT_FALSE(c.inner.verify);
  EXPECT_FALSE(p.has("hi"));
}

TEST(FlagTable, ErrorsNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--name", "n", "--bogus"}, "unknown flag --bogus"},
      {{"--name"}, "--name needs a value"},
      {{"--name", "n", "--lo", "x1"}, "--lo needs a non-negative integer, got 'x1'"},
      {{"--name", "n", "--lo", "+1"}, "--lo needs a non-negative integer, got '+1'"},
      {{"--name", "n", "--hi=1"}, "--hi must be at least 2"},
      {{"--name", "n", "--mode", "medium"}, "--mode must be one of fast, slow, got 'medium'"},
      {{"--name", "n", "--loud=yes"}, "--loud takes no value"},
      {{"--lo", "1"}, "--name is required"},
      {{"--name", "n", "--lo", "5", "--hi", "4"}, "--lo must not exceed --hi"},
      {{"--name", "n", "extra"}, "unexpected argument 'extra'"},
  };
  for (const auto& [args, message] : cases) {
    Config c;
    ParsedFlags p;
    absl::Status st = parse(args, &c, &p);
    EXPECT_EQ(std::string(st.message()), message) << args.back();
  }
}

TEST(FlagTable, HelpWinsAndListsKindsAndDefaults) {
  Config c;
  ParsedFlags p;
  ASSERT_TRUE(parse({"--bogus", "-h"}, &c, &p).ok());
  EXPECT_TRUE(p.help);
  const std::string h = table().help();
  EXPECT_EQ(h.rfind("usage: blockgate demo [flags]\na demo command\n\nflags:\n", 0), 0u) << h;
  for (const char* want : {"--name NAME", "[string, required]", "--hi N", "[integer, default: 10, at least 2]",
                           "--wait MS", "[milliseconds, default: 250]", "--out FILE", "default: none",
                           "--mode fast|slow", "--loud ", "[switch]", "--cache N", "-h, --help"})
    EXPECT_NE(h.find(want), std::string::npos) << want << "\n" << h;
}

TEST(FlagTable, ADuplicateNameIsAProgrammingError) {
  FlagTable<Config> t("demo", "");
  t.add("lo", &Config::lo, "");
  EXPECT_THROW(t.add("lo", &Config::hi, ""), std::logic_error);
}

}  // namespace
}  // namespace bg::cmd
