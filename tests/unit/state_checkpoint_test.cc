// Partition checkpoints: round trip, refusal of corrupt data and of
// checkpoints written with other settings or another client hash key;
// funnel record size.
#include <string>

#include "daemon/state/funnel_table.h"
#include "daemon/state/partition_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;

PartitionState Sample(const StateSettings& s) {
  PartitionState state(s);
  const char* races[] = {"a", "b", ""};
  for (int i = 0; i < 300; ++i) {
    v1::ServiceEvent e;
    e.set_event_id(std::to_string(i));
    e.set_type(static_cast<v1::EventType>(1 + i % 5));
    e.set_provider_id(i % 7 ? "p1" : "p2");
    e.set_program_id("prog");
    e.set_client_key("client-" + std::to_string(i % 40));
    if (i % 3 == 0) e.add_priority_groups("disability");
    if (*races[i % 3])
      (*e.mutable_attributes())["race_ethnicity"] = races[i % 3];
    state.Apply(e, kToday - (i * 7) % 100);
  }
  return state;
}

TEST(CheckpointTest, RoundTripKeepsEveryFigure) {
  StateSettings s;
  s.min_cell = 2;
  const PartitionState state = Sample(s);
  const std::string bytes = state.Serialize();
  auto copy = PartitionState::Deserialize(bytes, s);
  ASSERT_TRUE(copy.ok()) << copy.status();
  for (DayNumber day : {kToday, kToday + 15, kToday + 60}) {
    EXPECT_EQ(copy->ComputeFigures(day), state.ComputeFigures(day));
  }
  EXPECT_EQ(copy->num_funnels(), state.num_funnels());
  EXPECT_EQ(copy->Serialize().size(), bytes.size());
}

TEST(CheckpointTest, NoClientKeyInCheckpoint) {
  const std::string bytes = Sample(StateSettings{}).Serialize();
  EXPECT_EQ(bytes.find("client-"), std::string::npos);
}

TEST(CheckpointTest, EmptyStateRoundTrips) {
  StateSettings s;
  auto copy = PartitionState::Deserialize(PartitionState(s).Serialize(), s);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->num_programs(), 0u);
}

TEST(CheckpointTest, CorruptOrTruncatedDataIsRefused) {
  StateSettings s;
  const std::string bytes = Sample(s).Serialize();
  EXPECT_FALSE(PartitionState::Deserialize("", s).ok());
  EXPECT_FALSE(PartitionState::Deserialize("XXXX", s).ok());
  for (size_t cut : {5ul, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(PartitionState::Deserialize(bytes.substr(0, cut), s).ok())
        << cut;
  }
  EXPECT_FALSE(PartitionState::Deserialize(bytes + "x", s).ok());
}

TEST(CheckpointTest, OtherSettingsAreRefused) {
  StateSettings s;
  const std::string bytes = Sample(s).Serialize();
  StateSettings other = s;
  other.horizon_days = 100;
  EXPECT_EQ(PartitionState::Deserialize(bytes, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  other = s;
  other.dimensions = {"sex"};
  EXPECT_EQ(PartitionState::Deserialize(bytes, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  other = s;
  other.windows_days = {1, 2};  // windows and M do not shape the state
  other.enroll_within_days = 3;
  EXPECT_TRUE(PartitionState::Deserialize(bytes, other).ok());
}

StateSettings WithKey(std::string_view secret) {
  StateSettings s;
  s.client_hasher = *ClientHasher::FromSecret(secret);
  return s;
}

TEST(CheckpointTest, OtherClientKeyIsRefusedAsKeyChanged) {
  const StateSettings a = WithKey("key A: sixteen bytes or more");
  const StateSettings b = WithKey("key B: sixteen bytes or more");
  const std::string bytes = Sample(a).Serialize();
  EXPECT_TRUE(PartitionState::Deserialize(bytes, a).ok());
  const absl::Status s = PartitionState::Deserialize(bytes, b).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsClientKeyChanged(s)) << s;
  EXPECT_EQ(s.message(),
            "partition checkpoint's client hashes were made with another key "
            "(--privacy.key_file): fingerprint " +
                a.client_hasher.FingerprintHex() + ", this process " +
                b.client_hasher.FingerprintHex() +
                ": not restored (rebuilt from Kafka)");
  // The default key is a key like any other.
  EXPECT_TRUE(IsClientKeyChanged(
      PartitionState::Deserialize(bytes, StateSettings{}).status()));
}

TEST(CheckpointTest, KeyFingerprintIsStoredNotTheKey) {
  const StateSettings a = WithKey("key A: sixteen bytes or more");
  const std::string bytes = Sample(a).Serialize();
  EXPECT_EQ(bytes.find("key A"), std::string::npos);
  const auto& fp = a.client_hasher.fingerprint();
  // "OSTS", version 3, then the 16-byte fingerprint as a string.
  EXPECT_EQ(bytes.substr(0, 6), std::string("OSTS\x03\x10", 6));
  EXPECT_EQ(bytes.substr(6, 16),
            std::string(reinterpret_cast<const char*>(fp.data()), fp.size()));
}

// Format 1 (before keyed hashes) had no fingerprint and unkeyed hashes: it
// is refused as key_changed, never read with the new hash.
TEST(CheckpointTest, FormatOneIsRefusedAsKeyChanged) {
  StateSettings s;
  const std::string v2 = Sample(s).Serialize();
  const std::string v1 = "OSTS\x01" + v2.substr(4 + 1 + 1 + 16);
  const absl::Status st = PartitionState::Deserialize(v1, s).status();
  EXPECT_TRUE(IsClientKeyChanged(st)) << st;
  EXPECT_THAT(std::string(st.message()),
              ::testing::HasSubstr("the unkeyed hash of format version 1"));
}

TEST(CheckpointTest, CorruptOrOtherSettingsAreNotKeyChanged) {
  StateSettings s;
  const std::string bytes = Sample(s).Serialize();
  EXPECT_FALSE(IsClientKeyChanged(
      PartitionState::Deserialize(bytes.substr(0, 12), s).status()));
  EXPECT_FALSE(
      IsClientKeyChanged(PartitionState::Deserialize("OSTS\x07", s).status()));
  StateSettings other = s;
  other.horizon_days = 100;
  EXPECT_FALSE(
      IsClientKeyChanged(PartitionState::Deserialize(bytes, other).status()));
}

TEST(FunnelTableTest, RecordIsSixteenBytes) {
  EXPECT_EQ(sizeof(FunnelTable::Record), 16u);
}

TEST(FunnelTableTest, SpillsPastTwoEntriesAndShrinksBackOnEviction) {
  FunnelTable t;
  for (FunnelDay d : {30, 10, 20})
    t.AddReferral(1, FunnelReferral::Make(d, 0, false));
  t.AddEnrollment(1, 25);
  EXPECT_EQ(t.spilled(), 1u);
  t.ForEach([](uint64_t, const FunnelView& f) {
    ASSERT_EQ(f.referrals.size(), 3u);
    EXPECT_EQ(f.referrals[0].day, 10);
    EXPECT_EQ(f.referrals[2].day, 30);
  });
  t.EvictBefore(15);
  EXPECT_EQ(t.spilled(), 0u);
  EXPECT_EQ(t.size(), 1u);
  t.EvictBefore(31);
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace outcomes
