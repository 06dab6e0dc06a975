// The id filter on real files: no false negatives for randomized ids (also far
// past its design load), a fixed size whatever the number of ids, a
// false-positive rate near the model's, and its trust rules: trusted only
// after a clean close; empty (to be rebuilt) when missing, resized, flipped,
// owned by another index, left in use by a process that died, or cut short
// while being written back.
#include "ledger/id_filter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "ledger/crc32c.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::TempDir;

using testing::random_ids;

std::unique_ptr<IdFilter> open_filter(const std::string& path, size_t bytes, const std::string& owner, bool* trusted,
                                      std::string* why) {
  auto f = IdFilter::open(path, bytes, owner, trusted, why);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? std::move(*f) : nullptr;
}

uint64_t file_size(const std::string& path) { return std::filesystem::file_size(path); }

void expect_all_present(const IdFilter& f, const std::vector<Hash32>& ids) {
  std::vector<uint8_t> maybe(ids.size());
  f.may_contain_batch(ids, maybe.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(maybe[i]) << "false negative (batch) for id " << i;
    ASSERT_TRUE(f.may_contain(ids[i])) << "false negative for id " << i;
  }
}

double fp_rate(const IdFilter& f, uint64_t seed) {
  const auto unknown = random_ids(200000, seed);
  std::vector<uint8_t> maybe(unknown.size());
  f.may_contain_batch(unknown, maybe.data());
  size_t pos = 0;
  for (size_t i = 0; i < unknown.size(); ++i) {
    EXPECT_EQ(maybe[i] != 0, f.may_contain(unknown[i]));  // batch and single agree
    pos += maybe[i];
  }
  return double(pos) / double(unknown.size());
}

TEST(IdFilter, NoFalseNegativesAndTheModelsFalsePositiveRate) {
  TempDir dir;
  const std::string path = dir.path() + "/filter";
  bool trusted = true;
  std::string why;
  auto f = open_filter(path, 1 << 20, "owner-a", &trusted, &why);
  ASSERT_TRUE(f);
  EXPECT_FALSE(trusted);
  EXPECT_EQ(why, "missing");
  // ~10 bits per id.
  const auto ids = random_ids(838000, 1);
  for (const Hash32& id : ids) f->add(id);
  expect_all_present(*f, ids);
  const double fp = fp_rate(*f, 2);
  const double model = f->expected_fp_rate(ids.size());
  EXPECT_GT(model, 0.005);
  EXPECT_LT(model, 0.03);
  EXPECT_NEAR(fp, model, model * 0.25) << "measured " << fp << ", model " << model;
  EXPECT_EQ(f->ids_added(), ids.size());
}

TEST(IdFilter, SizeIsFixedWhateverTheNumberOfIds) {
  TempDir dir;
  const std::string path = dir.path() + "/filter";
  bool trusted = false;
  std::string why;
  auto f = open_filter(path, IdFilter::kMinBytes, "owner-a", &trusted, &why);
  ASSERT_TRUE(f);
  const uint64_t size = file_size(path);
  EXPECT_EQ(size, IdFilter::kHeaderBytes + IdFilter::kMinBytes);
  // Half a bit per id: twenty times the design load (~10 bits per id).
  const auto ids = random_ids(1000000, 3);
  for (const Hash32& id : ids) f->add(id);
  EXPECT_EQ(file_size(path), size);
  // Overloaded: mostly "maybe", but still never a false negative.
  expect_all_present(*f, ids);
  EXPECT_GT(fp_rate(*f, 4), 0.5);
  ASSERT_TRUE(f->close_clean().ok());
  EXPECT_EQ(file_size(path), size);
  // Sizes round down to whole blocks and up to the minimum.
  auto g = open_filter(dir.path() + "/g", (1 << 20) + 63, "o", &trusted, &why);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->bytes(), size_t(1) << 20);
  auto h = open_filter(dir.path() + "/h", 10, "o", &trusted, &why);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->bytes(), IdFilter::kMinBytes);
}

struct Made {
  std::string path;
  std::vector<Hash32> ids;
};

// A filter of 100,000 ids, closed cleanly or left open.
Made make(const TempDir& dir, bool clean, bool complete = true) {
  Made m{dir.path() + "/filter", random_ids(100000, 5)};
  bool trusted = false;
  std::string why;
  auto f = open_filter(m.path, 1 << 20, "owner-a", &trusted, &why);
  for (const Hash32& id : m.ids) f->add(id);
  if (complete) {
    EXPECT_TRUE(f->mark_complete().ok());
  }
  if (clean) {
    EXPECT_TRUE(f->close_clean().ok());
  }
  return m;
}

