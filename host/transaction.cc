// Transaction codecs. Check order on JSON input: shape, scheme, key and
// signature sizes, payload size, payload hex.
#include "host/transaction.h"

#include <boost/json.hpp>
#include <cstring>

#include "host/hash.h"

namespace bg {

std::string_view scheme_name(Scheme s) {
  if (!is_known_scheme(uint8_t(s))) return "unknown";
  return scheme_info(s).name;
}

std::string scheme_names(std::string_view sep) {
  std::string out;
  for (const SchemeInfo& s : kSchemes) {
    if (!out.empty()) out += sep;
    out += s.name;
  }
  return out;
}

std::optional<Scheme> scheme_from_name(std::string_view name) {
  for (const SchemeInfo& s : kSchemes)
    if (name == s.name) return s.id;
  return std::nullopt;
}

std::optional<Scheme> scheme_from_byte(uint8_t b) {
  if (is_known_scheme(b)) return Scheme(b);
  return std::nullopt;
}

// No reserve() here: exact reservations on every append would make encoding a
// whole block quadratic; the vector's geometric growth keeps it linear.
void Transaction::append_encoding(Bytes& out) const {
  out.push_back(1);
  out.push_back(uint8_t(scheme));
  ByteSpan pk = public_key_span();
  out.insert(out.end(), pk.begin(), pk.end());
  ByteSpan sig = signature_span();
  out.insert(out.end(), sig.begin(), sig.end());
  put_u32le(out, uint32_t(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

Bytes Transaction::encode() const {
  Bytes out;
  out.reserve(encoded_size());
  append_encoding(out);
  return out;
}

Hash32 Transaction::id() const { return sha256(encode()); }

ErrorCode decode_tx_binary(ByteSpan in, size_t max_payload, Transaction* out, size_t* consumed) {
  *consumed = 0;
  if (in.size() < 2) return ErrorCode::kMalformed;
  if (in[0] != 1) return ErrorCode::kMalformed;
  auto scheme = scheme_from_byte(in[1]);
  if (!scheme) return ErrorCode::kUnsupportedScheme;
  const size_t fixed = tx_fixed_size(*scheme);
  if (in.size() < fixed) return ErrorCode::kMalformed;
  const size_t pk_len = public_key_size(*scheme);
  const size_t sig_len = signature_size(*scheme);
  const uint32_t payload_len = get_u32le(in.data() + fixed - 4);
  if (payload_len > max_payload) {
    if (in.size() - fixed >= payload_len) *consumed = fixed + payload_len;
    return ErrorCode::kPayloadTooLarge;
  }
  if (in.size() - fixed < payload_len) return ErrorCode::kMalformed;
  out->scheme = *scheme;
  out->public_key.fill(0);
  out->signature.fill(0);
  std::memcpy(out->public_key.data(), in.data() + 2, pk_len);
  std::memcpy(out->signature.data(), in.data() + 2 + pk_len, sig_len);
  out->payload.assign(in.data() + fixed, in.data() + fixed + payload_len);
  *consumed = fixed + payload_len;
  return ErrorCode::kOk;
}

namespace {

// Decodes hex member `key` into exactly `size` bytes.
bool hex_member_fixed(const boost::json::object& o, std::string_view key, uint8_t* dst, size_t size) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return false;
  const boost::json::string& s = v->get_string();
  if (s.size() != 2 * size) return false;
  auto bytes = from_hex(std::string_view(s.data(), s.size()));
  if (!bytes) return false;
  std::memcpy(dst, bytes->data(), size);
  return true;
}

}  // namespace

ErrorCode decode_tx_json(const boost::json::value& v, size_t max_payload, Transaction* out) {
  const boost::json::object* o = v.if_object();
  if (o == nullptr) return ErrorCode::kMalformed;
  const boost::json::value* scheme_v = o->if_contains("scheme");
  if (scheme_v == nullptr || !scheme_v->is_string()) return ErrorCode::kMalformed;
  const boost::json::string& scheme_s = scheme_v->get_string();
  auto scheme = scheme_from_name(std::string_view(scheme_s.data(), scheme_s.size()));
  if (!scheme) return ErrorCode::kUnsupportedScheme;
  out->scheme = *scheme;
  out->public_key.fill(0);
  out->signature.fill(0);
  if (!hex_member_fixed(*o, "public_key", out->public_key.data(), public_key_size(*scheme)))
    return ErrorCode::kMalformed;
  if (!hex_member_fixed(*o, "signature", out->signature.data(), signature_size(*scheme)))
    return ErrorCode::kMalformed;
  const boost::json::value* payload_v = o->if_contains("payload");
  if (payload_v == nullptr || !payload_v->is_string()) return ErrorCode::kMalformed;
  const boost::json::string& p = payload_v->get_string();
  if (p.size() % 2 != 0) return ErrorCode::kMalformed;
  if (p.size() / 2 > max_payload) return ErrorCode::kPayloadTooLarge;
  auto payload = from_hex(std::string_view(p.data(), p.size()));
  if (!payload) return ErrorCode::kMalformed;
  out->payload = std::move(*payload);
  return ErrorCode::kOk;
}

ErrorCode decode_tx_json_text(std::string_view text, size_t max_payload, Transaction* out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return ErrorCode::kMalformed;
  return decode_tx_json(v, max_payload, out);
}

boost::json::object tx_to_json(const Transaction& tx) {
  boost::json::object o;
  o["scheme"] = scheme_name(tx.scheme);
  o["public_key"] = to_hex(tx.public_key_span());
  o["signature"] = to_hex(tx.signature_span());
  o["payload"] = to_hex(tx.payload);
  return o;
}

}  // namespace bg
