#include "daemon/rules/goal_validator.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/rules/duration.h"
#include "daemon/rules/goal_metrics.h"
#include "daemon/rules/template.h"
#include "daemon/state/event_kind.h"

namespace outcomes {
namespace {

// Collects errors of one goal, each located by field.
class GoalChecker {
 public:
  GoalChecker(const std::string& path, const LineIndex& lines,
              std::vector<std::string>* errors)
      : path_(path), lines_(lines), errors_(errors) {}

  void Fail(absl::string_view field, absl::string_view why) {
    const std::string p =
        field.empty() ? path_ : absl::StrCat(path_, ".", field);
    errors_->push_back(lines_.Error(p, why));
  }
  bool Required(absl::string_view field, const std::string& value) {
    if (!value.empty()) return true;
    Fail(field, "required");
    return false;
  }
  absl::Duration Duration(absl::string_view field, const std::string& text) {
    if (text.empty()) return absl::ZeroDuration();
    auto d = ParseDurationSpec(text);
    if (!d.ok()) Fail(field, d.status().message());
    return d.ok() ? *d : absl::ZeroDuration();
  }
  void Template(absl::string_view field, const std::string& text) {
    const absl::Status s = CheckTemplate(text);
    if (!s.ok()) Fail(field, s.message());
  }

