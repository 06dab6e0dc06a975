// Carry-chain primitives on 8 x 32-bit limbs (little-endian words), the
// building blocks of 256-bit field arithmetic: on the device each is ONE
// inline-PTX block of add.cc/addc/sub.cc/subc/mad.lo.cc/madc.hi.cc, so the
// carry flag never has to survive between separate asm statements; on the
// host the same results come from portable C++ with 64-bit intermediates.
// Every block is `asm volatile`: a block writes CC, so nvcc must not move it
// into a chain of the single-instruction primitives below.
// Only these few lines differ between CPU and GPU: kernels-on-cpu proves the
// algorithms built on them, and gpu_check's `carry-primitives` check compares
// the device versions with the host ones on random inputs.
#pragma once

#include "kernels/hd.h"

// Full unrolling in the device pass only (g++ warns about unknown pragmas in
// nvcc's host pass); on the device a carry chain must be straight-line code.
#if defined(__CUDA_ARCH__)
#define BG_UNROLL _Pragma("unroll")
#else
#define BG_UNROLL
#endif

namespace bg::k::carry {

// r = a + b mod 2^256; returns the carry out (0 or 1). r may alias a or b.
BG_HD uint32_t add8(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]) {
#if defined(__CUDA_ARCH__)
  uint32_t c;
  asm volatile("add.cc.u32  %0, %9, %17;\n\t"
      "addc.cc.u32 %1, %10, %18;\n\t"
      "addc.cc.u32 %2, %11, %19;\n\t"
      "addc.cc.u32 %3, %12, %20;\n\t"
      "addc.cc.u32 %4, %13, %21;\n\t"
      "addc.cc.u32 %5, %14, %22;\n\t"
      "addc.cc.u32 %6, %15, %23;\n\t"
      "addc.cc.u32 %7, %16, %24;\n\t"
      "addc.u32    %8, 0, 0;"
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]), "=r"(r[4]), "=r"(r[5]), "=r"(r[6]), "=r"(r[7]), "=r"(c)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]), "r"(b[0]),
        "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(b[4]), "r"(b[5]), "r"(b[6]), "r"(b[7]));
  return c;
#else
  uint64_t c = 0;
  for (int i = 0; i < 8; ++i) {
    c += uint64_t(a[i]) + b[i];
    r[i] = uint32_t(c);
    c >>= 32;
  }
  return uint32_t(c);
#endif
}

// r = a - b mod 2^256; returns the borrow out (0 or 1). r may alias a or b.
BG_HD uint32_t sub8(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]) {
#if defined(__CUDA_ARCH__)
  uint32_t c;
  asm volatile("sub.cc.u32  %0, %9, %17;\n\t"
      "subc.cc.u32 %1, %10, %18;\n\t"
      "subc.cc.u32 %2, %11, %19;\n\t"
      "subc.cc.u32 %3, %12, %20;\n\t"
      "subc.cc.u32 %4, %13, %21;\n\t"
      "subc.cc.u32 %5, %14, %22;\n\t"
      "subc.cc.u32 %6, %15, %23;\n\t"
      "subc.cc.u32 %7, %16, %24;\n\t"
      "subc.u32    %8, 0, 0;"
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]), "=r"(r[4]), "=r"(r[5]), "=r"(r[6]), "=r"(r[7]), "=r"(c)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]), "r"(b[0]),
        "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(b[4]), "r"(b[5]), "r"(b[6]), "r"(b[7]));
  return c & 1;  // subc of 0 - 0 - borrow is 0 or 0xffffffff
#else
  int64_t c = 0;
  for (int i = 0; i < 8; ++i) {
    c += int64_t(a[i]) - int64_t(b[i]);
    r[i] = uint32_t(c);
    c >>= 32;  // arithmetic: 0 or -1
  }
  return uint32_t(c) & 1;
#endif
}

