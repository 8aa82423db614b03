// outcomesd: consumes service events from Kafka and serves per-provider
// contract performance. Objects are constructed here, in order, and wired by
// reference; see README.md "Architecture".
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/alerting.h"
#include "daemon/alerts/alert_sink.h"
#include "daemon/alerts/alert_state_store.h"
#include "daemon/alerts/alertmanager_notifier.h"
#include "daemon/alerts/http_poster.h"
#include "daemon/base/clock.h"
#include "daemon/base/json_log.h"
#include "daemon/base/protobuf_log.h"
#include "daemon/build_info.h"
#include "daemon/checkpointer.h"
#include "daemon/evaluation_loop.h"
#include "daemon/flag_reference.h"
#include "daemon/flags.h"
#include "daemon/http/http_server.h"
#include "daemon/http/routes.h"
#include "daemon/ingest/consumer_loop.h"
#include "daemon/ingest/ingest_metrics.h"
#include "daemon/ingest/pipeline.h"
#include "daemon/ingest/provider_gate.h"
#include "daemon/ingest/state_sink.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/payment_report.h"
#include "daemon/process_metrics.h"
#include "daemon/state/figures_exporter.h"
#include "daemon/state/state_store.h"
#include "prometheus/gauge.h"

namespace outcomes {
namespace {

// DESIGN.md §7 and docs/design.md, "Shutdown": after SIGTERM or SIGINT the
// daemon exits 0 within this long, whether or not a Kafka broker answers.
constexpr absl::Duration kShutdownBudget = absl::Seconds(5);
// Of it, the consumer's share: the final commit, the checkpoints and leaving
// the group. The rest stops the notifier, flushes the alert producers and
// stops the threads.
constexpr absl::Duration kConsumerStopBudget = absl::Seconds(3);
// What the alert producers' final flushes leave for the rest of the exit.
constexpr absl::Duration kExitReserve = absl::Milliseconds(500);

[[noreturn]] void Fatal(const absl::Status& status) {
  Log(LogLevel::kError, "fatal", {{"error", status.ToString()}});
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) Fatal(value.status());
  return *std::move(value);
}

// The consumer loop's rebalance, with the alerts' share: before partitions
// are given up, their alerts' final state goes to the state topic.
class AlertingRebalance : public RebalanceListener {
 public:
  AlertingRebalance(RebalanceListener& loop, Alerting& alerting)
      : loop_(loop), alerting_(alerting) {}
  void OnAssigned(std::vector<PartitionOffset>& assigned) override {
    loop_.OnAssigned(assigned);
    std::vector<PartitionId> ids;
    for (const PartitionOffset& p : assigned) ids.push_back(p.id);
    alerting_.OnPartitionsAssigned(ids);
  }
  void OnRevoked(const std::vector<PartitionId>& revoked) override {
    alerting_.OnPartitionsRevoked(revoked);
    loop_.OnRevoked(revoked);
  }

 private:
  RebalanceListener& loop_;
  Alerting& alerting_;
};

// --web.external_url, or http://HOSTNAME:PORT (as Prometheus defaults it).
std::string ExternalUrl(const DaemonSettings& s, int port) {
  if (!s.web_external_url.empty()) return s.web_external_url;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return absl::StrCat("http://localhost:", port);
  }
  return absl::StrCat("http://", host, ":", port);
}

// Binds --listen before anything else is started, so a port in use is a
// fatal start-up error (docs/design.md, "Safe to expose") and not a second
// daemon "serving".
std::unique_ptr<HttpServer> BindHttpServer(const DaemonSettings& s,
                                           prometheus::Registry& registry) {
  HttpServerSettings limits;
  limits.max_connections = s.http_max_connections;
  limits.request_timeout = s.http_request_timeout;
  auto http = std::make_unique<HttpServer>(limits, &registry);
  if (!s.http_admin_token_file.empty()) {
    http->SetAdminGuard(
        OrDie(AdminGuard::FromTokenFile(s.http_admin_token_file)));
  }
  if (absl::Status st = http->Bind(s.listen); !st.ok()) Fatal(st);
  return http;
}

