// The error codes of SPEC §3, shared by decoders, the verifier, the ledger
// and the HTTP layer. kOk means "no error".
#pragma once

#include <cstdint>
#include <string_view>

namespace bg {

enum class ErrorCode : uint8_t {
  kOk = 0,
  kMalformed,
  kUnsupportedScheme,
  kPayloadTooLarge,
  kInvalidSignature,
  kDuplicate,
  kBadMerkleRoot,
  kBadTimestamp,
  kTxCountMismatch,
  kNotExtendingTip,
};

constexpr std::string_view error_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnsupportedScheme: return "unsupported_scheme";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kInvalidSignature: return "invalid_signature";
    case ErrorCode::kDuplicate: return "duplicate";
    case ErrorCode::kBadMerkleRoot: return "bad_merkle_root";
    case ErrorCode::kBadTimestamp: return "bad_timestamp";
    case ErrorCode::kTxCountMismatch: return "tx_count_mismatch";
    case ErrorCode::kNotExtendingTip: return "not_extending_tip";
  }
  return "unknown";
}

}  // namespace bg
