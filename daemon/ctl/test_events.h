// Expands the compact event notation of `outcomesctl test rules` files
// (v1::EventBatch, documented in rules.proto) into ServiceEvents.
//
// Thread safety: pure function.
#ifndef OUTCOMESD_DAEMON_CTL_TEST_EVENTS_H_
#define OUTCOMESD_DAEMON_CTL_TEST_EVENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/base/day.h"
#include "outcomes/v1/event.pb.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

struct DatedEvent {
  DayNumber day = 0;
  v1::ServiceEvent event;
};

// The events of `batch` (index `index` in its test, for default client and
// event ids), with days relative to `start_day` and occurred_at at noon of
// the day in `tz`. InvalidArgument (message without location) for unknown
// types, empty ids, negative counts or fractions outside 0..1.
absl::StatusOr<std::vector<DatedEvent>> ExpandEventBatch(
    const v1::EventBatch& batch, int index, DayNumber start_day,
    const absl::TimeZone& tz);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_TEST_EVENTS_H_
