// The brief's two inline SVG charts.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/brief/brief_render.h"
#include "daemon/state/event_kind.h"

namespace outcomes {
namespace {

constexpr std::array<const char*, kNumEventKinds> kColors = {
    "#4e79a7", "#59a14f", "#f28e2b", "#e15759", "#b07aa1"};

int64_t Count(const Json& events, int kind) {
  return events.at(std::string(kEventKindNames[kind])).get<int64_t>();
}

// "2026-03" for a month, "2026 Q1" for a quarter starting `start`.
std::string PeriodLabel(const std::string& kind, const std::string& start) {
  if (kind != "quarter" || start.size() < 7) return start.substr(0, 7);
  const int month = std::stoi(start.substr(5, 2));
  return absl::StrCat(start.substr(0, 4), " Q", (month - 1) / 3 + 1);
}

}  // namespace

std::string FunnelSvg(const Json& brief) {
  const Json& cur = brief.at("funnel").at("current");
  const Json& prev = brief.at("funnel").at("previous");
  int64_t max = 1;
  for (int k = 0; k < kNumEventKinds; ++k) {
    max = std::max({max, Count(cur, k), Count(prev, k)});
  }
  constexpr int kLabel = 120, kBar = 440, kRow = 44, kTop = 28;
  std::string svg = absl::StrFormat(
      "<svg id=\"funnel-chart\" "
      "role=\"img\" aria-label=\"Funnel: this period against the previous\" "
      "viewBox=\"0 0 640 %d\" width=\"640\" height=\"%d\">",
      kTop + kRow * kNumEventKinds, kTop + kRow * kNumEventKinds);
  absl::StrAppend(
      &svg,
      "<rect x=\"120\" y=\"4\" width=\"12\" height=\"12\" class=\"cur\"/>"
      "<text x=\"138\" y=\"14\">this period</text>"
      "<rect x=\"240\" y=\"4\" width=\"12\" height=\"12\" class=\"prev\"/>"
      "<text x=\"258\" y=\"14\">previous period</text>");
  for (int k = 0; k < kNumEventKinds; ++k) {
    const int y = kTop + k * kRow;
    const int64_t c = Count(cur, k), p = Count(prev, k);
    const int wc = static_cast<int>(c * kBar / max);
    const int wp = static_cast<int>(p * kBar / max);
    absl::StrAppendFormat(
        &svg,
        "<text x=\"0\" y=\"%d\" class=\"label\">%s</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" class=\"cur\"/>"
        "<text x=\"%d\" y=\"%d\">%d</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" class=\"prev\"/>"
        "<text x=\"%d\" y=\"%d\" class=\"muted\">%d</text>",
        y + 18, kEventKindNames[k], kLabel, y + 4, wc, kLabel + wc + 6, y + 18,
        c, kLabel, y + 24, wp, kLabel + wp + 6, y + 34, p);
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

namespace {

// Geometry of the trend chart: periods along x, counts up y.
struct TrendFrame {
  static constexpr int kLeft = 50, kWidth = 460, kTop = 16, kHeight = 180;
  int n;
  int64_t max;
  int x(int i) const { return kLeft + (n <= 1 ? 0 : i * kWidth / (n - 1)); }
  int y(int64_t v) const {
    return kTop + kHeight - static_cast<int>(v * kHeight / max);
  }
};

// The axis, its two values and the period labels (partial ones starred).
std::string TrendAxes(const Json& trend, const std::string& kind,
                      const TrendFrame& f) {
  constexpr int kBottom = TrendFrame::kTop + TrendFrame::kHeight;
  std::string svg = absl::StrFormat(
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>"
      "<text x=\"%d\" y=\"%d\" class=\"muted\" text-anchor=\"end\">%d</text>"
      "<text x=\"%d\" y=\"%d\" class=\"muted\" text-anchor=\"end\">0</text>",
      TrendFrame::kLeft, kBottom, TrendFrame::kLeft + TrendFrame::kWidth,
      kBottom, TrendFrame::kLeft - 6, TrendFrame::kTop + 4, f.max,
      TrendFrame::kLeft - 6, kBottom);
  for (int i = 0; i < f.n; ++i) {
    const Json& p = trend[i];
    const std::string label =
        PeriodLabel(kind, p.at("start").get<std::string>()) +
        (p.at("complete").get<bool>() ? "" : "*");
    absl::StrAppendFormat(&svg,
                          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                          "class=\"muted\">%s</text>",
                          f.x(i), kBottom + 18, HtmlEscape(label));
  }
  return svg;
}

}  // namespace

std::string TrendSvg(const Json& brief) {
  const Json& trend = brief.at("trend");
  TrendFrame f{static_cast<int>(trend.size()), 1};
  for (const Json& p : trend) {
    for (int k = 0; k < kNumEventKinds; ++k) {
      f.max = std::max(f.max, Count(p.at("events"), k));
    }
  }
  std::string svg = absl::StrFormat(
      "<svg id=\"trend-chart\" role=\"img\" aria-label=\"Funnel counts of "
      "the last %d periods\" viewBox=\"0 0 640 240\" width=\"640\" "
      "height=\"240\">",
      f.n);
  svg += TrendAxes(trend, brief.at("period").at("kind").get<std::string>(), f);
  for (int k = 0; k < kNumEventKinds; ++k) {
    std::string points;
    for (int i = 0; i < f.n; ++i) {
      absl::StrAppend(&points, i ? " " : "", f.x(i), ",",
                      f.y(Count(trend[i].at("events"), k)));
    }
    absl::StrAppendFormat(
        &svg,
        "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
        "stroke-width=\"2.5\"/><rect x=\"530\" y=\"%d\" width=\"12\" "
        "height=\"12\" fill=\"%s\"/><text x=\"548\" y=\"%d\">%s</text>",
        points, kColors[k], TrendFrame::kTop + k * 20, kColors[k],
        TrendFrame::kTop + 10 + k * 20, kEventKindNames[k]);
  }
  return svg + "</svg>";
}

}  // namespace outcomes
