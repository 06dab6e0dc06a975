// Carry-chain primitives on 8 x 32-bit limbs (little-endian words), the
// building blocks of 256-bit field arithmetic: on the device each is ONE
// inline-PTX block of add.cc/addc/sub.cc/subc/mad.lo.cc/madc.hi.cc, so the
// carry flag never has to survive between separate asm statements; on the
// host the same results come from portable C++ with 64-bit intermediates.
// Only these few lines differ between CPU and GPU: kernels-on-cpu proves the
// algorithms built on them, and gpu_check's `carry-primitives` check compares
// the device versions with the host ones on random inputs.
#pragma once

#include "kernels/hd.h"

namespace bg::k::carry {

// r = a + b mod 2^256; returns the carry out (0 or 1). r may alias a or b.
BG_HD uint32_t add8(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]) {
#if defined(__CUDA_ARCH__)
  uint32_t c;
  asm("add.cc.u32  %0, %9, %17;\n\t"
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
  asm("sub.cc.u32  %0, %9, %17;\n\t"
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
  asm("mad.lo.cc.u32  %0, %10, %18, %0;\n\t"
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

}  // namespace bg::k::carry
