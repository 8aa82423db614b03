#include "daemon/state/payment_log.h"

#include <algorithm>
#include <tuple>

#include "daemon/state/event_kind.h"

namespace outcomes {
namespace {

// A matching event as client units need it.
struct Hit {
  uint64_t client;
  DayNumber day;
  bool priority;
};

bool Matches(const UnitFilter& f, const PaymentLog::Mark& m) {
  return m.kind == f.kind && m.day >= f.from && m.day <= f.to &&
         (!f.priority_only || m.priority);
}

bool Matches(const UnitFilter& f, const PaymentLog::OutcomeMark& m) {
  return f.kind == kOutcome && m.day >= f.from && m.day <= f.to &&
         (!f.priority_only || m.priority) &&
         (!f.code.has_value() || m.code == *f.code) &&
         (!f.value_above.has_value() || m.value > *f.value_above);
}

template <typename M>
void Collect(const UnitFilter& f, const std::vector<M>& marks,
             std::vector<Hit>& hits, UnitCount& events) {
  for (const M& m : marks) {
    if (!Matches(f, m)) continue;
    ++events.units;
    if (m.priority) ++events.priority_units;
    if (f.per_client) hits.push_back({m.client, m.day, m.priority});
  }
}

// One unit per client: its earliest hit, a priority hit first on that day.
UnitCount CountClients(std::vector<Hit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::make_tuple(a.client, a.day, !a.priority) <
           std::make_tuple(b.client, b.day, !b.priority);
  });
  UnitCount out;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0 && hits[i].client == hits[i - 1].client) continue;
    ++out.units;
    if (hits[i].priority) ++out.priority_units;
  }
  return out;
}

}  // namespace

void PaymentLog::EvictBefore(DayNumber min_day) {
  std::erase_if(marks_, [&](const Mark& m) { return m.day < min_day; });
  std::erase_if(outcomes_,
                [&](const OutcomeMark& m) { return m.day < min_day; });
  if (marks_.capacity() > 2 * marks_.size() + 16) marks_.shrink_to_fit();
  if (outcomes_.capacity() > 2 * outcomes_.size() + 16) {
    outcomes_.shrink_to_fit();
  }
}

UnitCount PaymentLog::Count(const UnitFilter& filter) const {
  std::vector<Hit> hits;
  UnitCount events;
  if (filter.kind == kOutcome) {
    Collect(filter, outcomes_, hits, events);
  } else {
    Collect(filter, marks_, hits, events);
  }
  return filter.per_client ? CountClients(hits) : events;
}

}  // namespace outcomes
