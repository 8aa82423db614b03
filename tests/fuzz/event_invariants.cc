#include "tests/fuzz/event_invariants.h"

#include <cmath>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "daemon/base/day.h"
#include "daemon/ingest/event_wire.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_support.h"

namespace outcomes::fuzz {
namespace {

using google::protobuf::util::MessageDifferencer;

bool IsLabel(const std::string& s) { return !s.empty() && s.size() <= 64; }

// docs/design.md, "From event to figure" field rules, written out again (not
// calling the decoder's helpers) so that a bug in them cannot hide here.
void CheckFieldRules(const v1::ServiceEvent& e) {
  FUZZ_CHECK(!e.event_id().empty() && e.event_id().size() <= 128);
  FUZZ_CHECK(e.type() >= v1::EVENT_TYPE_REFERRAL &&
             e.type() <= v1::EVENT_TYPE_OUTCOME);
  FUZZ_CHECK(e.has_occurred_at());
  FUZZ_CHECK(e.occurred_at().nanos() >= 0 &&
             e.occurred_at().nanos() <= 999999999);
  for (const std::string* id : {&e.provider_id(), &e.program_id()}) {
    FUZZ_CHECK(IsLabel(*id));
    for (char c : *id) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                 c == '-');
    }
  }
  FUZZ_CHECK(e.contract_id().empty() || IsValidIdentifier(e.contract_id()));
  FUZZ_CHECK(!e.client_key().empty() && e.client_key().size() <= 256);
  FUZZ_CHECK(e.priority_groups_size() <= 16 && e.attributes_size() <= 16);
  for (const std::string& g : e.priority_groups()) FUZZ_CHECK(IsLabel(g));
  for (const auto& [key, value] : e.attributes()) {
    FUZZ_CHECK(IsLabel(key) && value.size() <= 64);
  }
  FUZZ_CHECK(e.outcome_code().size() <= 64);
  FUZZ_CHECK(std::isfinite(e.outcome_value()));
}

void CheckDay(const v1::ServiceEvent& e, DayNumber day) {
  const ValidationSettings s = FuzzValidationSettings();
  const absl::Time occurred = absl::FromUnixSeconds(e.occurred_at().seconds()) +
                              absl::Nanoseconds(e.occurred_at().nanos());
  FUZZ_CHECK(occurred - FuzzNow() <= s.max_clock_skew);
  FUZZ_CHECK(day == DayOf(occurred, s.timezone));
  const DayNumber today = DayOf(FuzzNow(), s.timezone);
  FUZZ_CHECK(today - day < s.horizon_days && day <= today + 1);
}

// `encoded` (the accepted event re-encoded) decodes to the same event.
void CheckRedecodes(const v1::ServiceEvent& e, DayNumber day,
                    const std::string& encoded) {
  EventDecoder fresh(FuzzValidationSettings());
  const DecodeResult again = fresh.Decode(encoded, FuzzNow());
  FUZZ_CHECK(again.ok);
  FUZZ_CHECK(again.day == day);
  // Unknown fields of a binary event are kept but not re-encoded as JSON.
  v1::ServiceEvent want = e, got = fresh.event().ToProto();
  want.DiscardUnknownFields();
  got.DiscardUnknownFields();
  FUZZ_CHECK(MessageDifferencer::Equals(got, want));
}

void CheckAccepted(const v1::ServiceEvent& e, DayNumber day) {
  CheckFieldRules(e);
  CheckDay(e, day);
  CheckRedecodes(e, day, e.SerializeAsString());  // unknown fields too
  std::string json;
  FUZZ_CHECK(google::protobuf::util::MessageToJsonString(e, &json).ok());
  CheckRedecodes(e, day, json);
}

// The decoder's fast path (daemon/ingest/event_wire.h) takes a value only
// when protobuf would, and reads the same fields from it.
void CheckWireParser(std::string_view value) {
  EventView fast;
  if (!ParseEventWire(value, fast)) return;
  v1::ServiceEvent proto;
  FUZZ_CHECK(
      proto.ParseFromArray(value.data(), static_cast<int>(value.size())));
  proto.DiscardUnknownFields();
  // outcome_value may be any bit pattern, NaN included (the decoder rejects
  // it later): NaN must compare equal to itself here.
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  FUZZ_CHECK(differencer.Compare(fast.ToProto(), proto));
}

void CheckRejected(const DecodeResult& r) {
  const int reason = static_cast<int>(r.reason);
  FUZZ_CHECK(reason >= 0 && reason < kRejectReasonCount);
  FUZZ_CHECK(r.reason != RejectReason::kKeyMismatch);  // the pipeline's
  FUZZ_CHECK(!r.detail.empty());
  // Details are fixed texts, never field values (a client_key must not
  // reach a log line): a few dozen distinct ones at most, whatever comes in.
  static auto* details = new absl::flat_hash_set<std::string>;
  details->insert(r.detail);
  FUZZ_CHECK(details->size() <= 40);
}

}  // namespace

ValidationSettings FuzzValidationSettings() {
  ValidationSettings s;
  static const absl::TimeZone* tz = [] {
    auto* zone = new absl::TimeZone;
    FUZZ_CHECK(absl::LoadTimeZone("America/Chicago", zone));
    return zone;
  }();
  s.timezone = *tz;
  return s;
}

absl::Time FuzzNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 20, 9, 30, 0),
                         absl::UTCTimeZone());
}

DecodeResult DecodeAndCheck(EventDecoder& decoder, std::string_view value) {
  CheckWireParser(value);
  const DecodeResult r = decoder.Decode(value, FuzzNow());
  if (r.ok) {
    CheckAccepted(decoder.event().ToProto(), r.day);
  } else {
    CheckRejected(r);
  }
  return r;
}

}  // namespace outcomes::fuzz
