// The GPU check corpus: a binary file made here by make_gpu_corpus (with the
// reference libraries) and read on the GPU machine by gpu_check, which has
// only the CUDA toolkit. Little-endian throughout; layout in docs/GPU.md:
//
//   magic "BGGPUCK1" | u32 version=2 | u64 expand_seed | u32 n_tx | u32 n_hash | u32 n_merkle
//   n_tx    × { u8 scheme, u8 expected_valid, u8 damage, u8 origin, u32 source,
//               key[kMaxPublicKeySize], sig[kMaxSignatureSize], id[32], bytes payload }
//   (kernels/schemes.h: 33 and 64 bytes with today's schemes; a scheme with
//   larger keys or signatures changes the layout and needs a new version)
//   n_hash  × { digest[32], bytes message }
//   n_merkle× { root[32], bytes ids (32 n) }
//   sha256 of every byte above [32]
//
// where `bytes` is u8 form, u32 len, then form 0: len bytes as they are;
// form 1: u64 seed, the bytes being generated_bytes(seed, len). The generator
// draws its random payloads, hash messages and Merkle ids that way, so most of
// them travel as 13 bytes; a payload that damage changed (a flipped bit, an
// appended byte) no longer matches its seed's stream and travels as it is.
// Every expected verdict, digest and root is still computed here, by the
// reference libraries, on the expanded bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/schemes.h"
#include "kernels/sha256.h"

namespace bg::gpucheck {

constexpr char kCorpusMagic[8] = {'B', 'G', 'G', 'P', 'U', 'C', 'K', '1'};
constexpr uint32_t kCorpusVersion = 2;

enum Origin : uint8_t { kWycheproof = 0, kSpeccheck = 1, kRandom = 2 };
inline const char* origin_name(uint8_t o) {
  return o == kWycheproof ? "wycheproof" : o == kSpeccheck ? "speccheck" : o == kRandom ? "random" : "?";
}

// The bytes a form-1 field stands for: splitmix64(seed) words, little-endian.
// A stream, so generated_bytes(s, n) is a prefix of generated_bytes(s, n + k).
inline std::vector<uint8_t> generated_bytes(uint64_t seed, size_t len) {
  std::vector<uint8_t> out(len);
  uint64_t s = seed;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < len; ++j) out[i + j] = uint8_t(z >> (8 * j));
  }
  return out;
}

struct CorpusTx {
  uint8_t scheme = 0;
  uint8_t expected_valid = 0;  // the reference libraries' verdict (SPEC §2)
  uint8_t damage = 0;          // damage.h kind applied to a valid signature (random txs)
  uint8_t origin = 0;
  uint32_t source = 0;         // line in the vector file, or index of the random tx
  uint8_t key[kMaxPublicKeySize] = {};  // first public_key_size(scheme) bytes used
  uint8_t sig[kMaxSignatureSize] = {};  // first signature_size(scheme) bytes used
  uint8_t id[32] = {};         // OpenSSL SHA-256 of the canonical encoding
  std::vector<uint8_t> payload;
  uint64_t payload_seed = 0;   // nonzero: payload was drawn as generated_bytes(payload_seed, len)

  size_t key_len() const { return public_key_size(Scheme(scheme)); }
  size_t sig_len() const { return signature_size(Scheme(scheme)); }
  // SPEC §1 canonical encoding: version ‖ scheme ‖ key ‖ sig ‖ u32 len ‖ payload.
  std::vector<uint8_t> encode() const {
    std::vector<uint8_t> out;
    out.reserve(2 + key_len() + sig_len() + 4 + payload.size());
    out.push_back(1);
    out.push_back(scheme);
    out.insert(out.end(), key, key + key_len());
    out.insert(out.end(), sig, sig + sig_len());
    uint32_t n = uint32_t(payload.size());
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(n >> (8 * i)));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  }
};

struct HashVector {
  std::vector<uint8_t> message;
  uint64_t seed = 0;  // nonzero: message was drawn as generated_bytes(seed, len)
  uint8_t digest[32] = {};
};

struct MerkleCase {
  std::vector<uint8_t> ids;  // 32 bytes each
  uint64_t seed = 0;         // nonzero: ids were drawn as generated_bytes(seed, 32 n)
  uint8_t root[32] = {};
  size_t count() const { return ids.size() / 32; }
};

struct Corpus {
  uint64_t expand_seed = 0;
  std::vector<CorpusTx> txs;
  std::vector<HashVector> hashes;
  std::vector<MerkleCase> merkle;
};

