// Differential test of the Ed25519 kernel against libsodium 1.0.18 (SPEC §2's
// reference): 100,000 deterministic transactions, half of them damaged in the
// ways verifiers are known to disagree on (non-canonical S, small-order and
// non-canonical A and R, mixed-order keys, bit flips, random data). Compares
// bg::k::ed25519_verify with crypto_sign_verify_detached item by item, and the
// `kernels-on-cpu` backend with the `cpu` backend through make_backend() on a
// quarter of them. About 20 s of CPU time (x86-64, 2026).
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/backend.h"
#include "host/bytes.h"
#include "kernels/ed25519_small_order.h"
#include "kernels/ed25519_verify.h"

namespace bg {
namespace {

constexpr int kItems = 100000;
constexpr int kKeys = 64;

// Order-2, -4 and -8 points (both signs where x != 0), for mixed-order keys.
const char* const kTorsion[] = {
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // (0, -1), order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  // order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};
// Entry i of the shared small-order list (kernels/ed25519_small_order.h).
std::array<uint8_t, 32> small_order(size_t i) {
  std::array<uint8_t, 32> out{};
  std::memcpy(out.data(), k::ed25519_small_order_list().enc[i % k::kEd25519SmallOrderCount], 32);
  return out;
}
const uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                        0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                        0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

std::array<uint8_t, 32> hex32(const char* h) {
  std::array<uint8_t, 32> out{};
  auto b = from_hex(h);
  EXPECT_TRUE(b && b->size() == 32) << h;
  if (b) std::memcpy(out.data(), b->data(), 32);
  return out;
}

struct Key {
  uint8_t pk[32];
  uint8_t sk[64];
  uint8_t a[32];  // secret scalar mod L
};

// How an item was made; the first is an untouched signature.
enum Kind {
  kValid,
  kFlipR,
  kFlipS,
  kFlipPk,
  kFlipPayload,
  kSPlusL,
  kSHighBits,
  kSmallOrderR,
  kSmallOrderA,
  kNonCanonicalA,
  kNonCanonicalR,
  kMixedOrderA,    // A + T, signed over A + T: valid iff [k mod L]T = 0
  kMixedOrderR,    // R + T with S for R: never valid
  kRandomSig,      // random R, canonical random S
  kRandomPk,
  kWrongKey,
  kNumKinds
};

struct Item {
  Kind kind;
  std::array<uint8_t, 32> pk;
  std::array<uint8_t, 64> sig;
  Bytes payload;
};

class Corpus {
 public:
  explicit Corpus(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < kKeys; ++i) {
      Key k;
      uint8_t seed32[32];
      fill(seed32, 32);
      crypto_sign_seed_keypair(k.pk, k.sk, seed32);
      uint8_t h[64];
      crypto_hash_sha512(h, seed32, 32);
      h[0] &= 248;
      h[31] &= 127;
      h[31] |= 64;
      uint8_t wide[64] = {0};
      std::memcpy(wide, h, 32);
      crypto_core_ed25519_scalar_reduce(k.a, wide);
      keys_.push_back(k);
    }
  }

  Item make(int index) {
    Item it;
    const Key& key = keys_[rng_() % kKeys];
    it.payload = random_payload();
    std::memcpy(it.pk.data(), key.pk, 32);
    crypto_sign_detached(it.sig.data(), nullptr, it.payload.data(), it.payload.size(), key.sk);
    it.kind = (index % 2 == 0) ? kValid : Kind(1 + rng_() % (kNumKinds - 1));
    damage(it, key);
    return it;
  }

 private:
  void fill(uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(rng_());
  }
  // Mostly short payloads (the SHA-512 cost stays small), some long, a few
  // at the 64 KiB limit.
  Bytes random_payload() {
    const uint64_t r = rng_() % 1000;
    size_t len = r < 700 ? rng_() % 65 : r < 990 ? rng_() % 1025 : r < 999 ? rng_() % 8193 : 65536;
    Bytes p(len);
    fill(p.data(), len);
    return p;
  }
  void flip(uint8_t* p, size_t nbits) {
    const size_t bit = rng_() % nbits;
    p[bit / 8] ^= uint8_t(1 << (bit % 8));
  }
  // A signature by `key` over payload with the given 32-byte public-key
  // string in the hash (which need not be key's own) and nonce point R + T.
  void sign_custom(Item& it, const Key& key, const uint8_t* torsion_r) {
    uint8_t wide[64], r[32], rb[32], h[64], k[32], ka[32];
    fill(wide, 64);
    crypto_core_ed25519_scalar_reduce(r, wide);
    ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(rb, r), 0);
    if (torsion_r != nullptr) {
      ASSERT_EQ(crypto_core_ed25519_add(rb, rb, torsion_r), 0);
    }
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, rb, 32);
    crypto_hash_sha512_update(&st, it.pk.data(), 32);
    crypto_hash_sha512_update(&st, it.payload.data(), it.payload.size());
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(k, h);
    crypto_core_ed25519_scalar_mul(ka, k, key.a);
    std::memcpy(it.sig.data(), rb, 32);
    crypto_core_ed25519_scalar_add(it.sig.data() + 32, r, ka);
  }
  void damage(Item& it, const Key& key) {
    uint8_t* R = it.sig.data();
    uint8_t* S = it.sig.data() + 32;
    switch (it.kind) {
      case kValid:
      case kNumKinds:
        break;
      case kFlipR: flip(R, 256); break;
      case kFlipS: flip(S, 256); break;
      case kFlipPk: flip(it.pk.data(), 256); break;
      case kFlipPayload:
        if (it.payload.empty()) {
          it.payload.push_back(uint8_t(rng_()));
        } else {
          flip(it.payload.data(), 8 * it.payload.size());
        }
        break;
      case kSPlusL: {
        unsigned carry = 0;
        for (int i = 0; i < 32; ++i) {
          const unsigned t = S[i] + kL[i] + carry;
          S[i] = uint8_t(t);
          carry = t >> 8;
        }
        break;
      }
      case kSHighBits: S[31] |= uint8_t(0x10 << (rng_() % 4)); break;
      case kSmallOrderR: {
        auto e = small_order(rng_() % 7);
        e[31] |= uint8_t(rng_() % 2 ? 0x80 : 0);
        std::memcpy(R, e.data(), 32);
        if (rng_() % 2) std::memset(S, 0, 32);  // S = 0 makes [S]B - [k]A small order for small-order A
        break;
      }
      case kSmallOrderA: {
        auto e = small_order(rng_() % 7);
        e[31] |= uint8_t(rng_() % 2 ? 0x80 : 0);
        it.pk = e;
        break;
      }
      case kNonCanonicalA:
      case kNonCanonicalR: {
        // y = p + j for j in 0..18 (all 255-bit values >= p), either sign.
        auto e = hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        e[0] = uint8_t(0xed + rng_() % 19);
        e[31] |= uint8_t(rng_() % 2 ? 0x80 : 0);
        std::memcpy(it.kind == kNonCanonicalA ? it.pk.data() : R, e.data(), 32);
        break;
      }
      case kMixedOrderA: {
        const auto t = hex32(kTorsion[rng_() % 7]);
        ASSERT_EQ(crypto_core_ed25519_add(it.pk.data(), key.pk, t.data()), 0);
        sign_custom(it, key, nullptr);
        break;
      }
      case kMixedOrderR: {
        const auto t = hex32(kTorsion[rng_() % 7]);
        sign_custom(it, key, t.data());
        break;
      }
      case kRandomSig: {
        fill(R, 32);
        uint8_t wide[64];
        fill(wide, 64);
        crypto_core_ed25519_scalar_reduce(S, wide);
        break;
      }
      case kRandomPk: fill(it.pk.data(), 32); break;
      case kWrongKey: std::memcpy(it.pk.data(), keys_[rng_() % kKeys].pk, 32); break;
    }
  }

