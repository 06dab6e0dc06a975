// make_gpu_corpus: writes the corpus gpu_check reads on the GPU machine. Every
// expected verdict comes from the reference libraries (host/reference_verify.h),
// every expected hash from OpenSSL, every expected root from bg::merkle_root.
// It also checks the rule gpu_check relies on when it expands seeds on the
// device: each damaged copy of a valid signature (damage.h) is rejected.
//
//   make_gpu_corpus [--out out/gpu/corpus.bin] [--per-scheme 12000]
//                   [--vectors DIR] [--seed 1] [--flip-expected N (tests only)]
#include <boost/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "cmd/args.h"
#include "host/hash.h"
#include "host/reference_verify.h"
#include "host/signer.h"
#include "tools/gpu_check/corpus.h"
#include "tools/gpu_check/damage.h"

namespace bg::gpucheck {
namespace {

TxParts parts_of(const Transaction& tx) {
  TxParts p;
  p.scheme = uint8_t(tx.scheme);
  std::memcpy(p.key, tx.public_key.data(), sizeof p.key);
  std::memcpy(p.sig, tx.signature.data(), sizeof p.sig);
  p.payload = tx.payload;
  return p;
}

Transaction tx_of(const TxParts& p) {
  Transaction tx;
  tx.scheme = Scheme(p.scheme);
  std::memcpy(tx.public_key.data(), p.key, sizeof p.key);
  std::memcpy(tx.signature.data(), p.sig, sizeof p.sig);
  tx.payload = p.payload;
  return tx;
}

CorpusTx corpus_tx(const Transaction& tx, uint8_t origin, uint32_t source, uint8_t damage,
                   uint64_t payload_seed = 0) {
  CorpusTx c;
  c.payload_seed = payload_seed;
  c.scheme = uint8_t(tx.scheme);
  c.origin = origin;
  c.source = source;
  c.damage = damage;
  std::memcpy(c.key, tx.public_key.data(), sizeof c.key);
  std::memcpy(c.sig, tx.signature.data(), sizeof c.sig);
  c.payload = tx.payload;
  Hash32 id = tx.id();
  std::memcpy(c.id, id.data(), 32);
  c.expected_valid = reference_verify(sig_item(tx)) ? 1 : 0;
  return c;
}

// Payload lengths: mostly short, some around SHA-256 block edges, a few long.
size_t payload_length(SplitMix64& rng) {
  static const size_t kEdges[] = {0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 183, 184};
  uint32_t r = rng.below(100);
  if (r < 75) return rng.below(201);
  if (r < 95) return 200 + rng.below(801);
  if (r < 99) return kEdges[rng.below(sizeof(kEdges) / sizeof(kEdges[0]))];
  return 2048 + rng.below(6145);
}

int load_vectors(const std::string& path, uint8_t origin, Corpus* c) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "make_gpu_corpus: cannot open " << path << "\n";
    return -1;
  }
  std::string line;
  uint32_t lineno = 0;
  int added = 0;
  while (std::getline(in, line)) {
    ++lineno;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    std::string expected = std::string(v.as_object().at("expected").as_string());
    Transaction tx;
    if (decode_tx_json(v, kDefaultMaxPayload, &tx) != ErrorCode::kOk) continue;  // e.g. "malformed": not 64-byte signatures
    CorpusTx ct = corpus_tx(tx, origin, lineno, kNone);
    bool want = expected == "valid";
    if (bool(ct.expected_valid) != want) {
      std::cerr << "make_gpu_corpus: " << path << ":" << lineno << " reference says "
                << (ct.expected_valid ? "valid" : "invalid") << " but the vector file says " << expected << "\n";
      return -1;
    }
    c->txs.push_back(std::move(ct));
    ++added;
  }
  return added;
}

