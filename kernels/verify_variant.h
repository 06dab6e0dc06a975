// Kernel variants: several implementations of one scheme's verification, all
// with the same verdicts, kept side by side so the GPU check can time them in
// one run and the defaults can follow the measurements (docs/GPU.md,
// "Variants"). Variant 1 of every scheme is verify_item's code as first
// written; a variant is chosen per kernel at compile time (the GPU kernels
// are instantiated once per scheme and variant) and per backend at run time
// (GpuOptions::verify_variant, BackendOptions::kernel_variant, serve's
// --gpu-variant).
//
//   scheme 1 ed25519:  v1 fe25519 products as int64_t x int64_t (ed_v1)
//                      v2 every limb product one mul.wide.s32 (ed_v2)
//   scheme 2, 3 ECDSA: v1 kernels/ecc.h (64-bit limbs, wNAF)
//                      v2 kernels/ecc_v2.h (8x32-bit limbs, joint fixed
//                         windows, GLV on secp256k1)
//
// To add a variant: implement it as portable BG_HD code, add it to
// BG_KERNEL_VARIANTS and kVariantCount, give it a branch in verify_variant(),
// and add a host/gpu/verify_<scheme>_v<N>.cu translation unit (one
// BG_VERIFY_KERNEL_UNIT line; scripts/kernel-stats.sh and scripts/gpu-check.sh
// pick those up by name). Every run-time dispatch (verify_item_variant,
// host/gpu launch_verify, gpu_check's CPU engine) expands BG_KERNEL_VARIANTS.
#pragma once

#include "kernels/ecdsa_verify_v2.h"
#include "kernels/ed25519_verify.h"
#include "kernels/schemes.h"
#include "kernels/sha256.h"
#include "kernels/verify_item.h"

namespace bg::k {

constexpr int kMaxKernelVariants = 4;
// Every (scheme, variant) that exists, as X(Scheme enumerator, variant).
#define BG_KERNEL_VARIANTS(X)                                                                     \
  X(::bg::Scheme::kEd25519, 1) X(::bg::Scheme::kEd25519, 2) X(::bg::Scheme::kSecp256k1, 1)           \
  X(::bg::Scheme::kSecp256k1, 2) X(::bg::Scheme::kP256, 1) X(::bg::Scheme::kP256, 2)
// Variants per scheme byte (index 0 and unknown schemes: none); variants of a
// scheme are numbered 1..count.
constexpr int kVariantCount[4] = {0, 2, 2, 2};
static_assert(sizeof(kVariantCount) / sizeof(kVariantCount[0]) == kSchemeCount + 1,
              "kVariantCount: one entry per kSchemes row, after index 0");

BG_HD constexpr int variant_count(uint8_t scheme) { return scheme < 4 ? kVariantCount[scheme] : 0; }

// verify_scheme for a scheme and variant fixed at compile time.
template <Scheme kScheme, int kVariant>
BG_HD bool verify_variant(const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                          uint32_t message_len) {
  static_assert(kVariant >= 1 && kVariant <= kVariantCount[size_t(kScheme)], "no such variant");
  if constexpr (kVariant == 1) {
    return verify_scheme<kScheme>(public_key, signature, message, message_len);
  } else if constexpr (kScheme == Scheme::kEd25519 && kVariant == 2) {
    return ed_v2::ed25519_verify(public_key, signature, message, message_len);
  } else if constexpr (kScheme == Scheme::kSecp256k1 && kVariant == 2) {
    uint8_t digest[32];
    sha256(message, message_len, digest);
    return secp256k1_ecdsa_verify_v2(public_key, signature, digest);
  } else if constexpr (kScheme == Scheme::kP256 && kVariant == 2) {
    uint8_t digest[32];
    sha256(message, message_len, digest);
    return p256_ecdsa_verify_v2(public_key, signature, digest);
  } else {
    static_assert(kVariant != kVariant, "verify_variant: no branch for this variant");
    return false;
  }
}

// Run-time choice, for host code (kernels-on-cpu, tests): false for an unknown
// scheme or variant.
BG_HD bool verify_item_variant(uint8_t scheme, int variant, const uint8_t* public_key, const uint8_t* signature,
                               const uint8_t* message, uint32_t message_len) {
#define BG_VARIANT_CASE(S, V) \
  case int(S) * 16 + V: return verify_variant<S, V>(public_key, signature, message, message_len);
  switch (int(scheme) * 16 + variant) {
    BG_KERNEL_VARIANTS(BG_VARIANT_CASE)
    default: return false;
  }
#undef BG_VARIANT_CASE
}

}  // namespace bg::k
