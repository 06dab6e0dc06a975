// Fuzzes from_hex and hash_from_hex against a plain restatement of their
// contract, and to_hex ↔ from_hex round trips on arbitrary bytes.
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "host/bytes.h"

namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return (c >= 'A' && c <= 'F') ? char(c - 'A' + 'a') : c; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bg;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  bool expect_ok = size % 2 == 0;
  for (char c : text) expect_ok = expect_ok && is_hex_digit(c);
  const auto bytes = from_hex(text);
  FUZZ_CHECK(bytes.has_value() == expect_ok);
  if (bytes) {
    FUZZ_CHECK(bytes->size() == size / 2);
    std::string lowered(text);
    for (char& c : lowered) c = lower(c);
    FUZZ_CHECK(to_hex(*bytes) == lowered);
  }

  const auto hash = hash_from_hex(text);
  FUZZ_CHECK(hash.has_value() == (expect_ok && size == 64));
  if (hash) FUZZ_CHECK(Bytes(hash->begin(), hash->end()) == *bytes);

  // Any bytes survive to_hex → from_hex.
  const std::string hex = to_hex(ByteSpan(data, size));
  const auto back = from_hex(hex);
  FUZZ_CHECK(back && *back == Bytes(data, data + size));
  return 0;
}
