// Randomized check of PartitionState against a deliberately simple
// reference: every figure is recomputed from the full list of applied
// events, straight from docs/metrics.md and daemon/state/FUNNEL_RULES.md, at
// every evaluation day. Events arrive late and out of order; the state is
// evicted and round-tripped through its checkpoint at random moments.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "daemon/state/partition_state.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

struct RefEvent {
  int kind;
  DayNumber day;
  std::string provider, program, client;
  bool priority;
  // Resolved group per dimension ("" = none), by the interning rule:
  // the first max_groups distinct values seen become groups.
  std::vector<std::string> groups;
  v1::ServiceEvent proto;
};

class Reference {
 public:
  explicit Reference(const StateSettings& s)
      : s_(s), seen_(s.dimensions.size()) {}

  void Add(RefEvent e) {
    const bool interns = e.kind == kReferral || e.kind == kCompletion ||
                         e.kind == kDisenrollment;
    for (size_t d = 0; d < s_.dimensions.size(); ++d) {
      auto it = e.proto.attributes().find(s_.dimensions[d]);
      std::string v = it == e.proto.attributes().end() ? "" : it->second;
      if (!interns || v.empty()) v = "";
      if (!v.empty() && !seen_[d].count(v)) {
        if (static_cast<int>(seen_[d].size()) < s_.max_groups_per_dimension) {
          seen_[d].insert(v);
        }
      }
      e.groups.push_back(seen_[d].count(v) ? v : "");
    }
    events_.push_back(std::move(e));
  }

  std::vector<ProgramFigures> Figures(DayNumber today) const;

 private:
  bool Live(const RefEvent& e, DayNumber today) const {
    return e.day <= today && today - e.day < s_.horizon_days;
  }
  ProgramFigures Program(const std::string& prov, const std::string& prog,
                         DayNumber today) const;
  WindowFigures Window(const std::vector<const RefEvent*>& ev, int n,
                       DayNumber today) const;
  std::vector<GroupRate> Suppress(std::vector<GroupRate> g) const;
  // Groups in dimension order, then by name.
  std::vector<GroupRate> Flatten(
      const std::map<std::pair<std::string, std::string>, Rate>& m) const {
    std::vector<GroupRate> v;
    for (const std::string& dim : s_.dimensions) {
      for (const auto& [key, rate] : m) {
        if (key.first == dim) v.push_back({key.first, key.second, rate});
      }
    }
    return v;
  }

  StateSettings s_;
  std::vector<std::set<std::string>> seen_;
  std::vector<RefEvent> events_;
};

std::vector<ProgramFigures> Reference::Figures(DayNumber today) const {
  std::set<std::pair<std::string, std::string>> programs;
  for (const RefEvent& e : events_) {
    if (Live(e, today)) programs.insert({e.provider, e.program});
  }
  std::vector<ProgramFigures> out;
  for (const auto& [prov, prog] : programs) {
    out.push_back(Program(prov, prog, today));
  }
  return out;
}

// Is there an enrollment of r's client with day in [lo, hi] (and live)?
bool HasEnrollment(const std::vector<const RefEvent*>& ev, const RefEvent& r,
                   DayNumber lo, DayNumber hi) {
  for (const RefEvent* e : ev) {
    if (e->kind == kEnrollment && e->client == r.client && e->day >= lo &&
        e->day <= hi) {
      return true;
    }
  }
  return false;
}

ProgramFigures Reference::Program(const std::string& prov,
                                  const std::string& prog,
                                  DayNumber today) const {
  std::vector<const RefEvent*> ev;
  for (const RefEvent& e : events_) {
    if (Live(e, today) && e.provider == prov && e.program == prog) {
      ev.push_back(&e);
    }
  }
  ProgramFigures p{prov, prog, 0, 0, {}};
  const int m = s_.enroll_within_days;
  for (const RefEvent* r : ev) {
    if (r->kind != kReferral || today - r->day < m + 1) continue;
    if (!HasEnrollment(ev, *r, INT32_MIN, INT32_MAX)) {
      p.stalled_referrals++;
      p.stalled_priority_referrals += r->priority;
    }
  }
  for (int n : s_.windows_days) p.windows.push_back(Window(ev, n, today));
  return p;
}