namespace detail {
inline void put32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(uint8_t(v >> (8 * i)));
}
inline void put64(std::vector<uint8_t>& o, uint64_t v) {
  for (int i = 0; i < 8; ++i) o.push_back(uint8_t(v >> (8 * i)));
}
// A `bytes` field: form 1 (seed) when the bytes are exactly the seed's
// stream, else form 0 (the bytes themselves).
inline void put_bytes(std::vector<uint8_t>& o, const std::vector<uint8_t>& b, uint64_t seed) {
  bool generated = seed != 0 && generated_bytes(seed, b.size()) == b;
  o.push_back(generated ? 1 : 0);
  put32(o, uint32_t(b.size()));
  if (generated)
    put64(o, seed);
  else
    o.insert(o.end(), b.begin(), b.end());
}
struct Reader {
  const uint8_t* p;
  size_t left;
  bool ok = true;
  const uint8_t* take(size_t n) {
    if (!ok || n > left) { ok = false; return nullptr; }
    const uint8_t* r = p;
    p += n;
    left -= n;
    return r;
  }
  uint32_t u32() {
    const uint8_t* b = take(4);
    return b ? uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24 : 0;
  }
  uint64_t u64() { uint64_t lo = u32(); return lo | uint64_t(u32()) << 32; }
  uint8_t u8() { const uint8_t* b = take(1); return b ? *b : 0; }
  void copy(uint8_t* dst, size_t n) { const uint8_t* b = take(n); if (b) std::memcpy(dst, b, n); }
  // A `bytes` field, at most max_len long (the counts come from the file).
  bool bytes(std::vector<uint8_t>* out, uint64_t* seed, size_t max_len) {
    uint8_t form = u8();
    uint32_t len = u32();
    if (!ok || form > 1 || len > max_len) return ok = false;
    if (form == 1) {
      *seed = u64();
      if (!ok) return false;
      *out = generated_bytes(*seed, len);
      return true;
    }
    if (len > left) return ok = false;
    out->assign(p, p + len);
    take(len);
    return true;
  }
};
// Largest field a corpus may hold (a payload, a message, a Merkle case's ids).
constexpr size_t kMaxCorpusField = size_t(1) << 28;
}  // namespace detail

inline std::vector<uint8_t> serialize_corpus(const Corpus& c) {
  std::vector<uint8_t> o(kCorpusMagic, kCorpusMagic + 8);
  detail::put32(o, kCorpusVersion);
  detail::put64(o, c.expand_seed);
  detail::put32(o, uint32_t(c.txs.size()));
  detail::put32(o, uint32_t(c.hashes.size()));
  detail::put32(o, uint32_t(c.merkle.size()));
  for (const CorpusTx& t : c.txs) {
    o.push_back(t.scheme);
    o.push_back(t.expected_valid);
    o.push_back(t.damage);
    o.push_back(t.origin);
    detail::put32(o, t.source);
    o.insert(o.end(), t.key, t.key + sizeof t.key);
    o.insert(o.end(), t.sig, t.sig + sizeof t.sig);
    o.insert(o.end(), t.id, t.id + 32);
    detail::put_bytes(o, t.payload, t.payload_seed);
  }
  for (const HashVector& h : c.hashes) {
    o.insert(o.end(), h.digest, h.digest + 32);
    detail::put_bytes(o, h.message, h.seed);
  }
  for (const MerkleCase& m : c.merkle) {
    o.insert(o.end(), m.root, m.root + 32);
    detail::put_bytes(o, m.ids, m.seed);
  }
  uint8_t sum[32];
  bg::k::sha256(o.data(), o.size(), sum);
  o.insert(o.end(), sum, sum + 32);
  return o;
}

// Parses a whole corpus file image; on failure returns false and says why.
inline bool parse_corpus(const std::vector<uint8_t>& file, Corpus* c, std::string* err) {
  if (file.size() < 8 + 4 + 8 + 12 + 32 || std::memcmp(file.data(), kCorpusMagic, 8) != 0) {
    *err = "not a gpu_check corpus (bad magic or too short)";
    return false;
  }
  uint8_t sum[32];
  bg::k::sha256(file.data(), file.size() - 32, sum);
  if (std::memcmp(sum, file.data() + file.size() - 32, 32) != 0) {
    *err = "corpus checksum mismatch (truncated or corrupted copy)";
    return false;
  }
  detail::Reader r{file.data() + 8, file.size() - 8 - 32};
  if (r.u32() != kCorpusVersion) {
    *err = "unsupported corpus version";
    return false;
  }
  c->expand_seed = r.u64();
  uint32_t n_tx = r.u32(), n_hash = r.u32(), n_merkle = r.u32();
  c->txs.resize(n_tx);
  for (CorpusTx& t : c->txs) {
    t.scheme = r.u8();
    t.expected_valid = r.u8();
    t.damage = r.u8();
    t.origin = r.u8();
    t.source = r.u32();
    r.copy(t.key, sizeof t.key);
    r.copy(t.sig, sizeof t.sig);
    r.copy(t.id, 32);
    if (!r.bytes(&t.payload, &t.payload_seed, detail::kMaxCorpusField)) break;
  }
  c->hashes.resize(r.ok ? n_hash : 0);
  for (HashVector& h : c->hashes) {
    r.copy(h.digest, 32);
    if (!r.bytes(&h.message, &h.seed, detail::kMaxCorpusField)) break;
  }
  c->merkle.resize(r.ok ? n_merkle : 0);
  for (MerkleCase& m : c->merkle) {
    r.copy(m.root, 32);
    if (!r.bytes(&m.ids, &m.seed, detail::kMaxCorpusField) || m.ids.size() % 32 != 0) { r.ok = false; break; }
  }
  if (!r.ok || r.left != 0) {
    *err = "corpus structure is inconsistent with its counts";
    return false;
  }
  return true;
}

inline bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out->clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

}  // namespace bg::gpucheck
