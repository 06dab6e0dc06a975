// Block codecs.
#include "host/block.h"

#include <boost/json.hpp>
#include <cstring>

#include "host/hash.h"

namespace bg {

std::array<uint8_t, kHeaderSize> BlockHeader::encode() const {
  std::array<uint8_t, kHeaderSize> out{};
  uint8_t* p = out.data();
  p[0] = version;
  for (int i = 0; i < 8; ++i) p[1 + i] = uint8_t(height >> (8 * i));
  std::memcpy(p + 9, prev_hash.data(), 32);
  std::memcpy(p + 41, merkle_root.data(), 32);
  for (int i = 0; i < 8; ++i) p[73 + i] = uint8_t(timestamp_ms >> (8 * i));
  for (int i = 0; i < 4; ++i) p[81 + i] = uint8_t(tx_count >> (8 * i));
  return out;
}

bool BlockHeader::decode(ByteSpan in, BlockHeader* out) {
  if (in.size() < kHeaderSize) return false;
  const uint8_t* p = in.data();
  out->version = p[0];
  out->height = get_u64le(p + 1);
  std::memcpy(out->prev_hash.data(), p + 9, 32);
  std::memcpy(out->merkle_root.data(), p + 41, 32);
  out->timestamp_ms = get_u64le(p + 73);
  out->tx_count = get_u32le(p + 81);
  return true;
}

Hash32 BlockHeader::hash() const {
  auto enc = encode();
  return sha256(ByteSpan(enc.data(), enc.size()));
}

Bytes Block::encode() const {
  auto h = header.encode();
  Bytes out(h.begin(), h.end());
  for (const auto& tx : txs) tx.append_encoding(out);
  return out;
}

Block genesis_block() {
  Block b;
  b.header.merkle_root = sha256({});
  return b;
}

Hash32 compute_merkle_root(const std::vector<Transaction>& txs) {
  std::vector<Hash32> ids;
  ids.reserve(txs.size());
  for (const auto& tx : txs) ids.push_back(tx.id());
  return merkle_root(ids);
}

BlockDecodeError decode_block_binary(ByteSpan in, size_t max_payload, Block* out) {
  if (!BlockHeader::decode(in, &out->header)) return {ErrorCode::kMalformed, std::nullopt, "short header"};
  if (out->header.version != 1) return {ErrorCode::kMalformed, std::nullopt, "unsupported block version"};
  out->txs.clear();
  size_t off = kHeaderSize;
  uint32_t index = 0;
  while (off < in.size()) {
    Transaction tx;
    size_t used = 0;
    ErrorCode c = decode_tx_binary(in.subspan(off), max_payload, &tx, &used);
    if (c != ErrorCode::kOk) return {c, index, "transaction does not decode"};
    out->txs.push_back(std::move(tx));
    off += used;
    ++index;
  }
  if (out->txs.size() != out->header.tx_count)
    return {ErrorCode::kTxCountMismatch, std::nullopt, "tx_count does not match the transactions"};
  return {};
}

namespace {

bool get_u64(const boost::json::object& o, std::string_view key, uint64_t* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) return false;
  if (v->is_uint64()) { *out = v->get_uint64(); return true; }
  if (v->is_int64() && v->get_int64() >= 0) { *out = uint64_t(v->get_int64()); return true; }
  return false;
}

bool get_hash(const boost::json::object& o, std::string_view key, Hash32* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return false;
  auto h = hash_from_hex(std::string_view(v->get_string().data(), v->get_string().size()));
  if (!h) return false;
  *out = *h;
  return true;
}

}  // namespace

BlockDecodeError decode_block_json(const boost::json::value& v, size_t max_payload, Block* out) {
  const boost::json::object* o = v.if_object();
  if (o == nullptr) return {ErrorCode::kMalformed, std::nullopt, "block is not an object"};
  const boost::json::value* hv = o->if_contains("header");
  const boost::json::value* tv = o->if_contains("transactions");
  if (hv == nullptr || !hv->is_object()) return {ErrorCode::kMalformed, std::nullopt, "missing header"};
  if (tv == nullptr || !tv->is_array()) return {ErrorCode::kMalformed, std::nullopt, "missing transactions"};
  const boost::json::object& h = hv->get_object();
  uint64_t version = 0, height = 0, ts = 0, count = 0;
  BlockHeader& hd = out->header;
  if (!get_u64(h, "version", &version) || !get_u64(h, "height", &height) ||
      !get_u64(h, "timestamp_ms", &ts) || !get_u64(h, "tx_count", &count) ||
      !get_hash(h, "prev_hash", &hd.prev_hash) || !get_hash(h, "merkle_root", &hd.merkle_root) ||
      count > UINT32_MAX)
    return {ErrorCode::kMalformed, std::nullopt, "bad header field"};
  if (version != 1) return {ErrorCode::kMalformed, std::nullopt, "unsupported block version"};
  hd.version = 1;
  hd.height = height;
  hd.timestamp_ms = ts;
  hd.tx_count = uint32_t(count);
  const boost::json::array& arr = tv->get_array();
  out->txs.clear();
  out->txs.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    Transaction tx;
    ErrorCode c = decode_tx_json(arr[i], max_payload, &tx);
    if (c != ErrorCode::kOk) return {c, uint32_t(i), "transaction does not decode"};
    out->txs.push_back(std::move(tx));
  }
  if (arr.size() != hd.tx_count)
    return {ErrorCode::kTxCountMismatch, std::nullopt, "tx_count does not match the transactions"};
  return {};
}

BlockDecodeError decode_block_json_text(std::string_view text, size_t max_payload, Block* out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return {ErrorCode::kMalformed, std::nullopt, "unparseable JSON"};
  return decode_block_json(v, max_payload, out);
}

boost::json::object header_to_json(const BlockHeader& h) {
  boost::json::object o;
  o["version"] = h.version;
  o["height"] = h.height;
  o["prev_hash"] = to_hex(h.prev_hash);
  o["merkle_root"] = to_hex(h.merkle_root);
  o["timestamp_ms"] = h.timestamp_ms;
  o["tx_count"] = h.tx_count;
  return o;
}

boost::json::object block_to_json(const Block& b) {
  boost::json::object o;
  o["hash"] = to_hex(b.header.hash());
  o["header"] = header_to_json(b.header);
  boost::json::array txs;
  txs.reserve(b.txs.size());
  for (const auto& tx : b.txs) txs.push_back(tx_to_json(tx));
  o["transactions"] = std::move(txs);
  return o;
}

std::string block_to_json_text(const Block& b) { return boost::json::serialize(block_to_json(b)); }

}  // namespace bg