int run(int argc, char** argv) {
  auto parsed = cmd::Args::parse(argc, argv, {"out", "per-scheme", "vectors", "seed", "flip-expected"});
  if (!parsed.ok()) {
    std::cerr << "make_gpu_corpus: " << parsed.status().message() << "\n";
    return 2;
  }
  const cmd::Args& args = *parsed;
  std::string out = args.get("out", "out/gpu/corpus.bin");
  size_t per_scheme = std::stoul(args.get("per-scheme", "12000"));
  std::string vectors = args.get("vectors", BLOCKGATE_TESTVECTORS);
  uint64_t seed = std::stoull(args.get("seed", "1"));
  // Test knob: invert this many expected verdicts, so a test can prove that
  // gpu_check reports disagreement. Never used for a real corpus.
  size_t flip = std::stoul(args.get("flip-expected", "0"));
  reference_init();

  Corpus c;
  c.expand_seed = seed * 0x9e3779b97f4a7c15ULL + 7;
  int wy = load_vectors(vectors + "/blockgate_wycheproof.jsonl", kWycheproof, &c);
  int sc = load_vectors(vectors + "/blockgate_speccheck.jsonl", kSpeccheck, &c);
  if (wy < 0 || sc < 0) return 1;

  // Random transactions: 32 deterministic signers per scheme; about half the
  // transactions damaged. The valid ones are also gpu_check's expansion seeds.
  SplitMix64 rng(seed);
  std::map<std::pair<int, int>, std::array<size_t, 2>> by_kind;  // (scheme, damage) -> {count, rejected}
  size_t violations = 0;
  for (const SchemeInfo& info : kSchemes) {
    const Scheme s = info.id;
    std::vector<KeyPair> keys;
    while (keys.size() < 32) {
      uint8_t secret[32];
      for (auto& b : secret) b = uint8_t(rng.next());
      auto k = key_from_secret(s, ByteSpan(secret, 32));
      if (k.ok()) keys.push_back(*k);
    }
    TxParts donor = parts_of(sign_transaction(keys[0], Bytes{1, 2, 3}));
    for (size_t i = 0; i < per_scheme; ++i) {
      // Drawn from a seed, so the corpus carries the seed (corpus.h).
      size_t len = payload_length(rng);
      uint64_t payload_seed = rng.next() | 1;
      Bytes payload = generated_bytes(payload_seed, len);
      Transaction tx = sign_transaction(keys[rng.below(uint32_t(keys.size()))], payload);
      uint8_t damage = pick_damage(rng);
      TxParts parts = parts_of(tx);
      apply_damage(parts, damage, donor, rng);
      if (damage == kNone) donor = parts;  // the next damaged tx borrows from a recent valid one
      CorpusTx ct = corpus_tx(tx_of(parts), kRandom, uint32_t(i), damage, payload_seed);
      auto& k = by_kind[{int(s), damage}];
      ++k[0];
      if (!ct.expected_valid) ++k[1];
      if (damage == kNone && !ct.expected_valid) {
        std::cerr << "make_gpu_corpus: the reference rejects a fresh signature (scheme " << int(s) << ")\n";
        return 1;
      }
      if (damage != kNone && ct.expected_valid) {
        ++violations;
        std::cerr << "make_gpu_corpus: damage " << damage_name(damage) << " left a valid signature (scheme "
                  << int(s) << ", tx " << i << "); its expected verdict stays the reference's\n";
      }
      c.txs.push_back(std::move(ct));
    }
  }

  // SHA-256 vectors: every length 0..300 (all padding cases), then long ones.
  std::vector<size_t> lens;
  for (size_t n = 0; n <= 300; ++n) lens.push_back(n);
  for (size_t n : {511, 512, 513, 1000, 4095, 4096, 4097, 65535, 65536, 100000}) lens.push_back(n);
  for (size_t n : lens) {
    HashVector h;
    h.seed = rng.next() | 1;
    h.message = generated_bytes(h.seed, n);
    Hash32 d = sha256(h.message);
    std::memcpy(h.digest, d.data(), 32);
    c.hashes.push_back(std::move(h));
  }

  // Merkle cases: sizes 0..33 (every shape of a small tree), 1000, 65537.
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 33; ++n) sizes.push_back(n);
  sizes.push_back(1000);
  sizes.push_back(65537);
  for (size_t n : sizes) {
    MerkleCase m;
    m.seed = rng.next() | 1;
    m.ids = generated_bytes(m.seed, 32 * n);
    std::vector<Hash32> ids(n);
    for (size_t i = 0; i < n; ++i) std::memcpy(ids[i].data(), m.ids.data() + 32 * i, 32);
    Hash32 root = merkle_root(ids);
    std::memcpy(m.root, root.data(), 32);
    c.merkle.push_back(std::move(m));
  }

  for (size_t i = 0; i < flip && i < c.txs.size(); ++i) {
    CorpusTx& t = c.txs[(i * 7919) % c.txs.size()];
    t.expected_valid ^= 1;
  }
  std::vector<uint8_t> bytes = serialize_corpus(c);
  std::error_code ec;
  if (auto parent = std::filesystem::path(out).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f || !f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size())) || !f.flush()) {
    std::cerr << "make_gpu_corpus: cannot write " << out << "\n";
    return 1;
  }

  std::cout << "make_gpu_corpus: wrote " << out << " (" << bytes.size() << " bytes): " << c.txs.size()
            << " transactions (" << wy << " wycheproof, " << sc << " speccheck, " << kSchemeCount * per_scheme
            << " random), " << c.hashes.size() << " hash vectors, " << c.merkle.size() << " merkle cases\n";
  std::cout << "damage rule (damaged copy of a valid signature => rejected), checked with the reference:\n";
  for (const auto& [key, k] : by_kind)
    std::cout << "  scheme " << key.first << " " << damage_name(uint8_t(key.second)) << ": " << k[0]
              << " transactions, " << k[1] << " rejected\n";
  std::cout << "  violations: " << violations << "\n";
  return violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace bg::gpucheck

int main(int argc, char** argv) { return bg::gpucheck::run(argc, argv); }
