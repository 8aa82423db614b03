// The brief as a self-contained printable HTML page.
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/brief/brief_render.h"
#include "daemon/brief/brief_text.h"

namespace outcomes {
namespace {

constexpr char kStyle[] = R"css(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2433;margin:0 auto;max-width:1040px;padding:24px 32px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #e3e7ee;padding-bottom:4px}
.sub{color:#55607a;margin:0}.muted{fill:#6b7488;color:#6b7488}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e7ee;vertical-align:top}
th{background:#f4f6fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.shortfall{color:#b3261e;font-weight:600}.met{color:#2e7d32}.not_judged{color:#6b7488}.firing{color:#b3261e;font-weight:600}.pending{color:#a15c00}
#points ul{margin:0;padding-left:20px}#points li{margin:6px 0}#points{background:#fff6e5;border-left:4px solid #f0a500;padding:4px 16px 12px}
svg text{font-size:13px;fill:#1d2433}svg .label{font-weight:600}svg rect.prev{fill:#c4cad6}svg rect.cur{fill:#4e79a7}svg .axis{stroke:#9aa3b5}
.charts{display:flex;flex-wrap:wrap;gap:24px}.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}.kv dt{color:#55607a}.kv dd{margin:0;font-weight:600}
footer{margin-top:32px;color:#6b7488;font-size:12px}
@page{size:A4;margin:14mm}
@media print{body{padding:0;max-width:none;font-size:12px}h2{break-after:avoid}section,tr{break-inside:avoid}#points{background:none}}
)css";

std::string Str(const Json& j) { return HtmlEscape(j.get<std::string>()); }

std::string Points(const Json& b) {
  std::string out = "<section id=\"points\"><h2>Points to discuss</h2>";
  if (b.at("points_to_discuss").empty()) {
    return out +
           "<p>No goal is in shortfall and no priority referral is "
           "stalled.</p></section>";
  }
  out += "<ul>";
  for (const Json& p : b.at("points_to_discuss")) {
    absl::StrAppend(&out, "<li>", Str(p), "</li>");
  }
  return out + "</ul></section>";
}

std::string GoalRow(const Json& g) {
  const std::string metric = g.at("metric").get<std::string>();
  std::string name = Str(g.at("goal"));
  if (g.contains("group")) {
    absl::StrAppend(&name, " <span class=\"muted\">(", Str(g.at("dimension")),
                    " ", Str(g.at("group")), ")</span>");
  }
  const std::string status = g.at("status").get<std::string>();
  const std::string rank = g.at("rank").is_null()
                               ? "&ndash;"
                               : absl::StrCat(g.at("rank").get<int>(), " of ",
                                              g.at("of").get<int>());
  return absl::StrCat(
      "<tr><td>", Str(g.at("contract")), "</td><td>", name, "</td><td>",
      HtmlEscape(metric), "</td><td>", Str(g.at("window")),
      "</td><td class=\"num\">", FormatGoalValue(metric, g.at("value")),
      "</td><td class=\"num\">", g.at("direction") == "min" ? "&ge; " : "&le; ",
      FormatGoalValue(metric, g.at("target")), "</td><td class=\"", status,
      "\">", status == "not_judged" ? "not judged" : status,
      "</td><td class=\"num\">", g.at("sample_size").get<int64_t>(),
      "</td><td class=\"num\">", rank, "</td></tr>");
}

std::string Goals(const Json& b) {
  std::string out =
      "<section id=\"goals\"><h2>Goals</h2><table id=\"goals-table\"><thead>"
      "<tr><th>Contract</th><th>Goal</th><th>Metric</th><th>Window</th>"
      "<th>Value</th><th>Target</th><th>Status</th><th>Sample</th>"
      "<th>Rank</th></tr></thead><tbody>";
  for (const Json& g : b.at("goals")) out += GoalRow(g);
  if (b.at("goals").empty()) {
    out += "<tr><td colspan=\"9\">No contract goal on this program.</td></tr>";
  }
  return out + "</tbody></table></section>";
}

std::string Alerts(const Json& b) {
  std::string out = "<section id=\"alerts\"><h2>Alerts</h2>";
  if (b.at("alerts").empty())
    return out + "<p>None pending or firing.</p></section>";
  out +=
      "<table><thead><tr><th>Alert</th><th>Goal</th><th>State</th>"
      "<th>Since</th></tr></thead><tbody>";
  for (const Json& a : b.at("alerts")) {
    absl::StrAppend(&out, "<tr><td>", Str(a.at("alertname")), "</td><td>",
                    Str(a.at("goal")), "</td><td class=\"", Str(a.at("state")),
                    "\">", Str(a.at("state")), "</td><td>", Str(a.at("since")),
                    "</td></tr>");
  }
  return out + "</tbody></table></section>";
}

std::string Referrals(const Json& b) {
  const Json& d = b.at("days_to_enroll");
  const auto days = [](const Json& v) {
    return v.is_null() ? std::string("n/a") : absl::StrCat(v.get<int>(), " d");
  };
  return absl::StrCat(
      "<section id=\"referrals\"><h2>Referrals and equity (last ",
      Str(b.at("window")),
      ")</h2><dl class=\"kv\"><dt>Stalled referrals</dt>"
      "<dd>",
      b.at("stalled_referrals").get<int64_t>(), " (",
      b.at("stalled_priority_referrals").get<int64_t>(),
      " priority-population)</dd><dt>Priority share of referrals</dt><dd>",
      FormatRate(b.at("priority_share").at("referral")),
      "</dd><dt>Priority share of enrollments</dt><dd>",
      FormatRate(b.at("priority_share").at("enrollment")),
      "</dd><dt>Creaming ratio</dt><dd>",
      FormatGoalValue("creaming_ratio", b.at("creaming_ratio")),
      "</dd><dt>Days to enroll</dt><dd>median ", days(d.at("p50")), ", 90th ",
      "percentile ", days(d.at("p90")), " (", d.at("count").get<int64_t>(),
      " enrollments)</dd></dl></section>");
}

std::string Groups(const Json& b) {
  std::string out =
      "<section id=\"groups\"><h2>Subgroups</h2><table><thead><tr><th>Rate</th>"
      "<th>Dimension</th><th>Group</th><th>Value</th></tr></thead><tbody>";
  for (const Json& g : b.at("groups")) {
    const std::string value = g.at("suppressed").get<bool>()
                                  ? std::string("suppressed (small numbers)")
                                  : FormatRate(g);
    absl::StrAppend(&out, "<tr><td>", Str(g.at("metric")), "</td><td>",
                    Str(g.at("dimension")), "</td><td>", Str(g.at("group")),
                    "</td><td>", value, "</td></tr>");
  }
  return out + "</tbody></table></section>";
}

std::string Payments(const Json& b) {
  std::string out = "<section id=\"payments\"><h2>Payments</h2>";
  if (b.at("payments").empty())
    return out + "<p>No payment lines.</p></section>";
  out +=
      "<table><thead><tr><th>Contract</th><th>Component</th><th>Period</th>"
      "<th>Units</th><th>Earned</th><th>Maximum</th><th>Projected units</th>"
      "</tr></thead><tbody>";
  for (const Json& p : b.at("payments")) {
    absl::StrAppend(
        &out, "<tr><td>", Str(p.at("contract")), "</td><td>",
        Str(p.at("component")), "</td><td>", Str(p.at("period").at("start")),
        " &ndash; ", Str(p.at("period").at("end")),
        p.at("current").get<bool>() ? "" : " (previous)",
        "</td><td class=\"num\">", p.at("units").dump(),
        "</td><td class=\"num\">", FormatGoalValue("", p.at("earned")),
        "</td><td class=\"num\">", FormatGoalValue("", p.at("maximum")),
        "</td><td class=\"num\">", FormatGoalValue("", p.at("projected_units")),
        "</td></tr>");
  }
  return out + "</tbody></table></section>";
}

std::string Header(const Json& b) {
  const Json& p = b.at("period");
  return absl::StrCat(
      "<header><h1>Meeting brief: ", Str(b.at("provider")), "</h1>",
      "<p class=\"sub\">Program <b>", Str(b.at("program")), "</b> &middot; ",
      Str(p.at("kind")), " ", Str(p.at("current").at("start")), " &ndash; ",
      Str(p.at("current").at("end")), " (as of ", Str(b.at("as_of")),
      ") compared with ", Str(p.at("previous").at("start")), " &ndash; ",
      Str(p.at("previous").at("end")), "</p></header>");
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderBriefHtml(const Json& b) {
  const std::string kind = b.at("period").at("kind").get<std::string>();
  const bool partial = !b.at("funnel_complete").at("previous").get<bool>();
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\">"
      "<title>Meeting brief: ",
      Str(b.at("provider")), " &middot; ", Str(b.at("program")),
      "</title><style>", kStyle, "</style></head><body>", Header(b), Points(b),
      "<section id=\"funnel\"><h2>Funnel: this ", kind,
      " against the previous one</h2><div class=\"charts\">", FunnelSvg(b),
      "</div>",
      partial ? "<p class=\"muted\">The previous period starts before the "
                "oldest day kept (--horizon): its counts are partial.</p>"
              : "",
      "</section><section id=\"trend\"><h2>Funnel counts, last ",
      b.at("trend").size(), " ", kind, "s</h2>", TrendSvg(b),
      "<p class=\"muted\">* partial: the period starts before the oldest day "
      "kept.</p></section>",
      Goals(b), Alerts(b), Referrals(b), Groups(b), Payments(b),
      "<footer>outcomesd meeting brief. Rates and subgroups over the last ",
      Str(b.at("window")),
      "; subgroups with small numbers are "
      "suppressed.</footer></body></html>\n");
}

}  // namespace outcomes