std::optional<int> Quantile(std::vector<int> v, double q) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  for (int x : v) {
    const auto at_most =
        std::count_if(v.begin(), v.end(), [&](int y) { return y <= x; });
    if (at_most >= q * v.size() - 1e-9) return x;
  }
  return std::nullopt;
}

using GroupRates = std::map<std::pair<std::string, std::string>, Rate>;

void AddTo(Rate& r, bool yes) {
  r.denominator++;
  r.numerator += yes;
}

// window_events, completion_rate (+ groups) and priority_share.
void CountEvents(const std::vector<const RefEvent*>& ev, int n, DayNumber today,
                 const std::vector<std::string>& dims, WindowFigures& w,
                 GroupRates& comp_g) {
  for (const RefEvent* e : ev) {
    if (today - e->day >= n) continue;
    w.events[e->kind]++;
    if (e->kind == kReferral) AddTo(w.priority_share_referral, e->priority);
    if (e->kind == kEnrollment) AddTo(w.priority_share_enrollment, e->priority);
    if (e->kind != kCompletion && e->kind != kDisenrollment) continue;
    AddTo(w.completion_rate, e->kind == kCompletion);
    for (size_t d = 0; d < e->groups.size(); ++d) {
      if (e->groups[d].empty()) continue;
      AddTo(comp_g[{dims[d], e->groups[d]}], e->kind == kCompletion);
    }
  }
}

// Values of days_to_enroll for enrollments of age 0 .. n-1.
std::vector<int> DaysToEnroll(const std::vector<const RefEvent*>& ev, int n,
                              DayNumber today) {
  std::vector<int> values;
  for (const RefEvent* e : ev) {
    if (e->kind != kEnrollment || today - e->day >= n) continue;
    // The most recent live referral of the client on or before it.
    std::optional<DayNumber> best;
    for (const RefEvent* r : ev) {
      if (r->kind == kReferral && r->client == e->client && r->day <= e->day &&
          (!best || r->day > *best)) {
        best = r->day;
      }
    }
    if (best) values.push_back(e->day - *best);
  }
  return values;
}

WindowFigures Reference::Window(const std::vector<const RefEvent*>& ev, int n,
                                DayNumber today) const {
  WindowFigures w;
  w.days = n;
  const int m = s_.enroll_within_days;
  GroupRates enr_g, comp_g;
  CountEvents(ev, n, today, s_.dimensions, w, comp_g);
  for (const RefEvent* e : ev) {
    const int age = today - e->day;
    if (e->kind != kReferral || age < m + 1 || age > m + n) continue;
    const bool in_time = HasEnrollment(ev, *e, e->day, e->day + m);
    AddTo(w.enrollment_rate, in_time);
    for (size_t d = 0; d < e->groups.size(); ++d) {
      if (!e->groups[d].empty()) {
        AddTo(enr_g[{s_.dimensions[d], e->groups[d]}], in_time);
      }
    }
  }
  const std::vector<int> dte = DaysToEnroll(ev, n, today);
  w.days_to_enroll_count = dte.size();
  w.days_to_enroll_p50 = Quantile(dte, 0.5);
  w.days_to_enroll_p90 = Quantile(dte, 0.9);
  w.enrollment_groups = Suppress(Flatten(enr_g));
  w.completion_groups = Suppress(Flatten(comp_g));
  return w;
}

// The FUNNEL_RULES.md suppression rule, written out plainly.
std::vector<GroupRate> Reference::Suppress(std::vector<GroupRate> g) const {
  for (const std::string& dim : s_.dimensions) {
    int64_t hidden = 0;
    int n_hidden = 0;
    for (GroupRate& x : g) {
      if (x.dimension == dim && x.rate.denominator < s_.min_cell) {
        x.suppressed = true;
        hidden += x.rate.denominator;
        ++n_hidden;
      }
    }
    if (n_hidden == 0 || hidden >= s_.min_cell) continue;
    GroupRate* next = nullptr;
    for (GroupRate& x : g) {
      if (x.dimension != dim || x.suppressed) continue;
      if (!next || std::tie(x.rate.denominator, x.group) <
                       std::tie(next->rate.denominator, next->group)) {
        next = &x;
      }
    }
    if (next) next->suppressed = true;
  }
  return g;
}

