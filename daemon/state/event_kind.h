// The five event types of docs/design.md, "From event to figure" as dense
// indexes 0..4, with the label values the metrics use (`type` label of
// outcomes_window_events).
#ifndef OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_
#define OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_

#include <array>
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
inline constexpr int kNumEventKinds = 5;

inline constexpr std::array<std::string_view, kNumEventKinds> kEventKindNames =
    {"referral", "enrollment", "completion", "disenrollment", "outcome"};

// Index of `type`, or -1 for EVENT_TYPE_UNSPECIFIED and unknown values.
inline int EventKindOf(v1::EventType type) {
  const int t = static_cast<int>(type);
  return (t >= 1 && t <= kNumEventKinds) ? t - 1 : -1;
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_EVENT_KIND_H_
