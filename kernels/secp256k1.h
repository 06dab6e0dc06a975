// The secp256k1 curve for kernels/ecc.h: field and order parameters
// (kernels/secp256k1_params.h, generated) and the fixed-base table for G
// (kernels/secp256k1_comb_table.inc, 37 x 64 affine points, 151 KB).
#pragma once

#include "kernels/ecc.h"
#include "kernels/secp256k1_params.h"

namespace bg::k {

BG_DEVICE_TABLE uint64_t kSecp256k1CombTable[] = {
#include "kernels/secp256k1_comb_table.inc"
};
#if defined(__CUDACC__)
// nvcc's host pass gets its own copy, so host code built by nvcc works too.
static const uint64_t kSecp256k1CombTableHost[] = {
#include "kernels/secp256k1_comb_table.inc"
};
#endif

struct Secp256k1 {
  using Field = Secp256k1FieldParams;
  using Scalar = Secp256k1ScalarParams;
  using Consts = Secp256k1CurveConsts;
  using Glv = Secp256k1GlvConsts;
  static BG_HD const uint64_t* comb_table() {
#if defined(__CUDACC__) && !defined(__CUDA_ARCH__)
    return kSecp256k1CombTableHost;
#else
    return kSecp256k1CombTable;
#endif
  }
};

}  // namespace bg::k
