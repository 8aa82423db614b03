#include "daemon/ingest/event_decoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/base/macros.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/ingest/event_wire.h"
#include "daemon/state/event_kind.h"
#include "google/protobuf/util/json_util.h"

namespace outcomes {
namespace {

constexpr size_t kMaxEventIdLength = 128;
constexpr size_t kMaxFreeTextLength = 256;   // client_key, contract, codes
constexpr size_t kMaxLabelValueLength = 64;  // groups, attribute keys/values
constexpr int kMaxPriorityGroups = 16;
constexpr int kMaxAttributes = 16;
// EventDecoder's arena: a typical binary event takes ~150 bytes of it, so
// kArenaEvents parses fit in the first block.
constexpr size_t kArenaBlockBytes = 256 * 1024;
constexpr int kArenaEvents = 512;

// [A-Za-z0-9._:-] as a lookup table: this check runs on every event.
constexpr std::array<bool, 256> kIdentifierChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (char c : {'.', '_', ':', '-'})
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool IsIdentifierChar(char c) {
  return kIdentifierChars[static_cast<unsigned char>(c)];
}

bool Fail(DecodeResult& result, RejectReason reason, std::string detail) {
  result.ok = false;
  result.reason = reason;
  result.detail = std::move(detail);
  return false;
}

bool LooksLikeJson(std::string_view value) {
  for (char c : value) {
    if (c == '{') return true;
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return false;
}

// Checks a required identifier (provider_id, program_id).
bool CheckIdentifier(absl::string_view name, std::string_view value,
                     DecodeResult& result) {
  if (value.empty()) {
    return Fail(result, RejectReason::kMissingField,
                absl::StrCat(name, " is required"));
  }
  if (!IsValidIdentifier(value)) {
    return Fail(result, RejectReason::kInvalidField,
                absl::StrCat(name, " must be 1-64 chars of [A-Za-z0-9._:-]"));
  }
  return true;
}

// Checks an optional label-like value (priority group, attribute).
bool CheckLabelValue(absl::string_view name, std::string_view value,
                     DecodeResult& result) {
  if (value.empty() || value.size() > kMaxLabelValueLength) {
    return Fail(result, RejectReason::kInvalidField,
                absl::StrCat(name, " must be 1-64 chars"));
  }
  return true;
}

}  // namespace

const char* EventTypeName(v1::EventType type) {
  ABSL_ASSERT(type >= 0 && type < kEventTypeCount);
  const int kind = EventKindOf(type);
  return kind < 0 ? "unspecified" : kEventKindNames[kind].data();
}

std::optional<std::string_view> PeekEventId(std::string_view value) {
  // Tag 0x0a (field 1, length-delimited), then a varint length of at most
  // two bytes (event ids are at most 128 bytes).
  if (value.size() < 2 || value[0] != 0x0a) return std::nullopt;
  size_t length = static_cast<unsigned char>(value[1]);
  size_t start = 2;
  if (length & 0x80) {
    if (value.size() < 3 || (value[2] & 0x80)) return std::nullopt;
    length = (length & 0x7f) | (static_cast<size_t>(value[2]) << 7);
    start = 3;
  }
  if (length > value.size() - start) return std::nullopt;
  return value.substr(start, length);
}

bool IsValidIdentifier(std::string_view id) {
  if (id.empty() || id.size() > kMaxLabelValueLength) return false;
  for (char c : id) {
    if (!IsIdentifierChar(c)) return false;
  }
  return true;
}

EventDecoder::EventDecoder(ValidationSettings settings)
    : settings_(std::move(settings)), arena_block_(new char[kArenaBlockBytes]) {
  RenewArena();
}

void EventDecoder::RenewArena() {
  event_ = nullptr;
  arena_.reset();
  google::protobuf::ArenaOptions options;
  options.initial_block = arena_block_.get();
  options.initial_block_size = kArenaBlockBytes;
  arena_ = std::make_unique<google::protobuf::Arena>(options);
  event_ =
      google::protobuf::Arena::CreateMessage<v1::ServiceEvent>(arena_.get());
  parses_ = 0;
}

DecodeResult EventDecoder::Decode(std::string_view value, absl::Time now) {
  DecodeResult result;
  if (Parse(value, result) && CheckFields(result) && CheckTime(now, result)) {
    result.ok = true;
  }
  return result;
}

DecodeResult EventDecoder::DecodeAtOccurrence(std::string_view value) {
  DecodeResult result;
  if (Parse(value, result) && CheckFields(result)) {
    result.ok = true;
    result.day = DayOf(absl::FromUnixSeconds(view_.occurred_seconds()),
                       settings_.timezone);
  }
  return result;
}

bool EventDecoder::Parse(std::string_view value, DecodeResult& result) {
  const bool json = LooksLikeJson(value);  // JSON is tried first
  if (!json && ParseEventWire(value, view_)) return true;
  if (++parses_ > kArenaEvents) RenewArena();
  if (json) {
    event_->Clear();
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    if (google::protobuf::util::JsonStringToMessage(
            google::protobuf::StringPiece(value.data(), value.size()), event_,
            options)
            .ok()) {
      view_.Assign(*event_);
      return true;
    }
    // Not JSON after all? A binary event can start with "\n{" (event_id of
    // 123 bytes): fall through and try protobuf.
  }
  // ParseFromArray clears the message first.
  if (!event_->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return Fail(
        result, RejectReason::kMalformed,
        "value is neither protobuf nor JSON of outcomes.v1.ServiceEvent");
  }
  view_.Assign(*event_);
  return true;
}

bool EventDecoder::CheckFields(DecodeResult& result) const {
  const EventView& e = view_;
  if (e.event_id().empty()) {
    return Fail(result, RejectReason::kMissingField, "event_id is required");
  }
  if (e.event_id().size() > kMaxEventIdLength) {
    return Fail(result, RejectReason::kInvalidField,
                "event_id must be 1-128 chars");
  }
  if (e.type() == v1::EVENT_TYPE_UNSPECIFIED) {
    return Fail(result, RejectReason::kMissingField, "type is required");
  }
  if (!v1::EventType_IsValid(e.type())) {
    return Fail(result, RejectReason::kInvalidField,
                "type is not a known EventType");
  }
  if (!e.has_occurred_at()) {
    return Fail(result, RejectReason::kMissingField, "occurred_at is required");
  }
  if (e.occurred_nanos() < 0 || e.occurred_nanos() > 999999999 ||
      e.occurred_seconds() < 0 || e.occurred_seconds() > 253402300799) {
    return Fail(result, RejectReason::kInvalidField,
                "occurred_at is not a valid timestamp");
  }
  if (!CheckIdentifier("provider_id", e.provider_id(), result) ||
      !CheckIdentifier("program_id", e.program_id(), result)) {
    return false;
  }
  if (!e.contract_id().empty() && !IsValidIdentifier(e.contract_id())) {
    return Fail(result, RejectReason::kInvalidField,
                "contract_id must be 1-64 chars of [A-Za-z0-9._:-]");
  }
  if (e.client_key().empty()) {
    return Fail(result, RejectReason::kMissingField, "client_key is required");
  }
  if (e.client_key().size() > kMaxFreeTextLength) {
    return Fail(result, RejectReason::kInvalidField,
                "client_key must be at most 256 bytes");
  }
  if (e.priority_groups_size() > kMaxPriorityGroups ||
      e.attributes_size() > kMaxAttributes) {
    return Fail(result, RejectReason::kInvalidField,
                "at most 16 priority_groups and 16 attributes");
  }
  for (std::string_view group : e.priority_groups()) {
    if (!CheckLabelValue("priority_groups[]", group, result)) return false;
  }
  for (const auto& [key, val] : e.attributes()) {
    if (!CheckLabelValue("attributes key", key, result)) return false;
    // An empty value is allowed: it means "no group" (FUNNEL_RULES.md 15).
    if (val.size() > kMaxLabelValueLength) {
      return Fail(result, RejectReason::kInvalidField,
                  "attributes value must be at most 64 chars");
    }
  }
  if (e.outcome_code().size() > kMaxLabelValueLength) {
    return Fail(result, RejectReason::kInvalidField,
                "outcome_code must be at most 64 chars");
  }
  if (!std::isfinite(e.outcome_value())) {
    return Fail(result, RejectReason::kInvalidField,
                "outcome_value must be finite");
  }
  return true;
}

void EventDecoder::CacheDays(absl::Time now) {
  const absl::TimeZone& tz = settings_.timezone;
  const absl::CivilDay today = absl::ToCivilDay(now, tz);
  first_cached_day_ = DayOf(now, tz) - settings_.horizon_days + 1;
  day_starts_.clear();
  for (absl::CivilDay d = today - (settings_.horizon_days - 1); d <= today + 1;
       ++d) {
    day_starts_.push_back(absl::FromCivil(d, tz));
  }
  tomorrow_start_ = day_starts_.back();
  today_start_ = day_starts_[day_starts_.size() - 2];
}

bool EventDecoder::CheckTime(absl::Time now, DecodeResult& result) {
  const absl::Time occurred = absl::FromUnixSeconds(view_.occurred_seconds()) +
                              absl::Nanoseconds(view_.occurred_nanos());
  if (occurred - now > settings_.max_clock_skew) {
    return Fail(result, RejectReason::kFutureTimestamp,
                "occurred_at is ahead of now by more than max_clock_skew");
  }
  if (now < today_start_ || now >= tomorrow_start_) CacheDays(now);
  if (occurred < day_starts_.front()) {
    return Fail(result, RejectReason::kTooOld,
                "occurred_at is older than the horizon");
  }
  if (occurred >= tomorrow_start_) {  // within the clock skew, after midnight
    result.day = DayOf(occurred, settings_.timezone);
    return true;
  }
  // The last day start at or before `occurred`.
  const auto it =
      std::upper_bound(day_starts_.begin(), day_starts_.end(), occurred);
  result.day =
      first_cached_day_ + static_cast<DayNumber>(it - day_starts_.begin() - 1);
  return true;
}

}  // namespace outcomes
