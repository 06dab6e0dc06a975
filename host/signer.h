// Key generation and signing for all three schemes (keygen, sign, loadgen and
// test corpora). ECDSA signatures always come out low-S (SPEC §2).
#pragma once

#include <absl/status/statusor.h>

#include "host/bytes.h"
#include "host/transaction.h"

namespace bg {

struct KeyPair {
  Scheme scheme = Scheme::kEd25519;
  Bytes secret_key;  // ed25519: 32-byte seed; ECDSA: 32-byte big-endian scalar
  Bytes public_key;  // 32 bytes (ed25519) or 33-byte compressed SEC1
};

// A fresh key from the OS random source.
KeyPair generate_key(Scheme scheme);
// The key for a given secret (32 bytes). InvalidArgument when the secret is not
// a valid scalar (zero or >= n for ECDSA).
absl::StatusOr<KeyPair> key_from_secret(Scheme scheme, ByteSpan secret);

// A signed transaction carrying `payload`.
Transaction sign_transaction(const KeyPair& key, Bytes payload);

// JSON of a key pair: {"scheme","secret_key","public_key"}; and back.
std::string key_to_json(const KeyPair& key);
absl::StatusOr<KeyPair> key_from_json(std::string_view text);

}  // namespace bg
