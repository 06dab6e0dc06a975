// The signature schemes (SPEC §1): the one table of their scheme bytes, names
// and sizes, and the compile-time dispatch over it. Everything that depends
// on which schemes exist reads this file; to add one, see "How to add a
// scheme" in docs/ARCHITECTURE.md. No CUDA runtime, usable from kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/hd.h"

namespace bg {

// The SPEC §1 scheme byte. Every enumerator has a row in kSchemes.
enum class Scheme : uint8_t { kEd25519 = 1, kSecp256k1 = 2, kP256 = 3 };

struct SchemeInfo {
  Scheme id;
  const char* name;         // the JSON "scheme" string
  uint8_t public_key_size;  // bytes on the wire
  uint8_t signature_size;   // bytes on the wire
};

// Row i holds scheme byte i + 1 (checked below), so a byte indexes the table.
inline constexpr SchemeInfo kSchemes[] = {
    {Scheme::kEd25519, "ed25519", 32, 64},      // RFC 8032 A; R ‖ S
    {Scheme::kSecp256k1, "secp256k1", 33, 64},  // compressed SEC1 point; r ‖ s, low-S
    {Scheme::kP256, "p256", 33, 64},            // compressed SEC1 point; r ‖ s, low-S
};
inline constexpr size_t kSchemeCount = sizeof(kSchemes) / sizeof(kSchemes[0]);

namespace scheme_detail {
constexpr bool table_is_dense() {
  for (size_t i = 0; i < kSchemeCount; ++i)
    if (size_t(kSchemes[i].id) != i + 1) return false;
  return true;
}
constexpr size_t max_of(uint8_t SchemeInfo::*field) {
  size_t m = 0;
  for (const SchemeInfo& s : kSchemes) m = s.*field > m ? s.*field : m;
  return m;
}
constexpr size_t min_of(uint8_t SchemeInfo::*field) {
  size_t m = SIZE_MAX;
  for (const SchemeInfo& s : kSchemes) m = s.*field < m ? s.*field : m;
  return m;
}
}  // namespace scheme_detail

static_assert(kSchemeCount > 0 && scheme_detail::table_is_dense(),
              "kSchemes: row i must hold scheme byte i + 1 (bytes are dense from 1)");

// Sizes every scheme fits in (fixed-size buffers, records, minimum lengths).
inline constexpr size_t kMaxPublicKeySize = scheme_detail::max_of(&SchemeInfo::public_key_size);
inline constexpr size_t kMinPublicKeySize = scheme_detail::min_of(&SchemeInfo::public_key_size);
inline constexpr size_t kMaxSignatureSize = scheme_detail::max_of(&SchemeInfo::signature_size);
inline constexpr size_t kMinSignatureSize = scheme_detail::min_of(&SchemeInfo::signature_size);

BG_HD constexpr bool is_known_scheme(uint8_t byte) { return byte >= 1 && byte <= kSchemeCount; }
// The row of a scheme in kSchemes (and in every per-scheme array).
BG_HD constexpr size_t scheme_index(Scheme s) { return size_t(s) - 1; }
BG_HD constexpr Scheme scheme_at(size_t index) { return Scheme(index + 1); }

// Host-side lookups (device code uses the per-scheme constants below: a
// kernel may not read a host table at run time).
constexpr const SchemeInfo& scheme_info(Scheme s) { return kSchemes[scheme_index(s)]; }
constexpr size_t public_key_size(Scheme s) { return scheme_info(s).public_key_size; }
constexpr size_t signature_size(Scheme s) { return scheme_info(s).signature_size; }

// Compile-time per-scheme constants (scalars: usable in device code).
template <Scheme S>
inline constexpr size_t kPublicKeySize = kSchemes[scheme_index(S)].public_key_size;
template <Scheme S>
inline constexpr size_t kSignatureSizeOf = kSchemes[scheme_index(S)].signature_size;

// A scheme as a type, for dispatching to per-scheme templates.
template <Scheme S>
struct SchemeTag {
  static constexpr Scheme value = S;
};

// Returns f(SchemeTag<S>{}) for the scheme S whose byte is `byte`, or
// `otherwise` when no row has that byte. Covers every row of kSchemes, so a
// new row reaches every dispatch; one without its per-scheme code fails to
// compile there.
template <class R, class F, size_t I = 0>
BG_HD R visit_scheme(uint8_t byte, const F& f, R otherwise) {
  if constexpr (I == kSchemeCount) {
    return otherwise;
  } else {
    if (byte == I + 1) return f(SchemeTag<Scheme(I + 1)>{});
    return visit_scheme<R, F, I + 1>(byte, f, otherwise);
  }
}

// For host-side per-scheme tables (reference verifiers, kernel launchers):
// true when `rows` has one row per scheme, in kSchemes order, each with an
// `id` member naming its scheme. Use as
//   static_assert(rows_follow_scheme_table(kMyRows), "...");
template <class Row, size_t N>
constexpr bool rows_follow_scheme_table(const Row (&rows)[N]) {
  if (N != kSchemeCount) return false;
  for (size_t i = 0; i < N; ++i)
    if (rows[i].id != kSchemes[i].id) return false;
  return true;
}

}  // namespace bg
