// outcomes-broker: serves librdkafka's mock Kafka cluster (one broker) on
// 127.0.0.1 for tests and demos; kcat, outcomesd and outcomes-simulate talk
// the real Kafka protocol to it.
//
// The first line of stdout is the bootstrap address (HOST:PORT); everything
// else goes to stderr. Runs until SIGTERM or SIGINT, then exits 0.
//
// librdkafka 2.0.2 cannot choose the mock's listen port, so --port=N starts a
// TCP forwarder on 127.0.0.1:N to the mock's own (ephemeral) address. Kafka
// metadata still advertises the mock's address, which clients on loopback
// reach directly after bootstrapping.
//
// Limits of the mock (librdkafka 2.0.2): each partition keeps at most about
// 5 MiB or 100,000 messages (older ones are dropped); everything is in memory.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/tools/tcp_forwarder.h"

ABSL_FLAG(int32_t, port, 0,
          "port on 127.0.0.1 to serve on (0 = the mock's own ephemeral port)");
ABSL_FLAG(int32_t, partitions, 4, "partitions per topic");
ABSL_FLAG(std::string, topics,
          "outcomes.events,outcomes.events.dlq,outcomes.alerts,outcomes.state",
          "comma-separated topics to create");

namespace outcomes::tools {
namespace {

// Owns the rd_kafka_t that hosts the mock cluster.
class MockCluster {
 public:
  static absl::StatusOr<std::unique_ptr<MockCluster>> Create();
  ~MockCluster() {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  absl::Status CreateTopic(const std::string& topic, int partitions);
  std::string bootstraps() const {
    return rd_kafka_mock_cluster_bootstraps(cluster_);
  }

 private:
  MockCluster() = default;

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Create() {
  std::unique_ptr<MockCluster> mock(new MockCluster());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The host handle never connects anywhere; silence its notice about the
  // missing bootstrap.servers (warnings and errors still print).
  if (rd_kafka_conf_set(conf, "log_level", "4", err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("log_level: ", err));
  }
  mock->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (mock->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", err));
  }
  mock->cluster_ = rd_kafka_mock_cluster_new(mock->rk_, 1);
  if (mock->cluster_ == nullptr) {
    return absl::InternalError("rd_kafka_mock_cluster_new failed");
  }
  return mock;
}

absl::Status MockCluster::CreateTopic(const std::string& topic,
                                      int partitions) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

// Blocks SIGTERM/SIGINT in this and every thread created later, so that
// WaitForStopSignal() alone receives them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

absl::Status Run(const sigset_t& stop_signals) {
  const int partitions = absl::GetFlag(FLAGS_partitions);
  const int port = absl::GetFlag(FLAGS_port);
  if (partitions < 1 || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("need --partitions >= 1, 0 <= --port");
  }
  absl::StatusOr<std::unique_ptr<MockCluster>> mock = MockCluster::Create();
  if (!mock.ok()) return mock.status();
  const std::vector<std::string> topics =
      absl::StrSplit(absl::GetFlag(FLAGS_topics), ',', absl::SkipWhitespace());
  for (const std::string& topic : topics) {
    if (absl::Status s = (*mock)->CreateTopic(topic, partitions); !s.ok()) {
      return s;
    }
  }
  std::string address = (*mock)->bootstraps();
  std::unique_ptr<TcpForwarder> forwarder;
  if (port != 0) {
    auto started = TcpForwarder::Start(port, address);
    if (!started.ok()) return started.status();
    forwarder = std::move(*started);
    address = absl::StrCat("127.0.0.1:", port);
  }
  std::printf("%s\n", address.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "outcomes-broker: serving %s (mock %s), %zu topics x %d "
               "partitions\n",
               address.c_str(), (*mock)->bootstraps().c_str(), topics.size(),
               partitions);
  const int signo = WaitForStopSignal(stop_signals);
  std::fprintf(stderr, "outcomes-broker: signal %d, shutting down\n", signo);
  forwarder.reset();
  return absl::OkStatus();
}

}  // namespace
}  // namespace outcomes::tools

int main(int argc, char** argv) {
  const sigset_t stop_signals = outcomes::tools::BlockStopSignals();
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = outcomes::tools::Run(stop_signals);
  if (!status.ok()) {
    std::fprintf(stderr, "outcomes-broker: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
