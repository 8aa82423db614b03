#include "daemon/ctl/backtest.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_text.h"
#include "daemon/ctl/goal_replay.h"

namespace outcomes {
namespace {

// The fake clock at the end of `day`: days exactly 24 h apart.
absl::Time DayEnd(DayNumber day) {
  return absl::UnixEpoch() + absl::Hours(24) * (int64_t{day} + 1);
}

// Turns each day's alert instances into transitions and the summary.
class Tracker {
 public:
  Tracker(const RuleSet& rules, BacktestReport& report);
  void Observe(DayNumber day, const std::vector<GoalResult>& results,
               const std::vector<AlertInstance>& instances);

 private:
  struct Seen {
    AlertLabels labels;
    AlertPhase phase;
    double target;
  };
  GoalSummary* Goal(const std::string& contract, const std::string& goal);
  void Add(DayNumber day, const AlertLabels& labels, AlertPhase state,
           double target, std::vector<AlertTransition>& out) const;
  void FillValues(const std::vector<GoalResult>& results,
                  std::vector<AlertTransition>& out) const;
  void CountJudged(const std::vector<GoalResult>& results);

  BacktestReport& report_;
  std::map<std::pair<std::string, std::string>, size_t> goal_index_;
  absl::flat_hash_map<std::string, Seen> prev_;  // by LabelKey
};

Tracker::Tracker(const RuleSet& rules, BacktestReport& report)
    : report_(report) {
  for (const ContractSpec& c : rules.contracts) {
    for (const GoalSpec& g : c.goals) {
      goal_index_[{c.id, g.name}] = report_.goals.size();
      GoalSummary summary;
      summary.contract = c.id;
      summary.goal = g.name;
      report_.goals.push_back(std::move(summary));
    }
  }
}

GoalSummary* Tracker::Goal(const std::string& contract,
                           const std::string& goal) {
  auto it = goal_index_.find({contract, goal});
  return it == goal_index_.end() ? nullptr : &report_.goals[it->second];
}

void Tracker::Add(DayNumber day, const AlertLabels& labels, AlertPhase state,
                  double target, std::vector<AlertTransition>& out) const {
  out.push_back(AlertTransition{day, labels, state, std::nullopt, target});
}

void Tracker::FillValues(const std::vector<GoalResult>& results,
                         std::vector<AlertTransition>& out) const {
  absl::flat_hash_map<std::string, const GoalResult*> by_labels;
  for (const GoalResult& r : results) {
    if (r.goal != nullptr) by_labels[LabelKey(LabelsOf(r))] = &r;
  }
  for (AlertTransition& t : out) {
    auto it = by_labels.find(LabelKey(t.labels));
    if (it == by_labels.end()) continue;
    t.value = it->second->value;
    t.target = it->second->target;
  }
}

void Tracker::CountJudged(const std::vector<GoalResult>& results) {
  for (const GoalResult& r : results) {
    if (!r.judged) continue;
    if (GoalSummary* g = Goal(r.goal->contract, r.goal->name)) {
      g->providers_judged.insert(r.provider);
    }
  }
}

void Tracker::Observe(DayNumber day, const std::vector<GoalResult>& results,
                      const std::vector<AlertInstance>& instances) {
  CountJudged(results);
  std::vector<AlertTransition> out;
  std::map<GoalSummary*, std::set<std::string>> firing;
  absl::flat_hash_map<std::string, Seen> now;
  for (const AlertInstance& a : instances) {
    const std::string key = LabelKey(a.labels);
    auto it = prev_.find(key);
    // Absent counts as resolved: both go pending with a new instance.
    const AlertPhase before =
        it != prev_.end() ? it->second.phase : AlertPhase::kResolved;
    if (a.phase == AlertPhase::kPending && before == AlertPhase::kResolved) {
      Add(day, a.labels, a.phase, a.target, out);
    } else if (a.phase != before && a.phase != AlertPhase::kPending) {
      Add(day, a.labels, a.phase, a.target, out);
    }
    if (a.phase == AlertPhase::kFiring) {
      GoalSummary* g = Goal(a.labels.at("contract"), a.labels.at("goal"));
      if (g != nullptr) {
        firing[g].insert(a.labels.at("provider"));
        if (before != AlertPhase::kFiring) ++g->alerts_fired;
      }
    }
    now[key] = Seen{a.labels, a.phase, a.target};
  }
  for (const auto& [key, seen] : prev_) {  // pending that stopped holding
    if (seen.phase == AlertPhase::kPending && !now.contains(key)) {
      Add(day, seen.labels, AlertPhase::kResolved, seen.target, out);
    }
  }
  for (const auto& [g, providers] : firing) {
    g->provider_days_firing += static_cast<int64_t>(providers.size());
    g->providers_affected.insert(providers.begin(), providers.end());
  }
  prev_ = std::move(now);
  if (out.empty()) return;
  FillValues(results, out);
  std::sort(out.begin(), out.end(),
            [](const AlertTransition& a, const AlertTransition& b) {
              return a.labels < b.labels;
            });
  report_.transitions.insert(report_.transitions.end(), out.begin(), out.end());
}

absl::Status ResolveDays(const EventHistory& history,
                         const BacktestOptions& options,
                         BacktestReport& report) {
  if (history.empty() && (!options.from || !options.to)) {
    return absl::InvalidArgumentError(
        "the history has no events: give both --from and --to");
  }
  report.from = options.from.value_or(history.empty() ? 0 : history.day(0));
  report.to = options.to.value_or(
      history.empty() ? 0 : history.day(history.size() - 1));
  if (report.from > report.to) {
    return absl::InvalidArgumentError(
        absl::StrCat("--from=", FormatDay(report.from),
                     " is after --to=", FormatDay(report.to)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BacktestReport> RunBacktest(const RuleSet& rules,
                                           const EventHistory& history,
                                           const BacktestOptions& options) {
  BacktestReport report;
  if (absl::Status s = ResolveDays(history, options, report); !s.ok()) {
    return s;
  }
  GoalReplay replay(options.state, rules, DayEnd(report.from - 1));
  if (!history.empty()) replay.SetHistoryFrom(history.day(0));
  Tracker tracker(rules, report);
  v1::ServiceEvent event;
  size_t next = 0;
  for (DayNumber day = report.from; day <= report.to; ++day) {
    for (; next < history.size() && history.day(next) <= day; ++next) {
      history.Get(next, &event);
      if (replay.Apply(event, history.day(next), day)) {
        ++report.events_counted;
      }
    }
    const std::vector<GoalResult>& results = replay.Evaluate(DayEnd(day), day);
    tracker.Observe(day, results, replay.Instances());
  }
  return report;
}

}  // namespace outcomes
