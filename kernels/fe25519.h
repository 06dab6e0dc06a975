// Arithmetic in GF(2^255 - 19) for Ed25519, as __host__ __device__ code that
// compiles to the same integer operations on the CPU and the GPU.
//
// Representation: ten signed 32-bit limbs in radix 2^25.5 (26, 25, 26, 25, ...
// bits), value = sum h[i] * 2^ceil(25.5 i). Products are 32x32->64-bit, which
// the GPU does natively (mul.wide.s32 / IMAD.WIDE) and the CPU in one imul; no
// 128-bit type is needed anywhere.
//
// Limb bounds (the contract every function relies on):
//   "tight"  : |h[i]| <= 1.01 * 2^25 (even i) / 1.01 * 2^24 (odd i), roughly;
//              what fe_mul/fe_sq/fe_sq2/fe_carry return.
//   "loose"  : |h[i]| <= 1.65 * 2^26 / 1.65 * 2^25; fe_add/fe_sub/fe_neg of
//              tight inputs, or a sum/difference of three tight values, is
//              loose; so is fe_frombytes (limbs in [0, 2^26) / [0, 2^25)).
// fe_mul/fe_sq/fe_sq2/fe_tobytes accept loose inputs; add/sub never carry, so
// callers must not chain more than that before a multiplication (the group
// formulas in ed25519.h never do). Nothing here is constant time: verification
// handles public data only.
//
// Cost model used in ed25519.h comments: M = fe_mul (100 products),
// S = fe_sq (55 products); add/sub/neg are 10 limb operations.
//
// Why every limb product is one signed 32x32->64 multiplication (the bounds
// proof behind BG_FE_WIDE_MUL's int32_t operands): a loose limb is below
// 1.65 * 2^26 < 2^26.73 in magnitude. The product operands are a limb, twice
// an odd limb (< 1.65 * 2^26), 19 times any limb (< 19 * 1.65 * 2^26 =
// 0.98 * 2^31) or 38 times an odd limb (< 38 * 1.65 * 2^25 = 0.98 * 2^31):
// every operand fits an int32_t. Each product is then below 2^26.73 * 2^31 =
// 2^57.73 and a column of ten below 2^61.1 (fe_sq2 doubles it: 2^62.1), so the
// int64_t column sums never overflow, and the carry out of column 9,
// |c| < 2^37.1, times 19 stays far inside int64_t.
//
// Variants (selected per kernel at compile time, per run at run time; see
// kernels/verify_variant.h). The body below lives in fe25519_impl.inc and is
// compiled once per variant namespace:
//   ed_v1  the products written as int64_t(a) * int64_t(b). Correct, but
//          nvcc's optimizer folds the small constant factors (2, 19, 38) of
//          the operands into 64-bit multiplications: its PTX holds thousands
//          of mul.lo.s64 on sign-extended values (scripts/kernel-stats.sh).
//   ed_v2  the same arithmetic with each product one PTX mul.wide.s32 (inline
//          asm the optimizer cannot widen) and the carry times 19 built from
//          32-bit halves, so the field code holds no 64-bit multiplication.
// On the host both variants compile to the same C++ expressions.
// bg::k::Fe, bg::k::fe_mul, ... name the ed_v1 variant (the default).
#pragma once

#include "kernels/hd.h"

namespace bg::k::fe_wide {

// v1: the plain C++ spelling.
BG_HD int64_t mul_v1(int32_t a, int32_t b) { return int64_t(a) * int64_t(b); }
BG_HD int64_t mul19_v1(int64_t c) { return c * 19; }

// v2: one mul.wide.s32 on the device.
BG_HD int64_t mul_v2(int32_t a, int32_t b) {
#if defined(__CUDA_ARCH__)
  int64_t r;
  asm("mul.wide.s32 %0, %1, %2;" : "=l"(r) : "r"(a), "r"(b));
  return r;
#else
  return int64_t(a) * int64_t(b);
#endif
}
// c * 19 for |c| < 2^62 / 19 without a 64-bit multiplication on the device:
// the low word times 19 as one mul.wide.u32, the high word times 19 as one
// 32-bit multiply added into the high half (mod 2^64, so the sign comes out
// right). One asm block: in C++ the optimizer folds it back into a 64-bit
// multiply by 19 * 2^32.
BG_HD int64_t mul19_v2(int64_t c) {
#if defined(__CUDA_ARCH__)
  int64_t r;
  asm("{\n\t.reg .u32 lo, hi, h19, rlo, rhi;\n\t"
      "mov.b64 {lo, hi}, %1;\n\t"
      "mul.lo.u32 h19, hi, 19;\n\t"
      "mul.wide.u32 %0, lo, 19;\n\t"
      "mov.b64 {rlo, rhi}, %0;\n\t"
      "add.u32 rhi, rhi, h19;\n\t"
      "mov.b64 %0, {rlo, rhi};\n\t}"
      : "=l"(r)
      : "l"(c));
  return r;
#else
  return c * 19;
#endif
}

}  // namespace bg::k::fe_wide

// fe_mul, fe_sq and fe_sq2 are where the time goes. On the GPU, inlining
// them everywhere (the default) makes verification one large function (sm_90:
// 255 registers with a few spills); defining BG_FE_NOINLINE makes them real
// calls (136 registers, no spills, more call traffic). Which is faster is for
// the device benchmark to decide; host code is unaffected either way.
#if defined(BG_FE_NOINLINE)
#define BG_FE_HOT BG_HD_NOINLINE
#else
#define BG_FE_HOT BG_HD
#endif

namespace bg::k {

namespace ed_v1 {
#define BG_FE_WIDE_MUL(a, b) ::bg::k::fe_wide::mul_v1(a, b)
#define BG_FE_MUL19(c) ::bg::k::fe_wide::mul19_v1(c)
#include "kernels/fe25519_impl.inc"
#undef BG_FE_WIDE_MUL
#undef BG_FE_MUL19
}  // namespace ed_v1

namespace ed_v2 {
#define BG_FE_WIDE_MUL(a, b) ::bg::k::fe_wide::mul_v2(a, b)
#define BG_FE_MUL19(c) ::bg::k::fe_wide::mul19_v2(c)
#include "kernels/fe25519_impl.inc"
#undef BG_FE_WIDE_MUL
#undef BG_FE_MUL19
}  // namespace ed_v2

// The default variant's names (Fe, fe_mul, ...) for code that picks none.
using namespace ed_v1;  // NOLINT(google-build-using-namespace)

}  // namespace bg::k