// Each HTTP connection holds a descriptor: lift the soft limit to the hard
// one so --http.max_connections, not the default of 1024, is what binds.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Blocks the stop and reload signals in every thread; SignalThread takes
// them with sigwait, so no work runs inside a signal handler.
sigset_t BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Sets *deadline (the end of kShutdownBudget) when a stop signal arrives,
// before it returns.
void SignalThread(sigset_t set, ConsumerLoop& loop, Alerting& alerting,
                  absl::Time* deadline) {
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Log(LogLevel::kInfo, "SIGHUP: reloading rules");
      alerting.Reload().IgnoreError();  // logged and counted by Reload
      continue;
    }
    const absl::Time now = absl::Now();
    *deadline = now + kShutdownBudget;
    Log(LogLevel::kInfo, "stop signal received",
        {{"signal", sig},
         {"budget_seconds", absl::ToDoubleSeconds(kShutdownBudget)}});
    loop.RequestStop(now + kConsumerStopBudget);
    return;
  }
}

std::string StartEmbedded(DaemonSettings& settings,
                          std::unique_ptr<EmbeddedKafka>& embedded) {
  std::vector<std::string> topics = settings.kafka.topics;
  topics.push_back(settings.kafka.dead_letter_topic);
  topics.push_back(settings.alerts_topic);
  topics.push_back(settings.state_topic);
  embedded = OrDie(StartEmbeddedKafka(topics, settings.embedded_partitions));
  Log(LogLevel::kInfo, "embedded kafka started",
      {{"bootstrap", embedded->bootstraps()},
       {"topics", absl::StrJoin(topics, ",")}});
  return embedded->bootstraps();
}

// Issue 9: the embedded mock cluster keeps events in memory only, so it runs
// only when asked for by name (--kafka.brokers has no default: flags.cc
// refuses to start without it, so a pod that forgot the flag never becomes
// ready on in-memory data). With it a warning is logged, and
// outcomes_embedded_kafka (1, else 0) lets an SRE alert catch it
// (OutcomesdEmbeddedKafka).
void RegisterKafkaMode(const DaemonSettings& settings,
                       prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("outcomes_embedded_kafka")
      .Help(
          "1 when --kafka.brokers=embedded: events live in an in-process "
          "mock cluster and are lost at exit; 0 with real brokers")
      .Register(registry)
      .Add({})
      .Set(settings.embedded_kafka ? 1 : 0);
  if (settings.embedded_kafka) {
    Log(LogLevel::kWarning,
        "--kafka.brokers=embedded: events are kept in an in-process mock "
        "cluster, in memory only, and lost at exit; for tests and demos, "
        "never production (outcomes_embedded_kafka is 1)");
  }
}

// docs/design.md, "State through restarts, rebalances and faults": the replay
// rebuilds state from what Kafka retains, so a topic whose retention.ms is
// shorter than the horizon loses history.
void WarnOnShortRetention(const DaemonSettings& settings) {
  const absl::Duration horizon = absl::Hours(24) * settings.state.horizon_days;
  for (const std::string& topic : settings.kafka.topics) {
    auto value = DescribeTopicConfig(settings.kafka, topic, "retention.ms",
                                     absl::Seconds(4));
    int64_t ms = 0;
    if (!value.ok() || !*value || !absl::SimpleAtoi(**value, &ms)) {
      Log(LogLevel::kInfo, "cannot read topic retention",
          {{"topic", topic},
           {"error",
            value.ok() ? "no retention.ms" : value.status().ToString()}});
      continue;
    }
    if (ms >= 0 && absl::Milliseconds(ms) < horizon) {
      Log(LogLevel::kWarning,
          "topic retention is shorter than the horizon: history will be "
          "incomplete after a rebuild (outcomes_history_complete)",
          {{"topic", topic},
           {"retention_ms", static_cast<long long>(ms)},
           {"horizon_days", settings.state.horizon_days}});
    }
  }
}

// docs/design.md, "Safe to expose": which key protects the client hashes. The
// fingerprint (never the key) lets operators check that replicas share one key.
void LogClientHashKey(const DaemonSettings& settings) {
  const ClientHasher& hasher = settings.state.client_hasher;
  if (!hasher.is_default()) {
    Log(LogLevel::kInfo, "client hash key loaded",
        {{"key_file", settings.privacy_key_file},
         {"fingerprint", hasher.FingerprintHex()}});
    return;
  }
  Log(LogLevel::kWarning,
      "client hashes use the public default key: they are not protected "
      "against guessing (a stolen checkpoint can be reversed by hashing "
      "guessed client ids); set --privacy.key_file=FILE with 16 or more "
      "secret bytes, e.g. head -c 32 /dev/urandom > FILE (a Kubernetes "
      "Secret)",
      {{"fingerprint", hasher.FingerprintHex()}});
}