// t[0..9] += a[0..7] * b, one row of schoolbook / CIOS multiplication: the
// low halves of a[i] * b go into t[i] in one carry chain, the high halves into
// t[i + 1] in a second; t[8] and t[9] absorb the carries. The caller keeps the
// sum below 2^320 (in CIOS, t < 2 * 2^256 before the row, so it always is).
BG_HD void mad_row8(uint32_t t[10], const uint32_t a[8], uint32_t b) {
#if defined(__CUDA_ARCH__)
  asm volatile("mad.lo.cc.u32  %0, %10, %18, %0;\n\t"
      "madc.lo.cc.u32 %1, %11, %18, %1;\n\t"
      "madc.lo.cc.u32 %2, %12, %18, %2;\n\t"
      "madc.lo.cc.u32 %3, %13, %18, %3;\n\t"
      "madc.lo.cc.u32 %4, %14, %18, %4;\n\t"
      "madc.lo.cc.u32 %5, %15, %18, %5;\n\t"
      "madc.lo.cc.u32 %6, %16, %18, %6;\n\t"
      "madc.lo.cc.u32 %7, %17, %18, %7;\n\t"
      "addc.cc.u32    %8, %8, 0;\n\t"
      "addc.u32       %9, %9, 0;\n\t"
      "mad.hi.cc.u32  %1, %10, %18, %1;\n\t"
      "madc.hi.cc.u32 %2, %11, %18, %2;\n\t"
      "madc.hi.cc.u32 %3, %12, %18, %3;\n\t"
      "madc.hi.cc.u32 %4, %13, %18, %4;\n\t"
      "madc.hi.cc.u32 %5, %14, %18, %5;\n\t"
      "madc.hi.cc.u32 %6, %15, %18, %6;\n\t"
      "madc.hi.cc.u32 %7, %16, %18, %7;\n\t"
      "madc.hi.cc.u32 %8, %17, %18, %8;\n\t"
      "addc.u32       %9, %9, 0;"
      : "+r"(t[0]), "+r"(t[1]), "+r"(t[2]), "+r"(t[3]), "+r"(t[4]), "+r"(t[5]), "+r"(t[6]), "+r"(t[7]), "+r"(t[8]),
        "+r"(t[9])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5]), "r"(a[6]), "r"(a[7]), "r"(b));
#else
  uint64_t c = 0;
  for (int i = 0; i < 8; ++i) {
    c += uint64_t(a[i]) * b + t[i];
    t[i] = uint32_t(c);
    c >>= 32;
  }
  c += t[8];
  t[8] = uint32_t(c);
  t[9] += uint32_t(c >> 32);
#endif
}

// ---- Single-instruction primitives -------------------------------------
// For carry chains whose shape the blocks above do not cover (the squaring's
// triangle, the secp256k1 fold, Montgomery reduction rows whose carry must
// ripple further): one function per PTX instruction. On the device the flag
// is the hardware condition code (CC.CF), which each `.cc` instruction writes
// and each `addc`/`subc`/`madc` reads; every primitive is its own
// `asm volatile`, so nvcc keeps them in program order, and the compiler emits
// no `.cc` instruction of its own between them. On the host the flag lives in
// the `Carry` object passed along the chain. Usage is the same on both sides:
//
//   Carry c;                              // one chain
//   r0 = add_cc(a0, b0, c);               // writes the carry
//   r1 = addc_cc(a1, b1, c);              // reads and writes it
//   top = addc(0, 0, c);                  // reads it (the carry out as 0/1)
//
// Rules for callers: a chain starts with a non-`c` form (add_cc, sub_cc,
// mad_lo_cc, mad_hi_cc); a `c` form reads the flag of the previous primitive
// in the same chain only; no two chains interleave (on the device there is one
// flag); a chain is straight-line code (loops around it fully unrolled,
// BG_UNROLL). A subtraction's flag is a borrow, as in PTX.

// The carry (or borrow) flag of one chain. On the device the flag is CC.CF and
// this object only marks which chain a call belongs to (it is never read).
struct Carry {
  uint32_t cf = 0;
};

#if defined(__CUDA_ARCH__)

