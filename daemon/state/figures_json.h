// JSON bodies of the HTTP API (docs/configuration.md) built from a
// StoreSnapshot:
//
//   GET /api/v1/providers       RenderProvidersJson: every provider with
//                               headline figures per program
//   GET /api/v1/providers/{id}  RenderProviderJson: every figure per program
//                               and window, with the subgroup table
//
// Rates are {"value": number|null, "numerator": n, "denominator": n}; value
// is null when the denominator is 0. Suppressed subgroups appear as
// {"metric","dimension","group","suppressed": true} with no numbers. Shapes
// are documented with examples in daemon/state/FUNNEL_RULES.md. No
// client_key can appear: the snapshot holds none.
//
// Bodies are built as outcomes::Json values (daemon/base/json.h); the *Json
// functions return the values so other documents (the provider brief) can
// embed them, the Render* functions serialize them with DumpJson.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_STATE_FIGURES_JSON_H_
#define OUTCOMESD_DAEMON_STATE_FIGURES_JSON_H_

#include <optional>
#include <string>
#include <string_view>

#include "daemon/base/json.h"
#include "daemon/state/state_store.h"

namespace outcomes {

// The headline window: 30 days when configured, else the first window.
const WindowFigures& HeadlineWindow(const ProgramFigures& program);

// One program of a provider with every window, as an element of "programs"
// in the /api/v1/providers/{id} body: {"program", "topic", "partition",
// "ready", "stalled_referrals", "stalled_priority_referrals",
// "history_complete", "windows": [...]}. `partition` is the partition whose
// snapshot holds `program`.
Json ProgramFiguresJson(const PartitionFigures& partition,
                        const ProgramFigures& program);

// The /api/v1/providers body: {"day", "providers": [...]}.
Json ProvidersJson(const StoreSnapshot& snapshot);

// The /api/v1/providers/{id} body: {"provider", "day", "programs": [...]};
// std::nullopt when no partition holds `provider_id`.
std::optional<Json> ProviderJson(const StoreSnapshot& snapshot,
                                 std::string_view provider_id);

// DumpJson(ProvidersJson(snapshot)).
std::string RenderProvidersJson(const StoreSnapshot& snapshot);

// DumpJson of ProviderJson; std::nullopt when no partition holds
// `provider_id` (answer 404).
std::optional<std::string> RenderProviderJson(const StoreSnapshot& snapshot,
                                              std::string_view provider_id);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_FIGURES_JSON_H_
