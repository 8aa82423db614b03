// The brief as Markdown (outcomesctl brief --format=markdown).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/brief/brief_render.h"
#include "daemon/brief/brief_text.h"
#include "daemon/state/event_kind.h"

namespace outcomes {
namespace {

// A JSON string safe inside a Markdown table cell.
std::string Cell(const Json& j) {
  return absl::StrReplaceAll(j.get<std::string>(), {{"|", "\\|"}, {"\n", " "}});
}

std::string Funnel(const Json& b) {
  std::string out =
      "## Funnel\n\n| Event | This period | Previous period "
      "|\n|---|---:|---:|\n";
  for (std::string_view kind : kEventKindNames) {
    const std::string k(kind);
    absl::StrAppend(&out, "| ", k, " | ",
                    b.at("funnel").at("current").at(k).get<int64_t>(), " | ",
                    b.at("funnel").at("previous").at(k).get<int64_t>(), " |\n");
  }
  if (!b.at("funnel_complete").at("previous").get<bool>()) {
    out +=
        "\nThe previous period starts before the oldest day kept: its "
        "counts are partial.\n";
  }
  return out;
}

std::string Goals(const Json& b) {
  std::string out =
      "\n## Goals\n\n| Contract | Goal | Metric | Window | Value | Target | "
      "Status | Sample | Rank |\n|---|---|---|---|---:|---:|---|---:|---:|\n";
  for (const Json& g : b.at("goals")) {
    const std::string metric = g.at("metric").get<std::string>();
    std::string name = Cell(g.at("goal"));
    if (g.contains("group")) {
      absl::StrAppend(&name, " (", Cell(g.at("dimension")), " ",
                      Cell(g.at("group")), ")");
    }
    absl::StrAppend(
        &out, "| ", Cell(g.at("contract")), " | ", name, " | ", metric, " | ",
        Cell(g.at("window")), " | ", FormatGoalValue(metric, g.at("value")),
        " | ", g.at("direction") == "min" ? ">= " : "<= ",
        FormatGoalValue(metric, g.at("target")), " | ", Cell(g.at("status")),
        " | ", g.at("sample_size").get<int64_t>(), " | ",
        g.at("rank").is_null() ? std::string("-")
                               : absl::StrCat(g.at("rank").get<int>(), " of ",
                                              g.at("of").get<int>()),
        " |\n");
  }
  return out;
}

std::string Alerts(const Json& b) {
  std::string out = "\n## Alerts\n\n";
  if (b.at("alerts").empty()) return out + "None pending or firing.\n";
  out += "| Alert | Goal | State | Since |\n|---|---|---|---|\n";
  for (const Json& a : b.at("alerts")) {
    absl::StrAppend(&out, "| ", Cell(a.at("alertname")), " | ",
                    Cell(a.at("goal")), " | ", Cell(a.at("state")), " | ",
                    Cell(a.at("since")), " |\n");
  }
  return out;
}

std::string Referrals(const Json& b) {
  const Json& d = b.at("days_to_enroll");
  const auto days = [](const Json& v) {
    return v.is_null() ? std::string("n/a") : absl::StrCat(v.get<int>(), " d");
  };
  return absl::StrCat(
      "\n## Referrals and equity (last ", Cell(b.at("window")), ")\n\n",
      "- Stalled referrals: ", b.at("stalled_referrals").get<int64_t>(), " (",
      b.at("stalled_priority_referrals").get<int64_t>(),
      " priority-population)\n- Priority share of referrals: ",
      FormatRate(b.at("priority_share").at("referral")),
      "\n- Priority share of enrollments: ",
      FormatRate(b.at("priority_share").at("enrollment")),
      "\n- Creaming ratio: ",
      FormatGoalValue("creaming_ratio", b.at("creaming_ratio")),
      "\n- Days to enroll: median ", days(d.at("p50")), ", 90th percentile ",
      days(d.at("p90")), " (", d.at("count").get<int64_t>(), " enrollments)\n");
}

std::string Groups(const Json& b) {
  std::string out =
      "\n## Subgroups\n\n| Rate | Dimension | Group | Value "
      "|\n|---|---|---|---|\n";
  for (const Json& g : b.at("groups")) {
    absl::StrAppend(
        &out, "| ", Cell(g.at("metric")), " | ", Cell(g.at("dimension")), " | ",
        Cell(g.at("group")), " | ",
        g.at("suppressed").get<bool>() ? "suppressed" : FormatRate(g), " |\n");
  }
  return out;
}

std::string Payments(const Json& b) {
  std::string out = "\n## Payments\n\n";
  if (b.at("payments").empty()) return out + "No payment lines.\n";
  out +=
      "| Contract | Component | Period | Units | Earned | Maximum | "
      "Projected units |\n|---|---|---|---:|---:|---:|---:|\n";
  for (const Json& p : b.at("payments")) {
    absl::StrAppend(
        &out, "| ", Cell(p.at("contract")), " | ", Cell(p.at("component")),
        " | ", Cell(p.at("period").at("start")), " - ",
        Cell(p.at("period").at("end")),
        p.at("current").get<bool>() ? "" : " (previous)", " | ",
        p.at("units").dump(), " | ", FormatGoalValue("", p.at("earned")), " | ",
        FormatGoalValue("", p.at("maximum")), " | ",
        FormatGoalValue("", p.at("projected_units")), " |\n");
  }
  return out;
}

}  // namespace

std::string RenderBriefMarkdown(const Json& b) {
  const Json& p = b.at("period");
  std::string out = absl::StrCat(
      "# Meeting brief: ", Cell(b.at("provider")), "\n\nProgram ",
      Cell(b.at("program")), ", ", Cell(p.at("kind")), " ",
      Cell(p.at("current").at("start")), " to ",
      Cell(p.at("current").at("end")), " (as of ", Cell(b.at("as_of")),
      "), compared with ", Cell(p.at("previous").at("start")), " to ",
      Cell(p.at("previous").at("end")), ".\n\n## Points to discuss\n\n");
  for (const Json& point : b.at("points_to_discuss")) {
    absl::StrAppend(&out, "- ", point.get<std::string>(), "\n");
  }
  if (b.at("points_to_discuss").empty()) {
    out += "No goal is in shortfall and no priority referral is stalled.\n";
  }
  absl::StrAppend(&out, "\n", Funnel(b), Goals(b), Alerts(b), Referrals(b),
                  Groups(b), Payments(b));
  return out;
}

}  // namespace outcomes
