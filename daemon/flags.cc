#include "daemon/flags.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/alertmanager_client.h"
#include "daemon/rules/duration.h"

ABSL_FLAG(std::string, kafka_brokers, "",
          "--kafka.brokers: HOST:PORT[,...] of the Kafka cluster (required), "
          "or 'embedded' for an in-process mock cluster (tests and demos "
          "only)");
ABSL_FLAG(std::string, kafka_topics, "outcomes.events",
          "--kafka.topics: comma-separated topics to consume");
ABSL_FLAG(std::string, kafka_group, "outcomesd", "--kafka.group: group.id");
ABSL_FLAG(std::string, kafka_config, "",
          "--kafka.config: file of librdkafka key=value lines (TLS, SASL)");
ABSL_FLAG(std::string, kafka_dead_letter_topic, "outcomes.events.dlq",
          "--kafka.dead_letter_topic: where rejected events are copied");
ABSL_FLAG(std::string, kafka_alerts_topic, "outcomes.alerts",
          "--kafka.alerts_topic: where alerts are written");
ABSL_FLAG(std::string, kafka_state_topic, "outcomes.state",
          "--kafka.state_topic: compacted topic of alert state (created if "
          "missing), read when partitions are assigned");
ABSL_FLAG(int, kafka_embedded_partitions, 4,
          "--kafka.embedded_partitions: partitions per topic when embedded");
ABSL_FLAG(std::string, log_level, "info",
          "--log.level: the lowest level logged: debug, info, warning or "
          "error");
ABSL_FLAG(std::string, rules, "", "--rules: rule files or directories");
ABSL_FLAG(std::string, listen, "0.0.0.0:9464",
          "--listen: HOST:PORT for /metrics, /healthz, /readyz, /api/v1/");
ABSL_FLAG(std::string, http_admin_token_file, "",
          "--http.admin_token_file: file holding the bearer token POST "
          "/-/reload requires; without it /-/reload answers loopback only");
ABSL_FLAG(int, http_max_connections, 1000,
          "--http.max_connections: concurrent HTTP connections; more wait "
          "in the listen backlog until one closes");
ABSL_FLAG(outcomes::FlagDuration, http_request_timeout, {absl::Seconds(10)},
          "--http.request_timeout: how long a connection may take to send a "
          "request and read its answer (idle keep-alive included)");
ABSL_FLAG(std::string, web_external_url, "",
          "--web.external_url: the URL users reach this daemon at (e.g. "
          "https://outcomesd.agency.example); alerts' generatorURL points "
          "at the provider under it. Default http://HOSTNAME:PORT");
ABSL_FLAG(std::string, alert_external_labels, "",
          "--alert.external_labels: k=v,... labels added to every alert "
          "sent to Alertmanager (e.g. cluster=prod,namespace=outcomes); an "
          "alert's own label of the same name wins");
ABSL_FLAG(std::string, alertmanager_url, "",
          "--alertmanager.url: comma-separated Alertmanager base URLs");
ABSL_FLAG(std::string, alertmanager_tls_ca_file, "",
          "--alertmanager.tls_ca_file: PEM CA certificates that verify "
          "https:// Alertmanagers (default: the system's)");
ABSL_FLAG(std::string, alertmanager_tls_cert_file, "",
          "--alertmanager.tls_cert_file: PEM client certificate presented to "
          "Alertmanager (with --alertmanager.tls_key_file)");
ABSL_FLAG(std::string, alertmanager_tls_key_file, "",
          "--alertmanager.tls_key_file: PEM private key of "
          "--alertmanager.tls_cert_file");
ABSL_FLAG(bool, alertmanager_tls_insecure_skip_verify, false,
          "--alertmanager.tls_insecure_skip_verify: do not verify "
          "Alertmanager's certificate (a warning is logged)");
ABSL_FLAG(std::string, alertmanager_basic_auth_username, "",
          "--alertmanager.basic_auth_username: HTTP basic auth user (with "
          "--alertmanager.basic_auth_password_file). Credentials in a URL "
          "(http://user:password@host) are used for that URL instead");
ABSL_FLAG(std::string, alertmanager_basic_auth_password_file, "",
          "--alertmanager.basic_auth_password_file: file holding the basic "
          "auth password (surrounding whitespace dropped), read at start");
