// Host-side SHA-256 (OpenSSL, SHA-NI where the CPU has it) and the RFC 6962
// Merkle root. The kernels' own SHA-256 (kernels/sha256.h) is tested equal.
#pragma once

#include <span>

#include "host/bytes.h"

namespace bg {

Hash32 sha256(ByteSpan data);
// RFC 6962 §2.1 Merkle Tree Hash over the ids (each leaf's data is the id).
Hash32 merkle_root(std::span<const Hash32> ids);

}  // namespace bg
