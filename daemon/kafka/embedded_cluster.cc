// --kafka.brokers=embedded: librdkafka's mock cluster, in-process.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

class MockCluster : public EmbeddedKafka {
 public:
  ~MockCluster() override {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  absl::Status Start(const std::vector<std::string>& topics, int partitions) {
    rdkafka::ConfPtr conf(rd_kafka_conf_new());
    rdkafka::InstallLogger(conf.get());
    char error[512];
    // This handle only hosts the cluster: it has no brokers of its own to
    // talk to, which librdkafka would otherwise warn about.
    rd_kafka_conf_set(conf.get(), "log_level", "3", error, sizeof(error));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof(error));
    if (rk_ == nullptr) {
      return absl::InternalError(absl::StrCat("embedded kafka: ", error));
    }
    conf.release();
    cluster_ = rd_kafka_mock_cluster_new(rk_, 1);
    if (cluster_ == nullptr) {
      return absl::InternalError("embedded kafka: cannot create mock cluster");
    }
    for (const std::string& topic : topics) {
      if (rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
              cluster_, topic.c_str(), partitions, 1)) {
        return absl::InternalError(absl::StrCat("embedded kafka: create topic ",
                                                topic, ": ",
                                                rd_kafka_err2str(err)));
      }
    }
    return absl::OkStatus();
  }

  std::string bootstraps() const override {
    return rd_kafka_mock_cluster_bootstraps(cluster_);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedKafka>> StartEmbeddedKafka(
    const std::vector<std::string>& topics, int partitions) {
  auto cluster = std::make_unique<MockCluster>();
  if (absl::Status s = cluster->Start(topics, partitions); !s.ok()) return s;
  return cluster;
}

}  // namespace outcomes
