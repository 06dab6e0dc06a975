// Field algorithms written once for both 256-bit field layers: v1's 4x64-bit
// limbs (kernels/fp256.h, Fp<P>) and v2's 8x32-bit limbs (kernels/fp8x32.h,
// Fe<P>). Each layer describes itself with an "ops" struct:
//
//   using Elem = <field element>;  using Exp = <256-bit integer>;
//   static Elem one(), zero();  mul(a, b), sqr(a), add(a, b), sub(a, b);
//   static bool is_zero(a);  static uint32_t bits(const Exp&, int pos, int width);
//
// and instantiates the algorithms here (kernels/ec_jacobian.h holds the point
// formulas). Everything is BG_HD and inlined, so each layer's code is what it
// would be if written out by hand.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace bg::k {

// a^e, left to right with a fixed 4-bit window: 14 products for the table,
// then 252 squarings and at most 63 products (~330 M for a full-size
// exponent). The branches depend on e only, a constant wherever this is
// called (inversion by Fermat, square roots).
template <class Ops>
BG_HD typename Ops::Elem field_pow_window4(const typename Ops::Elem& a, const typename Ops::Exp& e) {
  using E = typename Ops::Elem;
  E table[16];
  table[0] = Ops::one();
  table[1] = a;
  for (int i = 2; i < 16; ++i) table[i] = Ops::mul(table[i - 1], a);
  E r = table[Ops::bits(e, 252, 4)];
  for (int pos = 248; pos >= 0; pos -= 4) {
    r = Ops::sqr(r);
    r = Ops::sqr(r);
    r = Ops::sqr(r);
    r = Ops::sqr(r);
    const uint32_t d = Ops::bits(e, pos, 4);
    if (d != 0) r = Ops::mul(r, table[d]);
  }
  return r;
}

}  // namespace bg::k
