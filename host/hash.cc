// SHA-256 via OpenSSL's low-level context API; Merkle root bottom-up in one
// buffer. OpenSSL 3's one-shot SHA256() fetches the algorithm on every call
// (~400 ns, more than hashing a 128-byte transaction with SHA-NI takes), so
// SHA256_Init/Update/Final, deprecated but the same SHA-NI code underneath,
// hashes small inputs about 3.5x faster (docs/PERFORMANCE.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "host/hash.h"

#include <openssl/sha.h>

#include <cstring>
#include <vector>

namespace bg {

Hash32 sha256(ByteSpan data) {
  Hash32 out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash32 merkle_root(std::span<const Hash32> ids) {
  if (ids.empty()) return sha256({});
  std::vector<Hash32> level(ids.size());
  uint8_t buf[65];
  buf[0] = 0x00;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::memcpy(buf + 1, ids[i].data(), 32);
    level[i] = sha256(ByteSpan(buf, 33));
  }
  // Pair adjacent nodes; an unpaired last node moves up unchanged. This equals
  // RFC 6962's split at the largest power of two below n.
  buf[0] = 0x01;
  size_t n = level.size();
  while (n > 1) {
    size_t m = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
      std::memcpy(buf + 1, level[i].data(), 32);
      std::memcpy(buf + 33, level[i + 1].data(), 32);
      level[m++] = sha256(ByteSpan(buf, 65));
    }
    if (n % 2 == 1) level[m++] = level[n - 1];
    n = m;
  }
  return level[0];
}

}  // namespace bg
