#include "daemon/http/http_router.h"

#include <exception>

#include "absl/base/macros.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "daemon/base/json_log.h"

namespace outcomes {

HttpResponse JsonResponse(int status, const Json& body) {
  return HttpResponse{status, "application/json", DumpJson(body)};
}

HttpResponse JsonError(int status, const std::string& message) {
  Json body = Json::object();
  body["error"] = message;
  return JsonResponse(status, body);
}

void HttpRouter::Route(const std::string& method, const std::string& path,
                       Handler handler, RouteOptions options) {
  ABSL_ASSERT(!path.empty() && path[0] == '/');
  ABSL_ASSERT(!(options.admin && method == "GET"));
  routes_[path][method] = Entry{std::move(handler), options};
}

std::map<std::string, const HttpRouter::Entry*> HttpRouter::Matches(
    const std::string& path) const {
  std::map<std::string, const Entry*> best;
  std::map<std::string, size_t> best_length;
  for (const auto& [route, methods] : routes_) {
    const bool match =
        route == path || (route.back() == '/' && absl::StartsWith(path, route));
    if (!match) continue;
    for (const auto& [method, entry] : methods) {
      auto [it, fresh] = best_length.try_emplace(method, route.size());
      if (fresh || route.size() >= it->second) {
        it->second = route.size();
        best[method] = &entry;
      }
    }
  }
  return best;
}

RouteOptions HttpRouter::OptionsFor(const HttpRequest& request) const {
  const auto matches = Matches(request.path);
  const auto it = matches.find(request.method);
  return it == matches.end() ? RouteOptions{} : it->second->options;
}

HttpResponse HttpRouter::Handle(const HttpRequest& request) const {
  const auto matches = Matches(request.path);
  if (matches.empty()) return JsonError(404, "not found");
  const auto it = matches.find(request.method);
  if (it == matches.end()) {
    std::vector<std::string> allowed;
    for (const auto& [method, entry] : matches) allowed.push_back(method);
    HttpResponse out = JsonError(405, "method not allowed");
    out.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return out;
  }
  const Entry& entry = *it->second;
  if (entry.options.admin) {
    if (std::optional<HttpResponse> refusal = guard_.Refuse(request)) {
      return *std::move(refusal);
    }
  }
  try {
    return entry.handler(request);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "http handler failed", {{"path", request.path}});
    return JsonError(500, "internal error");
  }
}

}  // namespace outcomes
