#include "daemon/ingest/event_decoder.h"

#include <string>

#include "gtest/gtest.h"

namespace outcomes {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795000000);  // 2026-11-18

v1::ServiceEvent ValidEvent() {
  v1::ServiceEvent e;
  e.set_event_id("ev-1");
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 3600);
  e.set_provider_id("prov-001");
  e.set_program_id("workforce");
  e.set_client_key("c-secret-key");
  e.add_priority_groups("disability");
  (*e.mutable_attributes())["race_ethnicity"] = "black";
  return e;
}

// Returns "ok" or the reject reason name, so each test is one line.
std::string DecodeBinary(const v1::ServiceEvent& e) {
  EventDecoder decoder{ValidationSettings{}};
  const std::string bytes = e.SerializeAsString();
  DecodeResult r = decoder.Decode(bytes, kNow);
  return r.ok ? "ok" : RejectReasonName(r.reason);
}

std::string DecodeText(const std::string& value) {
  EventDecoder decoder{ValidationSettings{}};
  DecodeResult r = decoder.Decode(value, kNow);
  return r.ok ? "ok" : RejectReasonName(r.reason);
}

TEST(EventDecoderTest, AcceptsValidBinary) {
  EventDecoder decoder{ValidationSettings{}};
  const std::string bytes = ValidEvent().SerializeAsString();
  DecodeResult r = decoder.Decode(bytes, kNow);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(decoder.event().provider_id(), "prov-001");
  EXPECT_EQ(r.day, DayOf(kNow, absl::UTCTimeZone()));
}

TEST(EventDecoderTest, AcceptsCanonicalJsonWithLeadingSpace) {
  const std::string json =
      "  {\"eventId\":\"e1\",\"type\":\"EVENT_TYPE_ENROLLMENT\","
      "\"occurredAt\":\"2026-11-18T10:00:00Z\",\"providerId\":\"p1\","
      "\"programId\":\"w\",\"clientKey\":\"c1\","
      "\"attributes\":{\"race_ethnicity\":\"white\"}}";
  EventDecoder decoder{ValidationSettings{}};
  DecodeResult r = decoder.Decode(json, kNow);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(decoder.event().type(), v1::EVENT_TYPE_ENROLLMENT);
  EXPECT_EQ(*decoder.event().FindAttribute("race_ethnicity"), "white");
}

TEST(EventDecoderTest, AcceptsJsonWithOriginalFieldNames) {
  EXPECT_EQ(DecodeText("{\"event_id\":\"e1\",\"type\":\"EVENT_TYPE_OUTCOME\","
                       "\"occurred_at\":\"2026-11-18T10:00:00Z\","
                       "\"provider_id\":\"p1\",\"program_id\":\"w\","
                       "\"client_key\":\"c1\",\"outcome_code\":\"job\","
                       "\"outcome_value\":17.5}"),
            "ok");
}

TEST(EventDecoderTest, MalformedJson) {
  EXPECT_EQ(DecodeText("{not json"), "malformed");
  EXPECT_EQ(DecodeText("{\"eventId\":\"e1\",\"unknownField\":1}"), "malformed");
  EXPECT_EQ(DecodeText("{\"type\":\"EVENT_TYPE_BOGUS\"}"), "malformed");
}

TEST(EventDecoderTest, MalformedBinary) {
  EXPECT_EQ(DecodeText(std::string("\xff\xff\xff\xff", 4)), "malformed");
  EXPECT_EQ(DecodeText(""), "missing_field");  // empty proto = no fields
}

TEST(EventDecoderTest, MissingFields) {
  for (auto clear : std::vector<void (*)(v1::ServiceEvent&)>{
           [](v1::ServiceEvent& e) { e.clear_event_id(); },
           [](v1::ServiceEvent& e) { e.clear_type(); },
           [](v1::ServiceEvent& e) { e.clear_occurred_at(); },
           [](v1::ServiceEvent& e) { e.clear_provider_id(); },
           [](v1::ServiceEvent& e) { e.clear_program_id(); },
           [](v1::ServiceEvent& e) { e.clear_client_key(); }}) {
    v1::ServiceEvent e = ValidEvent();
    clear(e);
    EXPECT_EQ(DecodeBinary(e), "missing_field");
  }
}

TEST(EventDecoderTest, InvalidFields) {
  v1::ServiceEvent e = ValidEvent();
  e.set_event_id(std::string(129, 'x'));
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.set_event_id(std::string(128, 'x'));
  EXPECT_EQ(DecodeBinary(e), "ok");
  e = ValidEvent();
  e.set_provider_id("prov 001");
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.set_provider_id(std::string(65, 'p'));
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.set_provider_id(std::string(64, 'p'));
  EXPECT_EQ(DecodeBinary(e), "ok");
  e = ValidEvent();
  e.set_program_id("work/force");
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.set_type(static_cast<v1::EventType>(42));
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.mutable_occurred_at()->set_nanos(-1);
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  e.add_priority_groups("");
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  (*e.mutable_attributes())[""] = "black";
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  (*e.mutable_attributes())["race_ethnicity"] = std::string(65, 'x');
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
  e = ValidEvent();
  (*e.mutable_attributes())["race_ethnicity"] = "";  // "no group"
  EXPECT_EQ(DecodeBinary(e), "ok");
  e = ValidEvent();
  e.set_contract_id("bad id");
  EXPECT_EQ(DecodeBinary(e), "invalid_field");
}

