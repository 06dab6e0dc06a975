// The p256 curve for kernels/ecc.h: field and order parameters
// (kernels/p256_params.h, generated) and the fixed-base table for G
// (kernels/p256_comb_table.inc, 37 x 64 affine points, 151 KB).
#pragma once

#include "kernels/ecc.h"
#include "kernels/p256_params.h"

namespace bg::k {

BG_DEVICE_TABLE uint64_t kP256CombTable[] = {
#include "kernels/p256_comb_table.inc"
};
#if defined(__CUDACC__)
// nvcc's host pass gets its own copy, so host code built by nvcc works too.
static const uint64_t kP256CombTableHost[] = {
#include "kernels/p256_comb_table.inc"
};
#endif

struct P256 {
  using Field = P256FieldParams;
  using Scalar = P256ScalarParams;
  using Consts = P256CurveConsts;
  static BG_HD const uint64_t* comb_table() {
#if defined(__CUDACC__) && !defined(__CUDA_ARCH__)
    return kP256CombTableHost;
#else
    return kP256CombTable;
#endif
  }
};

}  // namespace bg::k
