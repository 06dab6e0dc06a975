// BG_RETURN_IF_ERROR / BG_ASSIGN_OR_RETURN: the first error returns unchanged,
// each expression runs once, success falls through.
#include "host/status_macros.h"

#include <gtest/gtest.h>

#include <memory>

namespace bg {
namespace {

absl::Status step(bool ok, int* calls) {
  ++*calls;
  return ok ? absl::OkStatus() : absl::DataLossError("step failed");
}

absl::Status two_steps(bool first_ok, bool second_ok, int* calls) {
  BG_RETURN_IF_ERROR(step(first_ok, calls));
  BG_RETURN_IF_ERROR(step(second_ok, calls));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> make(bool ok, int v) {
  if (!ok) return absl::NotFoundError("no value");
  return std::make_unique<int>(v);
}

absl::StatusOr<int> sum(bool a_ok, bool b_ok) {
  BG_ASSIGN_OR_RETURN(std::unique_ptr<int> a, make(a_ok, 2));  // move-only values work
  int b = 0;
  BG_ASSIGN_OR_RETURN(b, [&]() -> absl::StatusOr<int> {
    BG_ASSIGN_OR_RETURN(std::unique_ptr<int> p, make(b_ok, 40));
    return *p;
  }());
  return *a + b;
}

TEST(StatusMacros, ReturnIfErrorStopsAtTheFirstError) {
  int calls = 0;
  EXPECT_TRUE(two_steps(true, true, &calls).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  absl::Status st = two_steps(false, true, &calls);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(st.message(), "step failed");
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_EQ(two_steps(true, false, &calls).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacros, AssignOrReturnAssignsOrPropagates) {
  auto r = sum(true, true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(sum(false, true).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sum(true, false).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace bg
