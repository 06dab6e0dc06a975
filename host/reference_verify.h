// SPEC §2 through the reference libraries themselves, one signature at a time:
// libsodium (ed25519), libsecp256k1 (secp256k1), OpenSSL plus low-S (P-256).
// The `cpu` backend runs this on every core.
#pragma once

#include "host/backend.h"

namespace bg {

// Call once before any verification (idempotent, thread-safe).
void reference_init();
bool reference_verify(const SigItem& item);

}  // namespace bg
