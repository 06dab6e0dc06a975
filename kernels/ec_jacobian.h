// Short-Weierstrass point formulas in Jacobian coordinates, written once for
// both ECDSA variants: v1 (kernels/ecc.h over Fp<P>) and v2
// (kernels/ecc_v2.h over Fe<P>). `Ops` is a field layer's ops struct
// (kernels/field_generic.h); J is any {x, y, z} Jacobian point of its
// elements (z = 0: infinity) and A any affine {x, y}. Formulas from the
// Explicit-Formulas Database; a = 0 (secp256k1) and a = -3 (P-256).
#pragma once

#include "kernels/field_generic.h"

namespace bg::k {

template <class Ops, class J>
BG_HD J jacobian_infinity() {
  return J{Ops::one(), Ops::one(), Ops::zero()};
}

// 2P; infinity (Z = 0) maps to infinity (Z3 carries the factor Z1), so loops
// may double without a test. No point of order 2 exists on these prime-order
// curves, so Y = 0 never occurs.
// a = 0 (dbl-2009-l): 2M + 5S.  a = -3 (dbl-2001-b): 3M + 5S.
template <class Ops, int kA, class J>
BG_HD J jacobian_double(const J& p) {
  using E = typename Ops::Elem;
  J r;
  if constexpr (kA == 0) {
    const E a = Ops::sqr(p.x);
    const E b = Ops::sqr(p.y);
    const E c = Ops::sqr(b);
    E d = Ops::sub(Ops::sub(Ops::sqr(Ops::add(p.x, b)), a), c);
    d = Ops::add(d, d);
    const E e = Ops::add(Ops::add(a, a), a);
    const E f = Ops::sqr(e);
    r.x = Ops::sub(f, Ops::add(d, d));
    E c8 = Ops::add(c, c);
    c8 = Ops::add(c8, c8);
    c8 = Ops::add(c8, c8);
    r.y = Ops::sub(Ops::mul(e, Ops::sub(d, r.x)), c8);
    const E yz = Ops::mul(p.y, p.z);
    r.z = Ops::add(yz, yz);
  } else {
    static_assert(kA == -3, "only a = 0 and a = -3 are implemented");
    const E delta = Ops::sqr(p.z);
    const E gamma = Ops::sqr(p.y);
    const E beta = Ops::mul(p.x, gamma);
    const E t = Ops::mul(Ops::sub(p.x, delta), Ops::add(p.x, delta));
    const E alpha = Ops::add(Ops::add(t, t), t);
    E beta4 = Ops::add(beta, beta);
    beta4 = Ops::add(beta4, beta4);
    r.x = Ops::sub(Ops::sqr(alpha), Ops::add(beta4, beta4));
    r.z = Ops::sub(Ops::sub(Ops::sqr(Ops::add(p.y, p.z)), gamma), delta);
    E g8 = Ops::sqr(gamma);
    g8 = Ops::add(g8, g8);
    g8 = Ops::add(g8, g8);
    g8 = Ops::add(g8, g8);
    r.y = Ops::sub(Ops::mul(alpha, Ops::sub(beta4, r.x)), g8);
  }
  return r;
}

// P + A with A affine (never infinity). madd-2007-bl: 7M + 4S; doubles when
// P = A, returns infinity when P = -A.
template <class Ops, int kA, class J, class A>
BG_HD J jacobian_add_mixed(const J& p, const A& a) {
  using E = typename Ops::Elem;
  if (Ops::is_zero(p.z)) return J{a.x, a.y, Ops::one()};
  const E z1z1 = Ops::sqr(p.z);
  const E u2 = Ops::mul(a.x, z1z1);
  const E s2 = Ops::mul(Ops::mul(a.y, p.z), z1z1);
  const E h = Ops::sub(u2, p.x);
  E rr = Ops::sub(s2, p.y);
  if (Ops::is_zero(h)) return Ops::is_zero(rr) ? jacobian_double<Ops, kA>(p) : jacobian_infinity<Ops, J>();
  rr = Ops::add(rr, rr);
  const E hh = Ops::sqr(h);
  E i = Ops::add(hh, hh);
  i = Ops::add(i, i);
  const E j = Ops::mul(h, i);
  const E v = Ops::mul(p.x, i);
  J r;
  r.x = Ops::sub(Ops::sub(Ops::sqr(rr), j), Ops::add(v, v));
  const E y1j = Ops::mul(p.y, j);
  r.y = Ops::sub(Ops::mul(rr, Ops::sub(v, r.x)), Ops::add(y1j, y1j));
  r.z = Ops::sub(Ops::sub(Ops::sqr(Ops::add(p.z, h)), z1z1), hh);
  return r;
}

// P + Q, both Jacobian. add-2007-bl: 11M + 5S; handles infinity, P = Q, P = -Q.
template <class Ops, int kA, class J>
BG_HD J jacobian_add(const J& p, const J& q) {
  using E = typename Ops::Elem;
  if (Ops::is_zero(p.z)) return q;
  if (Ops::is_zero(q.z)) return p;
  const E z1z1 = Ops::sqr(p.z);
  const E z2z2 = Ops::sqr(q.z);
  const E u1 = Ops::mul(p.x, z2z2);
  const E u2 = Ops::mul(q.x, z1z1);
  const E s1 = Ops::mul(Ops::mul(p.y, q.z), z2z2);
  const E s2 = Ops::mul(Ops::mul(q.y, p.z), z1z1);
  const E h = Ops::sub(u2, u1);
  E rr = Ops::sub(s2, s1);
  if (Ops::is_zero(h)) return Ops::is_zero(rr) ? jacobian_double<Ops, kA>(p) : jacobian_infinity<Ops, J>();
  rr = Ops::add(rr, rr);
  const E i = Ops::sqr(Ops::add(h, h));
  const E j = Ops::mul(h, i);
  const E v = Ops::mul(u1, i);
  J r;
  r.x = Ops::sub(Ops::sub(Ops::sqr(rr), j), Ops::add(v, v));
  const E s1j = Ops::mul(s1, j);
  r.y = Ops::sub(Ops::mul(rr, Ops::sub(v, r.x)), Ops::add(s1j, s1j));
  r.z = Ops::mul(Ops::sub(Ops::sub(Ops::sqr(Ops::add(p.z, q.z)), z1z1), z2z2), h);
  return r;
}

}  // namespace bg::k
