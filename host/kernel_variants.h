// Kernel variants by name, for flags (serve --gpu-variant, bench --variant)
// and logs. The variants themselves are in kernels/verify_variant.h.
//
// A spec is a comma-separated list of `vN` (variant N for every scheme that
// has it) and `SCHEME=vN` (scheme ed25519, secp256k1 or p256), applied left
// to right: "v2", "ed25519=v2", "v2,p256=v1".
#pragma once

#include <absl/status/status.h>

#include <array>
#include <string>
#include <string_view>

namespace bg {

// Updates *variant (indexed by scheme byte) from spec; on error *variant is
// unchanged.
absl::Status parse_kernel_variants(std::string_view spec, std::array<int, 4>* variant);
// InvalidArgument naming the first scheme whose variant does not exist.
absl::Status check_kernel_variants(const std::array<int, 4>& variant);
// "ed25519=v2,secp256k1=v1,p256=v1".
std::string format_kernel_variants(const std::array<int, 4>& variant);

}  // namespace bg