// docs/design.md, "Safe to expose". An unreadable or invalid --providers.file
// is fatal.
std::unique_ptr<ProviderGate> NewProviderGate(const DaemonSettings& settings,
                                              prometheus::Registry& registry) {
  std::unique_ptr<ProviderGate> gate =
      OrDie(ProviderGate::Create(settings.providers, RealClock(), registry));
  Log(LogLevel::kInfo, "provider limits",
      {{"max", settings.providers.max_providers},
       {"file", settings.providers.file.empty() ? "(none: every provider id)"
                                                : settings.providers.file}});
  return gate;
}

AlertingSettings AlertingSettingsOf(const DaemonSettings& s) {
  AlertingSettings a;
  a.rule_paths = s.rules;
  a.rules.windows_days = s.state.windows_days;
  a.rules.dimensions = s.state.dimensions;
  a.rules.horizon_days = s.state.horizon_days;
  a.evaluator.enroll_within_days = s.state.enroll_within_days;
  a.evaluator.horizon_days = s.state.horizon_days;
  a.resend_interval = s.alert_resend_interval;
  a.state_dir = s.state_dir;
  return a;
}

int Run(DaemonSettings settings) {
  const sigset_t signals = BlockSignals();
  RaiseDescriptorLimit();
  prometheus::Registry registry;
  RegisterKafkaMode(settings, registry);
  RegisterBuildInfo(registry);
  const ProcessCollector process_metrics;
  std::unique_ptr<HttpServer> http_server = BindHttpServer(settings, registry);
  HttpServer& http = *http_server;
  LogClientHashKey(settings);
  std::unique_ptr<EmbeddedKafka> embedded;
  if (settings.embedded_kafka)
    settings.kafka.brokers = StartEmbedded(settings, embedded);
  if (!settings.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings.state_dir, ec);
    if (ec) {
      // Not fatal: state is rebuilt from Kafka; checkpoint writes report it.
      Log(LogLevel::kError, "cannot create --state.dir",
          {{"path", settings.state_dir}, {"error", ec.message()}});
    }
  }
  // Off the start-up path: a broker that does not answer (the mock) must
  // not delay serving.
  std::thread retention_check(WarnOnShortRetention, std::cref(settings));
  IngestMetrics metrics(registry);
  StateStore store(settings.state);
  FiguresExporter exporter(registry);
  EvaluationLoop evaluation(store, exporter, RealClock(),
                            settings.state.timezone, settings.eval_interval,
                            registry);

  if (settings.alertmanager_client.tls_insecure_skip_verify) {
    Log(LogLevel::kWarning,
        "--alertmanager.tls_insecure_skip_verify: Alertmanager's TLS "
        "certificate is not verified");
  }
  std::unique_ptr<HttpPoster> poster =
      NewHttplibPoster(settings.alertmanager_client);
  std::optional<AlertmanagerNotifier> notifier;
  if (!settings.alertmanager_urls.empty()) {
    AlertmanagerNotifier::Options options;
    options.urls = settings.alertmanager_urls;
    options.resend_interval = settings.alert_resend_interval;
    options.decoration = {ExternalUrl(settings, http.port()),
                          settings.alert_external_labels};
    notifier.emplace(options, *poster, RealClock(), registry);
  }
  KafkaProperties alert_props = {{"bootstrap.servers", settings.kafka.brokers}};
  alert_props.insert(alert_props.end(), settings.kafka.extra.begin(),
                     settings.kafka.extra.end());
  auto alert_sink =
      OrDie(NewKafkaAlertSink(alert_props, settings.alerts_topic));
  auto state_store =
      OrDie(NewRdKafkaAlertStateStore(alert_props, settings.state_topic));
  StateSink sink(store);
  auto dead_letters = OrDie(NewRdKafkaDeadLetterSink(settings.kafka));
  std::unique_ptr<ProviderGate> providers = NewProviderGate(settings, registry);
  IngestPipeline pipeline(settings.validation, RealClock(), metrics, sink,
                          *dead_letters, providers.get());
  std::optional<Checkpointer> checkpointer;
  if (!settings.state_dir.empty()) {
    checkpointer.emplace(
        CheckpointSettings{settings.state_dir, settings.checkpoint_interval},
        store, RealClock(), registry);
  }
  ConsumerLoop loop(pipeline, *dead_letters, metrics, settings.commit_interval,
                    checkpointer ? &*checkpointer : nullptr);
  Alerting alerting(
      AlertingSettingsOf(settings), RealClock(), registry,
      notifier ? &*notifier : nullptr, alert_sink.get(),
      [&loop] { return loop.judgeable(); }, state_store.get());
  if (absl::Status s = alerting.Start(); !s.ok()) Fatal(s);
  // SIGHUP and POST /-/reload reload the providers file with the rules.
  alerting.AddReloadHook([&providers] { return providers->Reload(); });
  evaluation.AddListener(
      [&alerting](const StoreSnapshot& s) { alerting.OnSnapshot(s); });
  PaymentReport payments(store, [&alerting] { return alerting.rules(); });
  evaluation.AddListener(
      [&payments](const StoreSnapshot& s) { payments.OnSnapshot(s); });

  loop.SetFiguresHooks(
      [&evaluation] { evaluation.Wake(); },
      [&evaluation, &store] {
        const std::shared_ptr<const StoreSnapshot> latest = evaluation.Latest();
        return latest->partitions.size() == store.Partitions().size() &&
               std::all_of(latest->partitions.begin(), latest->partitions.end(),
                           [](const PartitionFigures& p) { return p.ready; });
      });
  AlertingRebalance rebalance(loop, alerting);
  auto consumer = OrDie(NewRdKafkaConsumer(settings.kafka, &rebalance));
  loop.SetConsumer(consumer.get());

  AddHealthRoutes(
      http,
      {&registry, &process_metrics, &exporter, &payments, &alerting.metrics()},
      loop, checkpointer ? &*checkpointer : nullptr);
  AddApiRoutes(http, evaluation, alerting, payments);
  AddPaymentRoutes(http, payments);
  if (absl::Status s = http.Start(); !s.ok()) Fatal(s);
  Log(LogLevel::kInfo, "serving",
      {{"listen", settings.listen},
       {"port", http.port()},
       {"topics", absl::StrJoin(settings.kafka.topics, ",")},
       {"group", settings.kafka.group},
       {"alertmanagers",
        absl::StrJoin(settings.alertmanager_urls, ",",
                      [](std::string* out, const std::string& url) {
                        out->append(RedactedUrl(url));
                      })}});

  if (notifier) notifier->Start();
  evaluation.Start();
  absl::Time deadline = absl::InfiniteFuture();
  std::thread signal_thread(SignalThread, signals, std::ref(loop),
                            std::ref(alerting), &deadline);
  loop.Run();  // returns by the consumer's share of the budget
  signal_thread.join();
  retention_check.join();
  evaluation.Stop();
  alerting.SaveState();  // to --state.dir: needs no broker
  const absl::Time flushed_by = deadline - kExitReserve;
  // A POST in flight gets a third of what is left, then is cancelled: a
  // silent Alertmanager cannot hold the exit up to its request timeout.
  if (notifier) notifier->Stop((flushed_by - absl::Now()) / 3);
  // Bounded: with no broker answering these would never finish. An alert
  // message not delivered is sent again by the next owner's lifecycle.
  alert_sink->Flush((flushed_by - absl::Now()) / 2).IgnoreError();
  state_store->Flush(flushed_by - absl::Now()).IgnoreError();
  http.Stop();
  return 0;
}

}  // namespace
}  // namespace outcomes

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "outcomesd --kafka.brokers=embedded|HOST:PORT --kafka.topics=... "
      "--rules=PATH --listen=HOST:PORT --alertmanager.url=URL ...");
  outcomes::RouteProtobufLogsToJson();
  if (const std::string info = outcomes::InfoRequested(argc, argv);
      !info.empty()) {
    std::fputs(info.c_str(), stdout);
    return 0;
  }
  std::vector<std::string> storage;
  std::vector<char*> args = outcomes::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  auto settings = outcomes::SettingsFromFlags();
  if (!settings.ok()) outcomes::Fatal(settings.status());
  outcomes::SetMinLogLevel(settings->log_level);
  const int code = outcomes::Run(*std::move(settings));
  if (outcomes::KafkaClientsStillClosing()) {
    // docs/design.md, "Shutdown": everything worth keeping is written; do
    // not wait for, nor run exit handlers beside, a client still closing.
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