TEST(EventDecoderTest, FutureTimestampBeyondSkew) {
  v1::ServiceEvent e = ValidEvent();
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) + 300);
  EXPECT_EQ(DecodeBinary(e), "ok");  // exactly the allowed skew
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) + 301);
  EXPECT_EQ(DecodeBinary(e), "future_timestamp");
}

TEST(EventDecoderTest, TooOldIsDayBasedAtTheHorizon) {
  const absl::CivilDay today = absl::ToCivilDay(kNow, absl::UTCTimeZone());
  v1::ServiceEvent e = ValidEvent();
  // Age 119 days (last day inside a 120-day horizon), at 00:00.
  e.mutable_occurred_at()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(today - 119, absl::UTCTimeZone())));
  EXPECT_EQ(DecodeBinary(e), "ok");
  e.mutable_occurred_at()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(today - 119, absl::UTCTimeZone())) -
      1);
  EXPECT_EQ(DecodeBinary(e), "too_old");
}

TEST(EventDecoderTest, DetailNeverContainsClientKey) {
  v1::ServiceEvent e = ValidEvent();
  e.set_client_key(std::string(300, 'k'));
  EventDecoder decoder{ValidationSettings{}};
  const std::string bytes = e.SerializeAsString();
  DecodeResult r = decoder.Decode(bytes, kNow);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.reason, RejectReason::kInvalidField);
  EXPECT_EQ(r.detail.find("kkk"), std::string::npos);
}

TEST(EventDecoderTest, BinaryThatLooksLikeJsonIsStillDecoded) {
  v1::ServiceEvent e = ValidEvent();
  e.set_event_id(std::string(123, 'x'));  // tag '\n', length '{'
  const std::string value = e.SerializeAsString();
  ASSERT_EQ(value.substr(0, 2), "\n{");
  EXPECT_EQ(DecodeText(value), "ok");
}

TEST(EventDecoderTest, DayOfEventInAgencyTimeZoneAcrossCalls) {
  ValidationSettings settings;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &settings.timezone));
  EventDecoder decoder{settings};
  const absl::TimeZone& tz = settings.timezone;
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 18, 12, 0, 0), tz);
  v1::ServiceEvent e = ValidEvent();
  for (absl::CivilSecond when : {absl::CivilSecond(2026, 11, 18, 0, 0, 0),
                                 absl::CivilSecond(2026, 11, 17, 23, 59, 59),
                                 absl::CivilSecond(2026, 11, 1, 1, 30, 0),
                                 absl::CivilSecond(2026, 7, 22, 0, 0, 0)}) {
    e.mutable_occurred_at()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(when, tz)));
    const std::string bytes = e.SerializeAsString();
    DecodeResult r = decoder.Decode(bytes, now);
    ASSERT_TRUE(r.ok) << when;
    EXPECT_EQ(r.day, DayOf(absl::FromCivil(when, tz), tz)) << when;
  }
  // The next day: the cache moves with `now`.
  const absl::Time later = now + absl::Hours(24);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(later) - 1);
  const std::string bytes = e.SerializeAsString();
  DecodeResult r = decoder.Decode(bytes, later);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.day, DayOf(later, tz));
}

TEST(EventDecoderTest, IdentifierRule) {
  EXPECT_TRUE(IsValidIdentifier("a.B_c:d-9"));
  EXPECT_FALSE(IsValidIdentifier(""));
  EXPECT_FALSE(IsValidIdentifier("é"));
}

TEST(EventDecoderTest, PeekEventIdReadsTheLeadingField) {
  EXPECT_EQ(PeekEventId(ValidEvent().SerializeAsString()), "ev-1");
  v1::ServiceEvent e = ValidEvent();
  e.set_event_id(std::string(128, 'x'));  // a two-byte length varint
  EXPECT_EQ(PeekEventId(e.SerializeAsString()), std::string(128, 'x'));
  e.clear_event_id();  // another field comes first
  EXPECT_EQ(PeekEventId(e.SerializeAsString()), std::nullopt);
  EXPECT_EQ(PeekEventId(std::string("\x0a\x05ev-1", 6)), std::nullopt);
  EXPECT_EQ(PeekEventId(R"({"eventId":"ev-1"})"), std::nullopt);
  EXPECT_EQ(PeekEventId(""), std::nullopt);
}

// Events decode the same across the decoder's arena renewals (every 512
// parses): the 1,300th event is the event it was given.
TEST(EventDecoderTest, ManyDecodesKeepTheirContent) {
  EventDecoder decoder{ValidationSettings{}};
  for (int i = 0; i < 1300; ++i) {
    v1::ServiceEvent e = ValidEvent();
    e.set_event_id("ev-" + std::to_string(i));
    const std::string bytes = e.SerializeAsString();
    ASSERT_TRUE(decoder.Decode(bytes, kNow).ok);
    ASSERT_EQ(decoder.event().event_id(), e.event_id());
    ASSERT_EQ(*decoder.event().FindAttribute("race_ethnicity"), "black");
  }
}

}  // namespace
}  // namespace outcomes
