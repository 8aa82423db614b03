// The one duration grammar of outcomesd, for rule files and for every
// duration flag (--eval.interval, --windows, ...), as Prometheus writes
// them: "0s", "90s", "15m", "1h30m", "1d", "2w" (units ms, s, m, h,
// d = 24h, w = 7d; each unit at most once, largest first; no sign, no
// fractions).
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_RULES_DURATION_H_
#define OUTCOMESD_DAEMON_RULES_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace outcomes {

// InvalidArgument (message without a field name) when `text` is not a
// duration as above.
absl::StatusOr<absl::Duration> ParseDurationSpec(absl::string_view text);

// The shortest rule-file spelling of `d`: 0 -> "0s", 36h -> "1d12h".
std::string FormatDurationSpec(absl::Duration d);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_DURATION_H_
