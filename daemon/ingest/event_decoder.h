// Decoding and validation of Kafka message values into ServiceEvents
// (docs/design.md, "From event to figure"). A value is binary protobuf, or
// proto3 canonical JSON when its first non-space byte is '{'.
//
// Thread safety: EventDecoder is not thread-safe (it reuses one message for
// speed); use one per consumer thread.
#ifndef OUTCOMESD_DAEMON_INGEST_EVENT_DECODER_H_
#define OUTCOMESD_DAEMON_INGEST_EVENT_DECODER_H_

#include <array>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "daemon/base/day.h"
#include "daemon/base/event_view.h"
#include "google/protobuf/arena.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

// Why an event was rejected. Values index kRejectReasonNames.
enum class RejectReason {
  kMalformed = 0,    // neither valid protobuf nor valid JSON of the schema
  kMissingField,     // a required field is empty or unset
  kInvalidField,     // a field breaks its rule (length, charset, range)
  kFutureTimestamp,  // occurred_at more than max_clock_skew ahead of now
  kTooOld,           // occurred_at's day is at or past the horizon
  // The Kafka message key is absent or differs from provider_id
  // (docs/design.md, "State through restarts, rebalances and faults"): the
  // provider's events would be split across partitions. Judged by the pipeline
  // after decoding, so every other reason comes first.
  kKeyMismatch,
  // docs/design.md, "Safe to expose", judged by the pipeline
  // (daemon/ingest/provider_gate.h) after every reason above: the provider is
  // not listed in --providers.file, or it is new and --providers.max providers
  // already have state here.
  kUnknownProvider,
  kProviderLimit,
};
inline constexpr int kRejectReasonCount = 8;
// Label values for outcomes_events_rejected_total{reason} (contract).
inline constexpr std::array<const char*, kRejectReasonCount>
    kRejectReasonNames = {"malformed",        "missing_field", "invalid_field",
                          "future_timestamp", "too_old",       "key_mismatch",
                          "unknown_provider", "provider_limit"};

inline const char* RejectReasonName(RejectReason r) {
  return kRejectReasonNames[static_cast<int>(r)];
}

// The number of EventType values, UNSPECIFIED included: arrays indexed by
// type have this size, so a value added to event.proto resizes them all.
inline constexpr int kEventTypeCount = v1::EventType_ARRAYSIZE;

// Label value for outcomes_events_total{type} (contract), e.g. "referral".
// REQUIRES (assert): type is a valid EventType.
const char* EventTypeName(v1::EventType type);

// The event_id of a binary ServiceEvent that starts with it (field 1, as
// protobuf serializers write it), read without decoding; nullopt for
// anything else (JSON, another field first, truncated). A hint only: the
// value is not validated.
std::optional<std::string_view> PeekEventId(std::string_view value);

struct ValidationSettings {
  absl::TimeZone timezone = absl::UTCTimeZone();
  int horizon_days = 120;
  absl::Duration max_clock_skew = absl::Minutes(5);
};

// Outcome of decoding one value. When ok, event() holds the decoded event
// and day its calendar day; otherwise reason/detail say why. detail never
// contains field values (client keys must not leak into logs).
struct DecodeResult {
  bool ok = false;
  RejectReason reason = RejectReason::kMalformed;
  std::string detail;
  DayNumber day = 0;
};

class EventDecoder {
 public:
  explicit EventDecoder(ValidationSettings settings);

  // Decodes and validates `value` at wall time `now`. On success the event
  // is available from event() until the next call. Cheapest when successive
  // calls share the same agency day of `now` (day boundaries are cached).
  DecodeResult Decode(std::string_view value, absl::Time now);
  // event() views into the value: a temporary would leave it dangling.
  DecodeResult Decode(std::string&& value, absl::Time now) = delete;

  // Decodes and validates `value` as if it arrived at its own occurred_at
  // (backtests: each event of a history is known from when it happened), so
  // no time check can fail; day = occurred_at's day in the time zone.
  DecodeResult DecodeAtOccurrence(std::string_view value);
  DecodeResult DecodeAtOccurrence(std::string&& value) = delete;

  // The decoded event: views into the value given to the last Decode (or
  // into a message the decoder owns), valid until the next call.
  const EventView& event() const { return view_; }

 private:
  bool Parse(std::string_view value, DecodeResult& result);
  bool CheckFields(DecodeResult& result) const;
  bool CheckTime(absl::Time now, DecodeResult& result);
  // Rebuilds day_starts_ for the day of `now`.
  void CacheDays(absl::Time now);

  // Binary values in the usual encoding are parsed into view_ directly
  // (daemon/ingest/event_wire.h); JSON and the rest into a protobuf message
  // that view_ then views. The message lives on an arena, recreated every
  // kArenaEvents parses: a reused heap message would free and allocate its
  // timestamp and attribute entries on every parse; on the arena they are
  // bump-allocated and dropped all at once (in the arena's first block, so no
  // malloc).
  void RenewArena();

  ValidationSettings settings_;
  std::unique_ptr<char[]> arena_block_;  // the arena's first block
  std::unique_ptr<google::protobuf::Arena> arena_;
  v1::ServiceEvent* event_ = nullptr;  // on arena_
  EventView view_;
  int parses_ = 0;  // since RenewArena
  // Start of each day from today-horizon+1 to tomorrow (ascending), so an
  // event's day is found by binary search instead of a time-zone lookup.
  std::vector<absl::Time> day_starts_;
  DayNumber first_cached_day_ = 0;
  absl::Time today_start_ = absl::InfiniteFuture();
  absl::Time tomorrow_start_ = absl::InfinitePast();
};

// True when `id` is 1-64 chars of [A-Za-z0-9._:-] (provider_id, program_id).
bool IsValidIdentifier(std::string_view id);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_EVENT_DECODER_H_