ABSL_FLAG(std::string, alertmanager_bearer_token_file, "",
          "--alertmanager.bearer_token_file: file holding a token sent as "
          "'Authorization: Bearer TOKEN', read at start; not with basic "
          "auth");
ABSL_FLAG(std::string, alertmanager_http_headers, "",
          "--alertmanager.http_headers: Name=value,... headers added to every "
          "request to Alertmanager (e.g. X-Scope-OrgID=tenant1); not "
          "Authorization, Host or Content-*");
ABSL_FLAG(std::string, state_dir, "", "--state.dir: checkpoint directory");
ABSL_FLAG(outcomes::FlagDuration, checkpoint_interval, {absl::Seconds(30)},
          "--checkpoint.interval: how often each partition's state is "
          "checkpointed to --state.dir (also at revocation and shutdown)");
ABSL_FLAG(std::string, privacy_key_file, "",
          "--privacy.key_file: file of 16 to 4096 secret bytes (e.g. head -c "
          "32 /dev/urandom); client keys are kept only as hashes keyed with "
          "it. Without it a public default key is used (a warning is logged)");
ABSL_FLAG(outcomes::FlagDuration, eval_interval, {absl::Seconds(15)},
          "--eval.interval: how often figures and goals are evaluated");
ABSL_FLAG(outcomes::FlagDuration, alert_resend_interval, {absl::Minutes(1)},
          "--alert.resend_interval: how often firing alerts are re-sent");
ABSL_FLAG(outcomes::FlagDuration, commit_interval, {absl::Seconds(1)},
          "--commit.interval: how often processed offsets are committed");
ABSL_FLAG(std::string, windows, "7d,30d,90d", "--windows: rolling windows");
ABSL_FLAG(int, horizon, 120, "--horizon: days of history kept");
ABSL_FLAG(int, enroll_within, 14,
          "--enroll_within: days a referral has to enroll (M)");
ABSL_FLAG(int, min_cell, 11,
          "--min_cell: smallest subgroup denominator that is published");
ABSL_FLAG(std::string, dimensions, "race_ethnicity",
          "--dimensions: event attributes tracked as subgroups");
ABSL_FLAG(int, max_groups, 32,
          "--max_groups: distinct subgroups kept per dimension; more are "
          "folded into no group and counted");
ABSL_FLAG(std::string, timezone, "UTC",
          "--timezone: agency time zone deciding day boundaries");
ABSL_FLAG(outcomes::FlagDuration, max_clock_skew, {absl::Minutes(5)},
          "--max_clock_skew: how far ahead of now occurred_at may be");
ABSL_FLAG(int, providers_max, 10000,
          "--providers.max: providers this instance keeps state for (all its "
          "partitions); events of further new providers are rejected with "
          "reason provider_limit (docs/design.md, Safe to expose). At least 1");
ABSL_FLAG(std::string, providers_file, "",
          "--providers.file: allowlist, one provider id per line ('#' "
          "comments, blank lines ignored); events of other providers are "
          "rejected with reason unknown_provider. Reloaded with the rules");

namespace outcomes {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

absl::Status CheckPositive(const char* flag, int value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " must be positive, got ", value));
}

// --privacy.key_file: a key file that is missing, unreadable, empty or too
// short is a fatal start-up error (docs/design.md, "Safe to expose").
absl::Status LoadPrivacyKey(DaemonSettings& s) {
  s.privacy_key_file = absl::GetFlag(FLAGS_privacy_key_file);
  if (s.privacy_key_file.empty()) return absl::OkStatus();  // default key
  absl::StatusOr<ClientHasher> hasher = LoadClientHasher(s.privacy_key_file);
  if (!hasher.ok()) return hasher.status();
  s.state.client_hasher = *std::move(hasher);
  return absl::OkStatus();
}

// --providers.max, --providers.file (the file is read by ProviderGate).
absl::Status ProviderSettingsFromFlags(ProviderGateSettings& providers) {
  providers.max_providers = absl::GetFlag(FLAGS_providers_max);
  providers.file = absl::GetFlag(FLAGS_providers_file);
  if (providers.max_providers >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--providers.max must be at least 1, got ", providers.max_providers));
}

// "k=v,k2=v2" -> map; names as Prometheus label names.
absl::Status ParseExternalLabels(const std::string& text, DaemonSettings& s) {
  for (const std::string& item : SplitList(text)) {
    const size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    bool valid = eq != std::string::npos && !name.empty() &&
                 !absl::ascii_isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) {
      valid = valid &&
              (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_');
    }
    if (!valid || s.alert_external_labels.count(name) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alert.external_labels: '", item,
                       "' is not NAME=VALUE with a new label name "
                       "[a-zA-Z_][a-zA-Z0-9_]*"));
    }
    s.alert_external_labels[name] = item.substr(eq + 1);
  }
  return absl::OkStatus();
}

