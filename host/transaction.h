// Transactions (SPEC §1): the in-memory form, the canonical binary codec, the
// JSON codec and the transaction id. Decoders are total: every input yields a
// transaction or one specific ErrorCode, with bounded allocation.
#pragma once

#include <array>
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/bytes.h"
#include "host/codes.h"
#include "kernels/schemes.h"

namespace bg {

// Scheme, its sizes and names: kernels/schemes.h (the scheme table).

constexpr size_t kDefaultMaxPayload = 65536;
// version + scheme + public key + signature + payload_len.
constexpr size_t tx_fixed_size(Scheme s) { return 2 + public_key_size(s) + signature_size(s) + 4; }
constexpr size_t kMinTxSize = 2 + kMinPublicKeySize + kMinSignatureSize + 4;

std::string_view scheme_name(Scheme s);
// Every scheme name in table order, joined by `sep`, for help text and errors.
std::string scheme_names(std::string_view sep = ", ");
std::optional<Scheme> scheme_from_name(std::string_view name);
std::optional<Scheme> scheme_from_byte(uint8_t b);

struct Transaction {
  Scheme scheme = Scheme::kEd25519;
  std::array<uint8_t, kMaxPublicKeySize> public_key{};  // first public_key_size(scheme) bytes used
  std::array<uint8_t, kMaxSignatureSize> signature{};   // first signature_size(scheme) bytes used
  Bytes payload;

  ByteSpan public_key_span() const { return {public_key.data(), public_key_size(scheme)}; }
  ByteSpan signature_span() const { return {signature.data(), signature_size(scheme)}; }
  size_t encoded_size() const { return tx_fixed_size(scheme) + payload.size(); }
  void append_encoding(Bytes& out) const;
  Bytes encode() const;
  // SHA-256 of the canonical encoding.
  Hash32 id() const;

  bool operator==(const Transaction&) const = default;
};

// Decodes one binary transaction from the front of `in`. On kOk, *consumed is
// its encoded length. On an error *consumed is the length to skip to reach
// the next transaction when that is knowable (a payload over the limit whose
// bytes are all present), else 0: the rest of the stream cannot be framed.
ErrorCode decode_tx_binary(ByteSpan in, size_t max_payload, Transaction* out, size_t* consumed);

// Decodes a JSON transaction object {"scheme","public_key","signature","payload"};
// other members are ignored.
ErrorCode decode_tx_json(const boost::json::value& v, size_t max_payload, Transaction* out);
// Parses `text` as JSON, then decode_tx_json. Unparseable text is kMalformed.
ErrorCode decode_tx_json_text(std::string_view text, size_t max_payload, Transaction* out);

boost::json::object tx_to_json(const Transaction& tx);

}  // namespace bg
