// Fuzzes decode_block_json_text: never crashes, and an accepted block
// survives JSON → text → JSON (one canonical text) and binary encode → decode.
#include "fuzz/fuzz_check.h"
#include "host/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bg;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Block b;
  const BlockDecodeError err = decode_block_json_text(text, kDefaultMaxPayload, &b);
  if (!err.ok()) {
    FUZZ_CHECK(err.code != ErrorCode::kOk);
    return 0;
  }
  FUZZ_CHECK(b.header.version == 1 && b.header.tx_count == b.txs.size());

  const std::string json = block_to_json_text(b);
  Block again;
  FUZZ_CHECK(decode_block_json_text(json, kDefaultMaxPayload, &again).ok());
  FUZZ_CHECK(again == b);
  FUZZ_CHECK(block_to_json_text(again) == json);

  Block from_binary;
  FUZZ_CHECK(decode_block_binary(b.encode(), kDefaultMaxPayload, &from_binary).ok());
  FUZZ_CHECK(from_binary == b);
  return 0;
}