  std::mt19937_64 rng_;
  std::vector<Key> keys_;
};

TEST(Ed25519Differential, KernelMatchesLibsodiumOn100kTransactions) {
  ASSERT_GE(sodium_init(), 0);
  Corpus corpus(0xed25519);
  std::vector<Item> items;
  items.reserve(kItems);
  for (int i = 0; i < kItems; ++i) items.push_back(corpus.make(i));

  // Both verdicts for every item, on all cores (each call is independent).
  // got: variant 1 (bg::k::ed_v1, the default names); got2: variant 2
  // (kernels/verify_variant.h), whose portable code must agree too.
  std::vector<uint8_t> ref(kItems), got(kItems), got2(kItems);
  {
    const unsigned n_threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = t; i < items.size(); i += n_threads) {
          const Item& it = items[i];
          ref[i] = crypto_sign_verify_detached(it.sig.data(), it.payload.data(), it.payload.size(),
                                               it.pk.data()) == 0;
          got[i] = k::ed25519_verify(it.pk.data(), it.sig.data(), it.payload.data(), it.payload.size());
          got2[i] = k::ed_v2::ed25519_verify(it.pk.data(), it.sig.data(), it.payload.data(), it.payload.size());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  int valid_by_kind[kNumKinds] = {0}, count_by_kind[kNumKinds] = {0}, mismatches = 0, mismatches_v2 = 0;
  for (int i = 0; i < kItems; ++i) {
    const Item& it = items[i];
    ++count_by_kind[it.kind];
    valid_by_kind[it.kind] += ref[i];
    if (got[i] != ref[i] && ++mismatches <= 10) {
      ADD_FAILURE() << "item " << i << " kind " << it.kind << ": libsodium " << int(ref[i]) << " kernel "
                    << int(got[i]) << "\n pk " << to_hex(ByteSpan(it.pk)) << "\n sig " << to_hex(ByteSpan(it.sig))
                    << "\n payload " << to_hex(ByteSpan(it.payload.data(), std::min<size_t>(64, it.payload.size())));
    }
  }
  EXPECT_EQ(mismatches, 0);
  for (int i = 0; i < kItems; ++i) {
    if (got2[i] != ref[i] && ++mismatches_v2 <= 10) {
      ADD_FAILURE() << "variant 2, item " << i << " kind " << items[i].kind << ": libsodium " << int(ref[i])
                    << " kernel " << int(got2[i]);
    }
  }
  EXPECT_EQ(mismatches_v2, 0);
  // The corpus exercises both verdicts where both are possible.
  EXPECT_EQ(valid_by_kind[kValid], count_by_kind[kValid]);
  EXPECT_GT(valid_by_kind[kMixedOrderA], 0);
  EXPECT_LT(valid_by_kind[kMixedOrderA], count_by_kind[kMixedOrderA]);
  for (Kind k : {kSPlusL, kSHighBits, kSmallOrderR, kSmallOrderA, kNonCanonicalA, kNonCanonicalR, kMixedOrderR}) {
    EXPECT_GT(count_by_kind[k], 1000) << k;
    EXPECT_EQ(valid_by_kind[k], 0) << k;
  }
  for (int k = 0; k < kNumKinds; ++k) {
    std::printf("kind %2d: %6d items, %6d valid\n", k, count_by_kind[k], valid_by_kind[k]);
  }

  // Every fourth item through both backends as one batch each: the verdict
  // logic is checked above, this checks what make_backend() wires up.
  std::vector<SigItem> batch;
  std::vector<uint8_t> batch_ref;
  for (int i = 0; i < kItems; i += 4) {
    const Item& it = items[i];
    batch.push_back(SigItem{Scheme::kEd25519, it.pk.data(), it.sig.data(), it.payload.data(),
                            uint32_t(it.payload.size())});
    batch_ref.push_back(ref[i]);
  }
  for (const char* name : {"cpu", "kernels-on-cpu", "kernels-on-cpu v2"}) {
    BackendOptions opts;
    if (std::string_view(name) == "kernels-on-cpu v2") opts.kernel_variant[1] = 2;
    auto backend = make_backend(std::string_view(name).substr(0, std::string_view(name).find(' ')), opts);
    ASSERT_TRUE(backend.ok()) << backend.status();
    std::vector<uint8_t> valid(batch.size(), 2);
    ASSERT_TRUE((*backend)->verify_batch(batch, valid).ok());
    EXPECT_EQ(valid, batch_ref) << name;
  }
}

}  // namespace
}  // namespace bg
