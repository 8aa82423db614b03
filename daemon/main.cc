// outcomesd: consumes service events from Kafka and serves per-provider
// contract performance. Objects are constructed here, in order, and wired by
// reference; see README.md "Architecture".
#include <csignal>
#include <cstdlib>
#include <memory>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "daemon/clock.h"
#include "daemon/consumer_loop.h"
#include "daemon/flags.h"
#include "daemon/http/http_server.h"
#include "daemon/ingest_metrics.h"
#include "daemon/json_log.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/evaluation_loop.h"
#include "daemon/pipeline.h"
#include "daemon/state/figures_exporter.h"
#include "daemon/state/figures_json.h"
#include "daemon/state/state_store.h"

namespace outcomes {
namespace {

ConsumerLoop* g_loop = nullptr;

void OnStopSignal(int) {
  if (g_loop != nullptr) g_loop->RequestStop();
}

[[noreturn]] void Fatal(const absl::Status& status) {
  Log(LogLevel::kError, "fatal", {{"error", status.ToString()}});
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) Fatal(value.status());
  return *std::move(value);
}

// Accepted events go to the partition's funnel state.
class StateSink : public AcceptedEventSink {
 public:
  explicit StateSink(StateStore& store) : store_(store) {}
  void AssignPartition(const PartitionId& id) override { store_.Assign(id); }
  void RevokePartition(const PartitionId& id) override { store_.Revoke(id); }
  void Apply(const PartitionId& id, const v1::ServiceEvent& event,
             DayNumber day) override {
    store_.Apply(id, event, day);
  }

 private:
  StateStore& store_;
};

void AddApiRoutes(HttpServer& http, const EvaluationLoop& evaluation) {
  http.Route("GET", "/api/v1/providers", [&evaluation](const HttpRequest&) {
    return HttpResponse{200, "application/json",
                        RenderProvidersJson(*evaluation.Latest())};
  });
  http.Route("GET", "/api/v1/providers/", [&evaluation](const HttpRequest& r) {
    const std::string id = r.path.substr(std::string("/api/v1/providers/").size());
    std::optional<std::string> body =
        RenderProviderJson(*evaluation.Latest(), id);
    if (!body) return HttpResponse{404, "application/json",
                                   "{\"error\":\"unknown provider\"}"};
    return HttpResponse{200, "application/json", *std::move(body)};
  });
}

void AddHealthRoutes(HttpServer& http, prometheus::Registry& registry,
                     IngestMetrics& metrics) {
  http.Route("GET", "/metrics", [&registry](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        RenderMetrics(registry)};
  });
  http.Route("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "ok\n"};
  });
  http.Route("GET", "/readyz", [&metrics](const HttpRequest&) {
    const bool ready = metrics.ready().Value() == 1;
    return HttpResponse{ready ? 200 : 503, "text/plain",
                        ready ? "ready\n" : "not ready: catching up\n"};
  });
}

int Run(const DaemonSettings& settings_in) {
  DaemonSettings settings = settings_in;
  std::unique_ptr<EmbeddedKafka> embedded;
  if (settings.embedded_kafka) {
    std::vector<std::string> topics = settings.kafka.topics;
    topics.push_back(settings.kafka.dead_letter_topic);
    topics.push_back(settings.alerts_topic);
    embedded = OrDie(StartEmbeddedKafka(topics, settings.embedded_partitions));
    settings.kafka.brokers = embedded->bootstraps();
    Log(LogLevel::kInfo, "embedded kafka started",
        {{"bootstrap", settings.kafka.brokers},
         {"topics", absl::StrJoin(topics, ",")}});
  }
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  StateStore store(settings.state);
  FiguresExporter exporter(registry);
  EvaluationLoop evaluation(store, exporter, RealClock(),
                            settings.state.timezone, settings.eval_interval);
  StateSink sink(store);
  auto dead_letters = OrDie(NewRdKafkaDeadLetterSink(settings.kafka));
  IngestPipeline pipeline(settings.validation, RealClock(), metrics, sink,
                          *dead_letters);
  ConsumerLoop loop(pipeline, *dead_letters, metrics, settings.commit_interval);
  auto consumer = OrDie(NewRdKafkaConsumer(settings.kafka, &loop));
  loop.SetConsumer(consumer.get());

  HttpServer http;
  AddHealthRoutes(http, registry, metrics);
  AddApiRoutes(http, evaluation);
  if (absl::Status s = http.Start(settings.listen); !s.ok()) Fatal(s);
  Log(LogLevel::kInfo, "serving",
      {{"listen", settings.listen}, {"port", http.port()},
       {"topics", absl::StrJoin(settings.kafka.topics, ",")},
       {"group", settings.kafka.group}});

  evaluation.Start();
  g_loop = &loop;
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  loop.Run();
  g_loop = nullptr;
  evaluation.Stop();
  http.Stop();
  consumer.reset();
  return 0;
}

}  // namespace
}  // namespace outcomes

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "outcomesd --kafka.brokers=embedded|HOST:PORT --kafka.topics=... "
      "--listen=HOST:PORT ...");
  std::vector<std::string> storage;
  std::vector<char*> args = outcomes::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  auto settings = outcomes::SettingsFromFlags();
  if (!settings.ok()) outcomes::Fatal(settings.status());
  return outcomes::Run(*settings);
}
