#include "daemon/alerts/alert_text.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/rules/goal_metrics.h"

namespace outcomes {
namespace {

std::string MetricPhrase(const GoalResult& r) {
  return outcomes::MetricPhrase(*r.goal, r.dimension, r.group);
}

// Human form of a value of this goal's metric.
std::string Show(const GoalSpec& g, double v) { return ShowValue(g, v); }

}  // namespace

AlertLabels LabelsOf(const GoalResult& r) {
  const GoalSpec& g = *r.goal;
  AlertLabels labels = {{"alertname", g.alert},   {"contract", g.contract},
                        {"provider", r.provider}, {"program", r.program},
                        {"goal", g.name},         {"severity", g.severity}};
  if (MetricInfo(g.metric).per_group) {
    labels["dimension"] = r.dimension;
    labels["group"] = r.group;
  }
  return labels;
}

TemplateVars TemplateVarsOf(const GoalResult& r) {
  const GoalSpec& g = *r.goal;
  TemplateVars vars;
  for (const auto& [k, v] : LabelsOf(r)) vars[k] = v;
  vars["metric"] = g.metric_name;
  vars["window"] = g.window;
  vars["value"] = r.value ? FormatNumber(*r.value) : "";
  vars["target"] = FormatNumber(r.target);
  vars["sample_size"] = absl::StrCat(r.sample_size);
  vars["explanation"] = r.explanation;
  return vars;
}

std::string DefaultSummary(const GoalResult& r) {
  const GoalSpec& g = *r.goal;
  return absl::StrCat(r.provider, " ", MetricPhrase(r), " ",
                      r.value ? Show(g, *r.value) : "n/a",
                      g.is_min ? " below target " : " above limit ",
                      Show(g, r.target));
}

std::string DefaultDescription(const GoalResult& r) {
  const GoalSpec& g = *r.goal;
  std::string s = absl::StrCat(
      "Provider ", r.provider, "'s ", MetricPhrase(r), " in program ",
      r.program, " is ", r.value ? Show(g, *r.value) : "n/a",
      g.window.empty() ? "" : absl::StrCat(" over the last ", g.window), ", ",
      g.is_min ? "below the target of " : "above the limit of ",
      Show(g, r.target), " set by contract ", g.contract, " (goal ", g.name,
      "; sample size ", r.sample_size, " ", r.sample_unit, ").");
  if (!r.explanation.empty()) absl::StrAppend(&s, " ", r.explanation);
  return s;
}

AlertAnnotations AnnotationsOf(const GoalResult& r) {
  const GoalSpec& g = *r.goal;
  AlertAnnotations a;
  if (g.summary.empty() && g.description.empty()) {  // no template to fill
    a["summary"] = DefaultSummary(r);
    a["description"] = DefaultDescription(r);
    a["value"] = r.value ? FormatNumber(*r.value) : "";
    a["target"] = FormatNumber(r.target);
    a["sample_size"] = absl::StrCat(r.sample_size);
    return a;
  }
  const TemplateVars vars = TemplateVarsOf(r);
  a["summary"] =
      g.summary.empty() ? DefaultSummary(r) : RenderTemplate(g.summary, vars);
  a["description"] = g.description.empty()
                         ? DefaultDescription(r)
                         : RenderTemplate(g.description, vars);
  a["value"] = vars.at("value");
  a["target"] = vars.at("target");
  a["sample_size"] = vars.at("sample_size");
  return a;
}

namespace {

// Everything but the labels and key (which depend only on the goal and on
// the result's provider, program, dimension and group).
void FillInput(const GoalResult& r, AlertInput& in) {
  in.annotations = AnnotationsOf(r);
  in.value = r.value.value_or(0);
  in.target = r.target;
  in.sample_size = r.sample_size;
  in.window = r.goal->window;
  in.for_duration = r.goal->for_duration;
  in.keep_firing_for = r.goal->keep_firing_for;
}

AlertInput InputOf(const GoalResult& r) {
  AlertInput in;
  in.labels = LabelsOf(r);
  in.key = LabelKey(in.labels);
  FillInput(r, in);
  return in;
}

}  // namespace

std::vector<AlertInput> ShortfallInputs(
    const std::vector<GoalResult>& results) {
  std::vector<AlertInput> out;
  for (const GoalResult& r : results) {
    if (r.shortfall) out.push_back(InputOf(r));
  }
  return out;
}

namespace {

bool SameKey(const std::tuple<const GoalSpec*, std::string, std::string,
                              std::string, std::string>& key,
             const GoalResult& r) {
  return std::get<0>(key) == r.goal && std::get<1>(key) == r.provider &&
         std::get<2>(key) == r.program && std::get<3>(key) == r.dimension &&
         std::get<4>(key) == r.group;
}

}  // namespace

ShortfallInputCache::Map::value_type& ShortfallInputCache::Find(
    const GoalResult& r, uint64_t call) {
  if (cursor_ < order_.size() && SameKey(order_[cursor_]->first, r)) {
    return *order_[cursor_++];
  }
  auto [it, added] = entries_.try_emplace(
      Key{r.goal, r.provider, r.program, r.dimension, r.group});
  // Used last time: the next result is likely the one after it.
  if (!added && it->second.call + 1 == call) cursor_ = it->second.position + 1;
  return *it;
}

std::vector<const AlertInput*> ShortfallInputCache::Inputs(
    const std::vector<GoalResult>& results,
    const std::shared_ptr<const RuleSet>& rules) {
  if (rules != rules_) {  // goals may have moved or changed: start over
    order_.clear();
    entries_.clear();
    rules_ = rules;
  }
  const uint64_t call = ++calls_;
  cursor_ = 0;
  std::vector<Map::value_type*> order;
  order.reserve(order_.size());
  std::vector<const AlertInput*> out;
  out.reserve(order_.size());
  for (const GoalResult& r : results) {
    if (!r.shortfall) continue;
    Map::value_type& kv = Find(r, call);
    Entry& e = kv.second;
    const bool same =
        e.call != 0 && e.value == r.value && e.input.target == r.target &&
        e.input.sample_size == r.sample_size && e.explanation == r.explanation;
    if (!same) {
      static std::atomic<uint64_t> next_id{0};
      if (e.call == 0) {  // new: the labels are the same from now on
        e.input.labels = LabelsOf(r);
        e.input.key = LabelKey(e.input.labels);
      }
      FillInput(r, e.input);
      e.input.annotations_id = ++next_id;
      e.value = r.value;
      e.explanation = r.explanation;
    }
    e.call = call;
    e.position = order.size();
    order.push_back(&kv);
    out.push_back(&e.input);
  }
  if (entries_.size() != order.size()) {  // some were not used: drop them
    absl::erase_if(entries_,
                   [call](const auto& kv) { return kv.second.call != call; });
  }
  order_ = std::move(order);
  return out;
}

}  // namespace outcomes
