// ParseEventWire, the decoder's fast path: it reads exactly what protobuf
// reads, and gives up (so protobuf decides) on everything else.
#include "daemon/ingest/event_wire.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::ServiceEvent FullEvent() {
  v1::ServiceEvent e;
  e.set_event_id("ev-1");
  e.set_type(v1::EVENT_TYPE_OUTCOME);
  e.mutable_occurred_at()->set_seconds(1767225600);
  e.mutable_occurred_at()->set_nanos(250000000);
  e.set_provider_id("prov-001");
  e.set_program_id("workforce");
  e.set_contract_id("ct-9");
  e.set_client_key("c-secret-key");
  e.add_priority_groups("disability");
  e.add_priority_groups("veteran");
  (*e.mutable_attributes())["race_ethnicity"] = "black";
  (*e.mutable_attributes())["county"] = "";
  e.set_outcome_code("employed");
  e.set_outcome_value(-17.5);
  return e;
}

TEST(EventWireTest, ReadsEveryField) {
  const std::string bytes = FullEvent().SerializeAsString();
  EventView v;
  ASSERT_TRUE(ParseEventWire(bytes, v));
  EXPECT_EQ(v.event_id(), "ev-1");
  EXPECT_EQ(v.type(), v1::EVENT_TYPE_OUTCOME);
  EXPECT_TRUE(v.has_occurred_at());
  EXPECT_EQ(v.occurred_seconds(), 1767225600);
  EXPECT_EQ(v.occurred_nanos(), 250000000);
  EXPECT_EQ(v.provider_id(), "prov-001");
  EXPECT_EQ(v.program_id(), "workforce");
  EXPECT_EQ(v.contract_id(), "ct-9");
  EXPECT_EQ(v.client_key(), "c-secret-key");
  ASSERT_EQ(v.priority_groups_size(), 2);
  EXPECT_EQ(v.priority_groups()[1], "veteran");
  ASSERT_EQ(v.attributes_size(), 2);
  EXPECT_EQ(*v.FindAttribute("race_ethnicity"), "black");
  EXPECT_EQ(*v.FindAttribute("county"), "");
  EXPECT_EQ(v.FindAttribute("age"), nullptr);
  EXPECT_EQ(v.outcome_code(), "employed");
  EXPECT_EQ(v.outcome_value(), -17.5);
  // Views into the bytes, not copies.
  EXPECT_GE(v.client_key().data(), bytes.data());
  EXPECT_LT(v.client_key().data(), bytes.data() + bytes.size());
  EXPECT_TRUE(MessageDifferencer::Equals(v.ToProto(), FullEvent()));
}

TEST(EventWireTest, EmptyValueIsAnEmptyEvent) {
  EventView v;
  ASSERT_TRUE(ParseEventWire("", v));
  EXPECT_EQ(v.event_id(), "");
  EXPECT_FALSE(v.has_occurred_at());
  // An empty timestamp message is still a timestamp (as in protobuf).
  ASSERT_TRUE(ParseEventWire(std::string("\x1a\x00", 2), v));
  EXPECT_TRUE(v.has_occurred_at());
  EXPECT_EQ(v.occurred_seconds(), 0);
}

// Any bit pattern is read as protobuf reads it, NaN included (found by the
// event_proto fuzzer; the decoder rejects a non-finite value afterwards).
TEST(EventWireTest, ReadsANanOutcomeValueBitForBit) {
  const std::string bytes(
      "Ye:\x06"
      "c-2\xff\xff",
      9);
  EventView v;
  ASSERT_TRUE(ParseEventWire(bytes, v));
  v1::ServiceEvent proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  const double fast = v.outcome_value(), slow = proto.outcome_value();
  EXPECT_TRUE(std::isnan(fast));
  EXPECT_EQ(std::memcmp(&fast, &slow, sizeof(fast)), 0);
}

// Each of these is left to protobuf.
TEST(EventWireTest, GivesUpOnAnythingUnusual) {
  EventView v;
  const std::string ok = FullEvent().SerializeAsString();
  EXPECT_FALSE(ParseEventWire(ok + "\x62\x01x", v));  // unknown field 12
  EXPECT_FALSE(ParseEventWire(ok + "\x0a\x01x", v));  // event_id twice
  EXPECT_FALSE(ParseEventWire(ok + "\x10\x01", v));   // type twice
  EXPECT_FALSE(ParseEventWire(std::string("\x10\x01\x10", 3), v));  // cut
  EXPECT_FALSE(ParseEventWire(std::string("\x12\x01x", 3), v));     // type LEN
  EXPECT_FALSE(ParseEventWire("\x0a\x03\xc3\xa9x", v));  // non-ASCII text
  EXPECT_FALSE(ParseEventWire(std::string("\x0a\x05ev", 4), v));  // short
  EXPECT_FALSE(ParseEventWire(std::string("\x00", 1), v));        // field 0
  EXPECT_FALSE(ParseEventWire("\x0c", v));           // end-group tag
  EXPECT_FALSE(ParseEventWire(ok + "\x80\x01", v));  // two-byte tag
  // A repeated attribute key: protobuf keeps the last value.
  EXPECT_FALSE(ParseEventWire(
      std::string("\x4a\x05\x0a\x01k\x12\x00\x4a\x05\x0a\x01k\x12\x00", 14),
      v));
  // A timestamp with an unknown field, or nanos twice.
  EXPECT_FALSE(ParseEventWire(std::string("\x1a\x02\x18\x01", 4), v));
  EXPECT_FALSE(ParseEventWire(std::string("\x1a\x04\x10\x01\x10\x02", 6), v));
  // An 11-byte varint.
  EXPECT_FALSE(ParseEventWire(
      std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12), v));
}

// Random events of the simulator's shape, re-encoded: the fast path takes
// them all and reads what protobuf reads.
TEST(EventWireTest, AgreesWithProtobufOnRandomEvents) {
  std::mt19937 rng(7);
  auto text = [&](int max) {
    std::string s(rng() % (max + 1), ' ');
    for (char& c : s) c = static_cast<char>(' ' + rng() % 95);
    return s;
  };
  for (int i = 0; i < 2000; ++i) {
    v1::ServiceEvent e;
    if (rng() % 8) e.set_event_id(text(40));
    e.set_type(static_cast<v1::EventType>(rng() % 7));
    if (rng() % 8) {
      e.mutable_occurred_at()->set_seconds(static_cast<int64_t>(rng()) *
                                           (rng() % 2 ? 1 : -1));
      e.mutable_occurred_at()->set_nanos(static_cast<int32_t>(rng()));
    }
    e.set_provider_id(text(10));
    e.set_program_id(text(10));
    e.set_client_key(text(30));
    for (int g = rng() % 4; g > 0; --g) e.add_priority_groups(text(8));
    for (int a = rng() % 4; a > 0; --a) {
      (*e.mutable_attributes())[text(6)] = text(6);
    }
    e.set_outcome_code(text(5));
    if (rng() % 2) e.set_outcome_value(static_cast<double>(rng()) / 7.0);
    const std::string bytes = e.SerializeAsString();
    EventView v;
    ASSERT_TRUE(ParseEventWire(bytes, v)) << i;
    ASSERT_TRUE(MessageDifferencer::Equals(v.ToProto(), e)) << i;
  }
}

}  // namespace
}  // namespace outcomes
