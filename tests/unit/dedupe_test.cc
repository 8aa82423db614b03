#include "daemon/dedupe.h"

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