// Reopens and expects it trusted with every id, or not trusted (and empty) for `reason`.
void expect_reopen(const Made& m, bool want_trusted, const std::string& reason = "", size_t bytes = 1 << 20,
                   const std::string& owner = "owner-a") {
  bool trusted = !want_trusted;
  std::string why;
  auto f = open_filter(m.path, bytes, owner, &trusted, &why);
  ASSERT_TRUE(f);
  EXPECT_EQ(trusted, want_trusted) << why;
  if (want_trusted) {
    expect_all_present(*f, m.ids);
  } else {
    EXPECT_NE(why.find(reason), std::string::npos) << why;
    size_t present = 0;
    for (const Hash32& id : m.ids) present += f->may_contain(id);
    EXPECT_EQ(present, 0u) << "an untrusted filter starts empty";
  }
}

TEST(IdFilter, TrustedAfterACleanClose) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/true);
  expect_reopen(m, true);
}

TEST(IdFilter, NotTrustedAfterAnUncleanStop) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/false);
  expect_reopen(m, false, "did not stop cleanly");
  // Opening a clean file marks it in use at once: a crash after that leaves
  // it untrusted, even though its bits were fine.
  const Made c = make(dir, /*clean=*/true);
  {
    bool trusted = false;
    std::string why;
    auto f = open_filter(c.path, 1 << 20, "owner-a", &trusted, &why);
    ASSERT_TRUE(trusted) << why;
  }  // destroyed without close_clean(): what kill -9 leaves
  expect_reopen(c, false, "did not stop cleanly");
}

// Rewrites the header's state field (and its CRC): a crash inside close_clean().
void set_state(const std::string& path, uint32_t state) {
  std::string bytes = testing::read_file(path);
  std::memcpy(bytes.data() + 12, &state, 4);
  const uint32_t crc = crc32c(bytes.data(), IdFilter::kHeaderBytes - 4);
  std::memcpy(bytes.data() + IdFilter::kHeaderBytes - 4, &crc, 4);
  testing::write_file(path, bytes);
}

TEST(IdFilter, InterruptedWriteBackIsNotTrusted) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/true);
  set_state(m.path, 1);
  expect_reopen(m, false, "did not finish");
}

TEST(IdFilter, SparseFileRoundTrip) {
  // A few ids in a large filter: the clean file is mostly holes, read back exactly.
  TempDir dir;
  const std::string path = dir.path() + "/filter";
  const auto ids = random_ids(50, 8);
  bool trusted = false;
  std::string why;
  {
    auto f = open_filter(path, 64 << 20, "o", &trusted, &why);
    for (const Hash32& id : ids) f->add(id);
    ASSERT_TRUE(f->close_clean().ok());
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, uint64_t(8) << 20) << "written sparse";
  auto f = open_filter(path, 64 << 20, "o", &trusted, &why);
  ASSERT_TRUE(trusted) << why;
  expect_all_present(*f, ids);
  EXPECT_LT(fp_rate(*f, 9), 0.001);
}

TEST(IdFilter, FlippedBitIsDetected) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/true);
  std::string bytes = testing::read_file(m.path);
  bytes[IdFilter::kHeaderBytes + 12345] ^= 0x10;
  testing::write_file(m.path, bytes);
  expect_reopen(m, false, "checksum mismatch");
}

TEST(IdFilter, DamagedHeaderIsDetected) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/true);
  std::string bytes = testing::read_file(m.path);
  bytes[40] ^= 1;  // the ids-added count, covered by the header CRC
  testing::write_file(m.path, bytes);
  expect_reopen(m, false, "header is damaged");
}

TEST(IdFilter, TruncatedFileIsDetected) {
  TempDir dir;
  const Made m = make(dir, /*clean=*/true);
  std::filesystem::resize_file(m.path, IdFilter::kHeaderBytes + 1000);
  expect_reopen(m, false, "size");
}

TEST(IdFilter, AnotherSizeOrOwnerIsNotUsed) {
  {
    TempDir dir;
    const Made m = make(dir, /*clean=*/true);
    expect_reopen(m, false, "size", 2 << 20);
  }
  {
    TempDir dir;
    const Made m = make(dir, /*clean=*/true);
    expect_reopen(m, false, "another index", 1 << 20, "owner-b");
  }
}

}  // namespace
}  // namespace bg