 private:
  const std::string& path_;
  const LineIndex& lines_;
  std::vector<std::string>* errors_;
};

bool ParseMetric(const std::string& name, GoalSpec& spec, GoalChecker& c) {
  const GoalMetricInfo* info = FindMetric(name);
  if (info == nullptr) {
    c.Fail("metric", absl::StrCat("unknown metric \"", name, "\" (expected ",
                                  MetricNames(), ")"));
    return false;
  }
  spec.metric = info->metric;
  if (info->metric != v1::GOAL_METRIC_WINDOW_EVENTS) return true;
  const std::string type = name.substr(name.find(':') + 1);
  std::vector<std::string> known;
  for (int k = 0; k < kNumEventKinds; ++k) {
    known.emplace_back(kEventKindNames[k]);
    if (type == kEventKindNames[k]) {
      spec.event_kind = k;
      return true;
    }
  }
  c.Fail("metric", absl::StrCat("unknown event type \"", type,
                                "\" in window_events:<type> (expected ",
                                absl::StrJoin(known, ", "), ")"));
  return false;
}

void CheckRateAndDimension(const v1::Goal& g, const RuleSettings& settings,
                           GoalSpec& spec, GoalChecker& c) {
  const bool ratio = MetricInfo(spec.metric).per_group;
  if (!ratio) {
    if (!g.rate().empty())
      c.Fail("rate", "only used by metric group_rate_ratio");
    if (!g.dimension().empty()) {
      c.Fail("dimension", "only used by metric group_rate_ratio");
    }
    return;
  }
  if (g.rate() == "enrollment_rate") {
    spec.rate = GoalRate::kEnrollment;
  } else if (g.rate() == "completion_rate") {
    spec.rate = GoalRate::kCompletion;
  } else if (g.rate().empty()) {
    c.Fail("rate",
           "required by metric group_rate_ratio "
           "(enrollment_rate or completion_rate)");
  } else {
    c.Fail("rate", absl::StrCat("unknown rate \"", g.rate(),
                                "\" (expected enrollment_rate or "
                                "completion_rate)"));
  }
  spec.dimension = g.dimension();
  if (g.dimension().empty()) {
    c.Fail("dimension", "required by metric group_rate_ratio");
  } else if (!settings.dimensions.empty() &&
             std::find(settings.dimensions.begin(), settings.dimensions.end(),
                       g.dimension()) == settings.dimensions.end()) {
    c.Fail("dimension",
           absl::StrCat("\"", g.dimension(),
                        "\" is not one of the daemon's dimensions (",
                        absl::StrJoin(settings.dimensions, ", "), ")"));
  }
}

void CheckStage(const v1::Goal& g, GoalSpec& spec, GoalChecker& c) {
  if (!MetricInfo(spec.metric).staged) {
    if (!g.stage().empty())
      c.Fail("stage", "only used by metric priority_share");
    return;
  }
  if (g.stage().empty() || g.stage() == "enrollment") {
    spec.stage = GoalStage::kEnrollment;
  } else if (g.stage() == "referral") {
    spec.stage = GoalStage::kReferral;
  } else {
    c.Fail("stage", absl::StrCat("unknown stage \"", g.stage(),
                                 "\" (expected referral or enrollment)"));
  }
}

std::string WindowList(const RuleSettings& settings) {
  return absl::StrJoin(
      settings.windows_days, ", ",
      [](std::string* out, int d) { absl::StrAppend(out, d, "d"); });
}

void CheckWindow(const v1::Goal& g, const RuleSettings& settings,
                 GoalSpec& spec, GoalChecker& c) {
  if (!MetricInfo(spec.metric).windowed) {
    if (!g.window().empty()) {
      c.Fail("window", absl::StrCat("not used by metric ", g.metric(),
                                    " (it covers the horizon)"));
    }
    return;
  }
  if (!c.Required("window", g.window())) return;
  auto d = ParseDurationSpec(g.window());
  if (!d.ok()) return c.Fail("window", d.status().message());
  const int64_t days = absl::ToInt64Hours(*d) / 24;
  const bool whole = *d == absl::Hours(24 * days);
  if (!whole ||
      std::find(settings.windows_days.begin(), settings.windows_days.end(),
                days) == settings.windows_days.end()) {
    return c.Fail("window", absl::StrCat("\"", g.window(),
                                         "\" is not one of the daemon's "
                                         "windows (",
                                         WindowList(settings), ")"));
  }
  spec.window_days = static_cast<int>(days);
  spec.window = absl::StrCat(days, "d");
}

// Range of a target value of `metric`; appends an error when outside.
void CheckTarget(GoalMetric metric, double v, absl::string_view field,
                 GoalChecker& c) {
  if (MetricInfo(metric).proportion && (v < 0 || v > 1)) {
    c.Fail(field, "a proportion target must be between 0 and 1");
  } else if (v < 0) {
    c.Fail(field, "must be >= 0");
  }
}

void CheckBounds(const v1::Goal& g, GoalSpec& spec, GoalChecker& c) {
  if (g.bound_case() == v1::Goal::BOUND_NOT_SET) {
    c.Fail("", "exactly one of min and max is required");
    return;
  }
  spec.is_min = g.has_min();
  spec.target = spec.is_min ? g.min() : g.max();
  CheckTarget(spec.metric, spec.target, spec.is_min ? "min" : "max", c);
}

void CheckConfidence(const v1::Goal& g, GoalSpec& spec, GoalChecker& c) {
  if (!g.has_confidence()) return;
  if (!(g.confidence() > 0 && g.confidence() < 1)) {
    c.Fail("confidence", "must be between 0 and 1 (exclusive)");
  } else if (!MetricInfo(spec.metric).proportion) {
    c.Fail("confidence", absl::StrCat("only proportion metrics (",
                                      MetricNames(/*proportions_only=*/true),
                                      ") can be judged statistically"));
  }
  spec.confidence = g.confidence();
}

void CheckOverrides(const v1::Goal& g, const v1::Contract& contract,
                    GoalSpec& spec, GoalChecker& c) {
  for (int i = 0; i < g.overrides_size(); ++i) {
    const v1::GoalOverride& o = g.overrides(i);
    const std::string at = absl::StrCat("overrides[", i, "]");
    const std::string provider_field = absl::StrCat(at, ".provider");
    if (!c.Required(provider_field, o.provider())) continue;
    const auto& ps = contract.providers();
    if (!ps.empty() &&
        std::find(ps.begin(), ps.end(), o.provider()) == ps.end()) {
      c.Fail(provider_field, absl::StrCat("\"", o.provider(),
                                          "\" is not one of the contract's "
                                          "providers"));
    }
    if (o.has_min() == o.has_max()) {
      c.Fail(at, "exactly one of min and max is required");
      continue;
    }
    if (o.has_min() != spec.is_min) {
      c.Fail(at,
             absl::StrCat("sets ", o.has_min() ? "min" : "max",
                          " but the goal uses ", spec.is_min ? "min" : "max"));
      continue;
    }
    const double v = o.has_min() ? o.min() : o.max();
    CheckTarget(spec.metric, v, absl::StrCat(at, o.has_min() ? ".min" : ".max"),
                c);
    if (!spec.provider_targets.emplace(o.provider(), v).second) {
      c.Fail(provider_field, absl::StrCat("duplicate override for provider \"",
                                          o.provider(), "\""));
    }
  }
}

}  // namespace

GoalSpec ValidateGoal(const v1::Goal& g, const v1::Contract& contract,
                      const std::string& path, const LineIndex& lines,
                      const RuleSettings& settings,
                      std::vector<std::string>* errors) {
  GoalChecker c(path, lines, errors);
  GoalSpec spec;
  spec.contract = contract.id();
  spec.program = contract.program();
  spec.name = g.name();
  spec.alert = g.alert();
  spec.metric_name = g.metric();
  spec.source = absl::StrCat(lines.file(), ":", lines.Line(path));
  c.Required("name", g.name());
  c.Required("alert", g.alert());
  c.Required("severity", g.severity());
  spec.severity = g.severity();
  if (c.Required("metric", g.metric()) && ParseMetric(g.metric(), spec, c)) {
    CheckRateAndDimension(g, settings, spec, c);
    CheckStage(g, spec, c);
    CheckWindow(g, settings, spec, c);
    CheckBounds(g, spec, c);
    CheckConfidence(g, spec, c);
    CheckOverrides(g, contract, spec, c);
  }
  if (g.min_sample() < 0) c.Fail("min_sample", "must be >= 0");
  spec.min_sample = g.min_sample();
  spec.for_duration = c.Duration("for", g.for_duration());
  spec.keep_firing_for = c.Duration("keep_firing_for", g.keep_firing_for());
  c.Template("summary", g.summary());
  c.Template("description", g.description());
  spec.summary = g.summary();
  spec.description = g.description();
  return spec;
}

}  // namespace outcomes
