#include "daemon/ingest/dedupe.h"

#include "gtest/gtest.h"

namespace outcomes {
namespace {

TEST(DedupeIndexTest, SecondInsertIsDuplicate) {
  DedupeIndex index;
  EXPECT_TRUE(index.Insert("a", 100));
  EXPECT_FALSE(index.Insert("a", 100));
  EXPECT_TRUE(index.Insert("b", 100));
  EXPECT_EQ(index.size(), 2u);
}

TEST(DedupeIndexTest, EvictsBeforeDay) {
  DedupeIndex index;
  index.Insert("old", 10);
  index.Insert("new", 11);
  index.EvictBefore(11);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(index.Insert("old", 10));
  EXPECT_FALSE(index.Insert("new", 11));
}

TEST(DedupeIndexTest, SerializeRoundTrip) {
  DedupeIndex index;
  index.Insert("x", 5);
  index.Insert("y", 6);
  auto copy = DedupeIndex::Deserialize(index.Serialize());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->size(), 2u);
  EXPECT_FALSE(copy->Insert("x", 5));
  EXPECT_TRUE(copy->Insert("z", 5));
}

TEST(DedupeIndexTest, CorruptCheckpointIsDataLoss) {
  EXPECT_EQ(DedupeIndex::Deserialize("ODD1abc").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DedupeIndex::Deserialize("").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace outcomes

namespace outcomes {
namespace {

TEST(DedupeIndexTest, GrowsAndEvictsManyIds) {
  DedupeIndex index;
  for (int i = 0; i < 50000; ++i) {
    ASSERT_TRUE(index.Insert("id-" + std::to_string(i), 100 + i % 10));
  }
  EXPECT_EQ(index.size(), 50000u);
  for (int i = 0; i < 50000; i += 7) {
    ASSERT_FALSE(index.Insert("id-" + std::to_string(i), 100 + i % 10));
  }
  index.EvictBefore(105);  // keeps days 105..109: half of the ids
  EXPECT_EQ(index.size(), 25000u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(index.Insert("id-" + std::to_string(i), 100 + i % 10), i % 10 < 5)
        << i;
  }
  auto copy = DedupeIndex::Deserialize(index.Serialize());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->size(), index.size());
  EXPECT_FALSE(copy->Insert("id-49999", 109));
}

}  // namespace
}  // namespace outcomes
