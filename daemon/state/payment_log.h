// What outcome payments count (docs/design.md, "Brief, payments and backtest"),
// kept per provider+program: one compact mark per accepted event within the
// horizon, so that units of any payment component (any event type, outcome
// code, priority or value filter, client or event units, any period) are
// derived when asked, from the events known then. A new or changed component is
// therefore right at once, and arrival order never matters. Rules:
// daemon/state/PAYMENT_RULES.md.
//
// Memory: 16 bytes per referral, enrollment, completion or disenrollment,
// 24 bytes per outcome, for the horizon (freed by EvictBefore).
//
// Thread safety: none; owned by one ProgramState (PartitionState).
#ifndef OUTCOMESD_DAEMON_STATE_PAYMENT_LOG_H_
#define OUTCOMESD_DAEMON_STATE_PAYMENT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/base/day.h"
#include "daemon/state/prefetch.h"

namespace outcomes {

// An outcome code interned per partition (PartitionState); kOtherCode for
// codes beyond the partition's cap, which only "any code" filters match.
using OutcomeCodeId = uint16_t;
inline constexpr OutcomeCodeId kOtherCode = 0xffff;

// Which events make units, and over which days.
struct UnitFilter {
  int kind = 0;  // EventKind
  // kOutcome only: the interned code to match; nullopt = any code.
  std::optional<OutcomeCodeId> code;
  bool priority_only = false;         // only events with priority groups
  std::optional<double> value_above;  // kOutcome only: outcome_value > it
  bool per_client = true;             // client units (else event units)
  DayNumber from = 0;                 // inclusive
  DayNumber to = 0;                   // inclusive
};

// Units found, and how many of them are priority units (the event that
// makes the unit has priority groups).
struct UnitCount {
  int64_t units = 0;
  int64_t priority_units = 0;
  bool operator==(const UnitCount&) const = default;
};

// A UnitFilter as asked of a whole partition: the outcome code by name.
struct UnitQuery {
  int kind = 0;              // EventKind
  std::string outcome_code;  // kOutcome only; empty = any code
  bool priority_only = false;
  std::optional<double> value_above;
  bool per_client = true;
  DayNumber from = 0;  // inclusive
  DayNumber to = 0;    // inclusive
};

// UnitQuery answers for one provider of a program: counts[i] answers
// query i.
struct ProviderUnits {
  std::string provider;
  std::vector<UnitCount> counts;
  bool operator==(const ProviderUnits&) const = default;
};

class PaymentLog {
 public:
  // A referral, enrollment, completion or disenrollment.
  struct Mark {
    uint64_t client;  // keyed hash of client_key
    DayNumber day;
    uint8_t kind;  // EventKind
    bool priority;
  };
  static_assert(sizeof(Mark) == 16);
  struct OutcomeMark {
    uint64_t client;
    double value;  // outcome_value
    DayNumber day;
    OutcomeCodeId code;
    bool priority;
  };
  static_assert(sizeof(OutcomeMark) == 24);

  void Add(const Mark& mark) { marks_.push_back(mark); }
  // Starts loading the memory the next Add (outcome: AddOutcome) writes;
  // a hint, no effect on contents.
  void Prefetch(bool outcome) const {
    PrefetchLine(
        outcome ? static_cast<const void*>(outcomes_.data() + outcomes_.size())
                : static_cast<const void*>(marks_.data() + marks_.size()));
  }
  void AddOutcome(const OutcomeMark& mark) { outcomes_.push_back(mark); }

  // Forgets marks with day < min_day.
  void EvictBefore(DayNumber min_day);

  // Units of `filter`. Client units: each client once, on the day of its
  // first matching event in [from, to]; it is a priority unit when a
  // matching event of that client on that day has priority groups.
  UnitCount Count(const UnitFilter& filter) const;

  const std::vector<Mark>& marks() const { return marks_; }
  const std::vector<OutcomeMark>& outcomes() const { return outcomes_; }

 private:
  std::vector<Mark> marks_;
  std::vector<OutcomeMark> outcomes_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_PAYMENT_LOG_H_
