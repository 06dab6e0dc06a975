// Ed25519 group arithmetic on -x^2 + y^2 = 1 + d x^2 y^2 in extended twisted
// Edwards coordinates (Hisil-Wong-Carter-Dawson 2008), point decoding and
// encoding, and the variable-time double-scalar multiplication [a]P + [b]B
// that verification needs. Built on fe25519.h only (no limb access here).
//
// Point forms (the ref10 names): P2 (X:Y:Z); P3 (X:Y:Z:T) with XY = ZT;
// P1P1 "completed" ((X:Z), (Y:T)); Cached (Y+X, Y-X, Z, 2dT) for additions of
// a computed point; Niels (y+x, y-x, 2dxy) for an affine table point.
// The addition formulas are complete on this curve (a = -1 is a square, d is
// not), so points of any order -- small, mixed, identity -- are handled
// exactly; verification relies on that for mixed-order public keys.
#pragma once

#include "kernels/ed25519_base_table.h"
#include "kernels/fe25519.h"

namespace bg::k {

namespace ed_v1 {
#include "kernels/ed25519_impl.inc"
}  // namespace ed_v1

namespace ed_v2 {
#include "kernels/ed25519_impl.inc"
}  // namespace ed_v2

}  // namespace bg::k
