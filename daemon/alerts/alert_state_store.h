// The shared alert state (docs/design.md, "State through restarts, rebalances
// and faults": alert state moves with the partition): a compacted Kafka topic
// (--kafka.state_topic, default outcomes.state) of one record per alert
// instance, keyed by the alert's canonical label key (LabelKey), value a
// serialized v1::AlertStateRecord, a null value (tombstone) once the instance
// has gone inactive. Alert labels carry no client data, so neither do keys or
// values.
//
// AlertStateStore is the byte-level boundary (the librdkafka implementation
// is daemon/kafka/rdkafka_state_topic.cc; unit tests use an in-memory
// fake). What is written when, and how records are read back into the
// lifecycle, is AlertStateReplica (alert_state_replica.h).
//
// Thread safety: implementations must allow Put, Delete, Flush and
// write_failures from any thread, and ReadAll concurrently with them.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_STORE_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace outcomes {

// The latest record of one key.
struct StateTopicRecord {
  std::string key;
  std::optional<std::string> value;  // empty: tombstone
  absl::Time written_at;             // the record's timestamp
};

class AlertStateStore {
 public:
  virtual ~AlertStateStore() = default;

  // Queues a record (Put) or a tombstone (Delete) for `key`. Asynchronous:
  // returns at once; a failed delivery is logged and counted in
  // write_failures(). Records of one key are delivered in order.
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;

  // Waits until everything queued so far is delivered (acknowledged by all
  // in-sync replicas) or `timeout` passed (DeadlineExceeded).
  virtual absl::Status Flush(absl::Duration timeout) = 0;

  // Reads the topic from its beginning up to its end at the time of the
  // call (the high watermarks) and returns the latest record of every key,
  // in no particular order. Blocks for at most `timeout` (then
  // DeadlineExceeded, nothing returned).
  virtual absl::StatusOr<std::vector<StateTopicRecord>> ReadAll(
      absl::Duration timeout) = 0;

  // Deliveries that failed since the store was created.
  virtual uint64_t write_failures() = 0;
};

// The librdkafka store on `topic`. `properties` are librdkafka key=value
// pairs (bootstrap.servers, TLS, SASL, ...). Creates the topic (compacted,
// one partition, the broker's default replication factor) when it does not
// exist; a topic that exists already is fine, and a creation error (e.g. no
// permission) is logged, not fatal: writes and reads then report errors.
// The producer uses acks=all and idempotence.
absl::StatusOr<std::unique_ptr<AlertStateStore>> NewRdKafkaAlertStateStore(
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::string& topic);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_STORE_H_
