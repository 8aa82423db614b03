#include "daemon/ctl/brief_command.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/alerts/http_poster.h"
#include "daemon/base/json.h"
#include "daemon/brief/brief_render.h"

namespace outcomes {
namespace {

constexpr char kUsage[] =
    "usage: outcomesctl brief --url=URL --provider=ID [--program=P] "
    "[--period=month|quarter] [--format=html|markdown|json] [--out=FILE]\n";

// --name=value flags; std::nullopt on an unknown or malformed one.
std::optional<std::map<std::string, std::string>> ParseFlags(
    const std::vector<std::string>& args) {
  static const char* const kKnown[] = {"url",    "provider", "program",
                                       "period", "format",   "out"};
  std::map<std::string, std::string> flags = {{"period", "month"},
                                              {"format", "html"}};
  for (const std::string& a : args) {
    const size_t eq = a.find('=');
    if (!absl::StartsWith(a, "--") || eq == std::string::npos) return {};
    const std::string name = a.substr(2, eq - 2);
    if (std::find(std::begin(kKnown), std::end(kKnown), name) ==
        std::end(kKnown)) {
      return std::nullopt;
    }
    flags[name] = a.substr(eq + 1);
  }
  const std::string& f = flags["format"];
  if (flags["url"].empty() || flags["provider"].empty() ||
      (f != "html" && f != "markdown" && f != "json")) {
    return std::nullopt;
  }
  return flags;
}

std::string PercentEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string BriefPath(std::map<std::string, std::string>& flags) {
  std::string path =
      absl::StrCat("/api/v1/briefs/", PercentEncode(flags["provider"]),
                   "?period=", PercentEncode(flags["period"]));
  if (!flags["program"].empty()) {
    absl::StrAppend(&path, "&program=", PercentEncode(flags["program"]));
  }
  return path;
}

// The daemon's {"error": ...} reason, or the body itself.
std::string Reason(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return body;
}

int Write(const std::string& text, const std::string& out) {
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    std::fprintf(stderr, "outcomesctl brief: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int RunBriefCommand(const std::vector<std::string>& args) {
  std::optional<std::map<std::string, std::string>> flags = ParseFlags(args);
  if (!flags) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string path = BriefPath(*flags);
  absl::StatusOr<HttpGetResult> got =
      HttplibGet((*flags)["url"], path, absl::Seconds(30));
  if (!got.ok()) {
    std::fprintf(stderr, "outcomesctl brief: %s\n",
                 std::string(got.status().message()).c_str());
    return 1;
  }
  if (got->status != 200) {
    std::fprintf(stderr, "outcomesctl brief: HTTP %d: %s\n", got->status,
                 Reason(got->body).c_str());
    return 1;
  }
  const Json brief = Json::parse(got->body, nullptr, false);
  if (brief.is_discarded() || !brief.is_object()) {
    std::fprintf(stderr, "outcomesctl brief: the answer is not JSON\n");
    return 1;
  }
  const std::string& format = (*flags)["format"];
  try {
    if (format == "json") return Write(DumpJson(brief) + "\n", (*flags)["out"]);
    return Write(
        format == "html" ? RenderBriefHtml(brief) : RenderBriefMarkdown(brief),
        (*flags)["out"]);
  } catch (const Json::exception& e) {
    std::fprintf(stderr, "outcomesctl brief: unexpected brief JSON: %s\n",
                 e.what());
    return 1;
  }
}

}  // namespace outcomes
