// 32-bit carry-chain primitives for multi-word arithmetic on 32-bit limbs
// (kernels/fp8x32.h): one function per PTX instruction, so a field product
// written with them compiles to add.cc / addc / mad.lo.cc / madc.hi.cc on the
// device, and to the same algorithm on 64-bit integers on the host.
//
// The carry flag. On the device it is the hardware condition code (CC.CF),
// which each `.cc` instruction writes and each `addc`/`subc`/`madc` reads;
// every primitive is its own `asm volatile`, so nvcc keeps them in program
// order and nothing between two of them touches CC (only `.cc` forms write
// it). On the host the flag lives in the `Carry` object passed along the
// chain. Usage is the same on both sides:
//
//   Carry c;                              // one chain
//   r0 = add_cc(a0, b0, c);               // writes the carry
//   r1 = addc_cc(a1, b1, c);              // reads and writes it
//   top = addc(0, 0, c);                  // reads it (the carry out as 0/1)
//
// Rules for callers: a chain starts with a non-`c` form (add_cc, sub_cc,
// mad_lo_cc, mad_hi_cc); a `c` form reads the flag of the previous primitive
// in the same chain only; no two chains interleave (on the device there is one
// flag); a chain is straight-line code (loops around it fully unrolled).
// A subtraction's flag is a borrow, as in PTX (sub.cc sets CF on borrow).
#pragma once

#include "kernels/hd.h"

// Full unrolling in the device pass only (g++ warns about unknown pragmas in
// nvcc's host pass); on the device a carry chain must be straight-line code.
#if defined(__CUDA_ARCH__)
#define BG_UNROLL _Pragma("unroll")
#else
#define BG_UNROLL
#endif

namespace bg::k {

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

}  // namespace bg::k
