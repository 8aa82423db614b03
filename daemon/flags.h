// Command-line flags of outcomesd (docs/configuration.md, contract) turned into
// plain settings. Flag names with dots (--kafka.brokers) are accepted as
// written; absl stores them with underscores (kafka_brokers).
#ifndef OUTCOMESD_DAEMON_FLAGS_H_
#define OUTCOMESD_DAEMON_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/alerts/http_poster.h"
#include "daemon/base/json_log.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/provider_gate.h"
#include "daemon/kafka/kafka_config.h"
#include "daemon/state/state_settings.h"

namespace outcomes {

struct DaemonSettings {
  KafkaSettings kafka;
  bool embedded_kafka = false;
  int embedded_partitions = 4;
  std::string alerts_topic;
  std::string state_topic;  // --kafka.state_topic: shared alert state
  std::string listen;
  LogLevel log_level = LogLevel::kInfo;  // --log.level
  std::string http_admin_token_file;     // empty: /-/reload from loopback only
  int http_max_connections = 1000;
  absl::Duration http_request_timeout;
  std::string state_dir;
  std::vector<std::string> rules;
  std::vector<std::string> alertmanager_urls;
  // --alertmanager.tls_*, basic_auth_*, bearer_token_file, http_headers
  // (validated, secrets read: daemon/alertmanager_client.h).
  HttpClientOptions alertmanager_client;
  std::string web_external_url;  // empty: http://HOSTNAME:PORT
  std::map<std::string, std::string> alert_external_labels;
  absl::Duration eval_interval;
  absl::Duration alert_resend_interval;
  absl::Duration commit_interval;
  absl::Duration checkpoint_interval;
  StateSettings state;  // windows, enroll_within, min_cell, dimensions, ...
  // --privacy.key_file ("": the default key); its key is in
  // state.client_hasher, never here.
  std::string privacy_key_file;
  ValidationSettings validation;
  ProviderGateSettings providers;  // --providers.max, --providers.file
};

// The type of every duration flag: parsed and printed with the rules'
// grammar (daemon/rules/duration.h: "200ms", "15s", "1h30m", "1d", "1w"),
// so flags and rule files accept the same durations.
struct FlagDuration {
  absl::Duration value;
};
bool AbslParseFlag(absl::string_view text, FlagDuration* d, std::string* error);
std::string AbslUnparseFlag(FlagDuration d);

// Rewrites "--a.b=..." to "--a_b=..." so absl can parse dotted names.
std::vector<char*> NormalizeFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage);

// Reads and validates the parsed flags. Errors name the flag.
absl::StatusOr<DaemonSettings> SettingsFromFlags();

// Parses "7d,30d,90d" into day counts.
absl::StatusOr<std::vector<int>> ParseWindows(const std::string& text);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_FLAGS_H_
