// The event types of event.proto (docs/design.md, "From event to figure") as
// dense indexes 0..kNumEventKinds-1, with the label values the metrics use
// (`type` label of outcomes_events_total and outcomes_window_events). The
// one table of event types: a value added to v1::EventType must get its
// name here (the static_assert says so), and every array indexed by kind is
// sized from it.
#ifndef OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_
#define OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_

#include <iterator>
#include <string_view>

#include "outcomes/v1/event.pb.h"

namespace outcomes {

enum EventKind : int {
  kReferral = 0,
  kEnrollment = 1,
  kCompletion = 2,
  kDisenrollment = 3,
  kOutcome = 4,
};
// EventType values are 0 (UNSPECIFIED) and then 1..kNumEventKinds, dense.
inline constexpr int kNumEventKinds = v1::EventType_ARRAYSIZE - 1;

inline constexpr std::string_view kEventKindNames[] = {
    "referral", "enrollment", "completion", "disenrollment", "outcome"};
static_assert(std::size(kEventKindNames) == kNumEventKinds,
              "a new v1::EventType needs its label value in kEventKindNames");
static_assert(v1::EventType_MIN == 0 && v1::EventType_MAX == kNumEventKinds,
              "EventKindOf assumes dense EventType values");

// Index of `type`, or -1 for EVENT_TYPE_UNSPECIFIED and unknown values.
inline int EventKindOf(v1::EventType type) {
  const int t = static_cast<int>(type);
  return (t >= 1 && t <= kNumEventKinds) ? t - 1 : -1;
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_
