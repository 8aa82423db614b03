// Routes of docs/design.md, "Brief, payments and backtest" that read the
// service's state on request:
//
//   GET /api/v1/providers/{id}?as_of=YYYY-MM-DD  ProviderFiguresAsOf
//   GET /api/v1/briefs/{provider}?program=P&period=month|quarter  (JSON)
//   GET /briefs/{provider}?program=P&period=...  (printable HTML page)
//
// This file gathers the brief's plain inputs (daemon/brief/brief.h): the
// provider+program's figures from the latest snapshot, the goal results of
// the daemon's own evaluator (EvaluateGoals over the program's providers in
// that snapshot, with the rules in force), the day-bucket counts of each
// period (StateStore::EventsBetween), the provider's pending and firing
// alerts, and its payment lines from the payment report's last evaluation.
// The figures are pointers into the evaluation's shared snapshot (never
// copied); the other providers are evaluated without explanations, only for
// ranks. A provider whose partition is not ready (or with the daemon not
// ready) gets a brief that says so and judges nothing (BriefInputs::ready);
// providers of partitions not ready are not ranked.
//
// Errors: 400 for a malformed date or period, or a day outside the horizon;
// 404 for an unknown provider or program; 503 before the first evaluation.
// Each is {"error": "<precise reason>"}.
//
// Ownership and thread safety: as routes.h (borrowed, thread-safe objects).
#ifndef OUTCOMESD_DAEMON_HTTP_BRIEF_ROUTES_H_
#define OUTCOMESD_DAEMON_HTTP_BRIEF_ROUTES_H_

#include <string>

#include "daemon/alerting.h"
#include "daemon/evaluation_loop.h"
#include "daemon/http/http_server.h"
#include "daemon/payment_report.h"

namespace outcomes {

// The /api/v1/providers/{id} body as of the day `as_of_text`, with "as_of".
HttpResponse ProviderFiguresAsOf(const EvaluationLoop& evaluation,
                                 const std::string& provider,
                                 const std::string& as_of_text);

void AddBriefRoutes(HttpServer& http, const EvaluationLoop& evaluation,
                    const Alerting& alerting, const PaymentReport& payments);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_BRIEF_ROUTES_H_
