// Fuzzes decode_block_binary: never crashes, an accepted block is exactly its
// input bytes re-encoded, survives the JSON codec, and a transaction error
// names a transaction that exists in the input.
#include <cstring>

#include "fuzz/fuzz_check.h"
#include "host/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bg;
  const ByteSpan in(data, size);
  Block b;
  const BlockDecodeError err = decode_block_binary(in, kDefaultMaxPayload, &b);
  if (!err.ok()) {
    FUZZ_CHECK(err.code != ErrorCode::kOk);
    if (err.tx_index) FUZZ_CHECK(size >= kHeaderSize && *err.tx_index == b.txs.size());
    return 0;
  }
  FUZZ_CHECK(b.header.version == 1 && b.header.tx_count == b.txs.size());
  const Bytes enc = b.encode();
  FUZZ_CHECK(enc.size() == size && std::memcmp(enc.data(), data, size) == 0);

  Block from_json;
  const BlockDecodeError jerr = decode_block_json_text(block_to_json_text(b), kDefaultMaxPayload, &from_json);
  FUZZ_CHECK(jerr.ok() && from_json == b);
  FUZZ_CHECK(from_json.header.hash() == b.header.hash());
  return 0;
}
