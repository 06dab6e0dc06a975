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
//
// To add a variant: implement it as portable BG_HD code, add it to
// BG_KERNEL_VARIANTS and kVariantCount, give it a branch in verify_variant(),
// and add a host/gpu/verify_<scheme>_v<N>.cu translation unit (one
// BG_VERIFY_KERNEL_UNIT line; scripts/kernel-stats.sh and scripts/gpu-check.sh
// pick those up by name). Every run-time dispatch (verify_item_variant,
// host/gpu launch_verify, gpu_check's CPU engine) expands BG_KERNEL_VARIANTS.
#pragma once

#include "kernels/ed25519_verify.h"
#include "kernels/verify_item.h"

namespace bg::k {

constexpr int kMaxKernelVariants = 4;
// Every (scheme byte, variant) that exists, as X(scheme, variant).
#define BG_KERNEL_VARIANTS(X) X(1, 1) X(1, 2) X(2, 1) X(3, 1)
// Variants per scheme byte (index 0 and unknown schemes: none); variants of a
// scheme are numbered 1..count.
constexpr int kVariantCount[4] = {0, 2, 1, 1};

BG_HD constexpr int variant_count(uint8_t scheme) { return scheme < 4 ? kVariantCount[scheme] : 0; }

// verify_item for a scheme and variant fixed at compile time.
template <uint8_t kScheme, int kVariant>
BG_HD bool verify_variant(const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                          uint32_t message_len) {
  static_assert(kScheme >= 1 && kScheme <= 3, "scheme 1, 2 or 3");
  static_assert(kVariant >= 1 && kVariant <= kVariantCount[kScheme], "no such variant");
  if constexpr (kScheme == 1 && kVariant == 2) {
    return ed_v2::ed25519_verify(public_key, signature, message, message_len);
  } else {
    return verify_item(kScheme, public_key, signature, message, message_len);
  }
}

// Run-time choice, for host code (kernels-on-cpu, tests): false for an unknown
// scheme or variant.
BG_HD bool verify_item_variant(uint8_t scheme, int variant, const uint8_t* public_key, const uint8_t* signature,
                               const uint8_t* message, uint32_t message_len) {
#define BG_VARIANT_CASE(S, V) \
  case S * 16 + V: return verify_variant<S, V>(public_key, signature, message, message_len);
  switch (scheme * 16 + variant) {
    BG_KERNEL_VARIANTS(BG_VARIANT_CASE)
    default: return false;
  }
#undef BG_VARIANT_CASE
}

}  // namespace bg::k
