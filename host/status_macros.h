// Early return on error for absl::Status / absl::StatusOr code:
//   BG_RETURN_IF_ERROR(writer.flush());
//   BG_ASSIGN_OR_RETURN(Block b, ledger.read_block(h));
// Each evaluates its expression once and returns its status unchanged.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <utility>

#define BG_RETURN_IF_ERROR(expr)                                      \
  do {                                                                \
    if (::absl::Status bg_status_ = (expr); !bg_status_.ok()) return bg_status_; \
  } while (0)

#define BG_STATUS_CONCAT_INNER(a, b) a##b
#define BG_STATUS_CONCAT(a, b) BG_STATUS_CONCAT_INNER(a, b)

// `lhs` may declare a variable (`auto x`, `Block b`) or name an existing one.
#define BG_ASSIGN_OR_RETURN(lhs, expr) \
  BG_ASSIGN_OR_RETURN_IMPL(BG_STATUS_CONCAT(bg_statusor_, __LINE__), lhs, expr)
#define BG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(*tmp)
