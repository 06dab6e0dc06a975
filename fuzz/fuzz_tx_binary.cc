// Fuzzes decode_tx_binary: never crashes, and a decoded transaction re-encodes
// to exactly the bytes it consumed, decodes again to itself, survives the JSON
// codec, and a smaller payload limit changes only the too-large verdict.
#include <boost/json.hpp>
#include <cstring>

#include "fuzz/fuzz_check.h"
#include "host/transaction.h"

namespace {
constexpr size_t kSmallLimit = 64;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bg;
  const ByteSpan in(data, size);
  Transaction tx;
  size_t used = 0;
  const ErrorCode code = decode_tx_binary(in, kDefaultMaxPayload, &tx, &used);

  Transaction small;
  size_t small_used = 0;
  const ErrorCode small_code = decode_tx_binary(in, kSmallLimit, &small, &small_used);

  if (code != ErrorCode::kOk) {
    // Only an over-limit payload whose bytes are all present may be skipped.
    FUZZ_CHECK(used == 0 || code == ErrorCode::kPayloadTooLarge);
    FUZZ_CHECK(used <= size);
    FUZZ_CHECK(small_code != ErrorCode::kOk);
    return 0;
  }
  FUZZ_CHECK(used >= kMinTxSize && used <= size);
  FUZZ_CHECK(used == tx.encoded_size());
  const Bytes enc = tx.encode();
  FUZZ_CHECK(enc.size() == used && std::memcmp(enc.data(), data, used) == 0);

  Transaction again;
  size_t again_used = 0;
  FUZZ_CHECK(decode_tx_binary(enc, kDefaultMaxPayload, &again, &again_used) == ErrorCode::kOk);
  FUZZ_CHECK(again_used == used && again == tx);
  FUZZ_CHECK(again.id() == tx.id());

  const std::string json = boost::json::serialize(tx_to_json(tx));
  Transaction from_json;
  FUZZ_CHECK(decode_tx_json_text(json, kDefaultMaxPayload, &from_json) == ErrorCode::kOk);
  FUZZ_CHECK(from_json == tx);

  if (tx.payload.size() <= kSmallLimit) {
    FUZZ_CHECK(small_code == ErrorCode::kOk && small == tx && small_used == used);
  } else {
    FUZZ_CHECK(small_code == ErrorCode::kPayloadTooLarge && small_used == used);
  }
  return 0;
}
