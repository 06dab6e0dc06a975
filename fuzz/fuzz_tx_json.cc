// Fuzzes decode_tx_json_text: never crashes, and a decoded transaction
// survives JSON → text → JSON and binary encode → decode unchanged, with one
// canonical JSON text, and a smaller payload limit changes only that verdict.
#include <boost/json.hpp>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "host/transaction.h"

namespace {
constexpr size_t kSmallLimit = 64;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bg;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Transaction tx;
  const ErrorCode code = decode_tx_json_text(text, kDefaultMaxPayload, &tx);
  Transaction small;
  const ErrorCode small_code = decode_tx_json_text(text, kSmallLimit, &small);
  if (code != ErrorCode::kOk) {
    // The payload size is checked before its hex, so a smaller limit may turn
    // any verdict into payload_too_large, but never into ok.
    FUZZ_CHECK(small_code == code || small_code == ErrorCode::kPayloadTooLarge);
    return 0;
  }
  if (tx.payload.size() <= kSmallLimit) {
    FUZZ_CHECK(small_code == ErrorCode::kOk && small == tx);
  } else {
    FUZZ_CHECK(small_code == ErrorCode::kPayloadTooLarge);
  }

  const std::string json = boost::json::serialize(tx_to_json(tx));
  Transaction again;
  FUZZ_CHECK(decode_tx_json_text(json, kDefaultMaxPayload, &again) == ErrorCode::kOk);
  FUZZ_CHECK(again == tx);
  FUZZ_CHECK(boost::json::serialize(tx_to_json(again)) == json);

  const Bytes enc = tx.encode();
  Transaction from_binary;
  size_t used = 0;
  FUZZ_CHECK(decode_tx_binary(enc, kDefaultMaxPayload, &from_binary, &used) == ErrorCode::kOk);
  FUZZ_CHECK(used == enc.size() && from_binary == tx);
  return 0;
}
