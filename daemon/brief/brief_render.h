// The meeting brief as a printable page and as Markdown, both rendered from
// the brief JSON (BuildBriefJson, or the same JSON fetched from
// /api/v1/briefs by `outcomesctl brief`).
//
// The HTML page is self-contained: inline CSS (with print rules), inline
// SVG charts (#funnel-chart: this period's funnel against the previous one;
// #trend-chart: the funnel counts of the last periods), no script, no
// external font, image or link. Every string from the JSON is escaped.
//
// Thread safety: pure functions. Throw Json exceptions (nlohmann) when
// `brief` lacks a key or has the wrong type; the daemon's own JSON never
// does, and outcomesctl catches them for JSON it fetched.
#ifndef OUTCOMESD_DAEMON_BRIEF_BRIEF_RENDER_H_
#define OUTCOMESD_DAEMON_BRIEF_BRIEF_RENDER_H_

#include <string>
#include <string_view>

#include "daemon/base/json.h"

namespace outcomes {

std::string RenderBriefHtml(const Json& brief);
std::string RenderBriefMarkdown(const Json& brief);

// `text` with & < > " ' replaced by entities.
std::string HtmlEscape(std::string_view text);

// Inline SVG charts of the page (brief_svg.cc).
std::string FunnelSvg(const Json& brief);
std::string TrendSvg(const Json& brief);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BRIEF_BRIEF_RENDER_H_
