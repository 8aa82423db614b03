#include "daemon/alerts/goal_evaluator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/rules/goal_metrics.h"

namespace outcomes {
namespace {

bool Beyond(const GoalSpec& goal, double v, double target) {
  return goal.is_min ? v < target : v > target;
}

// Sets judged/shortfall/interval of `r` from its value and sample.
void Judge(const GoalSpec& goal, int64_t successes, bool explain,
           GoalResult& r) {
  r.judged = r.value.has_value() && r.sample_size >= goal.min_sample;
  if (!r.judged) return;
  if (!goal.confidence.has_value()) {
    r.shortfall = Beyond(goal, *r.value, r.target);
    return;
  }
  const Interval ci =
      WilsonInterval(successes, r.sample_size, *goal.confidence);
  r.interval = ci;
  r.shortfall = Beyond(goal, goal.is_min ? ci.upper : ci.lower, r.target);
  if (!explain) return;
  absl::StrAppend(&r.explanation, r.explanation.empty() ? "" : " ", "The ",
                  FormatNumber(*goal.confidence * 100),
                  "% Wilson interval is [", FormatNumber(ci.lower), ", ",
                  FormatNumber(ci.upper), "].");
}

// A new result at the end of `out` (built in place, not moved there).
GoalResult& Base(const GoalSpec& goal, const ProgramFigures& f,
                 std::vector<GoalResult>& out) {
  GoalResult& r = out.emplace_back();
  r.goal = &goal;
  r.provider = f.provider;
  r.program = f.program;
  r.target = goal.TargetFor(f.provider);
  return r;
}

const std::vector<GroupRate>* Groups(const GoalSpec& goal,
                                     const ProgramFigures& f) {
  const WindowFigures* w = FindWindow(f, goal.window_days);
  if (w == nullptr) return nullptr;
  return goal.rate == GoalRate::kEnrollment ? &w->enrollment_groups
                                            : &w->completion_groups;
}

void GroupRatios(const GoalSpec& goal, const ProgramFigures& f, bool explain,
                 std::vector<GoalResult>& out) {
  const std::vector<GroupRate>* groups = Groups(goal, f);
  if (groups == nullptr) return;
  const int64_t min_cases = std::max<int64_t>(goal.min_sample, 1);
  std::vector<const GroupRate*> eligible;
  const GroupRate* best = nullptr;
  for (const GroupRate& g : *groups) {
    if (g.dimension != goal.dimension || g.suppressed ||
        g.rate.denominator < min_cases) {
      continue;
    }
    eligible.push_back(&g);
    if (best == nullptr || *g.rate.value() > *best->rate.value()) best = &g;
  }
  if (best == nullptr || *best->rate.value() == 0) return;
  const double best_rate = *best->rate.value();
  const char* unit = goal.rate == GoalRate::kEnrollment ? "referrals" : "exits";
  for (const GroupRate* g : eligible) {
    GoalResult& r = Base(goal, f, out);
    r.dimension = g->dimension;
    r.group = g->group;
    r.value = *g->rate.value() / best_rate;
    r.sample_size = g->rate.denominator;
    r.sample_unit = unit;
    if (explain) {
      r.explanation = absl::StrCat(
          goal.dimension, " ", g->group, ": ", Percent(*g->rate.value()),
          " of ", g->rate.denominator, " ", unit, " vs. ", Percent(best_rate),
          " of ", best->rate.denominator, " for ", best->group,
          ", the best group.");
    }
    Judge(goal, 0, explain, r);
  }
}

// False when the history the goal's figure reads is not all retained.
bool HistoryComplete(const GoalSpec& goal, const ProgramFigures& f) {
  if (!MetricInfo(goal.metric).windowed) return f.history_complete;
  const WindowFigures* w = FindWindow(f, goal.window_days);
  return w == nullptr || w->complete;
}

// At least as many as EvaluateGoals returns (one result per goal and
// figures, one per group for group_rate_ratio), so the results are never
// moved while they are appended.
size_t ResultsBound(const RuleSet& rules,
                    const std::vector<const ProgramFigures*>& figures) {
  size_t n = 0;
  for (const ContractSpec& contract : rules.contracts) {
    for (const GoalSpec& goal : contract.goals) {
      if (!MetricInfo(goal.metric).per_group) {
        n += figures.size();
        continue;
      }
      for (const ProgramFigures* f : figures) {
        const std::vector<GroupRate>* groups = Groups(goal, *f);
        n += groups == nullptr ? 1 : std::max<size_t>(groups->size(), 1);
      }
    }
  }
  return n;
}

constexpr char kIncomplete[] =
    "Not judged: the retained Kafka history does not cover the period this "
    "figure needs.";

}  // namespace

void EvaluateGoalInto(const GoalSpec& goal, const ProgramFigures& figures,
                      const EvaluatorSettings& settings,
                      std::vector<GoalResult>& out) {
  const bool complete = HistoryComplete(goal, figures);
  if (MetricInfo(goal.metric).per_group) {
    if (complete) return GroupRatios(goal, figures, settings.explain, out);
    GoalResult& r = Base(goal, figures, out);
    r.incomplete = true;
    r.explanation = kIncomplete;
    return;
  }
  Measurement m = Measure(goal, figures, settings);
  GoalResult& r = Base(goal, figures, out);
  r.value = m.value;
  r.sample_size = m.sample_size;
  r.sample_unit = std::move(m.sample_unit);
  r.explanation = std::move(m.explanation);
  if (!complete) {
    r.incomplete = true;
    absl::StrAppend(&r.explanation, r.explanation.empty() ? "" : " ",
                    kIncomplete);
    return;
  }
  Judge(goal, m.successes, settings.explain, r);
}

std::vector<GoalResult> EvaluateGoal(const GoalSpec& goal,
                                     const ProgramFigures& figures,
                                     const EvaluatorSettings& settings) {
  std::vector<GoalResult> out;
  EvaluateGoalInto(goal, figures, settings, out);
  return out;
}

std::vector<GoalResult> EvaluateGoals(
    const RuleSet& rules, const std::vector<ProgramFigures>& figures,
    const EvaluatorSettings& settings) {
  std::vector<const ProgramFigures*> all;
  all.reserve(figures.size());
  for (const ProgramFigures& f : figures) all.push_back(&f);
  return EvaluateGoals(rules, all, settings);
}

std::vector<GoalResult> EvaluateGoals(
    const RuleSet& rules, const std::vector<const ProgramFigures*>& figures,
    const EvaluatorSettings& settings) {
  std::vector<GoalResult> out;
  EvaluateGoalsInto(rules, figures, settings, out);
  return out;
}

void EvaluateGoalsInto(const RuleSet& rules,
                       const std::vector<const ProgramFigures*>& figures,
                       const EvaluatorSettings& settings,
                       std::vector<GoalResult>& out) {
  out.clear();
  out.reserve(ResultsBound(rules, figures));
  if (settings.explain_all || !settings.explain) {
    for (const ContractSpec& contract : rules.contracts) {
      for (const GoalSpec& goal : contract.goals) {
        for (const ProgramFigures* f : figures) {
          if (!contract.AppliesTo(f->provider, f->program)) continue;
          EvaluateGoalInto(goal, *f, settings, out);
        }
      }
    }
    return;
  }
  // Explanations only for the results an alert may show (in shortfall, or
  // not judged for missing history): those goals are judged again with
  // them.
  EvaluatorSettings quiet = settings;
  quiet.explain = false;
  const auto shown = [](const GoalResult& r) {
    return r.shortfall || r.incomplete;
  };
  std::vector<GoalResult> full;
  for (const ContractSpec& contract : rules.contracts) {
    for (const GoalSpec& goal : contract.goals) {
      for (const ProgramFigures* figure : figures) {
        const ProgramFigures& f = *figure;
        if (!contract.AppliesTo(f.provider, f.program)) continue;
        const size_t first = out.size();
        EvaluateGoalInto(goal, f, quiet, out);
        if (std::none_of(out.begin() + first, out.end(), shown)) {
          continue;
        }
        full.clear();
        EvaluateGoalInto(goal, f, settings, full);
        for (size_t i = 0; i < full.size() && first + i < out.size(); ++i) {
          if (shown(out[first + i])) {
            out[first + i].explanation = std::move(full[i].explanation);
          }
        }
      }
    }
  }
}

}  // namespace outcomes