struct Params {
  StateSettings settings;
  int clients;
  int max_per_day;
};

RefEvent RandomEvent(std::mt19937_64& rng, const Params& p, DayNumber today,
                     int seq) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  static const char* kRace[] = {"a", "b", "c", "d", "e", "", ""};
  static const char* kSex[] = {"f", "m", ""};
  static const int kKinds[] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4};
  RefEvent e;
  e.kind = kKinds[pick(12)];
  const int r = pick(100);
  const int late = r < 65   ? 0
                   : r < 90 ? pick(4)
                            : pick(p.settings.horizon_days);
  e.day = today - late;
  e.provider = pick(3) ? "p1" : "p2";
  e.program = pick(2) ? "a" : "b";
  e.client = "client-" + std::to_string(pick(p.clients));
  e.priority = pick(10) < 3;
  v1::ServiceEvent& pr = e.proto;
  pr.set_event_id("e" + std::to_string(seq));
  pr.set_type(static_cast<v1::EventType>(e.kind + 1));
  pr.set_provider_id(e.provider);
  pr.set_program_id(e.program);
  pr.set_client_key(e.client);
  if (e.priority) pr.add_priority_groups("disability");
  const std::string race = kRace[pick(7)], sex = kSex[pick(3)];
  if (!race.empty() || pick(2)) (*pr.mutable_attributes())["race"] = race;
  if (!sex.empty()) (*pr.mutable_attributes())["sex"] = sex;
  return e;
}

void RunStream(const Params& p, uint64_t seed) {
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  PartitionState state(p.settings);
  Reference ref(p.settings);
  const DayNumber start = 20000;
  int seq = 0;
  for (DayNumber today = start; today < start + 3 * p.settings.horizon_days;
       ++today) {
    std::vector<RefEvent> arrivals;
    const int n = static_cast<int>(rng() % (p.max_per_day + 1));
    for (int i = 0; i < n; ++i) {
      arrivals.push_back(RandomEvent(rng, p, today, seq++));
    }
    for (RefEvent& e : arrivals) {
      state.Apply(e.proto, e.day);
      ref.Add(std::move(e));
    }
    if (rng() % 4 == 0) state.Evict(today);
    if (rng() % 10 == 0) {
      auto copy = PartitionState::Deserialize(state.Serialize(), p.settings);
      ASSERT_TRUE(copy.ok()) << copy.status();
      state = std::move(*copy);
    }
    ASSERT_EQ(state.dropped_events(), 0u);
    const auto got = state.ComputeFigures(today);
    const auto want = ref.Figures(today);
    ASSERT_EQ(got, want) << "day " << today - start;
  }
}

StateSettings SmallSettings() {
  StateSettings s;
  s.horizon_days = 40;
  s.enroll_within_days = 5;
  s.windows_days = {1, 7, 20};
  s.min_cell = 3;
  s.dimensions = {"race", "sex"};
  s.max_groups_per_dimension = 3;
  return s;
}

TEST(StateRandomizedTest, SmallHorizonManySeeds) {
  Params p{SmallSettings(), 25, 12};
  for (uint64_t seed = 1; seed <= 30; ++seed) RunStream(p, seed);
}

TEST(StateRandomizedTest, ZeroEnrollWithinDenseClients) {
  Params p{SmallSettings(), 6, 10};
  p.settings.enroll_within_days = 0;
  p.settings.windows_days = {2, 3, 38};
  p.settings.min_cell = 2;
  for (uint64_t seed = 100; seed <= 110; ++seed) RunStream(p, seed);
}

TEST(StateRandomizedTest, DefaultSettings) {
  StateSettings s;
  s.dimensions = {"race", "sex"};
  s.min_cell = 4;
  Params p{s, 60, 20};
  for (uint64_t seed = 200; seed <= 202; ++seed) RunStream(p, seed);
}

}  // namespace
}  // namespace outcomes
