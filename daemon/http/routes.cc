#include "daemon/http/routes.h"

#include <malloc.h>

#include <optional>
#include <string>
#include <utility>

#include "daemon/base/json_log.h"
#include "daemon/http/brief_routes.h"
#include "daemon/state/figures_json.h"

namespace outcomes {
namespace {

// A body already serialized by DumpJson.
HttpResponse JsonBody(std::string body) {
  return HttpResponse{200, "application/json", std::move(body)};
}

// /readyz: 200 "ready" when outcomes_ready is 1, else 503 with the reason.
// Conditions that do not make figures wrong (a state dir that cannot be
// written) are listed in the body without failing readiness.
HttpResponse Readiness(const ConsumerLoop& loop, const Checkpointer* ckpt) {
  std::string reason = loop.NotReadyReason();
  std::string body = reason.empty() ? "ready\n" : "not ready: " + reason + "\n";
  if (ckpt != nullptr) {
    if (std::string problem = ckpt->StateDirProblem(); !problem.empty()) {
      body += "warning: state dir not writable: " + problem + "\n";
    }
  }
  return HttpResponse{reason.empty() ? 200 : 503, "text/plain", body};
}

// The /metrics text. A scrape allocates ~10 KiB per provider with state
// (prometheus-cpp's Collect() copies, the text) and frees it; glibc keeps
// freed memory in the arena of the HTTP thread that served it, so RSS grew
// by a scrape's peak per thread (measured: 482 -> 1,661 MiB over 10 scrapes
// at 20,000 providers). Trimming once rendered gives it back.
std::string ScrapeMetrics(const MetricSources& sources) {
  std::string text = RenderMetrics(sources);
  malloc_trim(0);
  return text;
}

}  // namespace

void AddHealthRoutes(HttpServer& http, MetricSources sources,
                     const ConsumerLoop& loop, const Checkpointer* ckpt) {
  http.Route("GET", "/metrics", [sources](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        ScrapeMetrics(sources)};
  });
  // Probes are answered on the server's event thread: never queued behind
  // a /metrics render.
  const RouteOptions probe{.inline_handler = true};
  http.Route(
      "GET", "/healthz",
      [](const HttpRequest&) {
        return HttpResponse{200, "text/plain", "ok\n"};
      },
      probe);
  http.Route(
      "GET", "/readyz",
      [&loop, ckpt](const HttpRequest&) { return Readiness(loop, ckpt); },
      probe);
}

void AddApiRoutes(HttpServer& http, const EvaluationLoop& evaluation,
                  Alerting& alerting, const PaymentReport& payments) {
  http.Route("GET", "/api/v1/providers", [&evaluation](const HttpRequest&) {
    return JsonBody(RenderProvidersJson(*evaluation.Latest()));
  });
  http.Route("GET", "/api/v1/providers/", [&evaluation](const HttpRequest& r) {
    const std::string id = r.path.substr(sizeof("/api/v1/providers/") - 1);
    if (const auto as_of = r.query.find("as_of"); as_of != r.query.end()) {
      return ProviderFiguresAsOf(evaluation, id, as_of->second);
    }
    std::optional<std::string> body =
        RenderProviderJson(*evaluation.Latest(), id);
    if (!body) return JsonError(404, "unknown provider");
    return JsonBody(*std::move(body));
  });
  http.Route("GET", "/api/v1/alerts", [&alerting](const HttpRequest&) {
    return JsonBody(alerting.AlertsJson());
  });
  http.Route("GET", "/api/v1/rules", [&alerting](const HttpRequest&) {
    return JsonBody(alerting.RulesJson());
  });
  AddBriefRoutes(http, evaluation, alerting, payments);
  // Guarded (docs/design.md, "Safe to expose"): a bearer token, or loopback
  // only.
  http.Route(
      "POST", "/-/reload",
      [&alerting](const HttpRequest&) {
        absl::Status s = alerting.Reload();
        if (!s.ok()) return JsonError(500, std::string(s.message()));
        return JsonResponse(200, Json{{"status", "reloaded"}});
      },
      RouteOptions{.admin = true});
}

void AddPaymentRoutes(HttpServer& http, const PaymentReport& payments) {
  http.Route("GET", "/api/v1/payments", [&payments](const HttpRequest& r) {
    const auto it = r.query.find("contract");
    absl::StatusOr<std::string> body =
        payments.Json(it == r.query.end() ? "" : it->second);
    if (!body.ok()) return JsonError(404, std::string(body.status().message()));
    return JsonBody(*std::move(body));
  });
}

}  // namespace outcomes