// --alertmanager.tls_*, basic_auth_*, bearer_token_file, http_headers.
absl::Status AlertmanagerClientFromFlags(DaemonSettings& s) {
  AlertmanagerClientFlags f;
  f.urls = s.alertmanager_urls;
  f.tls_ca_file = absl::GetFlag(FLAGS_alertmanager_tls_ca_file);
  f.tls_cert_file = absl::GetFlag(FLAGS_alertmanager_tls_cert_file);
  f.tls_key_file = absl::GetFlag(FLAGS_alertmanager_tls_key_file);
  f.tls_insecure_skip_verify =
      absl::GetFlag(FLAGS_alertmanager_tls_insecure_skip_verify);
  f.basic_auth_username = absl::GetFlag(FLAGS_alertmanager_basic_auth_username);
  f.basic_auth_password_file =
      absl::GetFlag(FLAGS_alertmanager_basic_auth_password_file);
  f.bearer_token_file = absl::GetFlag(FLAGS_alertmanager_bearer_token_file);
  f.http_headers = absl::GetFlag(FLAGS_alertmanager_http_headers);
  absl::StatusOr<HttpClientOptions> options = AlertmanagerClientOptions(f);
  if (!options.ok()) return options.status();
  s.alertmanager_client = *std::move(options);
  return absl::OkStatus();
}

absl::Status ParseLogLevel(const std::string& text, DaemonSettings& s) {
  static constexpr std::pair<const char*, LogLevel> kLevels[] = {
      {"debug", LogLevel::kDebug},
      {"info", LogLevel::kInfo},
      {"warning", LogLevel::kWarning},
      {"error", LogLevel::kError}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      s.log_level = level;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--log.level must be debug, info, warning or error, got '", text, "'"));
}

}  // namespace

std::vector<char*> NormalizeFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (std::string& arg : storage) {
    if (arg.rfind("--", 0) != 0) continue;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t i = 2; i < end; ++i) {
      if (arg[i] == '.') arg[i] = '_';
    }
  }
  std::vector<char*> out;
  for (std::string& arg : storage) out.push_back(arg.data());
  return out;
}

bool AbslParseFlag(absl::string_view text, FlagDuration* d,
                   std::string* error) {
  absl::StatusOr<absl::Duration> parsed = ParseDurationSpec(text);
  if (!parsed.ok()) {
    *error = std::string(parsed.status().message());
    return false;
  }
  d->value = *parsed;
  return true;
}

std::string AbslUnparseFlag(FlagDuration d) {
  return FormatDurationSpec(d.value);
}

absl::StatusOr<std::vector<int>> ParseWindows(const std::string& text) {
  std::vector<int> days;
  for (const std::string& item : SplitList(text)) {
    absl::StatusOr<absl::Duration> d = ParseDurationSpec(item);
    const absl::Duration day = absl::Hours(24);
    if (!d.ok() || *d <= absl::ZeroDuration() ||
        *d % day != absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--windows: '", item,
                       "' is not a whole number of days like 30d or 1w"));
    }
    days.push_back(static_cast<int>(*d / day));
  }
  if (days.empty()) return absl::InvalidArgumentError("--windows is empty");
  return days;
}

