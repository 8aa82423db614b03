// The daemon's HTTP routes (docs/configuration.md, §11): /metrics, the /healthz
// and /readyz probes (answered on the server's event thread), the JSON API
// (/api/v1/providers[/ID], /api/v1/alerts, /api/v1/rules) and the guarded
// POST /-/reload. The top layer: it reads the service's objects and hands
// the server plain handlers; main.cc only calls these two functions.
//
// Ownership: the routes borrow every object passed; all must outlive the
// server. Thread safety: the handlers run on the server's threads; the
// objects they call are thread-safe (see their headers).
#ifndef OUTCOMESD_DAEMON_HTTP_ROUTES_H_
#define OUTCOMESD_DAEMON_HTTP_ROUTES_H_

#include <vector>

#include "daemon/alerting.h"
#include "daemon/checkpointer.h"
#include "daemon/evaluation_loop.h"
#include "daemon/http/http_server.h"
#include "daemon/ingest/consumer_loop.h"
#include "daemon/payment_report.h"
#include "prometheus/collectable.h"

namespace outcomes {

// What /metrics serves, in order (the registry, then the process metrics).
using MetricSources = std::vector<const prometheus::Collectable*>;

// /metrics, /healthz, /readyz. `ckpt` may be null (no --state.dir).
void AddHealthRoutes(HttpServer& http, MetricSources sources,
                     const ConsumerLoop& loop, const Checkpointer* ckpt);

// The JSON API and POST /-/reload.
void AddApiRoutes(HttpServer& http, const EvaluationLoop& evaluation,
                  Alerting& alerting, const PaymentReport& payments);

// GET /api/v1/payments[?contract=ID] (docs/design.md, "Brief, payments and
// backtest"): 404 with the reason for an unknown contract or one without
// payments.
void AddPaymentRoutes(HttpServer& http, const PaymentReport& payments);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_ROUTES_H_
