#include "host/kernel_variants.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "kernels/verify_variant.h"

namespace bg {
namespace {

// Debian's Abseil has its own string_view: names and parts are std::string.
const std::string kSchemeNames[4] = {"", "ed25519", "secp256k1", "p256"};

bool parse_vn(const std::string& s, int* n) {
  if (s.size() < 2 || (s[0] != 'v' && s[0] != 'V')) return false;
  return absl::SimpleAtoi(absl::string_view(s).substr(1), n) && *n >= 1;
}

}  // namespace

absl::Status parse_kernel_variants(std::string_view spec, std::array<int, 4>* variant) {
  std::array<int, 4> v = *variant;
  for (absl::string_view piece : absl::StrSplit(absl::string_view(spec.data(), spec.size()), ',',
                                                absl::SkipWhitespace())) {
    const std::string part(absl::StripAsciiWhitespace(piece));
    const size_t eq = part.find('=');
    int n = 0;
    if (eq == std::string::npos) {
      if (!parse_vn(part, &n))
        return absl::InvalidArgumentError(absl::StrCat("kernel variant '", part, "': expected vN or SCHEME=vN"));
      bool any = false;
      for (int s = 1; s <= 3; ++s) {
        if (n <= k::variant_count(uint8_t(s))) {
          v[s] = n;
          any = true;
        }
      }
      if (!any) return absl::InvalidArgumentError(absl::StrCat("no scheme has kernel variant v", n));
      continue;
    }
    const std::string name = part.substr(0, eq);
    int s = 1;
    while (s <= 3 && kSchemeNames[s] != name) ++s;
    if (s > 3)
      return absl::InvalidArgumentError(
          absl::StrCat("kernel variant '", part, "': unknown scheme '", name, "' (ed25519, secp256k1, p256)"));
    if (!parse_vn(part.substr(eq + 1), &n))
      return absl::InvalidArgumentError(absl::StrCat("kernel variant '", part, "': expected ", name, "=vN"));
    v[s] = n;
  }
  if (absl::Status st = check_kernel_variants(v); !st.ok()) return st;
  *variant = v;
  return absl::OkStatus();
}

absl::Status check_kernel_variants(const std::array<int, 4>& variant) {
  for (int s = 1; s <= 3; ++s) {
    const int count = k::variant_count(uint8_t(s));
    if (variant[s] < 1 || variant[s] > count)
      return absl::InvalidArgumentError(absl::StrCat(kSchemeNames[s], " has no kernel variant v", variant[s],
                                                     " (v1..v", count, ")"));
  }
  return absl::OkStatus();
}

std::string format_kernel_variants(const std::array<int, 4>& variant) {
  std::string out;
  for (int s = 1; s <= 3; ++s) absl::StrAppend(&out, s > 1 ? "," : "", kSchemeNames[s], "=v", variant[s]);
  return out;
}

}  // namespace bg
