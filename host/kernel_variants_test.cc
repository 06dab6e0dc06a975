// host/kernel_variants.h: the --gpu-variant / --variant spelling, and that
// make_backend refuses a variant that does not exist.
#include "host/kernel_variants.h"

#include <gtest/gtest.h>

#include "host/backend.h"

namespace bg {
namespace {

TEST(KernelVariants, ParsesSchemeAndBareForms) {
  std::array<int, 4> v{1, 1, 1, 1};
  ASSERT_TRUE(parse_kernel_variants("ed25519=v2", &v).ok());
  EXPECT_EQ(v[1], 2);
  EXPECT_EQ(format_kernel_variants(v), "ed25519=v2,secp256k1=v1,p256=v1");
  ASSERT_TRUE(parse_kernel_variants("v1", &v).ok());
  EXPECT_EQ(format_kernel_variants(v), "ed25519=v1,secp256k1=v1,p256=v1");
  // A bare vN sets every scheme that has it (all three have a v2).
  ASSERT_TRUE(parse_kernel_variants("v2", &v).ok());
  EXPECT_EQ(format_kernel_variants(v), "ed25519=v2,secp256k1=v2,p256=v2");
  ASSERT_TRUE(parse_kernel_variants("v2, ed25519=v1", &v).ok());
  EXPECT_EQ(format_kernel_variants(v), "ed25519=v1,secp256k1=v2,p256=v2");
  ASSERT_TRUE(parse_kernel_variants("p256=v1", &v).ok());
  EXPECT_EQ(format_kernel_variants(v), "ed25519=v1,secp256k1=v2,p256=v1");
}

TEST(KernelVariants, RefusesUnknownSchemesAndVariantsAndLeavesTheValue) {
  std::array<int, 4> v{1, 2, 1, 1};
  for (const char* bad : {"ed25519=v9", "v9", "rsa=v1", "ed25519=2", "ed25519", "v0", "p256=v2x"}) {
    EXPECT_FALSE(parse_kernel_variants(bad, &v).ok()) << bad;
    EXPECT_EQ(v[1], 2) << bad;
  }
  EXPECT_TRUE(check_kernel_variants({1, 2, 1, 1}).ok());
  EXPECT_FALSE(check_kernel_variants({1, 3, 1, 1}).ok());
  BackendOptions opts;
  opts.kernel_variant = {1, 1, 1, 7};
  auto b = make_backend("kernels-on-cpu", opts);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("p256 has no kernel variant v7"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace bg
