#include "daemon/tools/simulation.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace outcomes::tools {
namespace {

using outcomes::v1::EventType;

constexpr int64_t kMsPerHour = 3'600'000;
// Drawn delays are capped at 17 days; moving the result into business hours
// adds at most ~2.75 days, so no enrollment comes more than 20 days late.
constexpr double kMaxEnrollDelayDays = 17.0;

// Referral intensity: weekday 08:00-18:00 UTC has weight 1, other hours 0.05.
// Mean weight over a week = (50 + 118 * 0.05) / 168.
constexpr double kOffHoursWeight = 0.05;
constexpr double kMeanWeekWeight = (50.0 + 118.0 * kOffHoursWeight) / 168.0;

// race_ethnicity categories and their shares of referred clients.
constexpr std::array<const char*, 6> kRaces = {
    "black", "white", "hispanic", "asian", "native", "other",
};
constexpr std::array<double, 6> kRaceWeights = {0.24, 0.38, 0.24,
                                                0.06, 0.03, 0.05};
constexpr int kHispanic = 2;
constexpr int kAsian = 3;

bool IsWeekend(int64_t day_number) {
  const int64_t dow = ((day_number + 4) % 7 + 7) % 7;  // 1970-01-01: Thursday
  return dow == 0 || dow == 6;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

double ReferralWeight(int64_t t_ms) {
  const int64_t day = FloorDiv(t_ms, kMsPerDay);
  const int64_t hour = (t_ms - day * kMsPerDay) / kMsPerHour;
  if (IsWeekend(day) || hour < 8 || hour >= 18) return kOffHoursWeight;
  return 1.0;
}

std::string ProgramId(int index) {
  if (index == 0) return "workforce";
  if (index == 1) return "behavioral-health";
  return absl::StrCat("program-", index + 1);
}

}  // namespace

Simulation::Simulation(const SimConfig& config) : rng_(config.seed) {
  const int programs = std::max(1, config.programs);
  for (int i = 0; i < config.providers; ++i) {
    providers_.push_back(MakeProvider(
        i, programs, i < config.shortfall_providers, config.referrals_per_day));
  }
  for (int i = 0; i < config.providers; ++i) {
    ScheduleReferral(i, config.start_ms);
  }
}

ProviderModel Simulation::MakeProvider(int index, int programs, bool shortfall,
                                       double referrals_per_day) {
  ProviderModel p;
  p.id = absl::StrFormat("prov-%03d", index + 1);
  p.program_id = ProgramId(index % programs);
  p.contract_id = absl::StrCat("ctr-", p.program_id, "-", p.id);
  p.shortfall = shortfall;
  p.referrals_per_day = referrals_per_day * rng_.Uniform(0.5, 1.5);
  if (shortfall) {
    p.enroll_prob = rng_.Uniform(0.36, 0.44);
    p.priority_enroll_factor = 0.45;
    p.enroll_delay_days = rng_.Uniform(7.0, 9.0);
    p.complete_prob = rng_.Uniform(0.35, 0.45);
    p.outcome_prob = rng_.Uniform(0.30, 0.40);
  } else {
    p.enroll_prob = rng_.Uniform(0.72, 0.84);
    p.priority_enroll_factor = rng_.Uniform(0.90, 1.0);
    p.enroll_delay_days = rng_.Uniform(3.0, 5.0);
    p.complete_prob = rng_.Uniform(0.60, 0.80);
    p.outcome_prob = rng_.Uniform(0.50, 0.70);
  }
  p.program_days = rng_.Uniform(15.0, 25.0);
  p.wage_mean = rng_.Uniform(15.5, 19.5);
  return p;
}

void Simulation::Schedule(const SimEvent& event) {
  queue_.push(Pending{next_seq_++, event});
}

// Thinned Poisson process: candidates at the peak rate, kept with
// probability ReferralWeight(t), so the weekly mean is referrals_per_day.
void Simulation::ScheduleReferral(int provider, int64_t after_ms) {
  const double peak_per_day =
      providers_[provider].referrals_per_day / kMeanWeekWeight;
  const double mean_gap_ms = kMsPerDay / std::max(peak_per_day, 1e-9);
  int64_t t = after_ms;
  do {
    t += 1 + static_cast<int64_t>(rng_.Exponential(mean_gap_ms));
  } while (!rng_.Bernoulli(ReferralWeight(t)));

  SimEvent e;
  e.at_ms = t;
  e.type = outcomes::v1::EVENT_TYPE_REFERRAL;
  e.provider = provider;
  e.client = rng_.Bits();
  e.race = static_cast<uint8_t>(rng_.Weighted(kRaceWeights));
  const bool likely_lep = e.race == kHispanic || e.race == kAsian;
  if (rng_.Bernoulli(0.20)) e.priority |= kJusticeInvolved;
  if (rng_.Bernoulli(0.15)) e.priority |= kDisability;
  if (rng_.Bernoulli(likely_lep ? 0.30 : 0.04)) e.priority |= kLimitedEnglish;
  Schedule(e);
}

SimEvent Simulation::Next() {
  SimEvent e = queue_.top().event;
  queue_.pop();
  ScheduleFollowUp(e);
  return e;
}

void Simulation::ScheduleFollowUp(const SimEvent& event) {
  const ProviderModel& p = providers_[event.provider];
  switch (event.type) {
    case outcomes::v1::EVENT_TYPE_REFERRAL:
      ScheduleReferral(event.provider, event.at_ms);
      ScheduleEnrollment(event, p);
      break;
    case outcomes::v1::EVENT_TYPE_ENROLLMENT:
      ScheduleExit(event, p);
      break;
    case outcomes::v1::EVENT_TYPE_COMPLETION:
      ScheduleOutcome(event, p);
      break;
    default:
      break;
  }
}

void Simulation::ScheduleEnrollment(const SimEvent& referral,
                                    const ProviderModel& p) {
  const double prob =
      p.enroll_prob * (referral.priority != 0 ? p.priority_enroll_factor : 1);
  if (!rng_.Bernoulli(prob)) return;  // a stalled referral
  const double delay =
      std::min(rng_.Exponential(p.enroll_delay_days), kMaxEnrollDelayDays);
  SimEvent e = referral;
  e.type = outcomes::v1::EVENT_TYPE_ENROLLMENT;
  e.at_ms = BusinessTimeAfter(referral.at_ms, delay);
  Schedule(e);
}

void Simulation::ScheduleExit(const SimEvent& enrollment,
                              const ProviderModel& p) {
  SimEvent e = enrollment;
  // Priority clients of a creaming provider drop out more often.
  const double factor =
      p.shortfall && enrollment.priority != 0 ? p.priority_enroll_factor : 1;
  if (rng_.Bernoulli(p.complete_prob * factor)) {
    e.type = outcomes::v1::EVENT_TYPE_COMPLETION;
    e.at_ms = BusinessTimeAfter(enrollment.at_ms,
                                7.0 + rng_.Exponential(p.program_days - 7.0));
  } else {
    e.type = outcomes::v1::EVENT_TYPE_DISENROLLMENT;
    e.at_ms = BusinessTimeAfter(enrollment.at_ms, 1.0 + rng_.Exponential(12.0));
  }
  Schedule(e);
}

void Simulation::ScheduleOutcome(const SimEvent& completion,
                                 const ProviderModel& p) {
  if (!rng_.Bernoulli(p.outcome_prob)) return;
  SimEvent e = completion;
  e.type = outcomes::v1::EVENT_TYPE_OUTCOME;
  e.at_ms = BusinessTimeAfter(completion.at_ms, 1.0 + rng_.Exponential(10.0));
  const double wage = std::max(7.25, rng_.Normal(p.wage_mean, 2.5));
  e.wage = std::round(wage * 100.0) / 100.0;
  Schedule(e);
}

// A time about `delay_days` after t_ms, moved into weekday 08:00-18:00 and
// always strictly after t_ms.
int64_t Simulation::BusinessTimeAfter(int64_t t_ms, double delay_days) {
  const int64_t target = t_ms + static_cast<int64_t>(delay_days * kMsPerDay);
  int64_t day = FloorDiv(target, kMsPerDay);
  while (IsWeekend(day)) ++day;
  const int64_t time_of_day =
      8 * kMsPerHour + static_cast<int64_t>(rng_.UniformInt(10 * kMsPerHour));
  int64_t t = day * kMsPerDay + time_of_day;
  if (t <= t_ms) {
    t = t_ms + 600'000 + static_cast<int64_t>(rng_.UniformInt(2 * kMsPerHour));
  }
  return t;
}

void Simulation::ToProto(const SimEvent& event, absl::string_view event_id,
                         int64_t occurred_ms,
                         outcomes::v1::ServiceEvent* out) const {
  const ProviderModel& p = providers_[event.provider];
  out->Clear();
  out->set_event_id(std::string(event_id));
  out->set_type(event.type);
  const int64_t seconds = FloorDiv(occurred_ms, 1000);
  out->mutable_occurred_at()->set_seconds(seconds);
  out->mutable_occurred_at()->set_nanos(
      static_cast<int32_t>((occurred_ms - seconds * 1000) * 1'000'000));
  out->set_provider_id(p.id);
  out->set_program_id(p.program_id);
  out->set_contract_id(p.contract_id);
  out->set_client_key(absl::StrFormat("c-%016x", event.client));
  if (event.priority & kJusticeInvolved) {
    out->add_priority_groups("justice_involved");
  }
  if (event.priority & kDisability) out->add_priority_groups("disability");
  if (event.priority & kLimitedEnglish) {
    out->add_priority_groups("limited_english");
  }
  (*out->mutable_attributes())["race_ethnicity"] = kRaces[event.race];
  if (event.type == outcomes::v1::EVENT_TYPE_OUTCOME) {
    out->set_outcome_code("job_placement");
    out->set_outcome_value(event.wage);
  }
}

BackfillStream::BackfillStream(Simulation* sim, uint64_t seed, int64_t now_ms)
    : sim_(sim), rng_(seed ^ 0x9e3779b97f4a7c15ULL), now_ms_(now_ms) {}

bool BackfillStream::Next(SimEvent* out) {
  while (true) {
    const bool sim_has_more = sim_->PeekMs() <= now_ms_;
    // Release the earliest arrival once the simulation cannot produce an
    // event that would arrive before it.
    if (!pending_.empty() &&
        (!sim_has_more || pending_.top().arrival_ms <= sim_->PeekMs())) {
      *out = pending_.top().event;
      pending_.pop();
      return true;
    }
    if (!sim_has_more) return false;
    const SimEvent e = sim_->Next();
    int64_t arrival = e.at_ms;
    if (rng_.Bernoulli(0.01)) {
      arrival += 1 + static_cast<int64_t>(rng_.UniformInt(2 * kMsPerDay));
    }
    pending_.push(Arrival{arrival, next_seq_++, e});
  }
}

}  // namespace outcomes::tools
