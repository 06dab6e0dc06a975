// Probe kernels for scripts/kernel-stats.sh: every fe25519 operation of one
// variant and nothing else, so its PTX counts are the field code's alone (the
// verify kernels also hold SHA-512, scalar reduction mod L and the group
// code). Compiled for counting only; never launched.
#include "kernels/fe25519.h"

namespace bg::k {

template <typename Fe, typename Ops>
__device__ void field_ops(const int32_t* in, int32_t* out, Ops ops) {
  Fe a, b;
  for (int i = 0; i < 10; ++i) a.v[i] = in[i], b.v[i] = in[10 + i];
  Fe c = ops.mul(a, b);
  c = ops.sq(c);
  c = ops.sq2(c);
  c = ops.invert(c);
  Fe r;
  const bool ok = ops.sqrt_ratio(a, c, &r);
  uint8_t s[32];
  ops.tobytes(s, r);
  for (int i = 0; i < 10; ++i) out[i] = r.v[i] + s[i] + ok;
}

#define BG_FIELD_PROBE(NS)                                                                              \
  struct NS##_ops {                                                                                    \
    __device__ NS::Fe mul(const NS::Fe& a, const NS::Fe& b) const { return NS::fe_mul(a, b); }        \
    __device__ NS::Fe sq(const NS::Fe& a) const { return NS::fe_sq(a); }                               \
    __device__ NS::Fe sq2(const NS::Fe& a) const { return NS::fe_sq2(a); }                             \
    __device__ NS::Fe invert(const NS::Fe& a) const { return NS::fe_invert(a); }                       \
    __device__ bool sqrt_ratio(const NS::Fe& u, const NS::Fe& v, NS::Fe* x) const {                    \
      return NS::fe_sqrt_ratio(u, v, x);                                                               \
    }                                                                                                  \
    __device__ void tobytes(uint8_t* s, const NS::Fe& a) const { NS::fe_tobytes(s, a); }               \
  };                                                                                                   \
  __global__ void fe25519_probe_##NS(const int32_t* in, int32_t* out) {                                \
    field_ops<NS::Fe>(in, out, NS##_ops{});                                                            \
  }

BG_FIELD_PROBE(ed_v1)
BG_FIELD_PROBE(ed_v2)

}  // namespace bg::k
