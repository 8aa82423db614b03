// A reproducible model of an agency's service-delivery event stream, used by
// outcomes-simulate (see simulate_main.cc for the command line).
//
// Each provider belongs to one program and receives referrals as a Poisson
// process (busier on weekday business hours). Each referral is a new client
// who may enroll after a delay; enrolled clients complete or disenroll; some
// completions are followed by a job placement OUTCOME with an hourly wage.
// The first `shortfall_providers` providers fall short on purpose: they
// enroll ~30 % of referrals (others ~75 %), enroll slowly, complete less and
// enroll priority-population clients at half the rate of other clients
// ("creaming").
//
// Everything is driven by one SimRandom seeded from the config, and events
// come out in a total order (time, then scheduling sequence), so the same
// config always yields the same events.
#ifndef OUTCOMESD_DAEMON_TOOLS_SIMULATION_H_
#define OUTCOMESD_DAEMON_TOOLS_SIMULATION_H_

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/tools/sim_random.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes::tools {

inline constexpr int64_t kMsPerDay = 86'400'000;

struct SimConfig {
  uint64_t seed = 1;
  int providers = 20;
  int programs = 2;
  int shortfall_providers = 2;
  double referrals_per_day = 5.0;  // mean per provider
  int64_t start_ms = 0;            // first referrals come after this instant
};

// Bit flags of SimEvent::priority.
enum PriorityGroup : uint8_t {
  kJusticeInvolved = 1,
  kDisability = 2,
  kLimitedEnglish = 4,
};

// One event before it becomes a proto; small, so millions can be queued.
struct SimEvent {
  int64_t at_ms = 0;  // simulated event time
  outcomes::v1::EventType type = outcomes::v1::EVENT_TYPE_UNSPECIFIED;
  int32_t provider = 0;  // index into Simulation::providers()
  uint64_t client = 0;   // pseudonymous token
  uint8_t priority = 0;  // PriorityGroup bits
  uint8_t race = 0;      // index into the race_ethnicity categories
  double wage = 0;       // OUTCOME only: hourly wage, whole cents
};

struct ProviderModel {
  std::string id;           // prov-001
  std::string program_id;   // workforce, behavioral-health, program-3, ...
  std::string contract_id;  // ctr-<program>-<provider>
  bool shortfall = false;
  double referrals_per_day = 0;
  double enroll_prob = 0;             // for clients with no priority group
  double priority_enroll_factor = 0;  // multiplier for priority clients
  double enroll_delay_days = 0;       // mean, capped at 20 days
  double complete_prob = 0;           // of enrolled clients
  double program_days = 0;            // mean enrollment -> completion
  double outcome_prob = 0;            // job placement after completion
  double wage_mean = 0;
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& config);

  const std::vector<ProviderModel>& providers() const { return providers_; }

  // Time of the event Next() will return.
  int64_t PeekMs() const { return queue_.top().event.at_ms; }

  // Returns the next event in simulated-time order and schedules what follows
  // from it. Never runs dry: referrals keep arriving forever.
  SimEvent Next();

  // Fills *out (cleared first) from `event`, with the given id and time.
  void ToProto(const SimEvent& event, absl::string_view event_id,
               int64_t occurred_ms, outcomes::v1::ServiceEvent* out) const;

 private:
  struct Pending {
    uint64_t seq;
    SimEvent event;
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const {
      if (a.event.at_ms != b.event.at_ms) return a.event.at_ms > b.event.at_ms;
      return a.seq > b.seq;
    }
  };

  ProviderModel MakeProvider(int index, int programs, bool shortfall,
                             double referrals_per_day);
  void Schedule(const SimEvent& event);
  void ScheduleReferral(int provider, int64_t after_ms);
  void ScheduleFollowUp(const SimEvent& event);
  void ScheduleEnrollment(const SimEvent& referral, const ProviderModel& p);
  void ScheduleExit(const SimEvent& enrollment, const ProviderModel& p);
  void ScheduleOutcome(const SimEvent& completion, const ProviderModel& p);
  int64_t BusinessTimeAfter(int64_t t_ms, double delay_days);

  SimRandom rng_;
  std::vector<ProviderModel> providers_;
  std::priority_queue<Pending, std::vector<Pending>, Later> queue_;
  uint64_t next_seq_ = 0;
};

// Reorders a Simulation's events into "arrival" order for a backfill ending
// at now_ms: ~1 % of events arrive late, by up to 2 days, as real feeds do.
// Yields only events with at_ms <= now_ms.
class BackfillStream {
 public:
  BackfillStream(Simulation* sim, uint64_t seed, int64_t now_ms);

  // Returns false when the backfill is exhausted.
  bool Next(SimEvent* out);

 private:
  struct Arrival {
    int64_t arrival_ms;
    uint64_t seq;
    SimEvent event;
  };
  struct Later {
    bool operator()(const Arrival& a, const Arrival& b) const {
      if (a.arrival_ms != b.arrival_ms) return a.arrival_ms > b.arrival_ms;
      return a.seq > b.seq;
    }
  };

  Simulation* sim_;
  SimRandom rng_;
  int64_t now_ms_;
  uint64_t next_seq_ = 0;
  std::priority_queue<Arrival, std::vector<Arrival>, Later> pending_;
};

}  // namespace outcomes::tools

#endif  // OUTCOMESD_DAEMON_TOOLS_SIMULATION_H_