absl::StatusOr<DaemonSettings> SettingsFromFlags() {
  DaemonSettings s;
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  s.embedded_kafka = brokers == "embedded";
  s.kafka.brokers = s.embedded_kafka ? "" : brokers;
  if (brokers.empty()) {
    return absl::InvalidArgumentError(
        "--kafka.brokers is required: give the Kafka bootstrap servers "
        "(HOST:PORT[,...]), or --kafka.brokers=embedded for an in-process "
        "mock cluster (tests and demos only: its events are lost at exit)");
  }
  s.kafka.topics = SplitList(absl::GetFlag(FLAGS_kafka_topics));
  if (s.kafka.topics.empty()) {
    return absl::InvalidArgumentError("--kafka.topics is empty");
  }
  s.kafka.group = absl::GetFlag(FLAGS_kafka_group);
  s.kafka.dead_letter_topic = absl::GetFlag(FLAGS_kafka_dead_letter_topic);
  if (const std::string path = absl::GetFlag(FLAGS_kafka_config);
      !path.empty()) {
    auto props = LoadKafkaProperties(path);
    if (!props.ok()) return props.status();
    s.kafka.extra = *std::move(props);
  }
  s.alerts_topic = absl::GetFlag(FLAGS_kafka_alerts_topic);
  s.state_topic = absl::GetFlag(FLAGS_kafka_state_topic);
  s.embedded_partitions = absl::GetFlag(FLAGS_kafka_embedded_partitions);
  s.listen = absl::GetFlag(FLAGS_listen);
  if (absl::Status st = ParseLogLevel(absl::GetFlag(FLAGS_log_level), s);
      !st.ok()) {
    return st;
  }
  s.http_admin_token_file = absl::GetFlag(FLAGS_http_admin_token_file);
  s.http_max_connections = absl::GetFlag(FLAGS_http_max_connections);
  s.http_request_timeout = absl::GetFlag(FLAGS_http_request_timeout).value;
  s.state_dir = absl::GetFlag(FLAGS_state_dir);
  s.rules = SplitList(absl::GetFlag(FLAGS_rules));
  s.alertmanager_urls = SplitList(absl::GetFlag(FLAGS_alertmanager_url));
  if (absl::Status st = AlertmanagerClientFromFlags(s); !st.ok()) return st;
  s.web_external_url = absl::GetFlag(FLAGS_web_external_url);
  if (absl::Status st =
          ParseExternalLabels(absl::GetFlag(FLAGS_alert_external_labels), s);
      !st.ok()) {
    return st;
  }
  s.checkpoint_interval = absl::GetFlag(FLAGS_checkpoint_interval).value;
  s.eval_interval = absl::GetFlag(FLAGS_eval_interval).value;
  s.commit_interval = absl::GetFlag(FLAGS_commit_interval).value;
  s.alert_resend_interval = absl::GetFlag(FLAGS_alert_resend_interval).value;
  auto windows = ParseWindows(absl::GetFlag(FLAGS_windows));
  if (!windows.ok()) return windows.status();
  s.state.windows_days = *windows;
  s.state.enroll_within_days = absl::GetFlag(FLAGS_enroll_within);
  s.state.min_cell = absl::GetFlag(FLAGS_min_cell);
  s.state.dimensions = SplitList(absl::GetFlag(FLAGS_dimensions));
  s.state.max_groups_per_dimension = absl::GetFlag(FLAGS_max_groups);
  s.validation.horizon_days = absl::GetFlag(FLAGS_horizon);
  s.validation.max_clock_skew = absl::GetFlag(FLAGS_max_clock_skew).value;
  // One extra day: the horizon is counted in agency days, not hours.
  s.kafka.replay_window = absl::Hours(24 * (s.validation.horizon_days + 1));
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_timezone),
                          &s.validation.timezone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timezone: unknown time zone '", absl::GetFlag(FLAGS_timezone), "'"));
  }
  s.state.horizon_days = s.validation.horizon_days;
  s.state.timezone = s.validation.timezone;
  if (absl::Status st =
          CheckPositive("kafka.embedded_partitions", s.embedded_partitions);
      !st.ok()) {
    return st;
  }
  if (absl::Status st =
          CheckPositive("http.max_connections", s.http_max_connections);
      !st.ok()) {
    return st;
  }
  if (s.http_request_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "--http.request_timeout must be at least 1s");
  }
  if (absl::Status st = ValidateStateSettings(s.state); !st.ok()) return st;
  if (absl::Status st = LoadPrivacyKey(s); !st.ok()) return st;
  if (absl::Status st = ProviderSettingsFromFlags(s.providers); !st.ok()) {
    return st;
  }
  if (s.eval_interval <= absl::ZeroDuration() ||
      s.commit_interval <= absl::ZeroDuration() ||
      s.checkpoint_interval <= absl::ZeroDuration() ||
      s.alert_resend_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--eval.interval, --commit.interval, --checkpoint.interval and "
        "--alert.resend_interval must be positive");
  }
  return s;
}

}  // namespace outcomes
