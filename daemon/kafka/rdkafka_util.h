// Helpers shared by the librdkafka-based clients. Internal to daemon/kafka.
#ifndef OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_
#define OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_

#include <librdkafka/rdkafka.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/kafka/kafka_config.h"

namespace outcomes::rdkafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using TopicPartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// A client of `type` owning `conf`. Errors start with `what`.
absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf,
                                    const char* what);

// Builds a conf from `base` then `overrides` (later entries win). Errors name
// the offending property.
absl::StatusOr<ConfPtr> MakeConf(const KafkaProperties& base,
                                 const KafkaProperties& overrides);

// Routes librdkafka's own log lines to our JSON log.
void InstallLogger(rd_kafka_conf_t* conf);

// `d` in whole milliseconds for librdkafka's timeouts: 0 when negative,
// clamped to int.
int Ms(absl::Duration d);
// Ms(deadline - now): 0 when `deadline` has passed.
int MsUntil(absl::Time deadline);

// Shutdown with a dead broker (docs/design.md, "Shutdown"): librdkafka's own
// calls wait for the group coordinator until the session timeout (45 s by
// default). These give up at a deadline instead (rdkafka_deadline.cc).

// Commits `offsets` and waits for the result on a queue of its own until
// `deadline` (RD_KAFKA_RESP_ERR__TIMED_OUT then; the commit may still land
// later). The first partition error when the request itself succeeded.
rd_kafka_resp_err_t CommitUntil(rd_kafka_t* rk,
                                const rd_kafka_topic_partition_list_t* offsets,
                                absl::Time deadline);

// The signature of rd_kafka_conf_set_rebalance_cb's callback.
using RebalanceFn = void (*)(rd_kafka_t*, rd_kafka_resp_err_t,
                             rd_kafka_topic_partition_list_t*, void* opaque);

// Leaves the consumer group (rd_kafka_consumer_close_queue) until
// `deadline`, calling `rebalance` (with `opaque`) on this thread for the
// revocation; messages still queued are dropped. True when closed.
bool CloseConsumerUntil(rd_kafka_t* rk, absl::Time deadline,
                        RebalanceFn rebalance, void* opaque);

// rd_kafka_destroy_flags(rk, flags) on a thread of its own, waited for until
// `deadline`. False when it had not returned by then: the handle is left to
// finish (or be ended by the process exit) on that thread.
bool DestroyUntil(rd_kafka_t* rk, int flags, absl::Time deadline);

}  // namespace outcomes::rdkafka

#endif  // OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_