// a + b; sets CF.
BG_HD uint32_t add_cc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("add.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// a + b + CF; sets CF.
BG_HD uint32_t addc_cc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("addc.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// a + b + CF; ends the chain.
BG_HD uint32_t addc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("addc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// a - b; sets CF on borrow.
BG_HD uint32_t sub_cc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("sub.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// a - b - CF; sets CF on borrow.
BG_HD uint32_t subc_cc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("subc.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// a - b - CF; ends the chain.
BG_HD uint32_t subc(uint32_t a, uint32_t b, Carry&) {
  uint32_t r;
  asm volatile("subc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// lo(a * b) + c; sets CF.
BG_HD uint32_t mad_lo_cc(uint32_t a, uint32_t b, uint32_t c, Carry&) {
  uint32_t r;
  asm volatile("mad.lo.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
// lo(a * b) + c + CF; sets CF.
BG_HD uint32_t madc_lo_cc(uint32_t a, uint32_t b, uint32_t c, Carry&) {
  uint32_t r;
  asm volatile("madc.lo.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
// hi(a * b) + c; sets CF.
BG_HD uint32_t mad_hi_cc(uint32_t a, uint32_t b, uint32_t c, Carry&) {
  uint32_t r;
  asm volatile("mad.hi.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
// hi(a * b) + c + CF; sets CF.
BG_HD uint32_t madc_hi_cc(uint32_t a, uint32_t b, uint32_t c, Carry&) {
  uint32_t r;
  asm volatile("madc.hi.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}
// hi(a * b) + c + CF; ends the chain.
BG_HD uint32_t madc_hi(uint32_t a, uint32_t b, uint32_t c, Carry&) {
  uint32_t r;
  asm volatile("madc.hi.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}

#else  // host: the same contract on 64-bit integers

BG_HD uint32_t add_cc(uint32_t a, uint32_t b, Carry& c) {
  const uint64_t s = uint64_t(a) + b;
  c.cf = uint32_t(s >> 32);
  return uint32_t(s);
}
BG_HD uint32_t addc_cc(uint32_t a, uint32_t b, Carry& c) {
  const uint64_t s = uint64_t(a) + b + c.cf;
  c.cf = uint32_t(s >> 32);
  return uint32_t(s);
}
BG_HD uint32_t addc(uint32_t a, uint32_t b, Carry& c) { return a + b + c.cf; }
BG_HD uint32_t sub_cc(uint32_t a, uint32_t b, Carry& c) {
  c.cf = a < b;
  return a - b;
}
BG_HD uint32_t subc_cc(uint32_t a, uint32_t b, Carry& c) {
  const uint64_t d = uint64_t(a) - b - c.cf;
  c.cf = uint32_t(d >> 63);  // wrapped below zero
  return uint32_t(d);
}
BG_HD uint32_t subc(uint32_t a, uint32_t b, Carry& c) { return a - b - c.cf; }
BG_HD uint32_t mad_lo_cc(uint32_t a, uint32_t b, uint32_t c, Carry& cc) {
  return add_cc(a * b, c, cc);
}
BG_HD uint32_t madc_lo_cc(uint32_t a, uint32_t b, uint32_t c, Carry& cc) {
  return addc_cc(a * b, c, cc);
}
BG_HD uint32_t mad_hi_cc(uint32_t a, uint32_t b, uint32_t c, Carry& cc) {
  return add_cc(uint32_t((uint64_t(a) * b) >> 32), c, cc);
}
BG_HD uint32_t madc_hi_cc(uint32_t a, uint32_t b, uint32_t c, Carry& cc) {
  return addc_cc(uint32_t((uint64_t(a) * b) >> 32), c, cc);
}
BG_HD uint32_t madc_hi(uint32_t a, uint32_t b, uint32_t c, Carry& cc) {
  return addc(uint32_t((uint64_t(a) * b) >> 32), c, cc);
}

#endif

// 0xffffffff when `flag` (0 or 1) is 1, else 0: turns a carry-out into a
// select mask without a comparison.
BG_HD uint32_t mask_from_bit(uint32_t flag) { return 0u - flag; }

// (mask & a) | (~mask & b): a branch-free word select (one lop3 on the device).
BG_HD uint32_t select_word(uint32_t mask, uint32_t a, uint32_t b) { return (a & mask) | (b & ~mask); }

}  // namespace bg::k::carry
