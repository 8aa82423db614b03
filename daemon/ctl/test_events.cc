#include "daemon/ctl/test_events.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace outcomes {
namespace {

absl::StatusOr<v1::EventType> ParseType(const std::string& type) {
  static const std::pair<const char*, v1::EventType> kTypes[] = {
      {"referral", v1::EVENT_TYPE_REFERRAL},
      {"enrollment", v1::EVENT_TYPE_ENROLLMENT},
      {"completion", v1::EVENT_TYPE_COMPLETION},
      {"disenrollment", v1::EVENT_TYPE_DISENROLLMENT},
      {"outcome", v1::EVENT_TYPE_OUTCOME}};
  for (const auto& [name, t] : kTypes) {
    if (type == name) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("type: unknown event type \"", type,
                   "\" (expected referral, enrollment, completion, "
                   "disenrollment, outcome)"));
}

absl::Status CheckBatch(const v1::EventBatch& b) {
  if (b.provider().empty())
    return absl::InvalidArgumentError("provider: required");
  if (b.program().empty())
    return absl::InvalidArgumentError("program: required");
  if (b.count() < 0) return absl::InvalidArgumentError("count: must be >= 0");
  for (double f : {b.fraction_enrolled(), b.fraction_completed(),
                   b.fraction_disenrolled()}) {
    if (f < 0 || f > 1) {
      return absl::InvalidArgumentError("fractions must be between 0 and 1");
    }
  }
  if (b.fraction_completed() + b.fraction_disenrolled() > 1) {
    return absl::InvalidArgumentError(
        "fraction_completed + fraction_disenrolled must be <= 1");
  }
  if (b.type() != "referral" &&
      (b.fraction_enrolled() > 0 || b.fraction_completed() > 0 ||
       b.fraction_disenrolled() > 0)) {
    return absl::InvalidArgumentError(
        "fractions are only used by referral batches");
  }
  if (b.type() != "outcome" &&
      (!b.outcome_code().empty() || b.outcome_value() != 0)) {
    return absl::InvalidArgumentError(
        "outcome_code and outcome_value are only used by outcome batches");
  }
  return absl::OkStatus();
}

// Appends one event of `type` for client `client` on `day`.
// Event ids start with `id_prefix`, client keys with `prefix`.
void Add(const v1::EventBatch& b, const std::string& id_prefix,
         const std::string& prefix, v1::EventType type, const char* tag,
         int64_t client, DayNumber day, const absl::TimeZone& tz,
         std::vector<DatedEvent>* out) {
  DatedEvent d;
  d.day = day;
  v1::ServiceEvent& e = d.event;
  e.set_event_id(absl::StrCat(id_prefix, "-", tag, "-", client));
  e.set_type(type);
  const absl::Time at = absl::FromCivil(CivilDayOf(day), tz) + absl::Hours(12);
  *e.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(at));
  e.set_provider_id(b.provider());
  e.set_program_id(b.program());
  e.set_client_key(absl::StrCat(prefix, "-c", client));
  *e.mutable_priority_groups() = b.priority_groups();
  *e.mutable_attributes() = b.attributes();
  if (type == v1::EVENT_TYPE_OUTCOME) {
    e.set_outcome_code(b.outcome_code());
    e.set_outcome_value(b.outcome_value());
  }
  out->push_back(std::move(d));
}

int64_t Part(int64_t n, double fraction) {
  return static_cast<int64_t>(std::llround(static_cast<double>(n) * fraction));
}

}  // namespace

absl::StatusOr<std::vector<DatedEvent>> ExpandEventBatch(
    const v1::EventBatch& b, int index, DayNumber start_day,
    const absl::TimeZone& tz) {
  auto type = ParseType(b.type());
  if (!type.ok()) return type.status();
  if (absl::Status s = CheckBatch(b); !s.ok()) return s;
  const std::string prefix =
      b.client_prefix().empty() ? absl::StrCat("b", index) : b.client_prefix();
  // Batches sharing a client_prefix give the same clients distinct events.
  const std::string id_prefix =
      b.client_prefix().empty() ? prefix : absl::StrCat(prefix, "-b", index);
  const DayNumber day = start_day + static_cast<DayNumber>(b.day());
  const DayNumber enroll_day =
      day + static_cast<DayNumber>(b.enrolled_after_days());
  const DayNumber exit_day =
      enroll_day + static_cast<DayNumber>(b.completed_after_days());
  const int64_t enrolled = Part(b.count(), b.fraction_enrolled());
  const int64_t completed = Part(enrolled, b.fraction_completed());
  const int64_t disenrolled = Part(enrolled, b.fraction_disenrolled());
  std::vector<DatedEvent> out;
  for (int64_t c = 0; c < b.count(); ++c) {
    Add(b, id_prefix, prefix, *type, b.type().c_str(), c, day, tz, &out);
    if (c >= enrolled) continue;
    Add(b, id_prefix, prefix, v1::EVENT_TYPE_ENROLLMENT, "enrollment", c,
        enroll_day, tz, &out);
    if (c < completed) {
      Add(b, id_prefix, prefix, v1::EVENT_TYPE_COMPLETION, "completion", c,
          exit_day, tz, &out);
    } else if (c < completed + disenrolled) {
      Add(b, id_prefix, prefix, v1::EVENT_TYPE_DISENROLLMENT, "disenrollment",
          c, exit_day, tz, &out);
    }
  }
  return out;
}

}  // namespace outcomes
