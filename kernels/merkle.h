// RFC 6962 §2.1 Merkle Tree Hash as per-item steps. The recursive definition
// (split at the largest power of two below n) equals a bottom-up reduction in
// which each level hashes adjacent pairs and an unpaired last node moves up
// unchanged; that form maps onto one kernel launch per level.
#pragma once

#include "kernels/sha256.h"

namespace bg::k {

// leaf = SHA-256(0x00 ‖ data[32]).
BG_HD void merkle_leaf(const uint8_t data[32], uint8_t out[32]) {
  uint8_t buf[1 + 32];
  buf[0] = 0x00;
  for (int i = 0; i < 32; ++i) buf[1 + i] = data[i];
  sha256(buf, 33, out);
}

// node = SHA-256(0x01 ‖ left ‖ right).
BG_HD void merkle_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
  uint8_t buf[65];
  buf[0] = 0x01;
  for (int i = 0; i < 32; ++i) { buf[1 + i] = left[i]; buf[33 + i] = right[i]; }
  sha256(buf, 65, out);
}

// One reduction step of level `in` (n nodes) into `out` ((n + 1) / 2 nodes),
// item i of the step. `in` and `out` may alias only when out == in and the
// caller runs items in increasing order (CPU); the GPU uses two buffers.
BG_HD void merkle_level_item(const uint8_t* in, size_t n, uint8_t* out, size_t i) {
  if (2 * i + 1 < n) {
    merkle_node(in + 64 * i, in + 64 * i + 32, out + 32 * i);
  } else {
    for (int b = 0; b < 32; ++b) out[32 * i + b] = in[64 * i + b];
  }
}

}  // namespace bg::k
